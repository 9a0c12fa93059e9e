"""The insecure fixture programs: every planted problem is reported, once, in preview and after `pulumi up`."""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from pathlib import Path

import pytest

from mladmin.engine import plan_program
from policies.runner import evaluate

PROGRAMS = Path(__file__).resolve().parents[1] / "fixtures" / "programs"
INSECURE = PROGRAMS / "insecure"
SERVICES = PROGRAMS / "insecure-services"
MODES = {"preview": True, "assume-created": False}
TAGS_MISSING = "required-tags"

# (resource type, logical name) -> the policies that must report it, once each.
INSECURE_FINDINGS = {
    ("aws:s3/bucket:Bucket", "public-site"): {"s3-public-access-block", "s3-tls-only", "s3-access-logging",
                                              "s3-versioning", TAGS_MISSING},
    ("aws:s3/bucketPolicy:BucketPolicy", "public-site-policy"): {"s3-bucket-policy-not-public"},
    ("aws:ec2/securityGroup:SecurityGroup", "open-ssh"): {"sg-no-public-admin-ports", TAGS_MISSING},
    ("aws:iam/policy:Policy", "admin-policy"): {"iam-no-wildcard-admin", TAGS_MISSING},
    ("aws:ebs/volume:Volume", "scratch-volume"): {"ebs-volume-encrypted", TAGS_MISSING},
    ("aws:sns/topic:Topic", "alerts"): {"sns-topic-encrypted", TAGS_MISSING},
    ("aws:sns/topicPolicy:TopicPolicy", "alerts-policy"): {"sns-topic-policy-not-public"},
}
SERVICE_FINDINGS = {
    ("aws:ec2/vpc:Vpc", "features-vpc"): {"ec2-default-sg-restricts-all"},
    ("aws:ec2/securityGroup:SecurityGroup", "debug-sg"): {"sg-no-public-admin-ports"},
    ("aws:rds/instance:Instance", "mlflow-db"): {"rds-not-public", "rds-storage-encrypted", "rds-managed-credentials",
                                                 "rds-engine-supported", "rds-logs-exported", "rds-multi-az-prod"},
    ("aws:rds/cluster:Cluster", "features-db"): {"rds-multi-az-prod", "rds-backup-retention"},
    ("aws:lb/loadBalancer:LoadBalancer", "mlflow-alb"): {"lb-internal", "lb-access-logs", "lb-drop-invalid-headers",
                                                         "lb-deletion-protection-prod"},
    ("aws:lb/listener:Listener", "mlflow-http"): {"lb-listener-https"},
    ("aws:lb/listener:Listener", "mlflow-https"): {"lb-tls-policy"},
    ("aws:ecs/cluster:Cluster", "serving"): {"ecs-container-insights"},
    ("aws:ecs/taskDefinition:TaskDefinition", "serve"): {"ecs-no-privileged", "ecs-non-root-user", "ecs-read-only-root",
                                                         "ecs-secrets-not-in-environment"},
    ("aws:ecs/service:Service", "serve"): {"ecs-no-public-ip"},
    ("aws:lambda/function:Function", "drift"): {"lambda-async-failure-destination", "lambda-environment-cmk"},
    ("aws:sqs/queue:Queue", "training-jobs"): {"sqs-encrypted"},
    ("aws:kinesis/stream:Stream", "inference-events"): {"kinesis-stream-encrypted"},
    ("aws:dynamodb/table:Table", "online-features"): {"dynamodb-pitr", "dynamodb-customer-key"},
    ("aws:secretsmanager/secret:Secret", "hf-token"): {"secret-customer-key", "secret-rotation"},
    ("aws:efs/fileSystem:FileSystem", "checkpoints"): {"efs-encrypted"},
    ("aws:elasticache/replicationGroup:ReplicationGroup", "feature-cache"): {"elasticache-encrypted", "elasticache-auth"},
    ("aws:opensearch/domain:Domain", "vectors"): {"opensearch-in-vpc", "opensearch-fine-grained-access"},
    ("aws:glue/job:Job", "curate"): {"glue-security-configuration"},
    ("aws:redshift/cluster:Cluster", "warehouse"): {"redshift-audit-logging", "redshift-enhanced-vpc-routing"},
}


@lru_cache(maxsize=None)
def _report(program: Path, mode: str):
    return evaluate(plan_program(program, preview=MODES[mode]))


@pytest.fixture(scope="module", params=[(p, m) for p in (INSECURE, SERVICES) for m in MODES],
                ids=lambda pm: f"{pm[0].name}-{pm[1]}")
def report_of(request):
    program, mode = request.param
    return program, _report(program, mode)


def test_each_planted_problem_is_reported_once_per_resource(report_of):
    program, report = report_of
    expected = INSECURE_FINDINGS if program == INSECURE else SERVICE_FINDINGS
    counts = Counter((v.resource_type, v.resource_name, v.policy) for v in report.violations)
    assert {key: n for key, n in counts.items() if n > 1} == {}
    found: dict[tuple[str, str], set[str]] = {}
    for resource_type, name, policy in counts:
        found.setdefault((resource_type, name), set()).add(policy)
    assert found == expected


def test_every_policy_runs_on_the_insecure_programs(report_of):
    _, report = report_of
    assert [f"{n.policy} on {n.resource_name}: {n.reason}" for n in report.not_run] == []


def _messages(report, policy: str, name: str) -> list[str]:
    return [v.message for v in report.violations if v.policy == policy and v.resource_name == name]


@pytest.fixture(scope="module")
def services():
    return _report(SERVICES, "preview")


@pytest.fixture(scope="module")
def insecure():
    return _report(INSECURE, "preview")


def test_a_world_open_all_ports_rule_is_one_finding_naming_the_admin_ports(services):
    assert _messages(services, "sg-no-public-admin-ports", "debug-sg") == [
        "SSH (22) and RDP (3389) reachable from the internet: all ports open to 0.0.0.0/0"]


def test_a_website_buckets_findings_name_the_exemption_that_accepts_them(insecure):
    for policy, name in (("s3-public-access-block", "public-site"), ("s3-tls-only", "public-site"),
                         ("s3-bucket-policy-not-public", "public-site-policy")):
        (message,) = _messages(insecure, policy, name)
        assert f"mladmin:policy.exemptions: {{policy: {policy}, resource: {name}," in message


def test_a_website_bucket_may_keep_the_sse_s3_default(insecure):
    assert _messages(insecure, "s3-sse-kms", "public-site") == []


def test_required_tags_is_advisory_for_a_program_without_policy_config(insecure):
    findings = [v for v in insecure.violations if v.policy == TAGS_MISSING]
    assert findings and not any(v.mandatory for v in findings)
    assert all("set mladmin:policy.parameters.required-tags.requiredTags" in v.message for v in findings)


def test_an_unencrypted_ebs_volume_is_caught(insecure):
    assert [v.mandatory for v in insecure.violations if (v.policy, v.resource_name) == ("ebs-volume-encrypted", "scratch-volume")] == [True]


def test_a_topic_policy_open_to_anyone_over_tls_is_caught(insecure):
    assert [v.mandatory for v in insecure.violations
            if (v.policy, v.resource_name) == ("sns-topic-policy-not-public", "alerts-policy")] == [True]
