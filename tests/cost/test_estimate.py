"""`mladmin cost`: a small program priced by hand, budgets checked, nothing priced at $0 by omission."""

from __future__ import annotations

import json

import pytest

from mladmin.cost import PricingError, cost_inputs, estimate
from mladmin.engine import plan_program
from policies.facts import prices
from policies.facts.environments import GPU_INSTANCE_TYPES_ALLOWED, SAGEMAKER_DEFAULT_INSTANCE_TYPES
from policies.facts.instance_types import FAMILIES
from stacks.settings import SettingsError
from tests.cli.helpers import PROGRAMS, ROOT, mladmin
from tests.policies.builders import plan, res

COSTED = PROGRAMS / "costed"
HOURS = 730

# tests/fixtures/programs/costed with its Pulumi.dev.yaml assumptions, by hand (prices.py rows in the comments):
EKS = 0.10 * HOURS                                            # control plane 0.10/h
SYSTEM_NODE = 0.0832 * 0.3 * HOURS + 50 * 0.08                # t3.large 0.0832/h at spot 0.3, 50 GiB gp3 0.08
GPU_NODE = 1.006 * HOURS + 200 * 0.08                         # g5.xlarge 1.006/h on-demand, 200 GiB (launch template)
NAT = 0.045 * HOURS + 200 * 0.045                             # hourly + 200 GB at 0.045/GB
CHAT = 1.4084 * HOURS                                         # ml.g5.xlarge 1.4084/h, 1 instance (4 at most)
SERVERLESS = 1_000_000 * 0.5 * 2 * 0.00002                    # requests x seconds x GB x 0.00002/GB-s
FSX = 1200 * 0.210                                            # PERSISTENT_2 at 250 MB/s/TiB
BUCKET = 1000 * 0.023
AT_MIN = EKS + 2 * SYSTEM_NODE + GPU_NODE + NAT + CHAT + SERVERLESS + FSX + BUCKET
AT_MAX = EKS + 4 * SYSTEM_NODE + 3 * GPU_NODE + NAT + 4 * CHAT + SERVERLESS + FSX + BUCKET
RESEARCH = GPU_NODE + CHAT + BUCKET


@pytest.fixture(scope="module")
def costed_plan():
    return plan_program(COSTED, "dev")


@pytest.fixture(scope="module")
def costed(costed_plan):
    return estimate(costed_plan, cost_inputs(costed_plan).assumptions)


def test_the_cost_of_a_small_plan_equals_the_figure_computed_by_hand(costed):
    assert costed.monthly_min == pytest.approx(AT_MIN, abs=0.01)
    assert costed.monthly_min == pytest.approx(2232.80, abs=0.01)


def test_node_groups_and_endpoints_are_priced_at_their_maximum_size_in_the_second_column(costed):
    assert costed.monthly_max == pytest.approx(AT_MAX, abs=0.01)


def test_a_teams_share_is_what_carries_its_team_tag(costed):
    teams = costed.by("team")
    assert teams["research"][0] == pytest.approx(RESEARCH, abs=0.01)
    assert teams["platform"][0] == pytest.approx(2 * SYSTEM_NODE, abs=0.01)


def test_an_instance_type_missing_from_the_price_table_is_an_error_naming_it():
    nodes = res("aws:eks/nodeGroup:NodeGroup", "gpu", instanceTypes=["g5.xlarge", "g9.huge"],
                scalingConfig={"minSize": 0.0, "maxSize": 1.0})
    with pytest.raises(PricingError, match=r"gpu \(aws:eks/nodeGroup:NodeGroup\): instance type 'g9.huge' has no price"):
        estimate(plan(nodes))


def test_a_cluster_on_a_version_in_extended_support_is_priced_at_the_extended_rate():
    priced = estimate(plan(res("aws:eks/cluster:Cluster", "old", version="1.33")))
    (item,) = priced.items
    assert item.monthly_min == pytest.approx(0.60 * HOURS)
    assert "extended support" in item.basis


@pytest.mark.parametrize("version", ["1.36", None])
def test_a_cluster_in_standard_support_or_on_the_eks_default_is_priced_at_the_standard_rate(version):
    inputs = {"version": version} if version else {}
    (item,) = estimate(plan(res("aws:eks/cluster:Cluster", "current", **inputs))).items
    assert item.monthly_min == pytest.approx(0.10 * HOURS)


def test_every_instance_type_the_settings_allow_has_a_price():
    ec2 = [f"{family.name}.{size}" for family in FAMILIES.values() for size in family.sizes]
    sagemaker = [name for names in GPU_INSTANCE_TYPES_ALLOWED.values() for name in names if name.startswith("ml.")]
    unpriced = sorted({name for name in [*ec2, *sagemaker, *SAGEMAKER_DEFAULT_INSTANCE_TYPES]
                       if prices.instance_hourly(name) is None})
    assert unpriced == []


def test_cpu_sizes_are_priced_in_proportion_to_the_large_size():
    assert prices.instance_hourly("m5.24xlarge").usd == pytest.approx(4.608)
    assert prices.instance_hourly("m5.metal").usd == pytest.approx(4.608)  # metal = the largest size
    # ... except where the price list charges more for the whole machine (m7i.24xlarge is 48 x 0.1008 = 4.8384)
    assert prices.instance_hourly("m7i.metal-24xl").usd == pytest.approx(5.32224)
    assert prices.instance_hourly("m7i.metal-48xl").usd == pytest.approx(9.6768)
    assert prices.instance_hourly("m6g.metal").usd == pytest.approx(2.6112)
    assert prices.instance_hourly("t3.nano").usd == pytest.approx(0.0052)


def test_a_bad_cost_assumption_is_one_error_naming_the_key(tmp_path):
    config = tmp_path / "Pulumi.dev.yaml"
    config.write_text("config:\n  mladmin:cost:\n    spotPriceFactor: 2\n    natGbPerMonth: -1\n")
    with pytest.raises(SettingsError) as error:
        cost_inputs(plan_program(COSTED, "dev", config))
    assert len(error.value.problems) == 2
    assert any("mladmin:cost.spotPriceFactor" in line and "2" in line for line in error.value.problems)


def test_cost_check_exits_1_when_a_team_is_over_its_budget():
    result = mladmin("cost", "dev", "--program", COSTED, "--check")
    assert result.returncode == 1, result.stderr
    assert "team research: estimated $1,801.51/month exceeds its budget $1,000.00" in result.stdout


def test_cost_check_exits_1_when_the_environment_is_over_its_budget():
    result = mladmin("cost", "dev", "--program", COSTED, "--config", COSTED / "Pulumi.tight.yaml", "--check", "--json")
    document = json.loads(result.stdout)
    assert result.returncode == 1
    assert document["budget"]["over"] == ["dev: estimated $2,232.80/month exceeds the budget $2,000.00 "
                                          "(mladmin:budgets.monthlyLimitUsd)"]


def test_cost_check_exits_0_within_every_budget():
    result = mladmin("cost", "dev", "--program", COSTED, "--config", COSTED / "Pulumi.roomy.yaml", "--check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_dev_idles_under_150_dollars_a_month_without_its_endpoints(dev_preview_plan):
    priced = estimate(dev_preview_plan)
    idle = sum(item.monthly_min for item in priced.items if item.type != "aws:sagemaker/endpoint:Endpoint")
    assert idle < 150


def test_the_stack_settings_validate_mladmin_cost_with_one_line_per_problem():
    import yaml

    from stacks.settings import load_settings

    config = yaml.safe_load((ROOT / "stacks" / "Pulumi.dev.yaml").read_text())["config"]
    config["mladmin:cost"] = {"natGbPerMonth": "lots", "s3GbPerBuckets": 5}
    with pytest.raises(SettingsError) as error:
        load_settings(config, source="stacks/Pulumi.dev.yaml", stack="dev")
    problems = error.value.problems
    assert len(problems) == 2
    assert any(line.startswith("stacks/Pulumi.dev.yaml: mladmin:cost.natGbPerMonth: 'lots'") for line in problems)
    assert any("mladmin:cost.s3GbPerBuckets: unknown key (did you mean 's3GbPerBucket'?)" in line for line in problems)


def test_a_notebook_instance_is_priced_as_always_on_never_as_free():
    notebook = res("aws:sagemaker/notebookInstance:NotebookInstance", "nb", instanceType="ml.t3.medium", volumeSize=20.0)
    assert estimate(plan(notebook)).monthly_min == pytest.approx(0.05 * HOURS + 20 * 0.14, abs=0.01)
    unknown = res("aws:sagemaker/notebookInstance:NotebookInstance", "nb", instanceType="ml.x9.huge")
    with pytest.raises(PricingError, match="'ml.x9.huge' has no price"):
        estimate(plan(unknown))
