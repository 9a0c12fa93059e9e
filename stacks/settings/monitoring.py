"""Monitoring and budget settings: log retention, alarm recipients, monthly spend limits."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, ValidationInfo, model_validator

from .base import Email, LogRetentionDays, SettingsModel, duplicates, scope_of, show
from .errors import Problems
from .rules import LOG_RETENTION_MINIMA_TEXT as _MINIMA, log_retention_problem

_SNS_ARN = re.compile(r"^arn:aws(-cn|-us-gov)?:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$")


def _sns_arn(value: str) -> str:
    if not _SNS_ARN.match(value):
        raise ValueError(
            f"{show(value)} is not an SNS topic ARN (expected arn:aws:sns:<region>:<account>:<topic>)"
        )
    return value


SnsTopicArn = Annotated[str, AfterValidator(_sns_arn)]
ThresholdPercent = Annotated[float, Field(gt=0, le=1000)]


class AlarmSettings(SettingsModel):
    """``mladmin:monitoring.alarms``: when the platform's alarms fire."""

    error_rate_percent: float = Field(
        1.0, gt=0, le=100, description="Endpoint 5xx responses as a share of invocations over 5 minutes. Default 1."
    )
    latency_p99_ms: float = Field(
        2000.0, gt=0, description="p99 of an endpoint's model latency, in milliseconds, for 15 minutes. Default 2000."
    )
    no_invocations_minutes: int = Field(
        60, ge=5, le=1440, multiple_of=5,
        description="Alarm when an endpoint receives no request for this long (minutes, a multiple of 5). Default 60.",
    )
    gpu_idle_percent: float = Field(
        10.0, gt=0, le=100, description="Cluster GPU utilisation under this is idle (money burning). Default 10.",
    )
    gpu_idle_hours: int = Field(3, ge=1, le=24, description="Hours of idle GPUs before the alarm fires. Default 3.")
    gpu_saturated_percent: float = Field(
        95.0, gt=0, le=100, description="Cluster GPU utilisation over this for 30 minutes is saturated. Default 95.",
    )
    drift_threshold: float = Field(
        0.2, gt=0,
        description="PromptDrift (largest PSI, from `mladmin drift --publish-cloudwatch`) above which an endpoint's "
        "drift alarm fires; keep it equal to the drift command's --threshold. Default 0.2.",
    )

    @model_validator(mode="after")
    def _check(self) -> "AlarmSettings":
        problems = Problems()
        if self.gpu_idle_percent >= self.gpu_saturated_percent:
            problems.add("gpuIdlePercent", f"{self.gpu_idle_percent:g} is not below gpuSaturatedPercent "
                         f"{self.gpu_saturated_percent:g}")
        problems.raise_if_any()
        return self


class MonitoringSettings(SettingsModel):
    """``mladmin:monitoring``: CloudWatch logs, Container Insights and where alarms go."""

    log_retention_days: LogRetentionDays = Field(
        30,
        description="Retention of the platform's log groups (EKS control plane, SageMaker, workloads), a "
        f"CloudWatch Logs period. Default 30; at least {_MINIMA} days.",
    )
    alarm_emails: list[Email] = Field(
        default_factory=list, description="Addresses subscribed to the alarm topic. Default none."
    )
    sns_topic_arn: SnsTopicArn | None = Field(
        None, description="An existing SNS topic alarms also go to (e.g. the on-call pager). Default none."
    )
    container_insights: bool = Field(
        True,
        description="The Container Insights log groups (KMS, retention) and the GPU and node alarms on Container "
        "Insights metrics. The amazon-cloudwatch-observability add-on that publishes them is not installed by the "
        "stack yet (components.monitoring.container_insights_addon; its version is not pinned in policies/facts). "
        "Default true.",
    )
    cloudtrail: bool | None = Field(
        None,
        description="A multi-region CloudTrail trail into the logs bucket. Default: on in staging and prod, off in dev; "
        "prod requires it.",
    )
    prometheus: bool = Field(
        False,
        description="An Amazon Managed Prometheus workspace (KMS, logging). No scraper feeds it yet "
        "(components.prometheus.dcgm_scraper is not wired). Default false.",
    )
    grafana: bool = Field(
        False,
        description="An Amazon Managed Grafana workspace (IAM Identity Center sign-in) reading CloudWatch and the "
        "Prometheus workspace through a role scoped to them. Default false.",
    )
    alarms: AlarmSettings = Field(default_factory=AlarmSettings, description="Alarm thresholds. Default: see alarms.*.")

    @model_validator(mode="after")
    def _check(self, info: ValidationInfo) -> "MonitoringSettings":
        scope = scope_of(info)
        problems = Problems()
        for index, email in duplicates(self.alarm_emails):
            problems.add(("alarmEmails", index), f"{show(email)} is listed twice")
        retention = log_retention_problem(self.log_retention_days, scope.environment)
        if retention:
            problems.add("logRetentionDays", retention)
        if self.cloudtrail is None:
            self.cloudtrail = scope.environment in ("staging", "prod")
        if scope.is_prod and self.cloudtrail is False:
            problems.add("cloudtrail", "false is not allowed in prod (expected true: prod records every API call)")
        if scope.is_prod:
            if not self.alarm_emails and self.sns_topic_arn is None:
                problems.add(
                    "alarmEmails",
                    "missing (prod alarms need a recipient: expected alarmEmails or snsTopicArn)",
                )
        problems.raise_if_any()
        return self


class BudgetSettings(SettingsModel):
    """``mladmin:budgets``: an AWS Budget on the environment's monthly cost."""

    monthly_limit_usd: float = Field(1000.0, gt=0, description="Monthly cost limit in USD. Default 1000.")
    thresholds_percent: list[ThresholdPercent] = Field(
        default_factory=lambda: [50.0, 80.0, 100.0],
        min_length=1,
        max_length=5,
        description="Alert at these percentages of the limit (actual spend; forecast too when forecastAlerts). "
        "Default [50, 80, 100].",
    )
    notify_emails: list[Email] = Field(
        default_factory=list,
        max_length=10,
        description="Budget alert recipients (AWS allows 10). Default: monitoring.alarmEmails.",
    )
    forecast_alerts: bool = Field(True, description="Also alert when the forecast crosses a threshold. Default true.")
    activate_cost_allocation_tags: bool = Field(
        True,
        description="Activate the owner, environment, team and cost-center tags for cost allocation (account-wide; "
        "kept when the stack is destroyed). AWS refuses until a tag has appeared in billing data (up to a day "
        "on a new account): turn off for that first deployment. Default true.",
    )

    @model_validator(mode="after")
    def _check(self) -> "BudgetSettings":
        problems = Problems()
        for index, value in duplicates(self.thresholds_percent):
            problems.add(("thresholdsPercent", index), f"{show(value)} is listed twice")
        for index, email in duplicates(self.notify_emails):
            problems.add(("notifyEmails", index), f"{show(email)} is listed twice")
        problems.raise_if_any()
        return self
