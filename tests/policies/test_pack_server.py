"""The pack as Pulumi's engine runs it: policies/__main__.py serves the analyzer gRPC protocol."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import grpc
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from policies.catalogue import catalogue

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def analyzer():
    env = {**os.environ, "MLADMIN_ENVIRONMENT": "prod",
           "PULUMI_CONFIG": json.dumps({"mladmin:policy": json.dumps({
               "enforcement": {"s3-versioning": "advisory"},
               "parameters": {"gpu-budget": {"maxGpus": 64}},
               "exemptions": [{"policy": "k8s-run-as-non-root", "resource": "dcgm-exporter",
                               "reason": "vendor exporter needs root (VEND-1)", "expires": "2099-01-01"}]})})}
    server = subprocess.Popen([sys.executable, str(ROOT / "policies" / "__main__.py")], cwd=ROOT / "policies",
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        port = server.stdout.readline().strip()
        assert port.isdigit(), server.stderr.read()
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        grpc.channel_ready_future(channel).result(timeout=20)
        yield analyzer_pb2_grpc.AnalyzerStub(channel)
        channel.close()
    finally:
        server.terminate()
        server.wait(timeout=10)


def _struct(values: dict) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(values)
    return struct


def test_the_served_pack_lists_every_catalogued_policy_with_its_prod_level(analyzer):
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
    served = {p.name: p for p in info.policies}
    assert set(served) == set(catalogue())
    assert served["s3-public-access-block"].enforcementLevel == analyzer_pb2.MANDATORY
    assert served["s3-versioning"].enforcementLevel == analyzer_pb2.ADVISORY  # the stack's override


def test_the_served_pack_carries_the_stacks_parameters_and_exemptions(analyzer):
    initial = analyzer.GetAnalyzerInfo(empty_pb2.Empty()).initialConfig
    assert initial["gpu-budget"].properties["maxGpus"] == 64
    assert initial["gpu-budget"].properties["environment"] == "prod"
    exemption = initial["k8s-run-as-non-root"].properties["exemptions"][0]
    assert exemption["resource"] == "dcgm-exporter" and exemption["expires"] == "2099-01-01"


def test_the_served_pack_rejects_an_open_ssh_security_group(analyzer):
    request = analyzer_pb2.AnalyzeRequest(
        type="aws:ec2/securityGroup:SecurityGroup", name="open-ssh",
        urn="urn:pulumi:prod::demo::aws:ec2/securityGroup:SecurityGroup::open-ssh",
        properties=_struct({"ingress": [{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]}]}),
    )
    diagnostics = analyzer.Analyze(request).diagnostics
    ssh = [d for d in diagnostics if d.policyName == "sg-no-public-admin-ports"]
    assert ssh and ssh[0].enforcementLevel == analyzer_pb2.MANDATORY
    assert "SSH (22)" in ssh[0].message


def test_the_served_pack_applies_exemptions_from_its_policy_config(analyzer):
    analyzer.Configure(analyzer_pb2.ConfigureAnalyzerRequest(policyConfig={
        "sg-no-public-admin-ports": analyzer_pb2.PolicyConfig(
            enforcementLevel=analyzer_pb2.MANDATORY,
            properties=_struct({"exemptions": [{"resource": "open-ssh", "reason": "bastion until SSM rollout",
                                                "expires": "2099-01-01"}]})),
    }))
    request = analyzer_pb2.AnalyzeRequest(
        type="aws:ec2/securityGroup:SecurityGroup", name="open-ssh",
        urn="urn:pulumi:prod::demo::aws:ec2/securityGroup:SecurityGroup::open-ssh",
        properties=_struct({"ingress": [{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]}]}),
    )
    assert [d for d in analyzer.Analyze(request).diagnostics if d.policyName == "sg-no-public-admin-ports"] == []


def test_the_served_pack_joins_bucket_resources_in_stack_policies(analyzer):
    bucket_urn = "urn:pulumi:prod::demo::aws:s3/bucket:Bucket::data"
    request = analyzer_pb2.AnalyzeStackRequest(resources=[
        analyzer_pb2.AnalyzerResource(type="aws:s3/bucket:Bucket", name="data", urn=bucket_urn,
                                      properties=_struct({"bucket": "data-123", "id": "data-123"})),
    ])
    diagnostics = analyzer.AnalyzeStack(request).diagnostics
    flagged = {d.policyName for d in diagnostics if d.urn == bucket_urn}
    assert {"s3-public-access-block", "s3-sse-kms", "s3-tls-only", "s3-replication-prod"} <= flagged


# --- unknown values, as `pulumi preview` sends them -------------------------------------------------

BUCKET = "aws:s3/bucket:Bucket"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # pulumi.runtime.rpc.UNKNOWN: a value known only after apply
TLS_ONLY = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
    "Resource": ["arn:aws:s3:::data", "arn:aws:s3:::data/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})


def _stack_resource(type_: str, name: str, properties: dict, fed: dict[str, list[str]] | None = None):
    return analyzer_pb2.AnalyzerResource(
        type=type_, name=name, urn=f"urn:pulumi:prod::demo::{type_}::{name}", properties=_struct(properties),
        dependencies=sorted({u for urns in (fed or {}).values() for u in urns}),
        propertyDependencies={k: analyzer_pb2.AnalyzerPropertyDependencies(urns=v) for k, v in (fed or {}).items()})


def _preview_bucket_stack(with_dependencies: bool) -> list:
    bucket_urn = f"urn:pulumi:prod::demo::{BUCKET}::data"
    fed = {"bucket": [bucket_urn]} if with_dependencies else None
    return [
        _stack_resource(BUCKET, "data", {"bucket": "data", "id": UNKNOWN, "arn": UNKNOWN, "policy": UNKNOWN}),
        _stack_resource("aws:s3/bucketPolicy:BucketPolicy", "data-policy", {"bucket": UNKNOWN, "policy": TLS_ONLY}, fed),
        _stack_resource("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "data-pab",
                        {"bucket": UNKNOWN, "blockPublicAcls": True, "blockPublicPolicy": True,
                         "ignorePublicAcls": True, "restrictPublicBuckets": True}, fed),
    ]


def test_the_served_pack_reports_a_policy_reading_an_unknown_value_as_pulumi_does(analyzer):
    request = analyzer_pb2.AnalyzeRequest(
        type="aws:iam/policy:Policy", name="uses-key", urn="urn:pulumi:prod::demo::aws:iam/policy:Policy::uses-key",
        properties=_struct({"policy": UNKNOWN}))
    diagnostics = {d.policyName: d for d in analyzer.Analyze(request).diagnostics}
    cannot = diagnostics["iam-no-wildcard-admin"]
    assert cannot.message.startswith("can't run policy 'iam-no-wildcard-admin' from policy pack")
    assert cannot.message.endswith("during preview: string value at .policy can't be known during preview")
    assert cannot.enforcementLevel == analyzer_pb2.ADVISORY


def test_the_served_pack_counts_an_unknown_key_arn_as_a_key(analyzer):
    request = analyzer_pb2.AnalyzeRequest(
        type="aws:cloudwatch/logGroup:LogGroup", name="flow", urn="urn:pulumi:prod::demo::aws:cloudwatch/logGroup:LogGroup::flow",
        properties=_struct({"name": "/flow", "retentionInDays": 365, "kmsKeyId": UNKNOWN}))
    assert [d.message for d in analyzer.Analyze(request).diagnostics if d.policyName == "log-group-kms"] == []


def test_the_served_pack_joins_by_property_dependencies_when_ids_are_unknown(analyzer):
    request = analyzer_pb2.AnalyzeStackRequest(resources=_preview_bucket_stack(with_dependencies=True))
    diagnostics = [d for d in analyzer.AnalyzeStack(request).diagnostics
                   if d.policyName in ("s3-tls-only", "s3-public-access-block")]
    assert diagnostics == []


def test_the_served_pack_cannot_run_a_join_without_property_dependencies_and_says_so(analyzer):
    request = analyzer_pb2.AnalyzeStackRequest(resources=_preview_bucket_stack(with_dependencies=False))
    diagnostics = {d.policyName: d for d in analyzer.AnalyzeStack(request).diagnostics}
    assert diagnostics["s3-tls-only"].message.endswith(
        "during preview: string value at .bucket can't be known during preview")
    assert diagnostics["s3-tls-only"].enforcementLevel == analyzer_pb2.ADVISORY


def test_the_pack_refuses_a_bad_stack_policy_config_with_exit_2():
    env = {**os.environ, "PULUMI_CONFIG": json.dumps({"mladmin:policy": {"enforcement": {"s3-versioning": "never"}}})}
    done = subprocess.run([sys.executable, str(ROOT / "policies" / "__main__.py")], cwd=ROOT / "policies", env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "mladmin:policy.enforcement.s3-versioning: 'never' is not an enforcement level" in done.stderr
    assert "Traceback" not in done.stderr
