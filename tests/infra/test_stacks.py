"""The shipped environments, planned offline: resources asserted by type and property."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

BUCKET = "aws:s3/bucket:Bucket"
NAT = "aws:ec2/natGateway:NatGateway"
STACKS = ("dev", "staging", "prod")
REQUIRED_TAGS = {"owner", "environment", "team", "cost-center"}


def bucket_settings(plan, type_token):
    """Map bucket name -> the settings resource (encryption, versioning, …) attached to it."""
    return {r.inputs["bucket"]: r for r in plan.of_type(type_token)}


def log_target_buckets(plan):
    return {r.inputs["targetBucket"] for r in plan.of_type("aws:s3/bucketLogging:BucketLogging")}


def iam_documents(plan):
    for r in plan.custom_resources:
        for field in ("policy", "assumeRolePolicy", "inlinePolicy"):
            value = r.inputs.get(field)
            if isinstance(value, str) and value.lstrip().startswith("{"):
                document = json.loads(value)
                if "Statement" in document:  # skip non-IAM JSON such as ECR lifecycle rules
                    yield r, document


def as_list(value):
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("stack, expected", [("dev", 1), ("staging", 1), ("prod", 3)])
def test_nat_gateways_follow_the_environment(all_plans, stack, expected):
    assert len(all_plans[stack].of_type(NAT)) == expected


@pytest.mark.parametrize("stack", STACKS)
def test_every_bucket_is_encrypted_with_kms_except_log_targets(all_plans, stack):
    plan = all_plans[stack]
    encryption = bucket_settings(plan, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    log_targets = log_target_buckets(plan)
    assert plan.of_type(BUCKET)
    for bucket in plan.of_type(BUCKET):
        rule = encryption[bucket.id].inputs["rules"][0]
        default = rule["applyServerSideEncryptionByDefault"]
        if bucket.id in log_targets:  # S3 server access logging only delivers to SSE-S3 buckets
            assert default["sseAlgorithm"] == "AES256"
        else:
            assert default["sseAlgorithm"] == "aws:kms"
            assert default["kmsMasterKeyId"].startswith("arn:aws:kms:")
            assert rule["bucketKeyEnabled"] is True


@pytest.mark.parametrize("stack", STACKS)
def test_every_bucket_blocks_public_access_and_is_versioned(all_plans, stack):
    plan = all_plans[stack]
    blocks = bucket_settings(plan, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    versioning = bucket_settings(plan, "aws:s3/bucketVersioning:BucketVersioning")
    ownership = bucket_settings(plan, "aws:s3/bucketOwnershipControls:BucketOwnershipControls")
    for bucket in plan.of_type(BUCKET):
        block = blocks[bucket.id].inputs
        assert all(block[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
                                              "restrictPublicBuckets"))
        assert versioning[bucket.id].inputs["versioningConfiguration"]["status"] == "Enabled"
        assert ownership[bucket.id].inputs["rule"]["objectOwnership"] == "BucketOwnerEnforced"


@pytest.mark.parametrize("stack", STACKS)
def test_every_bucket_policy_denies_insecure_transport(all_plans, stack):
    plan = all_plans[stack]
    policies = bucket_settings(plan, "aws:s3/bucketPolicy:BucketPolicy")
    for bucket in plan.of_type(BUCKET):
        statements = json.loads(policies[bucket.id].inputs["policy"])["Statement"]
        assert any(s["Effect"] == "Deny" and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") in
                   ("false", False) and bucket.outputs["arn"] in as_list(s["Resource"]) for s in statements)


@pytest.mark.parametrize("stack", STACKS)
def test_data_buckets_log_access_to_the_logs_bucket(all_plans, stack):
    plan = all_plans[stack]
    logged = {r.inputs["bucket"] for r in plan.of_type("aws:s3/bucketLogging:BucketLogging")}
    targets = log_target_buckets(plan)
    for bucket in plan.of_type(BUCKET):
        assert bucket.id in logged or bucket.id in targets


@pytest.mark.parametrize("stack", STACKS)
def test_no_iam_statement_allows_every_action_on_every_resource(all_plans, stack):
    for resource, document in iam_documents(all_plans[stack]):
        for statement in as_list(document["Statement"]):
            if statement.get("Effect", "Allow") != "Allow":
                continue
            assert not ("*" in as_list(statement.get("Action", [])) and "*" in as_list(statement.get("Resource", []))), \
                resource.name


@pytest.mark.parametrize("stack", STACKS)
def test_every_trust_policy_is_pinned(all_plans, stack):
    for role in all_plans[stack].of_type("aws:iam/role:Role"):
        for statement in json.loads(role.inputs["assumeRolePolicy"])["Statement"]:
            # EC2 sends no aws:SourceAccount/SourceArn when it assumes an instance role (EKS nodes): only
            # this account can hand the role to an instance (iam:PassRole), so the principal alone pins it.
            instance_role = statement["Principal"] == {"Service": "ec2.amazonaws.com"}
            assert statement["Principal"] != "*" and ("Condition" in statement or instance_role), role.name


@pytest.mark.parametrize("stack", STACKS)
def test_team_roles_and_their_job_roles_carry_the_permissions_boundary(all_plans, stack):
    plan = all_plans[stack]
    boundary = plan.of_type("aws:iam/policy:Policy")
    team_roles = [r for r in plan.of_type("aws:iam/role:Role") if r.parent and "mladmin:teams:Teams" in r.urn]
    assert len(team_roles) == 2 * len(plan.config.get("mladmin:teams") or [])  # a team role and a job role each
    for role in team_roles:
        assert role.inputs["permissionsBoundary"] in {p.id for p in boundary}


@pytest.mark.parametrize("stack", STACKS)
def test_every_taggable_resource_has_the_governance_tags(all_plans, stack):
    plan = all_plans[stack]
    for resource in plan.custom_resources:
        if "tags" in resource.inputs:
            assert REQUIRED_TAGS <= set(resource.inputs["tags"]), resource.name
            assert resource.inputs["tags"]["environment"] == stack
    assert sum("tags" in r.inputs for r in plan.custom_resources) > 30


@pytest.mark.parametrize("stack", STACKS)
def test_every_resource_belongs_to_a_component(all_plans, stack):
    plan = all_plans[stack]
    components = {r.urn for r in plan.components}
    for resource in plan.custom_resources:
        assert resource.parent in components, resource.name


@pytest.mark.parametrize("stack", STACKS)
def test_flow_logs_go_to_an_encrypted_log_group_with_retention(all_plans, stack):
    plan = all_plans[stack]
    flow_log = plan.of_type("aws:ec2/flowLog:FlowLog")[0]
    group = next(g for g in plan.of_type("aws:cloudwatch/logGroup:LogGroup") if g.outputs["arn"] == flow_log.inputs["logDestination"])
    assert flow_log.inputs["trafficType"] == "ALL"
    assert group.inputs["kmsKeyId"].startswith("arn:aws:kms:") and group.inputs["retentionInDays"] > 0


@pytest.mark.parametrize("stack", ("staging", "prod"))
def test_private_workloads_reach_aws_through_endpoints(all_plans, stack):
    plan = all_plans[stack]
    names = {r.inputs["serviceName"] for r in plan.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")}
    region = plan.config["aws:region"]
    for service in ("s3", "ecr.api", "ecr.dkr", "sts", "logs", "sagemaker.api", "sagemaker.runtime"):
        assert f"com.amazonaws.{region}.{service}" in names


def test_dev_saves_the_interface_endpoints_and_keeps_the_s3_gateway(dev_plan):
    endpoints = dev_plan.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
    assert [e.inputs["serviceName"] for e in endpoints] == ["com.amazonaws.us-east-1.s3"]
    assert endpoints[0].inputs["vpcEndpointType"] == "Gateway"


@pytest.mark.parametrize("stack", STACKS)
def test_the_default_security_group_has_no_rules(all_plans, stack):
    group = all_plans[stack].of_type("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")[0]
    assert not group.inputs.get("ingress") and not group.inputs.get("egress")


@pytest.mark.parametrize("stack", STACKS)
def test_kms_keys_rotate(all_plans, stack):
    keys = all_plans[stack].of_type("aws:kms/key:Key")
    assert len(keys) >= 3 and all(k.inputs["enableKeyRotation"] is True for k in keys)


@pytest.mark.parametrize("stack", STACKS)
def test_ecr_repositories_scan_and_are_immutable_with_kms(all_plans, stack):
    repositories = all_plans[stack].of_type("aws:ecr/repository:Repository")
    assert len(repositories) == 2
    for repo in repositories:
        assert repo.inputs["imageTagMutability"] == "IMMUTABLE"
        assert repo.inputs["imageScanningConfiguration"]["scanOnPush"] is True
        assert repo.inputs["encryptionConfigurations"][0]["encryptionType"] == "KMS"


def test_prod_data_buckets_are_protected_and_replicated(prod_plan):
    replicated = {r.inputs["bucket"] for r in prod_plan.of_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig")}
    primary = [b for b in prod_plan.of_type(BUCKET) if b.outputs["region"] == "us-east-1"
               and b.id not in log_target_buckets(prod_plan)]
    assert len(primary) == 3
    for bucket in primary:
        assert bucket.protect and bucket.retain_on_delete and bucket.id in replicated
    replicas = [b for b in prod_plan.of_type(BUCKET) if b.outputs["region"] == "us-west-2"]
    assert len(replicas) >= 3


def test_dev_is_cheap_and_disposable(dev_plan):
    assert not dev_plan.of_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig")
    assert not any(r.protect for r in dev_plan.custom_resources)
    assert len({s.inputs["availabilityZone"] for s in dev_plan.of_type("aws:ec2/subnet:Subnet")}) == 2


def test_prod_spans_three_zones(prod_plan):
    zones = {s.inputs["availabilityZone"] for s in prod_plan.of_type("aws:ec2/subnet:Subnet")}
    assert zones == {"us-east-1a", "us-east-1b", "us-east-1c"}


def test_stacks_planned_in_one_process_match_stacks_planned_alone(all_plans):
    """Planning dev, staging and prod in this process must not leak state: prod alone is the same."""
    code = ("import json; from mladmin.engine import plan_stack; "
            "print(json.dumps([r.to_json() for r in plan_stack('prod', preview=False).resources], default=str))")
    alone = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    in_process = json.loads(json.dumps([r.to_json() for r in all_plans["prod"].resources], default=str))
    assert json.loads(alone.stdout) == in_process


def test_graph_names_every_component(prod_plan):
    from mladmin.graph import to_dot, to_mermaid

    mermaid, dot = to_mermaid(prod_plan), to_dot(prod_plan)
    for component in prod_plan.components:
        assert f"{component.name} (" in mermaid and f"{component.name} (" in dot


@pytest.mark.parametrize("stack", STACKS)
def test_the_s3_endpoint_reaches_only_this_accounts_buckets_and_aws_package_buckets(all_plans, stack):
    plan = all_plans[stack]
    endpoint = next(r for r in plan.of_type("aws:ec2/vpcEndpoint:VpcEndpoint") if r.inputs["vpcEndpointType"] == "Gateway")
    statements = json.loads(endpoint.inputs["policy"])["Statement"]
    own, aws_owned = statements[0], statements[1]
    assert own["Condition"] == {"StringEquals": {"aws:ResourceAccount": "123456789012"}}
    assert aws_owned["Action"] == "s3:GetObject"
    assert all(arn.endswith("/*") and ("starport-layer" in arn or "repos" in arn) for arn in aws_owned["Resource"])


def test_a_team_named_like_another_teams_job_role_is_refused():
    from components.tags import Tags
    from components.teams import TeamArgs, TeamsArgs, validate

    args = TeamsArgs(prefix="mladmin-dev", account_id="123456789012", region="us-east-1",
                     tags=Tags(owner="ml-platform", environment="dev", team="platform", cost_center="cc-1"),
                     boundary_arn="arn:aws:iam::123456789012:policy/mladmin-dev-team-boundary",
                     data_key_alias="alias/mladmin-dev-data", bucket_arns={"datasets": "arn:aws:s3:::d"},
                     teams=[TeamArgs(name="research", owner="a@example.com"),
                            TeamArgs(name="research-jobs", owner="a@example.com")])
    assert validate(args) == ["teams[1].name: 'research-jobs' must not end in '-jobs' (its role would be named "
                              "like team 'research''s job role)"]
