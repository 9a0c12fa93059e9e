"""`mladmin model register / promote / rollback` against a moto server on 127.0.0.1.

The endpoint that the stack creates (model, endpoint config with data capture and KMS, endpoint) is
set up in moto the way the stack's Endpoint component names it; moto's missing UpdateEndpoint is
added by tests/cli/moto_server.py (see there).
"""

from __future__ import annotations

import io
import json
import shutil
import tarfile
from pathlib import Path

import boto3
import pytest
from typer.testing import CliRunner

from mladmin.cli.main import app
from tests.cli.moto_server import UPDATE_ENDPOINT_REQUESTS

REGION = "us-east-1"
ENDPOINT, GROUP = "mladmin-dev-chat-dev", "mladmin-dev-tiny-chat"
ROLE = "arn:aws:iam::123456789012:role/mladmin-dev-sagemaker-execution"


def mladmin(*args):
    return CliRunner().invoke(app, [str(arg) for arg in args])


def sagemaker():
    return boto3.client("sagemaker", region_name=REGION)


@pytest.fixture
def live_endpoint(aws_env, dev_outputs):
    """What `pulumi up` of the dev stack leaves: the models bucket, the group, the endpoint on its first model."""
    models_bucket, key = dev_outputs["buckets"]["models"], dev_outputs["dataKeyArn"]
    boto3.client("s3", region_name=REGION).create_bucket(Bucket=models_bucket)
    sm = sagemaker()
    sm.create_model_package_group(ModelPackageGroupName=GROUP)
    sm.create_model(ModelName=f"{ENDPOINT}-initial", ExecutionRoleArn=ROLE,
                    PrimaryContainer={"Image": dev_outputs["repositories"]["serving"] + ":2026.12.0",
                                      "ModelDataUrl": f"s3://{models_bucket}/tiny-chat/model.tar.gz",
                                      "Environment": {"MLADMIN_MAX_NEW_TOKENS": "128"}},
                    VpcConfig={"SecurityGroupIds": ["sg-0endpoint"], "Subnets": dev_outputs["privateSubnetIds"]},
                    EnableNetworkIsolation=True, Tags=[{"Key": "team", "Value": "platform"}])
    capture = {"EnableCapture": True, "InitialSamplingPercentage": 100, "KmsKeyId": key,
               "DestinationS3Uri": f"s3://{dev_outputs['buckets']['datasets']}/capture/chat-dev",
               "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}]}
    # moto's enum of endpoint instance types has no g5: the variant runs on ml.m5.xlarge here.
    sm.create_endpoint_config(EndpointConfigName=f"{ENDPOINT}-initial", KmsKeyId=key, DataCaptureConfig=capture,
                              ProductionVariants=[{"VariantName": "primary", "ModelName": f"{ENDPOINT}-initial",
                                                   "InstanceType": "ml.m5.xlarge", "InitialInstanceCount": 1}],
                              Tags=[{"Key": "environment", "Value": "dev"}])
    sm.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName=f"{ENDPOINT}-initial")
    return {"capture": capture, "key": key, "bucket": models_bucket}


def trained_model(tiny_model_dir: Path, root: Path, version: int) -> Path:
    """A distinct model per version: the tiny model with a marker in its config (a new fingerprint)."""
    directory = root / f"final-v{version}"
    shutil.copytree(tiny_model_dir, directory)
    config = json.loads((directory / "config.json").read_text())
    (directory / "config.json").write_text(json.dumps({**config, "mladmin_test_version": version}))
    return directory


def eval_report(directory: Path, root: Path, perplexity: float, gate_max: float = 500.0) -> Path:
    """The report `mladmin eval --gate` writes, its gate judged by the evaluator's own gate code."""
    from workloads.evaluate.gate import Threshold, check_gate
    from workloads.evaluate.model import fingerprint_model_dir

    fingerprint, files = fingerprint_model_dir(directory)
    metrics = {"perplexity": perplexity}
    report = {"kind": "mladmin.eval-report", "schema_version": 1, "created_at": "2026-12-02T12:00:00Z",
              "model": {"path": str(directory), "fingerprint": fingerprint, "files": files, "model_type": "gpt2",
                        "parameters": 1000, "context_length": 256},
              "metrics": metrics,
              "gate": check_gate([Threshold("perplexity", None, gate_max)], metrics, root / "gate.yaml")}
    path = root / f"{directory.name}-report.json"
    path.write_text(json.dumps(report))
    return path


def register(outputs_file, directory, report):
    result = mladmin("model", "register", "dev", "tiny-chat", directory, "--report", report,
                     "--outputs", outputs_file, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def live_model(sm=None) -> dict:
    sm = sm or sagemaker()
    config = sm.describe_endpoint_config(EndpointConfigName=sm.describe_endpoint(EndpointName=ENDPOINT)["EndpointConfigName"])
    return {"config": config, "model": sm.describe_model(ModelName=config["ProductionVariants"][0]["ModelName"])}


def status(arn: str) -> str:
    return sagemaker().describe_model_package(ModelPackageName=arn)["ModelApprovalStatus"]


def test_register_uploads_the_archive_and_report_and_creates_a_pending_package(
        live_endpoint, outputs_file, tiny_model_dir, tmp_path):
    directory = trained_model(tiny_model_dir, tmp_path, 1)
    report = eval_report(directory, tmp_path, perplexity=120.0)

    done = register(outputs_file, directory, report)

    package = sagemaker().describe_model_package(ModelPackageName=done["arn"])
    assert package["ModelApprovalStatus"] == "PendingManualApproval"
    assert package["ModelPackageGroupName"] == GROUP
    statistics = package["ModelMetrics"]["ModelQuality"]["Statistics"]
    assert statistics == {"ContentType": "application/json", "S3Uri": done["report_url"]}
    container = package["InferenceSpecification"]["Containers"][0]
    assert container["Image"].endswith("/mladmin-dev/serving:1.4.2")  # the endpoint's imageTag
    assert container["ModelDataUrl"] == done["model_data_url"]
    s3 = boto3.client("s3", region_name=REGION)
    bucket, key = done["model_data_url"].removeprefix("s3://").split("/", 1)
    assert key.startswith("platform/models/tiny-chat/registry/") and bucket == live_endpoint["bucket"]
    archive = s3.get_object(Bucket=bucket, Key=key)
    assert archive["ServerSideEncryption"] == "aws:kms" and archive["SSEKMSKeyId"] == live_endpoint["key"]
    with tarfile.open(fileobj=io.BytesIO(archive["Body"].read())) as tar:
        assert sorted(tar.getnames()) == sorted(p.name for p in directory.iterdir())
    stored = s3.get_object(Bucket=bucket, Key=key.replace("model.tar.gz", "evaluation.json"))["Body"].read()
    assert json.loads(stored) == json.loads(report.read_text())


def test_register_refuses_the_report_of_another_model(live_endpoint, outputs_file, tiny_model_dir, tmp_path):
    first, second = trained_model(tiny_model_dir, tmp_path, 1), trained_model(tiny_model_dir, tmp_path, 2)

    result = mladmin("model", "register", "dev", "tiny-chat", second, "--report", eval_report(first, tmp_path, 100.0),
                     "--image-tag", "2026.12.0", "--outputs", outputs_file)

    assert result.exit_code == 2
    assert "expected the report of this directory" in result.stderr
    assert sagemaker().list_model_packages(ModelPackageGroupName=GROUP,
                                           ModelPackageType="Versioned")["ModelPackageSummaryList"] == []


def test_register_promote_rollback_moves_the_endpoint_and_the_registry(
        live_endpoint, outputs_file, tiny_model_dir, tmp_path):
    v1 = register(outputs_file, d := trained_model(tiny_model_dir, tmp_path, 1), eval_report(d, tmp_path, 150.0))
    v2 = register(outputs_file, d := trained_model(tiny_model_dir, tmp_path, 2), eval_report(d, tmp_path, 110.0))

    assert mladmin("model", "promote", "dev", "chat-dev", "1", "--outputs", outputs_file).exit_code == 0
    on_v1 = live_model()
    assert mladmin("model", "promote", "dev", "chat-dev", "2", "--outputs", outputs_file).exit_code == 0
    on_v2 = live_model()
    rolled = mladmin("model", "rollback", "dev", "chat-dev", "--outputs", outputs_file)
    after = live_model()

    assert rolled.exit_code == 0, rolled.output
    assert on_v1["model"]["PrimaryContainer"]["ModelPackageName"] == v1["arn"]
    assert on_v2["model"]["PrimaryContainer"]["ModelPackageName"] == v2["arn"]
    assert after["model"]["PrimaryContainer"]["ModelPackageName"] == v1["arn"]
    assert (status(v1["arn"]), status(v2["arn"])) == ("Approved", "Rejected")
    assert len({on_v1["config"]["EndpointConfigName"], on_v2["config"]["EndpointConfigName"],
                after["config"]["EndpointConfigName"]}) == 3
    assert [r["RetainDeploymentConfig"] for r in UPDATE_ENDPOINT_REQUESTS] == [True, True, True]


def test_a_promoted_config_keeps_capture_kms_variants_and_the_model_network(
        live_endpoint, outputs_file, tiny_model_dir, tmp_path):
    v1 = register(outputs_file, d := trained_model(tiny_model_dir, tmp_path, 1), eval_report(d, tmp_path, 150.0))

    assert mladmin("model", "promote", "dev", "chat-dev", v1["arn"], "--outputs", outputs_file).exit_code == 0

    live = live_model()
    assert live["config"]["DataCaptureConfig"] == live_endpoint["capture"]
    assert live["config"]["KmsKeyId"] == live_endpoint["key"]
    variant = live["config"]["ProductionVariants"][0]
    assert (variant["VariantName"], variant["InstanceType"], variant["InitialInstanceCount"]) == (
        "primary", "ml.m5.xlarge", 1)
    assert live["model"]["ExecutionRoleArn"] == ROLE
    assert live["model"]["VpcConfig"]["SecurityGroupIds"] == ["sg-0endpoint"]
    assert live["model"]["PrimaryContainer"]["Environment"] == {"MLADMIN_MAX_NEW_TOKENS": "128"}


def test_promote_of_a_failed_gate_package_exits_1_naming_the_metric(
        live_endpoint, outputs_file, tiny_model_dir, tmp_path):
    failing = register(outputs_file, d := trained_model(tiny_model_dir, tmp_path, 1),
                       eval_report(d, tmp_path, perplexity=812.0, gate_max=500.0))

    result = mladmin("model", "promote", "dev", "chat-dev", "1", "--outputs", outputs_file)

    assert result.exit_code == 1
    assert "release gate failed (perplexity: 812 is above the maximum 500.0)" in result.stderr
    assert status(failing["arn"]) == "PendingManualApproval"
    assert live_model()["config"]["EndpointConfigName"] == f"{ENDPOINT}-initial"
    assert UPDATE_ENDPOINT_REQUESTS == []


def test_rollback_without_an_earlier_approved_package_exits_2(live_endpoint, outputs_file, tiny_model_dir, tmp_path):
    register(outputs_file, d := trained_model(tiny_model_dir, tmp_path, 1), eval_report(d, tmp_path, 150.0))
    assert mladmin("model", "promote", "dev", "chat-dev", "1", "--outputs", outputs_file).exit_code == 0

    result = mladmin("model", "rollback", "dev", "chat-dev", "--outputs", outputs_file)

    assert result.exit_code == 2
    assert "has no approved version before 1" in result.stderr


def test_registry_commands_without_the_endpoint_outputs_exit_2(aws_env, dev_outputs, tmp_path):
    outputs = tmp_path / "outputs.json"  # a stack deployed before it had endpoints
    outputs.write_text(json.dumps({k: v for k, v in dev_outputs.items() if k != "sagemakerEndpoints"}))

    result = mladmin("model", "promote", "dev", "chat-dev", "1", "--outputs", outputs)

    assert result.exit_code == 2
    assert "stack output sagemakerEndpoints is missing" in result.stderr


def test_a_new_model_keeps_network_isolation_of_the_model_it_replaces():
    """moto's CreateModel drops EnableNetworkIsolation: the request is checked as built."""
    from mladmin.sagemaker.rollout import model_request

    current = {"ModelName": "old", "ExecutionRoleArn": ROLE, "EnableNetworkIsolation": True,
               "VpcConfig": {"SecurityGroupIds": ["sg-1"], "Subnets": ["subnet-1"]},
               "PrimaryContainer": {"Image": "repo:1", "ModelDataUrl": "s3://b/k", "Environment": {"A": "1"}}}

    request = model_request(current, "arn:aws:sagemaker:us-east-1:123456789012:model-package/g/3", "new", [])

    assert request["EnableNetworkIsolation"] is True
    assert request["VpcConfig"] == current["VpcConfig"]
    assert request["PrimaryContainer"] == {"ModelPackageName": "arn:aws:sagemaker:us-east-1:123456789012:model-package/g/3",
                                           "Environment": {"A": "1"}}


def test_deploying_the_same_package_twice_in_one_second_gets_new_names(
        live_endpoint, outputs_file, tiny_model_dir, tmp_path):
    """A rollback to a package promoted the same second must not collide with that promote's names."""
    from datetime import datetime, timezone

    from mladmin.sagemaker.aws import Aws
    from mladmin.sagemaker.rollout import deploy

    v1 = register(outputs_file, d := trained_model(tiny_model_dir, tmp_path, 1), eval_report(d, tmp_path, 150.0))
    now = datetime(2026, 12, 2, 13, 0, 0, tzinfo=timezone.utc)

    first, second = (deploy(Aws(REGION), ENDPOINT, v1["arn"], now=now) for _ in range(2))

    assert first.endpoint_config_name != second.endpoint_config_name and first.model_name != second.model_name


def test_register_refuses_a_moving_serving_image(aws_env, outputs_file, tiny_model_dir, tmp_path):
    directory = trained_model(tiny_model_dir, tmp_path, 1)

    result = mladmin("model", "register", "dev", "tiny-chat", directory, "--report",
                     eval_report(directory, tmp_path, 100.0), "--image-tag", "latest", "--outputs", outputs_file)

    assert result.exit_code == 2
    assert "--image-tag: 'latest' is not a pinned image" in result.stderr
