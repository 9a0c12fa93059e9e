"""mladmin:sagemaker.trainingJobs: one clear line per problem, and the training jobs' security group."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from stacks.settings import SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[2]
DEV = yaml.safe_load((ROOT / "stacks" / "Pulumi.dev.yaml").read_text())["config"]
KEY = "stacks/Pulumi.dev.yaml: mladmin:sagemaker.trainingJobs[0]"


def problems(**changes) -> list[str]:
    """Problems of the dev stack after its first training job was changed by ``changes``."""
    config = copy.deepcopy(DEV)
    job = config["mladmin:sagemaker"]["trainingJobs"][0]
    job.update(changes)
    for name in [name for name, value in changes.items() if value is None]:
        del job[name]
    with pytest.raises(SettingsError) as raised:
        load_settings(config, source="stacks/Pulumi.dev.yaml", stack="dev")
    return raised.value.problems


def test_spot_without_a_wait_limit():
    assert problems(maxWaitSeconds=None) == [
        f"{KEY}.maxWaitSeconds: missing (spot jobs need one: expected seconds >= maxRuntimeSeconds 3600)"]


def test_wait_limit_below_the_runtime():
    assert problems(maxWaitSeconds=600) == [f"{KEY}.maxWaitSeconds: 600 is less than maxRuntimeSeconds 3600 "
                                            "(SageMaker requires maxWaitSeconds >= maxRuntimeSeconds)"]


def test_latest_is_not_a_pinned_image():
    assert problems(imageTag="latest")[0].startswith(f"{KEY}.imageTag: 'latest' is not a pinned image")


def test_unknown_team():
    assert problems(team="nobody") == [f"{KEY}.team: 'nobody' is not a team of this stack (expected one of research)"]


def test_gpu_type_outside_the_environment_allowlist():
    (line,) = problems(instanceType="ml.p4d.24xlarge")
    assert line.startswith(f"{KEY}.instanceType: 'ml.p4d.24xlarge' is not allowed in dev (expected one of ")


def test_type_outside_allowed_instance_types():
    assert problems(instanceType="ml.c5.xlarge") == [
        f"{KEY}.instanceType: 'ml.c5.xlarge' is not in allowedInstanceTypes (expected one of ml.m5.xlarge, ml.g5.xlarge)"]


def test_name_too_long_for_a_sagemaker_job_name():
    (line,) = problems(name="a-very-long-training-job-name-for-dev-x")
    assert line.startswith(f"{KEY}.name: 'a-very-long-training-job-name-for-dev-x' is too long: the SageMaker job name")


def test_training_security_group_admits_only_its_own_jobs(dev_plan):
    (group,) = [sg for sg in dev_plan.of_type("aws:ec2/securityGroup:SecurityGroup") if sg.name == "training-sg"]
    assert group.inputs["ingress"] == [{"description": "Between the instances of a job", "protocol": "-1",
                                        "fromPort": 0.0, "toPort": 0.0, "self": True}]
    assert all("0.0.0.0/0" not in rule.get("cidrBlocks", []) for rule in group.inputs["egress"])
    assert dev_plan.stack_outputs["trainingSecurityGroupId"] == group.id


def test_every_training_job_field_is_documented_and_camel_case():
    from stacks.settings.training import TrainingJobSettings

    for name, field in TrainingJobSettings.model_fields.items():
        assert field.description, name
        assert field.alias and "_" not in field.alias, name
