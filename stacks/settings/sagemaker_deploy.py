"""How SageMaker endpoints roll out and scale, serverless variants, and the retraining pipelines."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from .base import SettingsModel, show

_IMAGE_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
# EventBridge Scheduler expressions: rate(5 minutes), cron(0 3 ? * SUN *), at(2027-01-01T03:00:00).
_SCHEDULE = re.compile(r"^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(\S+( \S+){5}\)|at\([0-9T:-]{19}\))$")
MOVING_TAGS = ("latest", "stable", "main", "master")


def _image_tag(value: str) -> str:
    if not _IMAGE_TAG.match(value):
        raise ValueError(f"{show(value)} is not an image tag (expected letters, digits, '_', '.', '-', at most 128)")
    if value.lower() in MOVING_TAGS:
        raise ValueError(f"{show(value)} is a moving tag (expected a pinned release tag, e.g. '1.4.2')")
    return value


def _schedule(value: str) -> str:
    if not _SCHEDULE.match(value):
        raise ValueError(
            f"{show(value)} is not an EventBridge Scheduler expression "
            "(expected rate(<n> <unit>), cron(<6 fields>) or at(<yyyy-mm-ddThh:mm:ss>))"
        )
    return value


ImageTag = Annotated[str, AfterValidator(_image_tag)]
ScheduleExpression = Annotated[str, AfterValidator(_schedule)]


class DeploymentSettings(SettingsModel):
    """Blue/green rollout of a new model onto an endpoint, rolled back by the endpoint's own alarms."""

    traffic_shifting: Literal["canary", "linear", "allAtOnce"] | None = Field(
        None,
        description="canary: stepPercent of capacity first, then the rest; linear: stepPercent at a time; "
        "allAtOnce: the whole fleet, then a bake period. Default canary with 2 or more instances, else "
        "allAtOnce (SageMaker sizes a canary or a linear step at most half the fleet).",
    )
    step_percent: int | None = Field(
        None, ge=10, le=50, description="Canary size or linear step, % of capacity (10-50). Default 10 (canary), 25 (linear)."
    )
    wait_seconds: int = Field(
        600, ge=0, le=3600, description="Bake time after each traffic step while the rollback alarms watch. Default 600."
    )
    termination_wait_seconds: int = Field(
        300, ge=0, le=3600, description="The old fleet stays this long after the shift, for a fast manual rollback. Default 300."
    )
    rollback_5xx_errors: int = Field(
        5, ge=1, description="5xx responses in one minute that roll the deployment back. Default 5."
    )
    rollback_latency_ms: int = Field(
        2000, ge=1, description="p99 model latency (ms) over two minutes that rolls the deployment back. Default 2000."
    )

    def shifting(self, instances: int) -> str:
        """The traffic shifting that applies to a fleet of ``instances``."""
        if self.traffic_shifting is not None:
            return self.traffic_shifting
        return "canary" if instances >= 2 else "allAtOnce"

    def step(self, instances: int) -> int:
        if self.step_percent is not None:
            return self.step_percent
        return 25 if self.shifting(instances) == "linear" else 10


class AutoscalingSettings(SettingsModel):
    """Target tracking on invocations per instance, between initialInstanceCount and maxInstanceCount."""

    target_invocations_per_instance: int = Field(
        50, ge=1, description="Invocations per instance per minute the scaling keeps near. Default 50."
    )
    scale_in_cooldown_seconds: int = Field(600, ge=0, le=3600, description="Wait after a scale-in. Default 600.")
    scale_out_cooldown_seconds: int = Field(120, ge=0, le=3600, description="Wait after a scale-out. Default 120.")


class ServerlessSettings(SettingsModel):
    """A serverless variant (dev only): CPU, no VPC, no network isolation, no data capture."""

    memory_size_mb: Literal[1024, 2048, 3072, 4096, 5120, 6144] = Field(
        2048, description="Memory of each serverless worker: 1024-6144 in 1024 steps. Default 2048."
    )
    max_concurrency: int = Field(5, ge=1, le=200, description="Concurrent invocations at most (1-200). Default 5.")


class RetrainingSettings(SettingsModel):
    """The retraining pipeline of one model family: train -> evaluate with the release gate -> register."""

    model: str = Field(examples=["chat-llm"], description="A model served by one of the endpoints (endpoints[*].model).")
    training_image_tag: ImageTag = Field(examples=["1.4.2"], description="Tag of the training image in the training repository (pinned).")
    instance_type: str = Field(examples=["ml.g5.2xlarge"], description="Training instance type, from allowedInstanceTypes.")
    instance_count: int = Field(1, ge=1, le=16, description="Training instances. Default 1.")
    evaluation_instance_type: str | None = Field(
        None, description="Instance type of the evaluation step, from allowedInstanceTypes. Default: instanceType."
    )
    volume_size_gb: int = Field(100, ge=1, le=16384, description="Training volume (GB). Default 100.")
    max_runtime_hours: int = Field(24, ge=1, le=672, description="Training stops after this many hours. Default 24.")
    schedule: ScheduleExpression | None = Field(
        None, examples=["cron(0 3 ? * SUN *)"],
        description="EventBridge Scheduler expression that starts the pipeline. Default none (drift only).",
    )
    schedule_timezone: str = Field("UTC", description="Time zone of a cron schedule. Default UTC.")
    on_drift: bool = Field(
        True, description="Start when an endpoint of this model raises its <prefix>-<endpoint>-drift alarm. Default true."
    )
