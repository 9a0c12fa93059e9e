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
    container_insights: bool = Field(True, description="EKS Container Insights (GPU and pod metrics). Default true.")

    @model_validator(mode="after")
    def _check(self, info: ValidationInfo) -> "MonitoringSettings":
        scope = scope_of(info)
        problems = Problems()
        for index, email in duplicates(self.alarm_emails):
            problems.add(("alarmEmails", index), f"{show(email)} is listed twice")
        retention = log_retention_problem(self.log_retention_days, scope.environment)
        if retention:
            problems.add("logRetentionDays", retention)
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

    @model_validator(mode="after")
    def _check(self) -> "BudgetSettings":
        problems = Problems()
        for index, value in duplicates(self.thresholds_percent):
            problems.add(("thresholdsPercent", index), f"{show(value)} is listed twice")
        for index, email in duplicates(self.notify_emails):
            problems.add(("notifyEmails", index), f"{show(email)} is listed twice")
        problems.raise_if_any()
        return self
