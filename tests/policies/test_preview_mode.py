"""The pack in preview mode: what `pulumi preview` knows is enough for every mandatory policy to decide.

In a preview, values the provider computes (ids, ARNs, outputs not given as inputs) are unknown; a
policy that reads one is reported as not run, as Pulumi reports it. Joins go by property dependency.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from pulumi.runtime.rpc import UNKNOWN

from mladmin.engine import plan_program
from policies.runner import evaluate
from tests.policies.builders import TAGS, doc, plan, res
from tests.policies.fixtures import B, BPOL, LOG, OWN, PAB, SSE, TLS_DENY, VER

ROOT = Path(__file__).resolve().parents[2]
PROGRAMS = ROOT / "tests" / "fixtures" / "programs"
STACKS = ("dev", "staging", "prod")
# Outputs pulumi-aws computes for a new bucket: unknown in a preview, and fed by nothing in the program.
BUCKET_COMPUTED = {"id": UNKNOWN, "arn": UNKNOWN, "policy": UNKNOWN, "logging": UNKNOWN, "versioning": UNKNOWN,
                   "serverSideEncryptionConfiguration": UNKNOWN, "acl": UNKNOWN, "grants": UNKNOWN}


def preview_bucket(name: str, *, skip: tuple[str, ...] = (), fed: bool = True) -> list:
    """A compliant bucket as a preview sees it: its id unknown, companions naming it by `bucket.id`."""
    bucket = res(B, name, id="", bucket=name, tags=TAGS, outputs={**BUCKET_COMPUTED, "bucket": name})

    def child(type_token: str, suffix: str, **inputs):
        return res(type_token, f"{name}-{suffix}", id="", bucket=UNKNOWN, fed={"bucket": [bucket]} if fed else None,
                   **inputs)

    parts = {
        "pab": child(PAB, "pab", blockPublicAcls=True, blockPublicPolicy=True, ignorePublicAcls=True,
                     restrictPublicBuckets=True),
        "sse": child(SSE, "sse", rules=[{"applyServerSideEncryptionByDefault": {
            "sseAlgorithm": "aws:kms", "kmsMasterKeyId": UNKNOWN}, "bucketKeyEnabled": True}]),
        "ver": child(VER, "versioning", versioningConfiguration={"status": "Enabled"}),
        "pol": child(BPOL, "policy", policy=doc(TLS_DENY)),
        "own": child(OWN, "ownership", rule={"objectOwnership": "BucketOwnerEnforced"}),
    }
    return [bucket] + [r for key, r in parts.items() if key not in skip]


def not_run(report, policy: str) -> list:
    return [n for n in report.not_run if n.policy == policy]


# --- the shipped stacks and the fixture programs ------------------------------------------------


@pytest.fixture(scope="module")
def preview_reports(all_preview_plans):
    return {stack: evaluate(p) for stack, p in all_preview_plans.items()}


@pytest.mark.parametrize("stack", STACKS)
def test_every_mandatory_policy_runs_on_the_shipped_stack_in_preview(preview_reports, stack):
    report = preview_reports[stack]
    assert report.preview
    assert [f"{n.policy} on {n.resource_name}: {n.reason}" for n in report.not_run if n.mandatory] == []


@pytest.mark.parametrize("stack", STACKS)
def test_the_shipped_stack_has_no_mandatory_violation_in_preview(preview_reports, stack):
    report = preview_reports[stack]
    assert report.passed, [f"{v.policy} {v.resource_name}: {v.message}" for v in report.violations if v.mandatory]


def test_the_s3_policies_judge_every_prod_bucket_in_preview(preview_reports, prod_preview_plan):
    buckets = prod_preview_plan.of_type(B)
    assert buckets and all(b.outputs.get("arn") == UNKNOWN for b in buckets)  # the joins cannot use ARNs
    ran = set(preview_reports["prod"].levels) - {n.policy for n in preview_reports["prod"].not_applicable}
    assert {"s3-public-access-block", "s3-sse-kms", "s3-tls-only", "s3-replication-prod"} <= ran


def test_a_prod_bucket_losing_its_public_access_block_is_caught_in_preview(prod_preview_plan):
    mutated = copy.deepcopy(prod_preview_plan)
    block = next(r for r in mutated.resources if r.type == PAB)
    mutated.resources.remove(block)
    found = [v for v in evaluate(mutated).violations if v.policy == "s3-public-access-block"]
    assert [v.urn for v in found] == block.property_dependencies["bucket"]


def test_a_prod_bucket_losing_its_replication_is_caught_in_preview(prod_preview_plan):
    mutated = copy.deepcopy(prod_preview_plan)
    replication = next(r for r in mutated.resources if r.type == "aws:s3/bucketReplicationConfig:BucketReplicationConfig")
    mutated.resources.remove(replication)
    report = evaluate(mutated)
    found = {v.urn for v in report.violations if v.policy == "s3-replication-prod"}
    assert set(replication.property_dependencies["bucket"]) <= found and not not_run(report, "s3-replication-prod")


@pytest.fixture(scope="module")
def insecure_preview():
    return evaluate(plan_program(PROGRAMS / "insecure", preview=True))


def test_the_insecure_program_is_caught_in_preview(insecure_preview):
    mandatory = {(v.policy, v.resource_name) for v in insecure_preview.violations if v.mandatory}
    assert {("s3-public-access-block", "public-site"), ("s3-bucket-policy-not-public", "public-site-policy"),
            ("s3-tls-only", "public-site"), ("sg-no-public-admin-ports", "open-ssh"),
            ("iam-no-wildcard-admin", "admin-policy")} <= mandatory
    assert insecure_preview.exit_code == 1


def test_every_mandatory_policy_runs_on_the_insecure_program_in_preview(insecure_preview):
    assert [n.reason for n in insecure_preview.not_run if n.mandatory] == []


def test_every_mandatory_policy_runs_on_the_multifile_program_in_preview():
    report = evaluate(plan_program(PROGRAMS / "multifile", preview=True))
    assert [n.reason for n in report.not_run if n.mandatory] == []
    assert ("s3-public-access-block", "web-site") in {(v.policy, v.resource_name) for v in report.violations}


def test_a_document_built_from_unknown_arns_is_reported_as_not_run_as_pulumi_does():
    # The demo program's bucket policy comes from get_policy_document_output over the bucket's ARN:
    # `pulumi preview` cannot know it, so neither the document check nor the TLS check can decide.
    report = evaluate(plan_program(PROGRAMS / "demo", preview=True))
    unrun = {(n.policy, n.resource_name or "") for n in report.not_run if n.mandatory}
    assert unrun == {("s3-bucket-policy-not-public", "vault-policy"), ("s3-tls-only", "demo-dev")}
    message = not_run(report, "s3-bucket-policy-not-public")[0].reason
    assert message == ("can't run policy 's3-bucket-policy-not-public' from policy pack 'mladmin-ml-platform@v0.1.0' "
                       "during preview: string value at .policy can't be known during preview")
    assert report.verdict().endswith("2 mandatory policies could not run during preview: "
                                     "s3-bucket-policy-not-public, s3-tls-only")


# --- joins by what preview knows ----------------------------------------------------------------


def test_companions_join_their_bucket_by_property_dependency_when_its_id_is_unknown():
    report = evaluate(plan(*preview_bucket("data"), preview=True))
    s3 = [v for v in report.violations if v.policy.startswith("s3-") and v.mandatory]
    assert s3 == [] and [n for n in report.not_run if n.policy.startswith("s3-")] == []


def test_a_bucket_without_a_tls_policy_is_flagged_in_preview_not_skipped():
    report = evaluate(plan(*preview_bucket("data", skip=("pol",)), preview=True))
    assert [(v.policy, v.resource_name) for v in report.violations if v.policy == "s3-tls-only"] == [("s3-tls-only", "data")]
    assert not_run(report, "s3-tls-only") == []


def test_a_companion_naming_an_unknown_bucket_without_dependencies_makes_the_policy_not_run():
    # Without property dependencies nothing says which bucket `bucket` names: not run, never a false finding.
    report = evaluate(plan(*preview_bucket("data", fed=False), preview=True))
    assert [v for v in report.violations if v.policy == "s3-public-access-block"] == []
    (entry,) = not_run(report, "s3-public-access-block")
    assert entry.urn == "" and entry.mandatory
    assert entry.reason.endswith("string value at .bucket can't be known during preview")


def test_a_companion_naming_its_bucket_by_a_known_name_joins_without_dependencies():
    bucket = res(B, "data", id="", bucket="data-bucket", tags=TAGS, outputs={**BUCKET_COMPUTED, "bucket": "data-bucket"})
    block = res(PAB, "data-pab", id="", bucket="data-bucket", blockPublicAcls=True, blockPublicPolicy=True,
                ignorePublicAcls=True, restrictPublicBuckets=True)
    report = evaluate(plan(bucket, block, preview=True))
    assert [v for v in report.violations if v.policy == "s3-public-access-block"] == []
    assert not_run(report, "s3-public-access-block") == []


def test_an_unknown_public_access_block_flag_makes_the_policy_not_run():
    bucket, *_ = parts = preview_bucket("data", skip=("pab",))
    switch = res("aws:ssm/parameter:Parameter", "flag", id="")
    block = res(PAB, "data-pab", id="", bucket=UNKNOWN, blockPublicAcls=UNKNOWN, blockPublicPolicy=True,
                ignorePublicAcls=True, restrictPublicBuckets=True, fed={"bucket": [bucket], "blockPublicAcls": [switch]})
    report = evaluate(plan(*parts, switch, block, preview=True))
    assert [v for v in report.violations if v.policy == "s3-public-access-block"] == []
    assert not_run(report, "s3-public-access-block")[0].reason.endswith(".blockPublicAcls can't be known during preview")


def test_replicas_are_found_by_the_rules_dependencies_when_their_arn_is_unknown():
    source = preview_bucket("data")
    replica = preview_bucket("data-replica")
    logs = preview_bucket("logs")
    replication = res("aws:s3/bucketReplicationConfig:BucketReplicationConfig", "data-replication", id="",
                      bucket=UNKNOWN, role=UNKNOWN,
                      rules=[{"id": "all", "status": "Enabled", "destination": {"bucket": UNKNOWN}}],
                      fed={"bucket": [source[0]], "rules": [replica[0]]})
    logging = [res(LOG, f"{b[0].name}-logging", id="", bucket=UNKNOWN, targetBucket=UNKNOWN, targetPrefix="x/",
                   fed={"bucket": [b[0]], "targetBucket": [logs[0]]}) for b in (source, replica)]
    report = evaluate(plan(*source, *replica, *logs, replication, *logging, environment="prod", preview=True))
    assert [v.resource_name for v in report.violations if v.policy == "s3-replication-prod"] == []
    assert not_run(report, "s3-replication-prod") == [] and not_run(report, "s3-access-logging") == []


def test_a_key_given_as_an_unknown_arn_counts_as_set():
    key = res("aws:kms/key:Key", "logs-key", id="", enableKeyRotation=True)
    group = res("aws:cloudwatch/logGroup:LogGroup", "flow", id="", retentionInDays=365.0, kmsKeyId=UNKNOWN, tags=TAGS,
                fed={"kmsKeyId": [key]})
    report = evaluate(plan(key, group, environment="prod", preview=True))
    assert [v for v in report.violations if v.policy == "log-group-kms"] == [] and not_run(report, "log-group-kms") == []


def test_an_unknown_customer_policy_arn_is_not_an_aws_managed_admin_policy():
    attachment = res("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "attach", id="", role="r", policyArn=UNKNOWN)
    report = evaluate(plan(attachment, preview=True))
    assert not_run(report, "iam-no-admin-managed-policies") == []
    assert [v for v in report.violations if v.policy == "iam-no-admin-managed-policies"] == []


def test_a_node_group_finds_its_launch_template_by_property_dependency():
    template = res("aws:ec2/launchTemplate:LaunchTemplate", "gpu-lt", id="", blockDeviceMappings=[
        {"deviceName": "/dev/xvda", "ebs": {"encrypted": "true"}}])
    group = res("aws:eks/nodeGroup:NodeGroup", "gpu", id="", launchTemplate={"id": UNKNOWN, "version": UNKNOWN},
                fed={"launchTemplate": [template]})
    report = evaluate(plan(template, group, environment="prod", preview=True))
    assert [v for v in report.violations if v.policy == "eks-node-volumes-encrypted"] == []
    assert not_run(report, "eks-node-volumes-encrypted") == []


def test_a_subnet_routed_to_an_unknown_internet_gateway_id_is_public():
    gateway = res("aws:ec2/internetGateway:InternetGateway", "igw", id="")
    table = res("aws:ec2/routeTable:RouteTable", "public-rt", id="", routes=[{"cidrBlock": "0.0.0.0/0", "gatewayId": UNKNOWN}],
                fed={"routes": [gateway]})
    subnet = res("aws:ec2/subnet:Subnet", "public-a", id="", mapPublicIpOnLaunch=False)
    association = res("aws:ec2/routeTableAssociation:RouteTableAssociation", "public-a-rta", id="", subnetId=UNKNOWN,
                      routeTableId=UNKNOWN, fed={"subnetId": [subnet], "routeTableId": [table]})
    group = res("aws:eks/nodeGroup:NodeGroup", "system", id="", subnetIds=[UNKNOWN], fed={"subnetIds": [subnet]})
    report = evaluate(plan(gateway, table, subnet, association, group, preview=True))
    assert [v.resource_name for v in report.violations if v.policy == "eks-nodes-private-subnets"] == ["system"]


# --- what the report says -----------------------------------------------------------------------


def test_a_resource_policy_reading_an_unknown_is_reported_per_resource_with_pulumis_message():
    source = res("aws:kms/key:Key", "k", id="")
    policy = res("aws:iam/policy:Policy", "p", id="", policy=UNKNOWN, fed={"policy": [source]})
    report = evaluate(plan(source, policy, preview=True))
    entry = next(n for n in not_run(report, "iam-no-wildcard-admin"))
    assert (entry.resource_name, entry.resource_type, entry.enforcement) == ("p", "aws:iam/policy:Policy", "mandatory")
    assert entry.reason == ("can't run policy 'iam-no-wildcard-admin' from policy pack 'mladmin-ml-platform@v0.1.0' "
                            "during preview: string value at .policy can't be known during preview")


def test_the_verdict_names_mandatory_policies_that_could_not_run():
    report = evaluate(plan(res("aws:iam/policy:Policy", "p", id="", policy=UNKNOWN), preview=True))
    assert report.passed  # as in Pulumi, a policy that cannot run is not a violation ...
    assert "mandatory policies could not run during preview: iam-no-wildcard-admin, iam-passrole-scoped" \
        in report.verdict()  # ... but the verdict says so


def test_policies_without_a_resource_of_their_types_are_listed_as_having_nothing_to_evaluate():
    report = evaluate(plan(*preview_bucket("data"), preview=True))
    nothing = {n.policy for n in report.not_applicable}
    assert {"eks-secrets-encryption", "vpc-flow-logs", "gpu-budget", "k8s-no-privileged"} <= nothing
    assert not nothing & {"s3-public-access-block", "s3-tls-only", "s3-no-public-acl", "required-tags"}
    assert "policy-exemption-expired" not in nothing  # judges the stack's config, not resources


def test_a_lambda_permission_limited_by_an_unknown_source_arn_is_not_public():
    api = res("aws:apigateway/restApi:RestApi", "api", id="")
    permission = res("aws:lambda/permission:Permission", "invoke", id="", action="lambda:InvokeFunction",
                     function="handler", principal="*", sourceArn=UNKNOWN, fed={"sourceArn": [api]})
    report = evaluate(plan(api, permission, preview=True))
    assert [v for v in report.violations if v.policy == "lambda-not-public"] == [] and not_run(report, "lambda-not-public") == []
