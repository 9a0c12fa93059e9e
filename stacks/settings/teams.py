"""Team settings: who uses the platform, with what GPU quota and budget."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from .base import Email, Name, SettingsModel, duplicates, show
from .errors import Problems

TeamRole = Literal["admin", "developer", "viewer"]

_PRINCIPAL = re.compile(r"^[A-Za-z0-9+=,.@_-]{1,64}$")


def _principal(value: str) -> str:
    if not _PRINCIPAL.match(value):
        raise ValueError(
            f"{show(value)} is not a user name (expected an IAM Identity Center / IAM user name or email: "
            "letters, digits and + = , . @ _ -, at most 64)"
        )
    return value


Principal = Annotated[str, AfterValidator(_principal)]


class TeamMemberSettings(SettingsModel):
    """A person in a team and what they may do in the team's namespace and SageMaker space."""

    name: Principal = Field(examples=["alice@example.com"], description="IAM Identity Center or IAM user name, e.g. alice@example.com.")
    role: TeamRole = Field(
        "developer",
        description="admin: manage the team's resources; developer: run jobs and endpoints; viewer: read only. "
        "Default developer.",
    )


class TeamSettings(SettingsModel):
    """One team: a Kubernetes namespace, a SageMaker user profile group, a quota and a budget."""

    name: Name = Field(examples=["research"], description="Team name, unique; also its Kubernetes namespace, e.g. research.")
    owner: Email = Field(examples=["lead@example.com"], description="Who answers for the team's spend, e.g. lead@example.com.")
    gpu_quota: int = Field(
        0, ge=0, description="Accelerator devices (GPUs/Neuron) the team's namespace may request at once. Default 0."
    )
    cpu_quota: int | None = Field(
        None, ge=1, description="Cores (requests) the team's namespace may use at once. Default 16 + 12 per GPU of gpuQuota.",
    )
    memory_quota_gib: int | None = Field(
        None, ge=1, description="Memory in GiB the team's namespace may use at once. Default 64 + 128 per GPU of gpuQuota.",
    )
    monthly_budget_usd: float | None = Field(
        None, ge=0, description="The team's own monthly budget in USD. Default none (shares the environment's)."
    )
    members: list[TeamMemberSettings] = Field(default_factory=list, description="Team members. Default none.")

    @property
    def cpu_cores(self) -> int:
        return self.cpu_quota if self.cpu_quota is not None else 16 + 12 * self.gpu_quota

    @property
    def memory_gib(self) -> int:
        return self.memory_quota_gib if self.memory_quota_gib is not None else 64 + 128 * self.gpu_quota

    @model_validator(mode="after")
    def _check(self) -> "TeamSettings":
        problems = Problems()
        for index, name in duplicates([member.name for member in self.members]):
            problems.add(("members", index, "name"), f"{show(name)} is already a member of this team")
        problems.raise_if_any()
        return self
