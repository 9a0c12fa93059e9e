"""The base components, planned offline through mladmin's engine with small programs that compose them.

Three setups: ``prod`` (3 AZs, a NAT per AZ, replication, protection, SageMaker in the VPC, a
team role), ``dev`` (2 AZs, one NAT, no replication, force_destroy) and ``isolated`` (no NAT).
"""

from __future__ import annotations

import inspect
import json
import re
import textwrap
from pathlib import Path

import pulumi_aws
import pytest
import yaml

from components import Iam, IamArgs, Kms, KmsArgs, Network, NetworkArgs, Storage, StorageArgs, Tags, team_role
from components.policy_documents import service_trust_policy
from mladmin.engine import Plan, plan_program

ACCOUNT = "123456789012"
REQUIRED_TAGS = {"owner", "environment", "team", "cost-center"}

PROGRAM = textwrap.dedent(
    '''
    import pulumi
    from components import *
    from components.policy_documents import oidc_trust_policy

    s = pulumi.Config("comptest").require_object("scenario")
    acct, region = "123456789012", s["region"]
    tags = Tags(owner="ml-platform", environment=s["env"], team="platform", cost_center="cc-4410")
    kms = Kms(f"{s['env']}-kms", KmsArgs(prefix=s["prefix"], account_id=acct, region=region, tags=tags,
                                         protect=s["protect"]))
    net = Network(f"{s['env']}-network", NetworkArgs(
        prefix=s["prefix"], cidr_block="10.40.0.0/16", availability_zones=[f"{region}{z}" for z in s["zones"]],
        account_id=acct, region=region, logs_key_arn=kms.logs_key_arn, tags=tags,
        nat_gateways=s["nat"], cluster_name=s.get("cluster"), flow_log_retention_days=s["retention"]))
    storage = Storage(f"{s['env']}-storage", StorageArgs(
        prefix=s["prefix"], account_id=acct, region=region, data_key_arn=kms.data_key_arn, tags=tags,
        replication_region=s.get("replica"), protect=s["protect"], force_destroy=not s["protect"]))
    iam = Iam(f"{s['env']}-iam", IamArgs(
        prefix=s["prefix"], account_id=acct, region=region, tags=tags, data_key_alias=kms.data_alias_name,
        read_bucket_arns=[storage.bucket_arns["datasets"]],
        write_bucket_arns=[storage.bucket_arns["models"], storage.bucket_arns["checkpoints"]],
        repository_arns=list(storage.repository_arns.values()), bucket_prefix=s.get("bucket_prefix", ""),
        vpc_mode=bool(s.get("vpc_mode"))))
    if s.get("team"):
        team_role(f"{s['env']}-team-nlp", role_name=f"{s['prefix']}-team-nlp",
                  boundary_arn=iam.permissions_boundary_arn,
                  assume_role_policy=oidc_trust_policy(
                      f"arn:aws:iam::{acct}:oidc-provider/oidc.eks.{region}.amazonaws.com/id/ABC",
                      f"https://oidc.eks.{region}.amazonaws.com/id/ABC", ["system:serviceaccount:nlp:trainer"]),
                  tags=tags.for_team("nlp").as_dict(), parent=iam)
        team_role(f"{s['env']}-team-cv", role_name=f"{s['prefix']}-team-cv",
                  boundary_arn=iam.permissions_boundary_arn,
                  assume_role_policy=oidc_trust_policy(
                      f"arn:aws:iam::{acct}:oidc-provider/oidc.eks.{region}.amazonaws.com/id/ABC",
                      f"https://oidc.eks.{region}.amazonaws.com/id/ABC", ["system:serviceaccount:cv:*"]),
                  tags=tags.for_team("cv").as_dict(), parent=iam)
    '''
)

SCENARIOS = {
    "prod": {"env": "prod", "prefix": "mladmin-prod", "region": "us-east-1", "zones": "abc", "nat": "onePerAz",
             "protect": True, "replica": "us-west-2", "retention": 365, "cluster": "prod-gpu", "vpc_mode": True,
             "team": True, "bucket_prefix": "sagemaker"},
    "dev": {"env": "dev", "prefix": "mladmin-dev", "region": "eu-west-1", "zones": "ab", "nat": "single",
            "protect": False, "retention": 14},
    "isolated": {"env": "isolated", "prefix": "mladmin-iso", "region": "us-east-1", "zones": "ab", "nat": "none",
                 "protect": False, "retention": 30},
}


def _plan(tmp_path_factory, scenario: str) -> Plan:
    root = tmp_path_factory.mktemp(f"components-{scenario}")
    (root / "Pulumi.yaml").write_text("name: comptest\nruntime: python\n")
    (root / "__main__.py").write_text(PROGRAM)
    config = {"config": {"aws:region": SCENARIOS[scenario]["region"], "comptest:scenario": SCENARIOS[scenario]}}
    (root / f"Pulumi.{scenario}.yaml").write_text(yaml.safe_dump(config))
    return plan_program(root, stack=scenario, preview=False)


@pytest.fixture(scope="module")
def prod(tmp_path_factory) -> Plan:
    return _plan(tmp_path_factory, "prod")


@pytest.fixture(scope="module")
def dev(tmp_path_factory) -> Plan:
    return _plan(tmp_path_factory, "dev")


@pytest.fixture(scope="module")
def isolated(tmp_path_factory) -> Plan:
    return _plan(tmp_path_factory, "isolated")


@pytest.fixture(scope="module")
def plans(prod, dev, isolated) -> dict[str, Plan]:
    return {"prod": prod, "dev": dev, "isolated": isolated}


def tags() -> Tags:
    return Tags(owner="ml-platform", environment="test", team="platform", cost_center="cc-1")


def policy_of(resource, key: str = "policy") -> dict:
    value = resource.inputs[key]
    return json.loads(value) if isinstance(value, str) else value


def statements(doc: dict) -> list[dict]:
    found = doc["Statement"]
    return found if isinstance(found, list) else [found]


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def by_bucket(plan: Plan, type_token: str) -> dict[str, object]:
    return {r.inputs["bucket"]: r for r in plan.of_type(type_token)}


def bucket_names(plan: Plan) -> list[str]:
    return [b.inputs["bucket"] for b in plan.of_type("aws:s3/bucket:Bucket")]


def log_targets(plan: Plan) -> set[str]:
    return {r.inputs["targetBucket"] for r in plan.of_type("aws:s3/bucketLogging:BucketLogging")}


# --- every component -------------------------------------------------------------------------


def test_components_use_mladmin_type_tokens(prod):
    assert {r.type for r in prod.components} == {
        "mladmin:kms:Kms", "mladmin:network:Network", "mladmin:storage:Storage", "mladmin:iam:Iam"}


def test_every_resource_is_a_child_of_a_component_named_in_its_own_name(plans):
    for plan in plans.values():
        for resource in plan.custom_resources:
            parent = plan.by_urn(resource.parent)
            assert parent.type.startswith("mladmin:"), resource.urn
            if "-team-" in resource.name:  # team_role(): the caller names it (the teams component)
                continue
            assert resource.name.startswith(f"{parent.name}-"), (resource.name, parent.name)


def _taggable(type_token: str) -> bool:
    module, name = type_token.split(":")[1].split("/")[0], type_token.split(":")[2]
    cls = getattr(getattr(pulumi_aws, module), name)
    return "tags" in inspect.signature(cls._internal_init).parameters


def test_every_taggable_resource_carries_the_governance_tags(plans):
    checked = 0
    for plan in plans.values():
        for resource in plan.custom_resources:
            if _taggable(resource.type):
                checked += 1
                assert REQUIRED_TAGS <= set(resource.inputs.get("tags", {})), resource.urn
                assert resource.inputs["tags"]["cost-center"] == "cc-4410"
    assert checked > 80


def test_outputs_are_registered_for_every_component(prod):
    for component in prod.components:
        assert component.outputs, component.urn


# --- Kms -------------------------------------------------------------------------------------


def test_kms_creates_rotating_keys_with_a_30_day_deletion_window(prod):
    keys = [k for k in prod.of_type("aws:kms/key:Key") if k.parent.endswith("::prod-kms")]
    assert len(keys) == 3
    for key in keys:
        assert key.inputs["enableKeyRotation"] is True
        assert key.inputs["deletionWindowInDays"] == 30


def test_kms_aliases_are_named_after_the_prefix(prod):
    names = {a.inputs["name"] for a in prod.of_type("aws:kms/alias:Alias")}
    assert {"alias/mladmin-prod-data", "alias/mladmin-prod-logs", "alias/mladmin-prod-cluster"} <= names


def test_no_key_policy_grants_a_wildcard_principal(plans):
    for plan in plans.values():
        for key in plan.of_type("aws:kms/key:Key"):
            for stmt in statements(policy_of(key)):
                principal = stmt["Principal"]
                assert principal != "*", key.name
                for values in principal.values():
                    assert "*" not in as_list(values), key.name


def test_logs_key_serves_cloudwatch_logs_only_for_this_accounts_log_groups(prod):
    stmt = next(s for s in statements(policy_of(prod.by_name("prod-kms-logs")))
                if s["Principal"].get("Service") == "logs.us-east-1.amazonaws.com")
    assert stmt["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"] == (
        f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:*")


def test_data_key_is_usable_only_through_s3_ecr_sagemaker_and_fsx(prod):
    doc = policy_of(prod.by_name("prod-kms-data"))
    via = next(s for s in statements(doc) if "kms:ViaService" in s.get("Condition", {}).get("StringEquals", {}))
    assert set(via["Condition"]["StringEquals"]["kms:ViaService"]) == {
        "s3.us-east-1.amazonaws.com", "ecr.us-east-1.amazonaws.com", "sagemaker.us-east-1.amazonaws.com",
        "fsx.us-east-1.amazonaws.com"}
    sagemaker = next(s for s in statements(doc) if s["Principal"].get("Service") == "sagemaker.amazonaws.com")
    assert sagemaker["Condition"]["StringEquals"]["aws:SourceAccount"] == ACCOUNT


def test_cluster_key_is_usable_through_eks(prod):
    doc = policy_of(prod.by_name("prod-kms-cluster"))
    services = [v for s in statements(doc) for v in
                as_list(s.get("Condition", {}).get("StringEquals", {}).get("kms:ViaService", []))]
    assert "eks.us-east-1.amazonaws.com" in services


def test_keys_are_protected_only_when_asked(prod, dev):
    assert all(k.protect and k.retain_on_delete for k in prod.of_type("aws:kms/key:Key"))
    assert not any(k.protect for k in dev.of_type("aws:kms/key:Key"))


# --- Network ---------------------------------------------------------------------------------


@pytest.mark.parametrize("scenario, expected", [("prod", 3), ("dev", 1), ("isolated", 0)])
def test_nat_gateways_follow_the_nat_mode(plans, scenario, expected):
    plan = plans[scenario]
    assert len(plan.of_type("aws:ec2/natGateway:NatGateway")) == expected
    assert len(plan.of_type("aws:ec2/eip:Eip")) == expected
    nat_routes = [r for r in plan.of_type("aws:ec2/route:Route") if "natGatewayId" in r.inputs]
    assert len(nat_routes) == (len(SCENARIOS[scenario]["zones"]) if expected else 0)


def test_each_zone_routes_through_its_own_nat_when_one_per_az(prod):
    routes = [r for r in prod.of_type("aws:ec2/route:Route") if "natGatewayId" in r.inputs]
    assert len({r.inputs["natGatewayId"] for r in routes}) == 3


def test_vpc_has_dns_support_and_hostnames(prod):
    (vpc,) = prod.of_type("aws:ec2/vpc:Vpc")
    assert vpc.inputs["enableDnsSupport"] is True and vpc.inputs["enableDnsHostnames"] is True


def test_subnets_never_map_public_ips_and_are_tagged_for_eks_load_balancers(prod):
    subnets = prod.of_type("aws:ec2/subnet:Subnet")
    assert len(subnets) == 6
    for subnet in subnets:
        assert subnet.inputs["mapPublicIpOnLaunch"] is False
        tags = subnet.inputs["tags"]
        role = "kubernetes.io/role/elb" if tags["tier"] == "public" else "kubernetes.io/role/internal-elb"
        assert tags[role] == "1"
        assert tags["kubernetes.io/cluster/prod-gpu"] == "shared"
    assert {s.inputs["availabilityZone"] for s in subnets} == {"us-east-1a", "us-east-1b", "us-east-1c"}


def test_subnets_have_no_cluster_tag_without_a_cluster(dev):
    for subnet in dev.of_type("aws:ec2/subnet:Subnet"):
        assert not any(k.startswith("kubernetes.io/cluster/") for k in subnet.inputs["tags"])


def test_flow_log_captures_all_traffic_into_an_encrypted_log_group_with_retention(plans):
    for scenario, plan in plans.items():
        (flow_log,) = plan.of_type("aws:ec2/flowLog:FlowLog")
        (group,) = [g for g in plan.of_type("aws:cloudwatch/logGroup:LogGroup")]
        assert flow_log.inputs["trafficType"] == "ALL"
        assert flow_log.inputs["logDestination"] == group.outputs["arn"]
        assert group.inputs["retentionInDays"] == SCENARIOS[scenario]["retention"]
        logs_key = plan.by_name(f"{SCENARIOS[scenario]['env']}-kms-logs")
        assert group.inputs["kmsKeyId"] == logs_key.outputs["arn"]


def test_flow_log_role_is_trusted_only_by_flow_logs_of_this_account_and_writes_one_group(prod):
    role = prod.by_name("prod-network-flow-logs-role")
    (stmt,) = statements(policy_of(role, "assumeRolePolicy"))
    assert stmt["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert stmt["Condition"]["StringEquals"]["aws:SourceAccount"] == ACCOUNT
    group_arn = prod.by_name("prod-network-flow-logs").outputs["arn"]
    delivery = statements(policy_of(prod.by_name("prod-network-flow-logs-delivery")))
    assert delivery[0]["Resource"] == [group_arn, f"{group_arn}:log-stream:*"]


def test_s3_gateway_endpoint_serves_the_private_route_tables(prod):
    s3 = prod.by_name("prod-network-s3")
    assert s3.inputs["vpcEndpointType"] == "Gateway"
    assert s3.inputs["serviceName"] == "com.amazonaws.us-east-1.s3"
    private_tables = {prod.by_name(f"prod-network-private-{i}-rt").id for i in range(3)}
    assert set(s3.inputs["routeTableIds"]) == private_tables


def test_interface_endpoints_use_private_dns_in_private_subnets(prod):
    endpoints = [e for e in prod.of_type("aws:ec2/vpcEndpoint:VpcEndpoint") if e.inputs["vpcEndpointType"] == "Interface"]
    services = {e.inputs["serviceName"].removeprefix("com.amazonaws.us-east-1.") for e in endpoints}
    assert services == {"ecr.api", "ecr.dkr", "sts", "logs", "sagemaker.api", "sagemaker.runtime"}
    private = {prod.by_name(f"prod-network-private-{i}").id for i in range(3)}
    sg = prod.by_name("prod-network-endpoints-sg").id
    for endpoint in endpoints:
        assert endpoint.inputs["privateDnsEnabled"] is True
        assert set(endpoint.inputs["subnetIds"]) == private
        assert endpoint.inputs["securityGroupIds"] == [sg]


def test_endpoint_security_group_allows_only_https_from_the_vpc(prod):
    sg = prod.by_name("prod-network-endpoints-sg")
    (rule,) = sg.inputs["ingress"]
    assert (rule["protocol"], rule["fromPort"], rule["toPort"]) == ("tcp", 443, 443)
    assert rule["cidrBlocks"] == ["10.40.0.0/16"]
    assert not sg.inputs.get("egress")


def test_default_security_group_is_managed_with_no_rules(plans):
    for plan in plans.values():
        (default,) = plan.of_type("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
        assert not default.inputs.get("ingress") and not default.inputs.get("egress")


def test_derived_subnets_lie_inside_the_vpc_without_overlap(prod):
    import ipaddress

    vpc = ipaddress.ip_network("10.40.0.0/16")
    nets = [ipaddress.ip_network(s.inputs["cidrBlock"]) for s in prod.of_type("aws:ec2/subnet:Subnet")]
    assert all(n.subnet_of(vpc) for n in nets)
    assert not any(a.overlaps(b) for i, a in enumerate(nets) for b in nets[i + 1:])


# --- Storage ---------------------------------------------------------------------------------


def test_buckets_are_named_prefix_purpose_account_region(prod):
    names = set(bucket_names(prod))
    for purpose in ("datasets", "models", "checkpoints", "access-logs"):
        assert f"mladmin-prod-{purpose}-{ACCOUNT}-us-east-1" in names
        assert f"mladmin-prod-{purpose}-{ACCOUNT}-us-west-2" in names
    assert all(len(n) <= 63 for n in names)


def test_every_data_bucket_uses_sse_kms_with_a_bucket_key(plans):
    for plan in plans.values():
        encryption = by_bucket(plan, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
        targets = log_targets(plan)
        assert set(encryption) == set(bucket_names(plan))
        for bucket, config in encryption.items():
            (rule,) = config.inputs["rules"]
            if bucket in targets:
                continue
            assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms", bucket
            assert rule["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"].startswith("arn:aws:kms:")
            assert rule["bucketKeyEnabled"] is True


def test_only_access_log_targets_use_sse_s3_because_log_delivery_rejects_sse_kms(plans):
    for plan in plans.values():
        encryption = by_bucket(plan, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
        sse_s3 = {b for b, c in encryption.items()
                  if c.inputs["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "AES256"}
        assert sse_s3 == log_targets(plan)
        assert all("-access-logs-" in b for b in sse_s3)


def test_every_bucket_blocks_all_public_access(plans):
    for plan in plans.values():
        blocks = by_bucket(plan, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
        assert set(blocks) == set(bucket_names(plan))
        for block in blocks.values():
            for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"):
                assert block.inputs[flag] is True


def test_every_bucket_is_versioned_and_owner_enforced(plans):
    for plan in plans.values():
        versioning = by_bucket(plan, "aws:s3/bucketVersioning:BucketVersioning")
        ownership = by_bucket(plan, "aws:s3/bucketOwnershipControls:BucketOwnershipControls")
        assert set(versioning) == set(ownership) == set(bucket_names(plan))
        assert all(v.inputs["versioningConfiguration"]["status"] == "Enabled" for v in versioning.values())
        assert all(o.inputs["rule"]["objectOwnership"] == "BucketOwnerEnforced" for o in ownership.values())


def test_every_bucket_policy_denies_requests_without_tls(plans):
    for plan in plans.values():
        policies = by_bucket(plan, "aws:s3/bucketPolicy:BucketPolicy")
        assert set(policies) == set(bucket_names(plan))
        for bucket, policy in policies.items():
            deny = next(s for s in statements(policy_of(policy)) if s["Effect"] == "Deny")
            assert deny["Action"] == "s3:*"
            assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
            assert set(deny["Resource"]) == {f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"}


def test_data_buckets_log_to_the_logs_bucket_of_their_region(prod):
    logging = by_bucket(prod, "aws:s3/bucketLogging:BucketLogging")
    assert len(logging) == 6
    for bucket, config in logging.items():
        region = bucket.rsplit(f"{ACCOUNT}-", 1)[1]
        assert config.inputs["targetBucket"] == f"mladmin-prod-access-logs-{ACCOUNT}-{region}"
        assert config.inputs["targetPrefix"].startswith("s3-access/")


def test_logs_bucket_admits_log_delivery_only_for_this_accounts_buckets(dev):
    policy = by_bucket(dev, "aws:s3/bucketPolicy:BucketPolicy")[f"mladmin-dev-access-logs-{ACCOUNT}-eu-west-1"]
    allow = next(s for s in statements(policy_of(policy)) if s["Effect"] == "Allow")
    assert allow["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert allow["Action"] == "s3:PutObject"
    assert allow["Condition"]["StringEquals"]["aws:SourceAccount"] == ACCOUNT
    assert set(allow["Condition"]["ArnLike"]["aws:SourceArn"]) == {
        f"arn:aws:s3:::mladmin-dev-{p}-{ACCOUNT}-eu-west-1" for p in ("datasets", "models", "checkpoints")}


def _rules(plan: Plan, bucket: str) -> dict[str, dict]:
    config = by_bucket(plan, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")[bucket]
    return {r["id"]: r for r in config.inputs["rules"]}


def test_lifecycle_aborts_incomplete_uploads_everywhere(plans):
    for plan in plans.values():
        for bucket in bucket_names(plan):
            rule = _rules(plan, bucket)["abort-incomplete-multipart-uploads"]
            assert rule["abortIncompleteMultipartUpload"]["daysAfterInitiation"] == 7


def test_lifecycle_per_purpose(dev):
    name = lambda p: f"mladmin-dev-{p}-{ACCOUNT}-eu-west-1"  # noqa: E731
    tiering = _rules(dev, name("datasets"))["datasets-to-intelligent-tiering"]
    assert tiering["transitions"] == [{"days": 30, "storageClass": "INTELLIGENT_TIERING"}]
    noncurrent = _rules(dev, name("checkpoints"))["expire-noncurrent-checkpoints"]
    assert noncurrent["noncurrentVersionExpiration"]["noncurrentDays"] == 14
    assert _rules(dev, name("access-logs"))["expire-access-logs"]["expiration"]["days"] == 365


def test_buckets_are_protected_and_retained_only_when_asked(prod, dev):
    for bucket in prod.of_type("aws:s3/bucket:Bucket"):
        assert bucket.protect and bucket.retain_on_delete, bucket.name
        assert bucket.inputs["forceDestroy"] is False
    for bucket in dev.of_type("aws:s3/bucket:Bucket"):
        assert not bucket.protect and not bucket.retain_on_delete
        assert bucket.inputs["forceDestroy"] is True


def test_replication_exists_only_with_a_replication_region(prod, dev):
    assert len(prod.of_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig")) == 3
    assert len(prod.of_type("aws:s3/bucket:Bucket")) == 8
    assert dev.of_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig") == []
    assert len(dev.of_type("aws:s3/bucket:Bucket")) == 4
    assert not any("replica" in r.name for r in dev.resources)


def test_replicas_live_in_the_replication_region_under_their_own_key(prod):
    replica_key = prod.by_name("prod-storage-replica-key")
    assert replica_key.inputs["region"] == "us-west-2" and replica_key.inputs["enableKeyRotation"] is True
    for purpose in ("datasets", "models", "checkpoints"):
        assert prod.by_name(f"prod-storage-replica-{purpose}").inputs["region"] == "us-west-2"
        rule = prod.by_name(f"prod-storage-{purpose}-replication").inputs["rules"][0]
        assert rule["sourceSelectionCriteria"] == {"sseKmsEncryptedObjects": {"status": "Enabled"}}
        assert rule["destination"]["bucket"] == f"arn:aws:s3:::mladmin-prod-{purpose}-{ACCOUNT}-us-west-2"
        assert rule["destination"]["encryptionConfiguration"]["replicaKmsKeyId"] == replica_key.outputs["arn"]


def test_replication_waits_for_versioning_on_both_sides(prod):
    config = prod.by_name("prod-storage-models-replication")
    dependencies = {prod.by_urn(u).name for u in config.dependencies}
    assert {"prod-storage-models-versioning", "prod-storage-replica-models-versioning"} <= dependencies


def test_replication_role_uses_keys_only_through_s3(prod):
    role = prod.by_name("prod-storage-replication-role")
    (trust,) = statements(policy_of(role, "assumeRolePolicy"))
    assert trust["Principal"] == {"Service": "s3.amazonaws.com"}
    assert trust["Condition"]["StringEquals"]["aws:SourceAccount"] == ACCOUNT
    kms = [s for s in statements(policy_of(prod.by_name("prod-storage-replication-policy")))
           if s["Action"][0].startswith("kms:")]
    assert {s["Condition"]["StringEquals"]["kms:ViaService"] for s in kms} == {
        "s3.us-east-1.amazonaws.com", "s3.us-west-2.amazonaws.com"}


def test_ecr_repositories_are_immutable_scanned_and_kms_encrypted(prod):
    data_key = prod.by_name("prod-kms-data").outputs["arn"]
    repos = prod.of_type("aws:ecr/repository:Repository")
    assert {r.inputs["name"] for r in repos} == {"mladmin-prod/training", "mladmin-prod/serving"}
    for repo in repos:
        assert repo.inputs["imageTagMutability"] == "IMMUTABLE"
        assert repo.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
        assert repo.inputs["encryptionConfigurations"] == [{"encryptionType": "KMS", "kmsKey": data_key}]


def test_ecr_lifecycle_keeps_the_newest_images(prod):
    for policy in prod.of_type("aws:ecr/lifecyclePolicy:LifecyclePolicy"):
        rules = json.loads(policy.inputs["policy"])["rules"]
        keep = next(r for r in rules if r["selection"]["countType"] == "imageCountMoreThan")
        assert keep["selection"] == {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 100}


# --- Iam -------------------------------------------------------------------------------------

# Actions with no resource-level permissions: the only ones an Allow may grant on "*".
NO_RESOURCE_LEVEL = {
    "ecr:GetAuthorizationToken", "cloudwatch:PutMetricData", "cloudwatch:GetMetricData", "cloudwatch:ListMetrics",
    "sagemaker:List*", "sagemaker:Search", "sagemaker:GetSearchSuggestions", "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeVpcs", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeDhcpOptions",
}
IDENTITY_POLICIES = ("aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy")


def _identity_statements(plan: Plan):
    for type_token in IDENTITY_POLICIES:
        for resource in plan.of_type(type_token):
            for stmt in statements(policy_of(resource)):
                yield resource.name, stmt


def test_no_statement_allows_every_action_on_every_resource(plans):
    for plan in plans.values():
        for type_token in (*IDENTITY_POLICIES, "aws:kms/key:Key", "aws:s3/bucketPolicy:BucketPolicy"):
            for resource in plan.of_type(type_token):
                for stmt in statements(policy_of(resource)):
                    if stmt["Effect"] == "Allow":
                        assert not ("*" in as_list(stmt.get("Action")) and "*" in as_list(stmt["Resource"]))


def test_allow_statements_use_wildcard_resources_only_for_actions_without_resource_level_permissions(plans):
    for plan in plans.values():
        for name, stmt in _identity_statements(plan):
            if stmt["Effect"] == "Allow" and "*" in as_list(stmt["Resource"]):
                assert set(as_list(stmt["Action"])) <= NO_RESOURCE_LEVEL, (name, stmt["Sid"])


def test_every_trust_policy_is_pinned_by_conditions(plans):
    for plan in plans.values():
        for role in plan.of_type("aws:iam/role:Role"):
            for stmt in statements(policy_of(role, "assumeRolePolicy")):
                assert stmt["Condition"], role.name
                assert "*" not in json.dumps(stmt["Principal"]), role.name


def test_sagemaker_role_reaches_only_its_buckets_prefix_key_logs_and_images(prod):
    doc = {s["Sid"]: s for s in statements(policy_of(prod.by_name("prod-iam-sagemaker-execution-policy")))}
    buckets = {f"arn:aws:s3:::mladmin-prod-{p}-{ACCOUNT}-us-east-1" for p in ("datasets", "models", "checkpoints")}
    assert set(doc["ListPlatformBuckets"]["Resource"]) == buckets
    assert doc["ListPlatformBuckets"]["Condition"] == {"StringLike": {"s3:prefix": ["sagemaker", "sagemaker/*"]}}
    assert set(doc["ReadObjects"]["Resource"]) == {f"{b}/sagemaker/*" for b in buckets}
    assert not any("datasets" in r for r in doc["WriteModelsAndCheckpoints"]["Resource"])
    assert doc["UseDataKey"]["Resource"] == [f"arn:aws:kms:us-east-1:{ACCOUNT}:key/*"]
    assert doc["UseDataKey"]["Condition"] == {"ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/mladmin-prod-data"}}
    assert doc["WriteOwnLogs"]["Resource"] == [f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/sagemaker/*"]
    repos = {r.outputs["arn"] for r in prod.of_type("aws:ecr/repository:Repository")}
    assert set(doc["PullPlatformImages"]["Resource"]) == repos
    assert doc["PutMetricsInOwnNamespaces"]["Condition"]["StringLike"]["cloudwatch:namespace"]
    vpc_doc = {s["Sid"]: s for s in statements(policy_of(prod.by_name("prod-iam-sagemaker-vpc-policy")))}
    assert vpc_doc["CreateEnisOnlyInPlatformSubnets"]["Condition"] == {
        "StringEquals": {"aws:ResourceTag/environment": "prod"}}
    subnet_tags = {r.inputs["tags"]["environment"] for r in prod.of_type("aws:ec2/subnet:Subnet")}
    assert subnet_tags == {"prod"}


def test_sagemaker_role_has_no_vpc_permissions_outside_vpc_mode(dev):
    sids = {s["Sid"] for s in statements(policy_of(dev.by_name("dev-iam-sagemaker-execution-policy")))}
    assert "ManageSageMakerEnis" not in sids and "ListPlatformBuckets" in sids
    assert not [p for p in dev.of_type("aws:iam/rolePolicy:RolePolicy") if p.name.endswith("sagemaker-vpc-policy")]


def test_sagemaker_role_is_trusted_by_sagemaker_for_this_account(prod):
    (stmt,) = statements(policy_of(prod.by_name("prod-iam-sagemaker-execution"), "assumeRolePolicy"))
    assert stmt["Principal"] == {"Service": "sagemaker.amazonaws.com"}
    assert stmt["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}


def test_boundary_denies_iam_users_boundary_removal_and_other_regions(prod):
    boundary = prod.by_name("prod-iam-team-boundary")
    assert boundary.inputs["name"] == "mladmin-prod-team-boundary"
    doc = {s["Sid"]: s for s in statements(policy_of(boundary))}
    denied = doc["DenyIamUsersAndRemovingBoundaries"]
    assert denied["Effect"] == "Deny"
    assert {"iam:CreateUser", "iam:CreateAccessKey", "iam:DeleteRolePermissionsBoundary"} <= set(denied["Action"])
    own_arn = f"arn:aws:iam::{ACCOUNT}:policy/mladmin-prod-team-boundary"
    assert doc["DenyRolesWithoutThisBoundary"]["Condition"] == {
        "StringNotEquals": {"iam:PermissionsBoundary": own_arn}}
    region = doc["DenyLeavingThePlatformRegions"]
    assert region["Effect"] == "Deny" and "iam:*" in region["NotAction"]
    assert region["Condition"] == {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1"]}}


def test_team_role_carries_the_boundary_and_a_pinned_oidc_trust(prod):
    role = prod.by_name("prod-team-nlp")
    assert role.inputs["tags"]["team"] == "nlp"
    assert role.inputs["permissionsBoundary"] == prod.by_name("prod-iam-team-boundary").outputs["arn"]
    (stmt,) = statements(policy_of(role, "assumeRolePolicy"))
    host = "oidc.eks.us-east-1.amazonaws.com/id/ABC"
    assert stmt["Condition"]["StringEquals"][f"{host}:aud"] == "sts.amazonaws.com"
    assert stmt["Condition"]["StringEquals"][f"{host}:sub"] == ["system:serviceaccount:nlp:trainer"]


def test_team_role_refuses_a_trust_policy_open_to_everyone():
    open_trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}
    with pytest.raises(ValueError, match="principal '\\*' trusts everyone"):
        team_role("x", role_name="x", boundary_arn="arn:aws:iam::1:policy/b", assume_role_policy=open_trust,
                  tags={}, parent=None)


def test_team_role_refuses_an_unconditioned_service_trust():
    trust = service_trust_policy("ec2.amazonaws.com", ACCOUNT)
    del trust["Statement"][0]["Condition"]
    with pytest.raises(ValueError, match="needs conditions"):
        team_role("x", role_name="x", boundary_arn="arn:aws:iam::1:policy/b", assume_role_policy=trust,
                  tags={}, parent=None)


# --- argument validation ---------------------------------------------------------------------


def _problems(exc_info) -> list[str]:
    return [line.strip()[2:] for line in str(exc_info.value).splitlines()[1:]]


def test_kms_reports_every_bad_argument_at_once():
    with pytest.raises(ValueError) as exc:
        Kms("k", KmsArgs(prefix="Bad_Prefix", account_id="12", region="mars", tags=tags(), deletion_window_in_days=3,
                         fsx_linked_bucket_arns=["arn:aws:s3:::datasets", "arn:aws:s3:::*"]))
    fields = {p.split(":")[0] for p in _problems(exc)}
    assert fields == {"prefix", "account_id", "region", "deletion_window_in_days", "fsx_linked_bucket_arns[1]"}


def test_network_reports_every_bad_argument_at_once():
    args = NetworkArgs(
        prefix="Bad Prefix", cidr_block="10.0.0.0/16", availability_zones=["us-east-1a", "us-east-1b", "eu-west-1a"],
        account_id=ACCOUNT, region="us-east-1", logs_key_arn="arn:aws:kms:us-east-1:1:key/x",
        tags=Tags(owner="", environment="prod", team="platform", cost_center="cc"),
        nat_gateways="perAz", flow_log_retention_days=10,
        private_subnet_cidrs=["10.0.0.0/18", "10.0.32.0/19", "192.168.0.0/24"],
        s3_endpoint_extra_buckets=["Not A Bucket"],
    )
    with pytest.raises(ValueError) as exc:
        Network("n", args)
    text = str(exc.value)
    for expected in ("prefix: 'Bad Prefix' must be lower-case",
                     "availability_zones[2]: 'eu-west-1a' is not a zone of region 'us-east-1'",
                     "nat_gateways: 'perAz' must be one of", "flow_log_retention_days: 10",
                     "tags.owner", "private_subnet_cidrs[2]: 192.168.0.0/24 is outside the VPC",
                     "overlaps private_subnet_cidrs[0]",
                     "s3_endpoint_extra_buckets[0]: 'Not A Bucket' is not an S3 bucket name"):
        assert expected in text


def test_storage_reports_every_bad_argument_at_once():
    args = StorageArgs(
        prefix="a-much-too-long-prefix-for-bucket-names", account_id=ACCOUNT, region="us-east-1",
        data_key_arn="arn:aws:kms:us-east-1:1:key/x", tags=tags(), replication_region="us-east-1",
        protect=True, force_destroy=True, ecr_repositories=("training", "training"), replica_storage_class="GLACIER",
    )
    with pytest.raises(ValueError) as exc:
        Storage("s", args)
    fields = {p.split(":")[0] for p in _problems(exc)}
    assert fields == {"prefix", "replication_region", "force_destroy", "ecr_repositories", "replica_storage_class"}


def test_iam_reports_every_bad_argument_at_once():
    args = IamArgs(
        prefix="p", account_id="x", region="us-east-1", tags=tags(), data_key_alias="*",
        read_bucket_arns=["arn:aws:s3:::*"], write_bucket_arns=[], repository_arns="arn:aws:ecr:::repository/x",
        metric_namespaces=["*"],
    )
    with pytest.raises(ValueError) as exc:
        Iam("i", args)
    fields = {p.split(":")[0] for p in _problems(exc)}
    assert fields == {"account_id", "read_bucket_arns[0]", "repository_arns", "data_key_alias", "metric_namespaces[0]"}


@pytest.mark.parametrize("cidr", ["10.0.0.0/24", "10.0.0.0/28"])
def test_network_refuses_a_vpc_too_small_to_derive_subnets(cidr):
    args = NetworkArgs(prefix="p", cidr_block=cidr, availability_zones=["us-east-1a", "us-east-1b", "us-east-1c"],
                       account_id=ACCOUNT, region="us-east-1", logs_key_arn="arn:aws:kms:us-east-1:1:key/x", tags=tags())
    with pytest.raises(ValueError, match="too small to derive subnets"):
        Network("n", args)


def test_tags_refuse_reserved_and_shadowing_extra_keys():
    problems = Tags(owner="o", environment="e", team="t", cost_center="c",
                    extra={"aws:created-by": "x", "owner": "someone-else", "project": "ok"}).problems()
    assert len(problems) == 2
    assert any("reserved 'aws:' prefix" in p for p in problems)
    assert any("'owner' is a required tag" in p for p in problems)


def test_required_tags_win_over_resource_specific_ones():
    merged = tags().merged({"team": "other", "Name": "x"})
    assert merged["team"] == "platform" and merged["Name"] == "x"


def test_args_are_frozen():
    args = KmsArgs(prefix="p", account_id=ACCOUNT, region="us-east-1", tags=tags())
    with pytest.raises(AttributeError):
        args.prefix = "q"  # type: ignore[misc]


# --- README ----------------------------------------------------------------------------------


def test_readme_example_plans(tmp_path):
    readme = (Path(__file__).parents[2] / "components" / "README.md").read_text()
    (example,) = re.findall(r"```python\n(.*?)```", readme, re.S)
    (tmp_path / "Pulumi.yaml").write_text("name: readme\nruntime: python\n")
    (tmp_path / "__main__.py").write_text(example)
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  aws:region: us-east-1\n")
    plan = plan_program(tmp_path, stack="dev", preview=False)
    assert {r.type for r in plan.components} == {
        "mladmin:kms:Kms", "mladmin:network:Network", "mladmin:storage:Storage", "mladmin:iam:Iam",
        "mladmin:monitoring:Monitoring", "mladmin:budgets:Budgets"}



def test_oidc_trust_with_a_wildcard_subject_uses_string_like_and_keeps_the_audience(prod):
    (stmt,) = statements(policy_of(prod.by_name("prod-team-cv"), "assumeRolePolicy"))
    host = "oidc.eks.us-east-1.amazonaws.com/id/ABC"
    assert stmt["Condition"] == {
        "StringEquals": {f"{host}:aud": "sts.amazonaws.com"},
        "StringLike": {f"{host}:sub": ["system:serviceaccount:cv:*"]},
    }
