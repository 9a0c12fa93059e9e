"""Typed stack settings: the shipped environments, defaults, derived values and the loaders."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

import pytest
import yaml

from stacks.settings import (
    BudgetSettings,
    ClusterSettings,
    EndpointSettings,
    MonitoringSettings,
    NetworkSettings,
    NodeGroupSettings,
    SageMakerDomainSettings,
    SageMakerSettings,
    Settings,
    SettingsError,
    StorageSettings,
    SystemNodesSettings,
    TaintSettings,
    TeamMemberSettings,
    TeamSettings,
    load_settings,
    load_settings_file,
    settings_from_pulumi,
)
from stacks.settings.base import Scope
from stacks.settings.instance_types import UnknownInstanceType, lookup, lookup_sagemaker

STACKS = Path(__file__).resolve().parents[2] / "stacks"
MINIMAL = {"aws:region": "us-east-1", "mladmin:owner": "ml-platform", "mladmin:costCenter": "cc-1"}
SECTION_MODELS = [
    Settings, NetworkSettings, StorageSettings, ClusterSettings, NodeGroupSettings, SystemNodesSettings,
    TaintSettings, SageMakerSettings, SageMakerDomainSettings, EndpointSettings, MonitoringSettings,
    BudgetSettings, TeamSettings, TeamMemberSettings,
]


def stack_config(stack: str) -> dict:
    return yaml.safe_load((STACKS / f"Pulumi.{stack}.yaml").read_text())["config"]


@pytest.fixture(scope="module")
def shipped() -> dict[str, Settings]:
    return {stack: load_settings_file(STACKS / f"Pulumi.{stack}.yaml", stack) for stack in ("dev", "staging", "prod")}


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_each_shipped_stack_file_validates(shipped, stack):
    assert shipped[stack].environment == stack
    assert shipped[stack].region == "us-east-1"


def test_dev_is_small_and_cheap(shipped):
    dev = shipped["dev"]
    assert len(dev.network.availability_zones) == 2
    assert dev.network.nat_gateways == "single"
    assert dev.cluster.gpu_node_groups
    assert all(g.capacity_type == "SPOT" and g.min_size == 0 and g.desired_size == 0 for g in dev.cluster.gpu_node_groups)
    assert dev.monitoring.log_retention_days <= 14
    assert not dev.storage.protect and not dev.cluster.deletion_protection
    assert dev.storage.replication_region is None


def test_prod_is_highly_available_and_protected(shipped):
    prod = shipped["prod"]
    assert prod.network.availability_zones == ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert prod.network.nat_gateways == "onePerAz"
    assert prod.cluster.system_nodes.capacity_type == "ON_DEMAND"
    assert prod.cluster.gpu_node_groups
    assert prod.monitoring.log_retention_days >= 365
    assert prod.storage.protect and prod.cluster.deletion_protection
    assert prod.storage.replication_region == "us-west-2"
    assert len(prod.teams) >= 3
    assert all(e.instance_type.startswith("ml.g5.") for e in prod.sagemaker.endpoints)


def test_staging_sits_between_dev_and_prod(shipped):
    dev, staging, prod = shipped["dev"], shipped["staging"], shipped["prod"]
    assert dev.budgets.monthly_limit_usd < staging.budgets.monthly_limit_usd < prod.budgets.monthly_limit_usd
    assert dev.monitoring.log_retention_days < staging.monitoring.log_retention_days < prod.monitoring.log_retention_days


def test_minimal_config_gets_the_documented_defaults():
    settings = load_settings(MINIMAL, source="x.yaml", stack="dev")
    assert settings.environment == "dev"  # the stack's name
    assert settings.network.vpc_cidr == "10.0.0.0/16"
    assert settings.network.availability_zones == ["us-east-1a", "us-east-1b"]
    assert settings.network.nat_gateways == "onePerAz"
    assert settings.network.interface_endpoints == ["ecr.api", "ecr.dkr", "sts", "logs", "sagemaker.api", "sagemaker.runtime"]
    assert settings.storage.protect is True and settings.storage.force_destroy is False
    assert settings.cluster.endpoint_public_access is False and settings.cluster.deletion_protection is True
    assert settings.cluster.system_nodes.instance_types == ["m6i.large"]
    assert (settings.cluster.system_nodes.min_size, settings.cluster.system_nodes.max_size) == (2, 4)
    assert settings.sagemaker.domain.app_network_access_type == "VpcOnly"
    assert settings.monitoring.log_retention_days == 30
    assert settings.budgets.thresholds_percent == [50.0, 80.0, 100.0]
    assert settings.teams == [] and settings.policy == {}


def test_every_field_is_documented_and_has_a_camel_case_alias():
    for model in SECTION_MODELS:
        for name, field in model.model_fields.items():
            assert field.description, f"{model.__name__}.{name} has no description"
            assert field.alias and "_" not in field.alias, f"{model.__name__}.{name} alias {field.alias!r}"


def test_prod_defaults_to_three_zones():
    network = NetworkSettings.model_validate(
        {"flowLogRetentionDays": 365}, context={"scope": Scope("prod", "us-east-1")}
    )
    assert network.availability_zones == ["us-east-1a", "us-east-1b", "us-east-1c"]


@pytest.mark.parametrize("vpc,zones", [("10.0.0.0/16", 2), ("10.0.0.0/16", 3), ("172.16.0.0/20", 6), ("10.1.0.0/24", 2), ("10.1.0.0/26", 2)])
def test_omitted_subnets_are_carved_disjoint_inside_the_vpc(vpc, zones):
    names = [f"us-east-1{letter}" for letter in "abcdef"[:zones]]
    network = NetworkSettings.model_validate(
        {"vpcCidr": vpc, "availabilityZones": names}, context={"scope": Scope("dev", "us-east-1")}
    )
    subnets = [ipaddress.IPv4Network(c) for c in network.private_subnet_cidrs + network.public_subnet_cidrs]
    assert len(network.private_subnet_cidrs) == len(network.public_subnet_cidrs) == zones
    assert all(s.subnet_of(ipaddress.IPv4Network(vpc)) for s in subnets)
    assert not any(a.overlaps(b) for i, a in enumerate(subnets) for b in subnets[i + 1 :])
    assert subnets[0].num_addresses >= subnets[zones].num_addresses  # private subnets are the big ones


def test_desired_size_defaults_to_min_size():
    group = NodeGroupSettings.model_validate({"name": "cpu", "instanceTypes": ["m6i.large"], "minSize": 2, "maxSize": 5})
    assert group.desired_size == 2


def test_gpu_flag_and_taint_are_derived_from_instance_types():
    gpu = NodeGroupSettings.model_validate({"name": "gpu", "instanceTypes": ["g5.12xlarge"]})
    cpu = NodeGroupSettings.model_validate({"name": "cpu", "instanceTypes": ["m6i.large"]})
    neuron = NodeGroupSettings.model_validate({"name": "trn", "instanceTypes": ["trn1.32xlarge"]})
    assert gpu.gpu and gpu.accelerator == "nvidia" and gpu.accelerators_per_node == 4
    assert gpu.taints == [TaintSettings(key="nvidia.com/gpu", value="true", effect="NO_SCHEDULE")]
    assert not cpu.gpu and cpu.taints == [] and cpu.accelerators_per_node == 0
    assert neuron.gpu and neuron.taints[0].key == "aws.amazon.com/neuron"


def test_explicit_taints_replace_the_derived_one():
    group = NodeGroupSettings.model_validate({"name": "gpu", "instanceTypes": ["g5.xlarge"], "taints": []})
    assert group.gpu and group.taints == []


def test_cluster_capacity_counts_accelerators_at_max_size(shipped):
    # gpu-serving 8 x 1 A10G, gpu-training 4 x 8 A100, gpu-batch-spot 4 x 4 L40S
    assert shipped["prod"].cluster.max_accelerators == 8 + 32 + 16


def test_tags_and_convenience_properties(shipped):
    prod = shipped["prod"]
    assert prod.tags == {"owner": "ml-platform", "environment": "prod", "team": "platform", "cost-center": "cc-4410"}
    assert prod.is_prod and not shipped["dev"].is_prod
    assert prod.prefix == "mladmin-prod"
    assert prod.team_tags(prod.teams[0])["team"] == "research"
    assert prod.budget_recipients == ["ml-platform@example.com", "finance-ml@example.com"]
    assert shipped["dev"].budget_recipients == ["ml-platform-dev@example.com"]  # falls back to alarm emails
    assert prod.sagemaker.capture_percent(prod.sagemaker.endpoints[1]) == 5
    assert prod.sagemaker.capture_percent(prod.sagemaker.endpoints[0]) == 10


def test_json_string_values_load_like_native_ones(shipped):
    # Under the Pulumi runtime, structured values arrive as JSON strings and scalars as strings.
    as_runtime = {k: v if isinstance(v, str) else json.dumps(v) for k, v in stack_config("prod").items()}
    assert load_settings(as_runtime, source="stacks/Pulumi.prod.yaml", stack="prod") == shipped["prod"]


def test_scalars_are_read_as_strings_like_pulumi_does():
    settings = load_settings({**MINIMAL, "mladmin:costCenter": 4410}, source="x.yaml", stack="dev")
    assert settings.cost_center == "4410"


def test_keys_without_namespace_belong_to_the_project():
    config = {"aws:region": "us-east-1", "owner": "ml-platform", "costCenter": "cc-1", "network": {"natGateways": "single"}}
    assert load_settings(config, source="x.yaml", stack="dev").network.nat_gateways == "single"


def test_other_provider_keys_are_ignored():
    config = {**MINIMAL, "aws:profile": "ml", "aws:secretKey": {"secure": "v1:abc"}, "kubernetes:context": "x"}
    assert load_settings(config, source="x.yaml", stack="dev").region == "us-east-1"


def test_normalised_settings_load_again_unchanged(shipped):
    dumped = shipped["prod"].model_dump(by_alias=True, mode="json")
    config = {("aws:region" if k == "region" else f"mladmin:{k}"): v for k, v in dumped.items()}
    assert load_settings(config, source="x.yaml", stack="prod") == shipped["prod"]


def test_settings_constructor_applies_the_environment_rules():
    with pytest.raises(ValueError, match="prod minimum"):
        Settings(environment="prod", owner="a", cost_center="b", region="us-east-1")
    dev = Settings(environment="dev", owner="a", cost_center="b", region="us-east-1")
    assert dev.network.availability_zones == ["us-east-1a", "us-east-1b"]


@pytest.fixture
def pulumi_config():
    from pulumi.runtime import config as runtime_config

    def set_config(values: dict[str, str]) -> None:
        runtime_config.set_all_config(values)

    yield set_config
    runtime_config.set_all_config({})


def test_settings_from_pulumi_reads_the_runtime_config(pulumi_config, shipped):
    pulumi_config({k: v if isinstance(v, str) else json.dumps(v) for k, v in stack_config("prod").items()})
    assert settings_from_pulumi("prod") == shipped["prod"]


def test_settings_from_pulumi_names_the_stack_file_in_errors(pulumi_config, monkeypatch):
    monkeypatch.delenv("MLADMIN_CONFIG_SOURCE", raising=False)
    pulumi_config({**MINIMAL, "mladmin:netwrok": "{}"})
    with pytest.raises(SettingsError) as raised:
        settings_from_pulumi("dev")
    assert raised.value.problems == [
        "stacks/Pulumi.dev.yaml: mladmin:netwrok: unknown key (did you mean 'mladmin:network'?)"
    ]
    monkeypatch.setenv("MLADMIN_CONFIG_SOURCE", "other/dev.yaml")
    with pytest.raises(SettingsError, match="^other/dev.yaml: mladmin:netwrok"):
        settings_from_pulumi("dev")


def test_instance_type_table_knows_gpu_counts():
    assert lookup("p4d.24xlarge").accelerators == 8
    assert lookup("g6e.xlarge").family.device == "NVIDIA L40S"
    assert lookup("m7g.large").arch == "arm64"
    assert lookup_sagemaker("ml.g5.12xlarge").accelerators == 4
    with pytest.raises(UnknownInstanceType, match="unknown instance type 'g5.huge'"):
        lookup("g5.huge")


def test_s3_endpoint_extra_buckets_must_be_bucket_names():
    from stacks.settings import SettingsError, load_settings

    config = {"aws:region": "us-east-1", "mladmin:environment": "dev", "mladmin:owner": "a", "mladmin:costCenter": "b",
              "mladmin:network": {"s3EndpointExtraBuckets": ["jumpstart-cache-prod-us-east-1", "Bad_Bucket"]}}
    with pytest.raises(SettingsError) as raised:
        load_settings(config, source="stacks/Pulumi.dev.yaml", stack="dev")
    assert raised.value.problems == [
        "stacks/Pulumi.dev.yaml: mladmin:network.s3EndpointExtraBuckets[1]: 'Bad_Bucket' is not an S3 bucket name "
        "(expected 3-63 lower-case letters, digits, dots and hyphens, e.g. jumpstart-cache-prod-us-east-1)"]
