"""Training job settings: ``mladmin:sagemaker.trainingJobs``, the jobs `mladmin launch train` submits.

A job belongs to a team. Its S3 paths live under the prefix its role can reach: the team role's
``teams/<team>/`` or the platform SageMaker role's ``platform/`` (see components/iam.py and
components/teams.py). The names and ranges of the hyperparameters are the trainer's own
(workloads/train/config.py); `mladmin launch train` checks them against it before submitting.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from .base import Name, SettingsModel, duplicates, show
from .errors import Problems
from .instance_types import UnknownInstanceType, lookup_sagemaker

if TYPE_CHECKING:
    from .model import Settings

# CreateTrainingJob limits (SageMaker API reference, checked 2026-12).
MAX_JOB_NAME = 63
MAX_RUNTIME_SECONDS = 28 * 24 * 3600
MAX_VOLUME_GB = 16384
# `<team>-<environment>-<job>-<yymmddHHMMSS>`: the team role may only create jobs named `<team>-*`.
TIMESTAMP_LENGTH = len("261202131500")

_IMAGE_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_KEY_PREFIX = re.compile(r"^[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*/?$")


def _pinned_image(value: str) -> str:
    if value == "latest" or not (_IMAGE_TAG.match(value) or _DIGEST.match(value)):
        raise ValueError(f"{show(value)} is not a pinned image (expected a release tag such as 1.4.2 or a "
                         "digest sha256:<64 hex>; 'latest' moves)")
    return value


def _key_prefix(value: str) -> str:
    if not _KEY_PREFIX.match(value) or ".." in value.split("/"):
        raise ValueError(f"{show(value)} is not an S3 key prefix (expected path segments of letters, digits and "
                         "!_.*'()- separated by '/', relative to the job's prefix, e.g. corpora/chat-v3/)")
    return value


def _sagemaker_type(value: str) -> str:
    try:
        lookup_sagemaker(value)
    except UnknownInstanceType as error:
        raise ValueError(str(error)) from None
    return value


PinnedImage = Annotated[str, AfterValidator(_pinned_image)]
KeyPrefix = Annotated[str, AfterValidator(_key_prefix)]
TrainingInstanceType = Annotated[str, AfterValidator(_sagemaker_type)]
Hyperparameter = str | int | float | bool


class TrainingJobSettings(SettingsModel):
    """One training job that `mladmin launch train STACK NAME` submits to SageMaker."""

    name: Name = Field(examples=["finetune-chat"], description="Job name in the stack, unique; the SageMaker "
                       "job is named <team>-<environment>-<name>-<yymmddHHMMSS>.")
    team: Name = Field(examples=["research"], description="The team that owns the job: one of mladmin:teams.")
    role: Literal["team", "platform"] = Field(
        "team", description="Execution role: the team's job role <prefix>-team-<team>-jobs (S3 under teams/<team>/) or "
        "the platform SageMaker role (S3 under platform/). Default team.")
    image_tag: PinnedImage = Field(examples=["2026.12.1"], description="Tag or sha256 digest of the image in the "
                                   "training ECR repository; never 'latest'.")
    instance_type: TrainingInstanceType = Field(examples=["ml.g5.xlarge"], description="An ml. type from "
                                                "sagemaker.allowedInstanceTypes.")
    instance_count: int = Field(1, ge=1, le=64, description="Instances (torchrun nodes). Default 1.")
    volume_size_gb: int = Field(100, ge=1, le=MAX_VOLUME_GB, description="EBS volume per instance, GiB. Default 100.")
    data: KeyPrefix = Field(examples=["corpora/chat-v3/"], description="Training data: key prefix in the datasets "
                            "bucket, under the job's prefix (the trainer's train channel).")
    base_model: KeyPrefix = Field(examples=["base/tiny-chat/"], description="Model to start from: key prefix in the "
                                  "models bucket, under the job's prefix (the trainer's model channel).")
    max_runtime_seconds: int = Field(86400, ge=1, le=MAX_RUNTIME_SECONDS,
                                     description="Stopping condition: SageMaker stops the job after this. Default 86400.")
    spot: bool = Field(False, description="Managed spot training (checkpoints resume it). Default false.")
    max_wait_seconds: int | None = Field(
        None, ge=1, le=2 * MAX_RUNTIME_SECONDS, description="With spot: the most seconds to wait for capacity and "
        "run, at least maxRuntimeSeconds. Required with spot.")
    network_isolation: bool = Field(True, description="No network access from the training container. Default true.")
    encrypt_inter_container_traffic: bool = Field(
        True, description="Encrypt traffic between the job's instances. Default true.")
    hyperparameters: dict[str, Hyperparameter] = Field(
        default_factory=dict, examples=[{"max_steps": 500, "lr": 0.0002}],
        description="The trainer's settings (workloads/train/config.py field names). Default none.")

    @model_validator(mode="after")
    def _check(self) -> "TrainingJobSettings":
        problems = Problems()
        if self.spot and self.max_wait_seconds is None:
            problems.add("maxWaitSeconds", "missing (spot jobs need one: expected seconds >= maxRuntimeSeconds "
                         f"{self.max_runtime_seconds})")
        elif self.spot and self.max_wait_seconds < self.max_runtime_seconds:
            problems.add("maxWaitSeconds", f"{self.max_wait_seconds} is less than maxRuntimeSeconds "
                         f"{self.max_runtime_seconds} (SageMaker requires maxWaitSeconds >= maxRuntimeSeconds)")
        elif not self.spot and self.max_wait_seconds is not None:
            problems.add("maxWaitSeconds", f"{self.max_wait_seconds} is set but spot is false (expected spot: true, "
                         "or no maxWaitSeconds)")
        problems.raise_if_any()
        return self


def job_name_length(team: str, environment: str, name: str) -> int:
    return len(team) + len(environment) + len(name) + 3 + TIMESTAMP_LENGTH


def check_training_jobs(settings: "Settings", problems: Problems) -> None:
    """Rules across sections: the team exists, the type is allowed here, the SageMaker name fits."""
    jobs = settings.sagemaker.training_jobs
    where = ("sagemaker", "trainingJobs")
    for index, name in duplicates([job.name for job in jobs]):
        problems.add((*where, index, "name"), f"{show(name)} is already used by another training job")
    teams = [team.name for team in settings.teams]
    allowed = settings.sagemaker.allowed_instance_types
    gpu_allowed = settings.gpu_instance_types_allowed
    for index, job in enumerate(jobs):
        if job.team not in teams:
            problems.add((*where, index, "team"), f"{show(job.team)} is not a team of this stack (expected one of "
                         f"{', '.join(teams) or 'none: add it under mladmin:teams'})")
        if lookup_sagemaker(job.instance_type).accelerator is not None and job.instance_type not in gpu_allowed:
            problems.add((*where, index, "instanceType"), f"{show(job.instance_type)} is not allowed in "
                         f"{settings.environment} (expected one of {', '.join(sorted(gpu_allowed))})")
        elif job.instance_type not in allowed:
            problems.add((*where, index, "instanceType"), f"{show(job.instance_type)} is not in "
                         f"allowedInstanceTypes (expected one of {', '.join(allowed)})")
        length = job_name_length(job.team, settings.environment, job.name)
        if length > MAX_JOB_NAME:
            problems.add((*where, index, "name"), f"{show(job.name)} is too long: the SageMaker job name "
                         f"{job.team}-{settings.environment}-{job.name}-<yymmddHHMMSS> has {length} characters "
                         f"(expected at most {MAX_JOB_NAME}: a name of at most "
                         f"{len(job.name) - length + MAX_JOB_NAME})")
