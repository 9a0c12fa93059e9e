"""The settings of one stack: every ``mladmin:*`` key of ``stacks/Pulumi.<stack>.yaml``, typed."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from .base import ENVIRONMENTS, Environment, Region, Scope, SettingsModel, TagValue, duplicates, show
from .aws_facts import REGIONS
from .cluster import ClusterSettings
from .errors import Problems
from .monitoring import BudgetSettings, MonitoringSettings
from .network import NetworkSettings
from .sagemaker import SageMakerSettings
from .storage import StorageSettings
from .teams import TeamSettings

PLATFORM_TEAM = "platform"


class Settings(SettingsModel):
    """A whole stack's settings. Build it with ``load_settings``/``load_settings_file``; ``Settings(...)``
    and ``Settings.model_validate(...)`` work too and apply the same environment rules."""

    environment: Environment = Field(examples=["prod"], description="dev, staging or prod; decides the environment rules (mladmin:environment).")
    owner: TagValue = Field(examples=["ml-platform"], description="Owning group, the `owner` tag on every resource, e.g. ml-platform.")
    cost_center: TagValue = Field(examples=["cc-4410"], description="The `cost-center` tag on every resource, e.g. cc-4410.")
    region: Region = Field(examples=["us-east-1"], description="AWS region of the stack (aws:region).")
    network: NetworkSettings = Field(default_factory=dict, validate_default=True, description="VPC and subnets.")
    storage: StorageSettings = Field(default_factory=dict, validate_default=True, description="Data buckets.")
    cluster: ClusterSettings = Field(default_factory=dict, validate_default=True, description="EKS cluster.")
    sagemaker: SageMakerSettings = Field(default_factory=dict, validate_default=True, description="SageMaker.")
    monitoring: MonitoringSettings = Field(default_factory=dict, validate_default=True, description="Logs and alarms.")
    budgets: BudgetSettings = Field(default_factory=dict, validate_default=True, description="Cost budget.")
    teams: list[TeamSettings] = Field(default_factory=list, description="Teams using the platform. Default none.")
    policy: dict[str, Any] = Field(
        default_factory=dict,
        description="Policy enforcement overrides and exemptions; its schema is checked by the policy pack. Default {}.",
    )

    @classmethod
    def model_validate(cls, obj: Any, *, context: Any = None, **kwargs: Any) -> "Settings":  # type: ignore[override]
        return super().model_validate(obj, context=_with_scope(obj, context), **kwargs)

    def __init__(self, /, **data: Any) -> None:
        """``Settings(environment=..., region=..., ...)`` applies the environment's rules too."""
        __tracebackhide__ = True
        self.__pydantic_validator__.validate_python(data, self_instance=self, context=_with_scope(data, None))

    # Not a "custom init" for pydantic: validation (model_validate, nesting) must not route through
    # __init__, or it would lose the caller's context and by_alias/by_name options.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    @model_validator(mode="after")
    def _check(self) -> "Settings":
        problems = Problems()
        for index, name in duplicates([team.name for team in self.teams]):
            problems.add(("teams", index, "name"), f"{show(name)} is already used by another team")
        quota = sum(team.gpu_quota for team in self.teams)
        capacity = self.cluster.max_accelerators
        if quota > capacity:
            problems.add(
                "teams",
                f"GPU quotas add up to {quota} accelerators, more than the GPU node groups hold at maxSize "
                f"({capacity}; expected the sum of gpuQuota <= {capacity}, or larger GPU pools)",
            )
        team_budgets = sum(team.monthly_budget_usd or 0.0 for team in self.teams)
        if team_budgets > self.budgets.monthly_limit_usd:
            problems.add(
                "teams",
                f"team budgets add up to {team_budgets:g} USD, more than budgets.monthlyLimitUsd "
                f"{self.budgets.monthly_limit_usd:g} (expected the sum of monthlyBudgetUsd <= the limit)",
            )
        if self.is_prod and not self.budget_recipients:
            problems.add(
                ("budgets", "notifyEmails"),
                "missing (prod budgets need a recipient: expected budgets.notifyEmails or monitoring.alarmEmails)",
            )
        problems.raise_if_any()
        return self

    @property
    def is_prod(self) -> bool:
        return self.environment == "prod"

    @property
    def prefix(self) -> str:
        """Prefix of physical resource names, e.g. ``mladmin-prod``."""
        return f"mladmin-{self.environment}"

    @property
    def tags(self) -> dict[str, str]:
        """The tags every platform resource carries."""
        return {"owner": self.owner, "environment": self.environment, "team": PLATFORM_TEAM, "cost-center": self.cost_center}

    def team_tags(self, team: TeamSettings) -> dict[str, str]:
        """The tags of a resource that belongs to ``team``."""
        return {**self.tags, "team": team.name}

    @property
    def budget_recipients(self) -> list[str]:
        """Who gets budget alerts: budgets.notifyEmails, else monitoring.alarmEmails."""
        return list(self.budgets.notify_emails or self.monitoring.alarm_emails)


def _with_scope(data: Any, context: Any) -> Any:
    """Add the environment and region (when valid) to the validation context, for the section rules."""
    if isinstance(context, dict) and "scope" in context:
        return context
    environment = region = None
    if isinstance(data, dict):
        environment = data.get("environment")
        region = data.get("region")
    scope = Scope(
        environment=environment if environment in ENVIRONMENTS else None,
        region=region if region in REGIONS else None,
    )
    return {**(context if isinstance(context, dict) else {}), "scope": scope}
