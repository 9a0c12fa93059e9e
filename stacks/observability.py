"""Build an environment's monitoring and budgets from its settings (mladmin:monitoring, mladmin:budgets)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.alarms import EndpointWatch, Thresholds
from components.bucket import bucket_arn
from components.budgets import Budgets, BudgetsArgs, TeamBudget
from components.monitoring import Monitoring, MonitoringArgs
from components.policy_documents import Statement
from components.storage import LOGS_BUCKET, bucket_name
from components.tags import REQUIRED_TAG_KEYS, Tags
from components.trail import trail_bucket_statements
from stacks.settings import Settings

if TYPE_CHECKING:
    from stacks.platform import Platform


def endpoint_name(settings: Settings, endpoint: str) -> str:
    """The SageMaker name of a mladmin:sagemaker.endpoints entry: ``<prefix>-<endpoint>``."""
    return f"{settings.prefix}-{endpoint}"


def trail_name(settings: Settings) -> str:
    return f"{settings.prefix}-trail"


def container_insights(settings: Settings) -> bool:
    """Whether the stack creates the Container Insights log groups and the node and GPU alarms on its metrics
    (the add-on that publishes them, components.monitoring.container_insights_addon, is not installed yet)."""
    return settings.monitoring.container_insights


def logs_bucket_statements(settings: Settings, account_id: str) -> list[Statement]:
    """What the logs bucket's policy must also allow: CloudTrail's delivery, when the trail is on."""
    if not settings.monitoring.cloudtrail:
        return []
    name = bucket_name(settings.prefix, LOGS_BUCKET, account_id, settings.region)
    return trail_bucket_statements(bucket_arn(name), account_id, settings.region, trail_name(settings))


def build_monitoring(settings: Settings, platform: "Platform", account_id: str, tags: Tags) -> Monitoring:
    from stacks.platform import cluster_name  # the platform module composes this one

    mon = settings.monitoring
    insights = container_insights(settings)
    return Monitoring("monitoring", MonitoringArgs(
        prefix=settings.prefix,
        account_id=account_id,
        region=settings.region,
        tags=tags,
        logs_key_arn=platform.kms.logs_key_arn,
        log_retention_days=mon.log_retention_days,
        alarm_emails=list(mon.alarm_emails),
        forward_topic_arn=mon.sns_topic_arn,
        endpoints=[EndpointWatch(endpoint_name(settings, e.name), e.variant_name) for e in settings.sagemaker.endpoints],
        cluster_name=cluster_name(settings) if insights else None,
        gpu_pools=insights and any(group.gpu for group in settings.cluster.node_groups),
        thresholds=Thresholds(**mon.alarms.model_dump()),
        trail_bucket=platform.storage.logs_bucket.name if mon.cloudtrail else None,
        trail_depends_on=[platform.storage.logs_bucket.policy] if mon.cloudtrail else [],
        prometheus=mon.prometheus,
        grafana=mon.grafana,
        budget_name=f"{settings.prefix}-monthly",
        protect=settings.storage.protect,
    ))


def build_budgets(settings: Settings, monitoring: Monitoring, tags: Tags) -> Budgets:
    budgets = settings.budgets
    return Budgets("budgets", BudgetsArgs(
        prefix=settings.prefix,
        environment=settings.environment,
        tags=tags,
        monthly_limit_usd=budgets.monthly_limit_usd,
        thresholds_percent=list(budgets.thresholds_percent),
        forecast_alerts=budgets.forecast_alerts,
        notify_emails=settings.budget_recipients,
        alert_topic_arn=monitoring.topic_arn,
        teams=[TeamBudget(team.name, team.monthly_budget_usd, team.owner)
               for team in settings.teams if team.monthly_budget_usd],
        cost_allocation_tags=REQUIRED_TAG_KEYS if budgets.activate_cost_allocation_tags else (),
    ))
