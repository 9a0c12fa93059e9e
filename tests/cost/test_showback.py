"""GPU showback: a shared GPU node group's cost is split among the teams whose workloads hold its GPUs.

The figures are computed by hand from stacks/Pulumi.prod.yaml and policies/facts/prices.py (rows in the
comments); the rule is mladmin/cost/showback.py's docstring.
"""

from __future__ import annotations

import copy

import dataclasses
import json

import pytest
import yaml
from typer.testing import CliRunner

from mladmin.cost import cost_inputs, estimate
from tests.cli.helpers import PROGRAMS, ROOT

HOURS = 730
IDLE = "platform (idle GPU capacity)"

# prod's GPU node groups, per node: on-demand (or spot x 0.35) hours plus the root volume at gp3 0.08/GiB-month.
SERVING_NODE = 1.212 * HOURS + 300 * 0.08                 # g5.2xlarge 1.212/h, 1 A10G, 300 GiB: 908.76
TRAINING_NODE = 21.96 * HOURS + 1000 * 0.08               # p4d.24xlarge 21.96/h, 8 A100, 1000 GiB: 16,110.80
BATCH_NODE = 10.49264 * 0.35 * HOURS + 500 * 0.08         # g6e.12xlarge 10.49264/h spot x 0.35, 4 L40S, 500 GiB

# prod's workloads: applied's chat server, 1 GPU x 2-6 replicas on gpu-serving (2-8 nodes);
# research's llama-sft, 2 nodes x 8 GPUs on gpu-training (0-4 nodes); nothing on gpu-batch-spot (0-4 nodes).
APPLIED = (2 * SERVING_NODE, 6 * SERVING_NODE)            # 2 of 2 GPUs at min, 6 of 8 at max
RESEARCH = (0.0, 2 * TRAINING_NODE)                       # 16 of 32 GPUs at max
IDLE_GPU = (0.0, 2 * SERVING_NODE + 2 * TRAINING_NODE + 4 * BATCH_NODE)


@pytest.fixture(scope="module")
def prod(prod_preview_plan):
    return estimate(prod_preview_plan, cost_inputs(prod_preview_plan).assumptions)


def with_config(plan, **sections):
    """The plan with some mladmin:<key> config sections replaced (the resources are unchanged)."""
    config = dict(plan.config)
    for key, value in sections.items():
        config[f"mladmin:{key}"] = value
    return dataclasses.replace(plan, config=config)


def prod_section(key: str):
    return yaml.safe_load((ROOT / "stacks" / "Pulumi.prod.yaml").read_text())["config"][f"mladmin:{key}"]


def split_of(result, node_group: str) -> dict[str, tuple[float, float, float, float]]:
    """team -> (GPUs at min, GPUs at max, $ at min, $ at max) of one node group."""
    (group,) = [g for g in result.showback if g.node_group == node_group]
    return {s.team: (s.gpus_min, s.gpus_max, s.monthly_min, s.monthly_max) for s in group.shares}


def server(name: str, team: str, node_group: str, gpus: int, low: int, high: int) -> dict:
    return {"name": name, "team": team, "image": {"repository": "serving", "tag": "2026.12.01-3f9c2ab"},
            "nodeGroup": node_group, "gpus": gpus, "replicas": {"min": low, "max": high}}


def assert_nothing_created_or_lost(result):
    for group in result.showback:
        (item,) = [i for i in result.items if i.urn == group.urn]
        assert sum(s.monthly_min for s in group.shares) == pytest.approx(item.monthly_min, abs=1e-6)
        assert sum(s.monthly_max for s in group.shares) == pytest.approx(item.monthly_max, abs=1e-6)
    teams = result.by("team").values()
    assert sum(low for low, _ in teams) == pytest.approx(result.monthly_min, abs=0.01 * len(teams))
    assert sum(high for _, high in teams) == pytest.approx(result.monthly_max, abs=0.01 * len(teams))


# --- the shipped prod stack ------------------------------------------------------------------------------


def test_applied_pays_for_all_of_gpu_serving_at_minimum_its_two_chat_replicas_fill_both_nodes(prod):
    assert split_of(prod, "gpu-serving")["applied"][::2] == pytest.approx((2, APPLIED[0]), abs=0.01)
    assert split_of(prod, "gpu-serving")[IDLE][0] == 0
    assert APPLIED[0] == pytest.approx(1817.52, abs=0.01)


def test_at_maximum_applied_pays_six_of_eight_serving_nodes_and_two_stay_idle_with_platform(prod):
    shares = split_of(prod, "gpu-serving")
    assert shares["applied"][1::2] == pytest.approx((6, APPLIED[1]), abs=0.01)
    assert shares[IDLE][1::2] == pytest.approx((2, 2 * SERVING_NODE), abs=0.01)
    assert APPLIED[1] == pytest.approx(5452.56, abs=0.01)


def test_a_training_job_holds_gpus_at_maximum_only_research_pays_half_of_gpu_training(prod):
    shares = split_of(prod, "gpu-training")
    assert shares["research"] == pytest.approx((0, 16, 0, RESEARCH[1]), abs=0.01)
    assert shares[IDLE] == pytest.approx((0, 16, 0, 2 * TRAINING_NODE), abs=0.01)


def test_a_gpu_group_no_workload_uses_is_idle_capacity_of_its_owner(prod):
    assert split_of(prod, "gpu-batch-spot") == {IDLE: pytest.approx((0, 16, 0, 4 * BATCH_NODE), abs=0.01)}


def endpoint_cost(result, team: str = "applied") -> list[float]:
    """What a team's own tag puts on it: prod's chat-prod endpoint (sagemaker.endpoints[].team) for applied."""
    return [sum(getattr(i, f"monthly_{size}") for i in result.items if i.team == team) for size in ("min", "max")]


def test_prod_per_team_figures_before_and_after_the_split(prod):
    # Before: every node group is tagged platform, so platform carried all of them.
    tagged = [sum(getattr(i, f"monthly_{size}") for i in prod.items if i.team == "platform") for size in ("min", "max")]
    teams = prod.by("team")
    assert teams["applied"] == pytest.approx([a + e for a, e in zip(APPLIED, endpoint_cost(prod))], abs=0.01)
    assert teams["research"] == pytest.approx(RESEARCH, abs=0.01)
    assert teams[IDLE] == pytest.approx(IDLE_GPU, abs=0.01)
    moved = [a + r + i for a, r, i in zip(APPLIED, RESEARCH, IDLE_GPU)]
    assert teams["platform"] == pytest.approx([t - m for t, m in zip(tagged, moved)], abs=0.01)


def test_the_split_moves_money_between_teams_and_never_creates_or_loses_any(prod):
    assert_nothing_created_or_lost(prod)
    assert {item.team for item in prod.items if item.type == "aws:eks/nodeGroup:NodeGroup"} == {"platform"}


def test_cpu_node_groups_are_not_split(prod):
    assert {g.node_group for g in prod.showback} == {"gpu-serving", "gpu-training", "gpu-batch-spot"}


# --- edge cases ------------------------------------------------------------------------------------------


def test_teams_asking_for_more_gpus_than_the_group_holds_share_it_in_proportion(prod_preview_plan):
    workloads = prod_section("workloads")
    workloads["serving"].append(server("judge", "evaluation", "gpu-serving", 1, 1, 6))
    result = estimate(with_config(prod_preview_plan, workloads=workloads))
    shares = split_of(result, "gpu-serving")
    # min: applied asks 2, evaluation 1, of 2 GPUs; max: 6 and 6 of 8.
    assert shares["applied"] == pytest.approx((4 / 3, 4, 2 / 3 * APPLIED[0], 4 * SERVING_NODE), abs=0.01)
    assert shares["evaluation"] == pytest.approx((2 / 3, 4, 1 / 3 * APPLIED[0], 4 * SERVING_NODE), abs=0.01)
    assert IDLE not in shares
    assert_nothing_created_or_lost(result)


def test_a_team_holds_no_more_gpus_than_its_quota(prod_preview_plan):
    teams = prod_section("teams")
    next(t for t in teams if t["name"] == "applied")["gpuQuota"] = 4
    result = estimate(with_config(prod_preview_plan, teams=teams))
    shares = split_of(result, "gpu-serving")
    assert shares["applied"] == pytest.approx((2, 4, APPLIED[0], 4 * SERVING_NODE), abs=0.01)  # asks 6 at max
    assert shares[IDLE] == pytest.approx((0, 4, 0, 4 * SERVING_NODE), abs=0.01)


def test_a_server_on_a_group_of_minimum_size_zero_pays_only_at_maximum(prod_preview_plan):
    workloads = prod_section("workloads")
    workloads["serving"].append(server("sweep", "evaluation", "gpu-batch-spot", 4, 1, 2))
    result = estimate(with_config(prod_preview_plan, workloads=workloads))
    shares = split_of(result, "gpu-batch-spot")
    assert shares["evaluation"] == pytest.approx((0, 8, 0, 2 * BATCH_NODE), abs=0.01)  # 8 of 16 GPUs at max
    assert shares[IDLE] == pytest.approx((0, 8, 0, 2 * BATCH_NODE), abs=0.01)


def test_a_workload_on_a_cpu_group_or_a_group_that_does_not_exist_is_left_to_platform(prod_preview_plan, prod):
    workloads = prod_section("workloads")
    workloads["serving"] += [server("tokenizer", "evaluation", "cpu-general", 0, 2, 4),
                             server("ghost", "evaluation", "gpu-nowhere", 1, 2, 4)]
    workloads["training"][0]["nodeGroup"] = "gpu-gone"
    result = estimate(with_config(prod_preview_plan, workloads=workloads))
    teams = result.by("team")
    assert "evaluation" not in teams and "research" not in teams
    assert teams["platform"] == prod.by("team")["platform"]
    assert split_of(result, "gpu-training") == {IDLE: pytest.approx((0, 32, 0, 4 * TRAINING_NODE), abs=0.01)}
    assert_nothing_created_or_lost(result)


def test_malformed_workloads_are_left_out_never_a_crash(prod_preview_plan):
    workloads = prod_section("workloads")
    workloads["serving"] += ["chat", {"name": "half", "team": "applied"}, {**workloads["serving"][0], "gpus": "lots"}]
    result = estimate(with_config(prod_preview_plan, workloads=workloads, teams="{not json"))
    assert split_of(result, "gpu-serving")["applied"][:2] == (2, 6)  # the valid chat server only, no quota read
    for broken in ("{not json", [], {"serving": "chat"}):
        assert_nothing_created_or_lost(estimate(with_config(prod_preview_plan, workloads=broken)))


def test_a_stack_that_declares_no_workloads_keeps_costs_with_their_tags():
    from mladmin.engine import plan_program

    plan = plan_program(PROGRAMS / "costed", "dev")
    assert estimate(plan).showback == []


# --- the command -----------------------------------------------------------------------------------------


def cost_command(plan, *args: str):
    """`mladmin cost prod ARGS` in process on an already planned stack (one prod plan per test run)."""
    import mladmin.cli.cost as cost_cli
    from mladmin.cli.main import app

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cost_cli, "load_plan", lambda *_, **__: plan)
        return CliRunner().invoke(app, ["cost", "prod", *args])


@pytest.fixture(scope="module")
def prod_json(prod_preview_plan):
    result = cost_command(prod_preview_plan, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_cost_json_keeps_its_fields_and_adds_the_split(prod_json):
    assert {"stack", "currency", "monthly", "by_component", "by_team", "resources", "free_resources",
            "assumptions", "budget", "serving"} <= set(prod_json)
    own = {key: round(sum(i[f"monthly_{key}"] for i in prod_json["resources"] if i["team"] == "applied"), 2)
           for key in ("min", "max")}
    assert own["min"] > 0 and {i["component"] for i in prod_json["resources"] if i["team"] == "applied"} == {
        "endpoint-chat-prod"}
    assert prod_json["by_team"]["applied"] == pytest.approx({"min": 1817.52 + own["min"], "max": 5452.56 + own["max"]},
                                                           abs=0.01)
    serving = next(g for g in prod_json["gpu_showback"] if g["node_group"] == "gpu-serving")
    assert serving["gpus"] == {"min": 2, "max": 8} and serving["instance_type"] == "g5.2xlarge"
    assert serving["shares"][0] == {"team": "applied", "idle": False, "gpus": {"min": 2, "max": 6},
                                    "min": 1817.52, "max": 5452.56}


def test_cost_json_keeps_the_tag_based_team_totals_beside_the_split(prod_json):
    # by_team_tag counts each resource for its team tag, as by_team did before showback: the GPU groups are all
    # platform's there, and both add up to the same stack total
    own = {key: round(sum(i[f"monthly_{key}"] for i in prod_json["resources"] if i["team"] == "applied"), 2)
           for key in ("min", "max")}
    assert prod_json["by_team_tag"]["applied"] == pytest.approx(own, abs=0.01)  # its endpoint only, no GPU share
    for key in ("min", "max"):
        assert round(sum(t[key] for t in prod_json["by_team_tag"].values()), 2) == \
            round(sum(t[key] for t in prod_json["by_team"].values()), 2) == prod_json["monthly"][key]


def test_cost_by_team_shows_each_teams_gpus_of_each_shared_group(prod_preview_plan, prod_json):
    result = cost_command(prod_preview_plan, "--by", "team")
    assert result.exit_code == 0, result.output
    lines = [" ".join(line.split()) for line in result.stdout.splitlines()]
    assert "gpu-serving applied 2 of 2 6 of 8 1,817.52 5,452.56" in lines
    assert "gpu-training research 0 of 0 16 of 32 0.00 32,221.60" in lines
    applied = prod_json["by_team"]["applied"]  # its GPU share and its chat-prod endpoint
    assert f"applied {applied['min']:,.2f} {applied['max']:,.2f} 40,000.00" in lines  # beside its budget


def test_cost_check_counts_a_teams_share_of_shared_gpu_groups_against_its_budget(prod_preview_plan, prod_json):
    plan = copy.copy(prod_preview_plan)
    plan.config = copy.deepcopy(prod_preview_plan.config)
    teams = plan.config["mladmin:teams"]
    teams = json.loads(teams) if isinstance(teams, str) else teams
    next(t for t in teams if t["name"] == "applied")["monthlyBudgetUsd"] = 1000
    plan.config["mladmin:teams"] = teams
    result = cost_command(plan, "--check")
    assert result.exit_code == 1, result.output
    total = prod_json["by_team"]["applied"]["min"]
    assert (f"team applied: estimated ${total:,.2f}/month ($1,817.52 of it shared GPU node groups) exceeds its "
            "budget $1,000.00") in result.stdout
