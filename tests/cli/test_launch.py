"""`mladmin launch train/status/stop` against a moto server on 127.0.0.1: what SageMaker receives."""

from __future__ import annotations

import json
import os
import stat

import boto3
import pytest
from typer.testing import CliRunner

from mladmin.cli.main import app
from policies.iam_evaluation import Service
from tests.infra.iam_model import Account

DATASETS, MODELS, CHECKPOINTS = (f"mladmin-dev-{purpose}-123456789012-us-east-1"
                                 for purpose in ("datasets", "models", "checkpoints"))


def mladmin(*args: str):
    return CliRunner().invoke(app, [str(arg) for arg in args])


def submitted(result) -> dict:
    assert result.exit_code == 0, result.output
    name = json.loads(result.stdout)["request"]["TrainingJobName"]
    return boto3.client("sagemaker", region_name="us-east-1").describe_training_job(TrainingJobName=name)


def test_train_from_the_plan_submits_the_job_the_stack_file_describes(aws_env, dev_outputs, dev_plan):
    result = mladmin("launch", "train", "dev", "finetune-tiny", "--from-plan", "--json")
    job = submitted(result)

    key = dev_outputs["dataKeyArn"]
    assert job["TrainingJobName"].startswith("research-dev-finetune-tiny-")
    assert job["RoleArn"] == "arn:aws:iam::123456789012:role/mladmin-dev-team-research-jobs"
    # The request as sent is allowed end to end: the team role (a member) makes the call, passes
    # the team's job role, and SageMaker may assume that role.
    acct = Account.from_plan(dev_plan)
    decision = acct.create_training_job(acct.role("mladmin-dev-team-research"), json.loads(result.stdout)["request"])
    assert decision.allowed, decision.reason
    assert acct.can(Service("sagemaker.amazonaws.com"), "sts:AssumeRole", job["RoleArn"],
                    **{"aws:SourceAccount": "123456789012"}).allowed
    assert job["AlgorithmSpecification"]["TrainingImage"].endswith("/mladmin-dev/training:2026.12.0")
    assert job["VpcConfig"] == {"SecurityGroupIds": [dev_outputs["trainingSecurityGroupId"]],
                                "Subnets": dev_outputs["privateSubnetIds"]}
    assert job["ResourceConfig"] == {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 50,
                                     "VolumeKmsKeyId": key}
    assert job["OutputDataConfig"] == {"S3OutputPath": f"s3://{MODELS}/teams/research/training/finetune-tiny/",
                                       "KmsKeyId": key}
    assert job["StoppingCondition"] == {"MaxRuntimeInSeconds": 3600, "MaxWaitTimeInSeconds": 7200}
    assert job["EnableManagedSpotTraining"] is True
    assert job["EnableNetworkIsolation"] is True
    assert job["EnableInterContainerTrafficEncryption"] is True
    assert job["CheckpointConfig"] == {"S3Uri": f"s3://{CHECKPOINTS}/teams/research/{job['TrainingJobName']}/",
                                       "LocalPath": "/opt/ml/checkpoints"}
    assert job["HyperParameters"] == {"max_steps": "200", "save_every": "50", "lr": "0.0005", "batch_size": "8"}
    channels = {c["ChannelName"]: c["DataSource"]["S3DataSource"]["S3Uri"] for c in job["InputDataConfig"]}
    assert channels == {"train": f"s3://{DATASETS}/teams/research/corpora/sample/",
                        "model": f"s3://{MODELS}/teams/research/base/tiny-chat/"}


def test_hyperparameters_reach_the_trainer_as_its_own_settings(aws_env, outputs_file, tmp_path, monkeypatch):
    """What SageMaker passes (hyperparameters.json) is what `mladmin train` reads under the contract."""
    from workloads.train.config import resolve_config

    job = submitted(mladmin("launch", "train", "dev", "finetune-chat", "--outputs", outputs_file, "--json"))
    config_dir = tmp_path / "opt-ml" / "input" / "config"
    config_dir.mkdir(parents=True)
    (config_dir / "hyperparameters.json").write_text(json.dumps(job["HyperParameters"]))
    monkeypatch.setenv("MLADMIN_SM_ROOT", str(tmp_path / "opt-ml"))

    config = resolve_config()

    assert (config.max_steps, config.save_every, config.lr, config.warmup_steps, config.lr_schedule) == (
        2000, 200, 0.0002, 100, "cosine")
    assert str(config.checkpoints) == str(tmp_path / "opt-ml" / "checkpoints")


def test_instance_store_types_get_no_volume_key_and_no_spot_wait(aws_env, outputs_file):
    job = submitted(mladmin("launch", "train", "dev", "finetune-chat", "--outputs", outputs_file, "--json"))

    assert "VolumeKmsKeyId" not in job["ResourceConfig"]  # g5: local NVMe, encrypted by the instance
    assert job["StoppingCondition"] == {"MaxRuntimeInSeconds": 14400}
    assert job["EnableManagedSpotTraining"] is False


def test_status_lists_the_runs_of_the_stack_jobs(aws_env, outputs_file):
    name = json.loads(mladmin("launch", "train", "dev", "finetune-tiny", "--outputs", outputs_file,
                              "--json").stdout)["request"]["TrainingJobName"]

    listed = mladmin("launch", "status", "dev", "--json")
    one = mladmin("launch", "status", "dev", name, "--json")

    assert [run["TrainingJobName"] for run in json.loads(listed.stdout)] == [name]
    assert json.loads(one.stdout)["TrainingJobName"] == name


def test_stop_sends_stop_training_job_for_a_run_of_the_stack(aws_env):
    """moto has no StopTrainingJob: the request is checked with botocore's Stubber."""
    from botocore.stub import Stubber

    from mladmin.sagemaker import training
    from mladmin.sagemaker.aws import Aws
    from mladmin.sagemaker.stack import load_stack

    settings = load_stack("dev").settings
    aws = Aws("us-east-1")
    with Stubber(aws.sagemaker) as stub:
        stub.add_response("stop_training_job", {}, {"TrainingJobName": "research-dev-finetune-tiny-261202131500"})
        training.stop(aws, settings, "research-dev-finetune-tiny-261202131500", "stacks/Pulumi.dev.yaml")
        stub.assert_no_pending_responses()


def test_stop_refuses_a_job_that_is_not_a_run_of_the_stack(aws_env):
    result = mladmin("launch", "stop", "dev", "someone-elses-job")

    assert result.exit_code == 2
    assert "is not a run of a training job of stacks/Pulumi.dev.yaml" in result.stderr


def test_missing_credentials_exit_2_with_one_line(aws_env, outputs_file, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")

    result = mladmin("launch", "train", "dev", "finetune-tiny", "--outputs", outputs_file)

    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "no AWS credentials found" in result.stderr


def test_missing_output_exit_2_naming_it(aws_env, dev_outputs, tmp_path):
    partial = tmp_path / "outputs.json"
    partial.write_text(json.dumps({k: v for k, v in dev_outputs.items() if k != "trainingSecurityGroupId"}))

    result = mladmin("launch", "train", "dev", "finetune-tiny", "--outputs", partial)

    assert result.exit_code == 2
    assert "stack output trainingSecurityGroupId is missing" in result.stderr


def test_without_pulumi_on_path_outputs_are_a_clear_error(aws_env, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))

    result = mladmin("launch", "train", "dev", "finetune-tiny", "--dry-run")

    assert result.exit_code == 2
    assert "the Pulumi CLI is not on PATH" in result.stderr


def test_outputs_come_from_pulumi_stack_output_when_the_cli_is_on_path(aws_env, dev_outputs, monkeypatch, tmp_path):
    """No Pulumi CLI can be installed here: a stand-in on PATH records how it is called."""
    calls, answer = tmp_path / "calls.txt", tmp_path / "answer.json"
    answer.write_text(json.dumps(dev_outputs))
    pulumi = tmp_path / "pulumi"
    pulumi.write_text(f"#!/bin/sh\necho \"$PWD $*\" >> {calls}\ncat {answer}\n")
    pulumi.chmod(pulumi.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")

    result = mladmin("launch", "train", "dev", "finetune-tiny", "--dry-run")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["VpcConfig"]["Subnets"] == dev_outputs["privateSubnetIds"]
    assert calls.read_text().split()[1:] == ["stack", "output", "--json", "--stack", "dev"]


def test_unknown_hyperparameter_names_its_key(aws_env, outputs_file, tmp_path):
    config = tmp_path / "Pulumi.dev.yaml"
    text = open("stacks/Pulumi.dev.yaml", encoding="utf-8").read()
    config.write_text(text.replace("{max_steps: 200,", "{max_stepz: 200,", 1))

    result = mladmin("launch", "train", "dev", "finetune-tiny", "--config", config, "--outputs", outputs_file)

    assert result.exit_code == 2
    assert "mladmin:sagemaker.trainingJobs[0].hyperparameters.max_stepz: not a trainer setting" in result.stderr


@pytest.mark.parametrize("job", ["finetune-tiny", "finetune-chat"])
def test_dry_run_submits_nothing(aws_env, outputs_file, job):
    result = mladmin("launch", "train", "dev", job, "--outputs", outputs_file, "--dry-run")

    assert result.exit_code == 0, result.output
    assert boto3.client("sagemaker", region_name="us-east-1").list_training_jobs()["TrainingJobSummaries"] == []


def test_fetch_unpacks_a_finished_run_model_for_eval_and_register(aws_env, outputs_file, tiny_model_dir, tmp_path):
    from mladmin.sagemaker.registry import pack_model

    job = submitted(mladmin("launch", "train", "dev", "finetune-tiny", "--outputs", outputs_file, "--json"))
    bucket, key = job["ModelArtifacts"]["S3ModelArtifacts"].removeprefix("s3://").split("/", 1)
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key=key, Body=pack_model(tiny_model_dir))  # what SageMaker uploads from /opt/ml/model

    result = mladmin("launch", "fetch", "dev", job["TrainingJobName"], tmp_path / "final")

    assert result.exit_code == 0, result.output
    assert {p.name: p.read_bytes() for p in (tmp_path / "final").iterdir()} == {
        p.name: p.read_bytes() for p in tiny_model_dir.iterdir()}
