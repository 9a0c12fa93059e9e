"""Bad stack config: one line per problem naming the file, the key path, the value and the expectation."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from stacks.settings import SettingsError, load_settings, load_settings_file

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "config"


def stack_config(stack: str) -> dict:
    return yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]


def problems(stack: str, edit) -> list[str]:
    """Problems of the shipped ``stack`` config after ``edit(config)`` changed it."""
    config = copy.deepcopy(stack_config(stack))
    edit(config)
    with pytest.raises(SettingsError) as raised:
        load_settings(config, source=f"stacks/Pulumi.{stack}.yaml", stack=stack)
    return raised.value.problems


def cluster(config: dict) -> dict:
    return config["mladmin:cluster"]


def network(config: dict) -> dict:
    return config["mladmin:network"]


def test_settings_error_is_a_value_error_whose_text_is_the_lines():
    error = SettingsError(["a: b: c", "a: d: e"])
    assert isinstance(error, ValueError)
    assert str(error) == "a: b: c\na: d: e"


def test_min_size_above_max_size():
    def edit(config):
        cluster(config)["nodeGroups"][1].update(minSize=2, desiredSize=2, maxSize=0)

    assert problems("prod", edit) == [
        "stacks/Pulumi.prod.yaml: mladmin:cluster.nodeGroups[1].maxSize: 0 is less than minSize 2"
    ]


def test_desired_size_above_max_size():
    def edit(config):
        cluster(config)["nodeGroups"][0].update(minSize=1, desiredSize=9, maxSize=4)

    assert problems("dev", edit) == [
        "stacks/Pulumi.dev.yaml: mladmin:cluster.nodeGroups[0].desiredSize: 9 is more than maxSize 4"
    ]


def test_word_where_an_integer_is_expected():
    def edit(config):
        cluster(config)["nodeGroups"][0]["minSize"] = "three"

    assert problems("dev", edit) == [
        "stacks/Pulumi.dev.yaml: mladmin:cluster.nodeGroups[0].minSize: 'three' is not an integer"
    ]


def test_string_where_a_list_is_expected():
    def edit(config):
        cluster(config)["nodeGroups"][0]["instanceTypes"] = "m5.large"

    assert problems("dev", edit) == [
        "stacks/Pulumi.dev.yaml: mladmin:cluster.nodeGroups[0].instanceTypes: 'm5.large' is not a list "
        "(expected a YAML list, e.g. [a, b])"
    ]


def test_string_where_a_boolean_is_expected():
    def edit(config):
        config["mladmin:storage"]["protect"] = "yes"

    assert problems("prod", edit) == [
        "stacks/Pulumi.prod.yaml: mladmin:storage.protect: 'yes' is not a boolean (expected true or false)"
    ]


def test_unquoted_kubernetes_version_read_as_a_number():
    def edit(config):
        cluster(config)["kubernetesVersion"] = 1.30

    [line] = problems("dev", edit)
    assert line.startswith("stacks/Pulumi.dev.yaml: mladmin:cluster.kubernetesVersion: 1.3 is a number")
    assert "quoted version" in line


def test_typo_in_a_key_gets_a_hint():
    def edit(config):
        network(config)["natGateway"] = network(config).pop("natGateways")

    assert problems("dev", edit) == [
        "stacks/Pulumi.dev.yaml: mladmin:network.natGateway: unknown key (did you mean 'natGateways'?)"
    ]


def test_snake_case_key_gets_the_camel_case_hint():
    def edit(config):
        cluster(config)["node_groups"] = cluster(config).pop("nodeGroups")

    assert problems("dev", edit) == [
        "stacks/Pulumi.dev.yaml: mladmin:cluster.node_groups: unknown key (did you mean 'nodeGroups'?)"
    ]


def test_typo_in_a_top_level_key_gets_a_hint():
    def edit(config):
        config["mladmin:netwrok"] = config.pop("mladmin:network")

    assert problems("dev", edit) == [
        "stacks/Pulumi.dev.yaml: mladmin:netwrok: unknown key (did you mean 'mladmin:network'?)"
    ]


def test_typo_in_the_namespace_gets_a_hint():
    def edit(config):
        config["mladmn:owner"] = "x"

    assert problems("dev", edit) == [
        "stacks/Pulumi.dev.yaml: mladmn:owner: unknown namespace 'mladmn' (did you mean 'mladmin:owner'?)"
    ]


def test_region_under_the_wrong_namespace():
    def edit(config):
        config["mladmin:region"] = config.pop("aws:region")

    assert problems("dev", edit) == [
        "stacks/Pulumi.dev.yaml: mladmin:region: unknown key (did you mean 'aws:region'?)",
        "stacks/Pulumi.dev.yaml: aws:region: missing (required, e.g. 'us-east-1')",
    ]


def test_misspelt_enum_value_gets_a_hint():
    def edit(config):
        cluster(config)["nodeGroups"][0]["capacityType"] = "spot"

    assert problems("dev", edit) == [
        "stacks/Pulumi.dev.yaml: mladmin:cluster.nodeGroups[0].capacityType: 'spot' is not one of ON_DEMAND, SPOT, "
        "CAPACITY_BLOCK (did you mean 'SPOT'?)"
    ]


def test_a_value_outside_a_list_of_numbers_names_the_numbers():
    def edit(config):
        config["mladmin:sagemaker"]["endpoints"][1]["serverless"]["memorySizeMb"] = 1000

    (problem,) = problems("dev", edit)
    assert problem == ("stacks/Pulumi.dev.yaml: mladmin:sagemaker.endpoints[1].serverless.memorySizeMb: 1000 is not "
                       "one of 1024, 2048, 3072, 4096, 5120, 6144")


@pytest.mark.parametrize(
    "cidr,expected",
    [
        ("10.10.0.0/33", "'10.10.0.0/33' is not a valid IPv4 CIDR block (expected e.g. 10.0.0.0/16)"),
        ("banana", "'banana' is not a CIDR block (expected address/prefix, e.g. 10.0.0.0/16)"),
        ("10.10.0.1/16", "'10.10.0.1/16' has host bits set (expected the network address, 10.10.0.0/16)"),
        ("10.0.0.0/8", "'10.0.0.0/8' is not a valid VPC size (expected a prefix from /16 to /28)"),
    ],
)
def test_bad_vpc_cidr(cidr, expected):
    def edit(config):
        network(config)["vpcCidr"] = cidr

    assert problems("dev", edit) == [f"stacks/Pulumi.dev.yaml: mladmin:network.vpcCidr: {expected}"]


def test_subnet_outside_the_vpc():
    def edit(config):
        network(config)["privateSubnetCidrs"][2] = "10.31.64.0/19"

    assert problems("prod", edit) == [
        "stacks/Pulumi.prod.yaml: mladmin:network.privateSubnetCidrs[2]: '10.31.64.0/19' is outside vpcCidr "
        "10.30.0.0/16 (expected a subnet of it)"
    ]


def test_overlapping_subnets():
    def edit(config):
        network(config)["publicSubnetCidrs"][0] = "10.30.16.0/22"

    assert problems("prod", edit) == [
        "stacks/Pulumi.prod.yaml: mladmin:network.publicSubnetCidrs[0]: '10.30.16.0/22' overlaps "
        "privateSubnetCidrs[0] 10.30.0.0/19 (expected disjoint subnets)"
    ]


def test_fewer_subnets_than_zones():
    def edit(config):
        network(config)["privateSubnetCidrs"].pop()

    assert problems("prod", edit) == [
        "stacks/Pulumi.prod.yaml: mladmin:network.privateSubnetCidrs: [\"10.30.0.0/19\", \"10.30.32.0/19\"] has 2 "
        "subnets for 3 availabilityZones (expected one per zone: 3)"
    ]


def test_only_one_kind_of_subnet_given():
    def edit(config):
        network(config)["privateSubnetCidrs"] = ["10.10.0.0/18", "10.10.64.0/18"]

    assert problems("dev", edit) == [
        "stacks/Pulumi.dev.yaml: mladmin:network.publicSubnetCidrs: missing while privateSubnetCidrs is set "
        "(expected both, or neither to carve them from vpcCidr)"
    ]


def test_zone_outside_the_region():
    def edit(config):
        network(config)["availabilityZones"] = ["us-east-1a", "us-west-2b"]

    assert problems("dev", edit) == [
        "stacks/Pulumi.dev.yaml: mladmin:network.availabilityZones[1]: 'us-west-2b' is not in region us-east-1 "
        "(expected a zone such as us-east-1a)"
    ]


def test_gpu_pool_with_a_cpu_instance_type():
    def edit(config):
        cluster(config)["nodeGroups"][1]["instanceTypes"] = ["m5.xlarge"]
        cluster(config)["nodeGroups"][1]["gpu"] = True

    assert problems("dev", edit) == [
        "stacks/Pulumi.dev.yaml: mladmin:cluster.nodeGroups[1].instanceTypes[0]: 'm5.xlarge' is not a GPU instance "
        "type (a gpu: true pool expects accelerator types, e.g. g5.xlarge, g6e.xlarge, p5.48xlarge, trn1.32xlarge)"
    ]


def test_cpu_pool_with_a_gpu_instance_type():
    def edit(config):
        cluster(config)["nodeGroups"][0]["instanceTypes"] = ["m6i.xlarge", "g5.xlarge"]
        cluster(config)["nodeGroups"][0]["gpu"] = False

    assert problems("dev", edit) == [
        "stacks/Pulumi.dev.yaml: mladmin:cluster.nodeGroups[0].instanceTypes[1]: 'g5.xlarge' is a GPU instance type "
        "(NVIDIA A10G) in a pool with gpu: false (expected a CPU type, or gpu: true)"
    ]


def test_unknown_instance_type():
    def edit(config):
        cluster(config)["nodeGroups"][1]["instanceTypes"] = ["g5.huge"]

    assert problems("dev", edit) == [
        "stacks/Pulumi.dev.yaml: mladmin:cluster.nodeGroups[1].instanceTypes[0]: unknown instance type 'g5.huge' "
        "(g5 sizes: xlarge, 2xlarge, 4xlarge, 8xlarge, 12xlarge, 16xlarge, 24xlarge, 48xlarge)"
    ]


def test_unknown_instance_family_gets_a_hint():
    def edit(config):
        cluster(config)["nodeGroups"][1]["instanceTypes"] = ["g55.xlarge"]

    [line] = problems("dev", edit)
    assert line.endswith("unknown instance type 'g55.xlarge' (no instance family 'g55'; did you mean 'g5.xlarge'?)")


def test_mixed_architectures_in_one_pool():
    def edit(config):
        cluster(config)["nodeGroups"][0]["instanceTypes"] = ["m6i.xlarge", "m7g.xlarge"]

    [line] = problems("dev", edit)
    assert line.startswith("stacks/Pulumi.dev.yaml: mladmin:cluster.nodeGroups[0].instanceTypes: ")
    assert "mixes architectures (m6i.xlarge is x86_64, m7g.xlarge is arm64" in line


def test_duplicate_node_group_names():
    def edit(config):
        cluster(config)["nodeGroups"][1]["name"] = "cpu-general"

    assert problems("dev", edit) == [
        "stacks/Pulumi.dev.yaml: mladmin:cluster.nodeGroups[1].name: 'cpu-general' is already used by another node group"
    ]


def test_public_endpoint_without_allowed_cidrs():
    def edit(config):
        del cluster(config)["publicAccessCidrs"]

    [line] = problems("dev", edit)
    assert line.startswith(
        "stacks/Pulumi.dev.yaml: mladmin:cluster.publicAccessCidrs: missing while endpointPublicAccess is true"
    )


def test_sagemaker_endpoint_needs_an_ml_instance_type():
    def edit(config):
        config["mladmin:sagemaker"]["endpoints"][0]["instanceType"] = "g5.xlarge"

    assert problems("dev", edit) == [
        "stacks/Pulumi.dev.yaml: mladmin:sagemaker.endpoints[0].instanceType: 'g5.xlarge' is not a SageMaker "
        "instance type (expected an ml. type, e.g. ml.g5.xlarge)"
    ]


def test_sagemaker_endpoint_type_must_be_allowed():
    def edit(config):
        config["mladmin:sagemaker"]["endpoints"][0]["instanceType"] = "ml.p4d.24xlarge"

    assert problems("dev", edit) == [
        "stacks/Pulumi.dev.yaml: mladmin:sagemaker.endpoints[0].instanceType: 'ml.p4d.24xlarge' is not in "
        "allowedInstanceTypes (expected one of ml.m5.xlarge, ml.g5.xlarge)"
    ]


def test_log_retention_must_be_a_cloudwatch_period():
    def edit(config):
        config["mladmin:monitoring"]["logRetentionDays"] = 13

    [line] = problems("dev", edit)
    assert line.startswith(
        "stacks/Pulumi.dev.yaml: mladmin:monitoring.logRetentionDays: 13 is not a retention period CloudWatch Logs accepts"
    )
    assert line.endswith("nearest: 14)")


def test_replication_to_the_stacks_own_region():
    def edit(config):
        config["mladmin:storage"]["replicationRegion"] = "us-east-1"

    assert problems("prod", edit) == [
        "stacks/Pulumi.prod.yaml: mladmin:storage.replicationRegion: 'us-east-1' is the stack's own region "
        "(expected another region than aws:region)"
    ]


def test_prod_without_protect():
    def edit(config):
        config["mladmin:storage"]["protect"] = False

    assert problems("prod", edit) == [
        "stacks/Pulumi.prod.yaml: mladmin:storage.protect: false is not allowed in prod "
        "(expected true: prod data is protected from deletion)"
    ]


def test_prod_rules_on_a_dev_shaped_network():
    def edit(config):
        config["mladmin:network"] = {"availabilityZones": ["us-east-1a", "us-east-1b"], "natGateways": "single"}

    assert problems("prod", edit) == [
        "stacks/Pulumi.prod.yaml: mladmin:network.availabilityZones: [\"us-east-1a\", \"us-east-1b\"] has 2 zones "
        "(prod requires at least 3)",
        "stacks/Pulumi.prod.yaml: mladmin:network.natGateways: 'single' is not allowed in prod (expected 'onePerAz')",
        "stacks/Pulumi.prod.yaml: mladmin:network.flowLogRetentionDays: 90 is below the prod minimum of 365 days",
    ]


def test_prod_cluster_rules():
    def edit(config):
        cluster(config)["deletionProtection"] = False
        cluster(config)["systemNodes"]["capacityType"] = "SPOT"

    assert problems("prod", edit) == [
        "stacks/Pulumi.prod.yaml: mladmin:cluster.deletionProtection: false is not allowed in prod (expected true)",
        "stacks/Pulumi.prod.yaml: mladmin:cluster.systemNodes.capacityType: 'SPOT' is not allowed in prod "
        "(expected 'ON_DEMAND': a spot reclaim would take the cluster add-ons down)",
    ]


def test_prod_endpoints_need_two_instances():
    def edit(config):
        config["mladmin:sagemaker"]["endpoints"][0]["initialInstanceCount"] = 1
        config["mladmin:sagemaker"]["endpoints"][0].pop("deployment")  # its canary needs 2 too (tested apart)

    assert problems("prod", edit) == [
        "stacks/Pulumi.prod.yaml: mladmin:sagemaker.endpoints[0].initialInstanceCount: 1 is below the prod minimum "
        "of 2 (SageMaker spreads instances over zones)"
    ]


def test_dev_file_used_as_prod_gets_every_prod_rule():
    config = stack_config("dev")
    with pytest.raises(SettingsError) as raised:
        load_settings(config, source="stacks/Pulumi.dev.yaml", stack="prod")
    lines = raised.value.problems
    assert lines[0] == (
        "stacks/Pulumi.dev.yaml: mladmin:environment: 'dev' does not match stack 'prod' "
        "(expected 'prod': a stack named after an environment gets that environment's rules)"
    )
    for key in ("network.natGateways", "storage.protect", "storage.replicationRegion", "cluster.deletionProtection",
                "monitoring.logRetentionDays"):
        assert any(f"mladmin:{key}: " in line for line in lines), key


def test_team_gpu_quotas_beyond_the_gpu_pools():
    def edit(config):
        config["mladmin:teams"][0]["gpuQuota"] = 3

    assert problems("dev", edit) == [
        "stacks/Pulumi.dev.yaml: mladmin:teams: GPU quotas add up to 3 accelerators, more than the GPU node groups "
        "hold at maxSize (2; expected the sum of gpuQuota <= 2, or larger GPU pools)"
    ]


def test_team_budgets_beyond_the_environment_budget():
    def edit(config):
        config["mladmin:teams"][0]["monthlyBudgetUsd"] = 3000

    assert problems("dev", edit) == [
        "stacks/Pulumi.dev.yaml: mladmin:teams: team budgets add up to 3000 USD, more than budgets.monthlyLimitUsd "
        "2500 (expected the sum of monthlyBudgetUsd <= the limit)"
    ]


def test_missing_required_team_field():
    def edit(config):
        del config["mladmin:teams"][0]["owner"]

    assert problems("dev", edit) == [
        "stacks/Pulumi.dev.yaml: mladmin:teams[0].owner: missing (required, e.g. 'lead@example.com')"
    ]


def test_invalid_json_from_the_pulumi_runtime():
    def edit(config):
        config["mladmin:network"] = '{"natGateways": single}'

    [line] = problems("dev", edit)
    assert line.startswith("stacks/Pulumi.dev.yaml: mladmin:network: '{\"natGateways\": single}' is not valid JSON")


def test_a_broken_section_does_not_hide_the_others():
    def edit(config):
        config["mladmin:network"] = ["not", "a", "mapping"]
        config["mladmin:storage"]["protect"] = False

    lines = problems("prod", edit)
    assert lines[0].startswith("stacks/Pulumi.prod.yaml: mladmin:network: [\"not\", \"a\", \"mapping\"] is not a mapping")
    assert lines[1].startswith("stacks/Pulumi.prod.yaml: mladmin:storage.protect: false is not allowed in prod")


def test_file_with_several_problems_lists_them_all():
    with pytest.raises(SettingsError) as raised:
        load_settings_file(FIXTURES / "many-problems.yaml", "prod")
    source = "tests/fixtures/config/many-problems.yaml"
    assert raised.value.problems == [
        f"{source}: mladmin:netwrok: unknown key (did you mean 'mladmin:network'?)",
        f"{source}: mladmin:network.natGateway: unknown key (did you mean 'natGateways'?)",
        f"{source}: mladmin:storage.protect: false is not allowed in prod (expected true: prod data is protected "
        "from deletion)",
        f"{source}: mladmin:cluster.nodeGroups[0].minSize: 'three' is not an integer",
        f"{source}: mladmin:cluster.nodeGroups[1].maxSize: 0 is less than minSize 2",
        f"{source}: mladmin:monitoring.logRetentionDays: 13 is not a retention period CloudWatch Logs accepts "
        "(expected one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, "
        "2922, 3288, 3653; nearest: 14)",
    ]


@pytest.mark.parametrize(
    "fixture,expected",
    [
        ("syntax-error.yaml", ["line 5, column 4: invalid YAML (did not find expected key)"]),
        ("no-config.yaml", [
            "aws:region: config key at the top level (expected it indented under 'config:')",
            "mladmin:environment: config key at the top level (expected it indented under 'config:')",
            "config: missing (a Pulumi stack file keeps its settings under 'config:')",
        ]),
        ("list-top-level.yaml", ["top level is a list (expected a mapping with a 'config:' key)"]),
        ("empty.yaml", ["empty file (expected a mapping with a 'config:' key)"]),
        ("duplicate-keys.yaml", ["line 7: duplicate key 'natGateways' (first on line 6; expected each key once)"]),
        ("secure-value.yaml", [
            "mladmin:monitoring.alarmEmails[0]: encrypted value (secure:) cannot be used here (expected plain text: "
            "mladmin settings are not secrets; keep secrets in AWS Secrets Manager)"
        ]),
        ("does-not-exist.yaml", ["file not found (expected a Pulumi stack file)"]),
    ],
)
def test_malformed_stack_files(fixture, expected):
    with pytest.raises(SettingsError) as raised:
        load_settings_file(FIXTURES / fixture, "dev")
    assert raised.value.problems == [f"tests/fixtures/config/{fixture}: {line}" for line in expected]


def test_file_outside_the_repository_is_named_as_given(tmp_path):
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text("config:\n  aws:region: mars-1\n  mladmin:owner: a\n  mladmin:costCenter: b\n")
    with pytest.raises(SettingsError) as raised:
        load_settings_file(path, "dev")
    assert raised.value.problems == [f"{path}: aws:region: 'mars-1' is not an AWS region (expected e.g. us-east-1)"]


def test_every_problem_line_names_file_and_key_and_no_traceback():
    with pytest.raises(SettingsError) as raised:
        load_settings_file(FIXTURES / "many-problems.yaml", "prod")
    text = str(raised.value)
    assert "Traceback" not in text and "pydantic" not in text and "Value error" not in text
    for line in raised.value.problems:
        file, key, message = line.split(": ", 2)
        assert file == "tests/fixtures/config/many-problems.yaml"
        assert key.startswith(("mladmin:", "aws:")) and message


def test_random_corruptions_only_ever_give_settings_errors():
    """Any value anywhere (wrong type, removed, renamed, encrypted) ends in SettingsError lines, never a crash."""
    import random

    junk = [None, "three", 3, -1, 0, 1.5, True, [], {}, ["x"], {"a": 1}, "10.0.0.0/8", "g5.huge",
            float("nan"), {"secure": "v1:x"}, "", [1, 2], 10**20]
    base = stack_config("prod")

    def paths(value, path=()):
        yield path
        items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        for key, item in items:
            yield from paths(item, path + (key,))

    all_paths = [path for path in paths(base) if path]
    rng = random.Random(7)
    for _ in range(300):
        config = copy.deepcopy(base)
        for _ in range(rng.randint(1, 3)):
            *parents, last = rng.choice(all_paths)
            target = config
            try:
                for key in parents:
                    target = target[key]
                if isinstance(target, dict) and rng.random() < 0.2:
                    target[f"{last}x"] = target.pop(last)
                else:
                    target[last] = copy.deepcopy(rng.choice(junk))
            except (KeyError, IndexError, TypeError):
                pass
        try:
            load_settings(config, source="s.yaml", stack="prod")
        except SettingsError as error:
            for line in error.problems:
                assert line.startswith("s.yaml: ") and "nput should" not in line and "Value error" not in line, line
