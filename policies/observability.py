"""Observability and governance: log groups, alarms, SNS, CloudTrail, required tags."""

from __future__ import annotations

from collections.abc import Mapping

from typing import Iterator

from policies.facts.environments import LOG_RETENTION_MIN_DAYS
from policies.spec import ADVISORY, STANDARD, STRICT, Context, Params, Severity, Subject, cis_aws, nist, resource_policy
from policies.keys import customer_key
from policies.taggable import taggable_types
from policies.views import known_items, parse_document, peek, present, truthy

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
SNS_TOPIC = "aws:sns/topic:Topic"
TRAIL = "aws:cloudtrail/trail:Trail"
BUDGET = "aws:budgets/budget:Budget"
PROMETHEUS = "aws:amp/workspace:Workspace"


class RetentionParams(Params):
    min_retention_days: int


@resource_policy(
    id="log-group-retention", area="observability", title="Log group retention",
    description="CloudWatch log groups set a retention period, at least the environment's minimum.",
    severity=Severity.LOW, enforcement=STANDARD, types=(LOG_GROUP,),
    remediation="Set retention_in_days (by default at least "
                + ", ".join(f"{env} {days}" for env, days in LOG_RETENTION_MIN_DAYS.items())
                + " days; parameter minRetentionDays).",
    frameworks=[nist("AU-11")],
    params=RetentionParams,
    param_defaults={env: {"min_retention_days": days} for env, days in LOG_RETENTION_MIN_DAYS.items()},
)
def log_group_retention(resource: Subject, ctx: Context) -> Iterator[str]:
    days = resource.props.get("retentionInDays")
    if not days:
        yield "no retention: logs are kept (and billed) forever"
    elif float(days) < ctx.params.min_retention_days:
        yield f"retention {int(float(days))} days is under the {ctx.environment} minimum of {ctx.params.min_retention_days}"


@resource_policy(
    id="log-group-kms", area="observability", title="Log groups encrypted with KMS",
    description="CloudWatch log groups are encrypted with a customer-managed KMS key.",
    severity=Severity.MEDIUM, enforcement=STANDARD, types=(LOG_GROUP,),
    remediation="Set kms_key_id to the logs KMS key (its policy must allow logs.<region>.amazonaws.com).",
    frameworks=[nist("AU-9"), nist("SC-28")],
)
def log_group_kms(resource: Subject, ctx: Context) -> Iterator[str]:
    if not present(resource.props, "kmsKeyId"):
        yield "log group has no KMS key"


@resource_policy(
    id="alarm-has-actions", area="observability", title="Alarms notify someone",
    description="CloudWatch metric alarms have actions enabled and at least one alarm action.",
    severity=Severity.MEDIUM, enforcement=STANDARD, types=(METRIC_ALARM,),
    remediation="Set alarm_actions to the on-call SNS topic and leave actions_enabled on.",
    frameworks=[nist("SI-4"), nist("IR-6")],
)
def alarm_has_actions(resource: Subject, ctx: Context) -> Iterator[str]:
    if resource.props.get("actionsEnabled") is not None and not truthy(resource.props.get("actionsEnabled")):
        yield "alarm actions are disabled"
    if not present(resource.props, "alarmActions"):
        yield "alarm has no alarm actions"


@resource_policy(
    id="sns-topic-encrypted", area="observability", title="SNS topics encrypted",
    description="SNS topics are encrypted with a KMS key.",
    severity=Severity.MEDIUM, enforcement=STANDARD, types=(SNS_TOPIC,),
    remediation="Set kms_master_key_id to a customer-managed key (CloudWatch must be allowed to use it).",
    frameworks=[nist("SC-28")],
)
def sns_topic_encrypted(resource: Subject, ctx: Context) -> Iterator[str]:
    if not present(resource.props, "kmsMasterKeyId"):
        yield "topic is not encrypted"


@resource_policy(
    id="cloudtrail-log-validation", area="observability", title="CloudTrail log-file validation",
    description="CloudTrail trails validate log files, so tampering is detectable.",
    severity=Severity.HIGH, enforcement=STRICT, types=(TRAIL,),
    remediation="Set enable_log_file_validation=True.",
    frameworks=[cis_aws("3.2"), nist("AU-9")],
)
def cloudtrail_log_validation(resource: Subject, ctx: Context) -> Iterator[str]:
    if not truthy(resource.props.get("enableLogFileValidation")):
        yield "log-file validation is off"


@resource_policy(
    id="cloudtrail-kms", area="observability", title="CloudTrail encrypted with KMS",
    description="CloudTrail trails encrypt their log files with a customer-managed KMS key.",
    severity=Severity.MEDIUM, enforcement=STANDARD, types=(TRAIL,),
    remediation="Set kms_key_id to the logs KMS key.",
    frameworks=[cis_aws("3.5"), nist("AU-9")],
)
def cloudtrail_kms(resource: Subject, ctx: Context) -> Iterator[str]:
    if not present(resource.props, "kmsKeyId"):
        yield "trail logs are not KMS-encrypted"


@resource_policy(
    id="cloudtrail-multi-region", area="observability", title="CloudTrail in every region",
    description="CloudTrail trails record every region (and the global services' events), so activity in a "
                "region nobody watches is still logged.",
    severity=Severity.HIGH, enforcement=STANDARD, types=(TRAIL,),
    remediation="Set is_multi_region_trail=True and leave include_global_service_events on (with "
                "enable_log_file_validation=True and kms_key_id, checked by the other CloudTrail policies).",
    frameworks=[cis_aws("3.1"), nist("AU-2"), nist("AU-12")],
)
def cloudtrail_multi_region(resource: Subject, ctx: Context) -> Iterator[str]:
    if not truthy(resource.props.get("isMultiRegionTrail")):
        yield "trail records only its own region (is_multi_region_trail is off)"
    if resource.props.get("includeGlobalServiceEvents") is not None and not truthy(resource.props.get("includeGlobalServiceEvents")):
        yield "trail leaves out global service events (IAM, STS, CloudFront)"


@resource_policy(
    id="budget-notifies", area="observability", title="Budgets tell someone",
    description="AWS Budgets have at least one notification with a subscriber (an email address or an SNS "
                "topic): a budget nobody hears from limits nothing.",
    severity=Severity.MEDIUM, enforcement=STANDARD, types=(BUDGET,),
    remediation="Add notifications (thresholds of actual or forecast spend) with subscriber_email_addresses "
                "or subscriber_sns_topic_arns.",
    frameworks=[nist("SI-4"), nist("PM-3")],
)
def budget_notifies(resource: Subject, ctx: Context) -> Iterator[str]:
    notifications = known_items(peek(resource.props, "notifications"))
    if not notifications:
        yield "budget has no notifications"
        return
    for index, notification in enumerate(notifications):
        if not (present(notification, "subscriberEmailAddresses") or present(notification, "subscriberSnsTopicArns")):
            yield f"notification {index + 1} has no subscriber"


@resource_policy(
    id="prometheus-workspace-kms", area="observability", title="Prometheus workspaces encrypted with KMS",
    description="Amazon Managed Prometheus workspaces encrypt their metrics with a customer-managed KMS key.",
    severity=Severity.MEDIUM, enforcement=STANDARD, types=(PROMETHEUS,),
    remediation="Set kms_key_arn to a key whose policy lets this account use it through aps.<region>.amazonaws.com.",
    frameworks=[nist("SC-28")],
)
def prometheus_workspace_kms(resource: Subject, ctx: Context) -> Iterator[str]:
    if not customer_key(resource.props, "kmsKeyArn"):
        yield "workspace uses an AWS-owned key"


@resource_policy(
    id="prometheus-workspace-logging", area="observability", title="Prometheus workspaces log",
    description="Amazon Managed Prometheus workspaces send their logs (rule evaluation, alert manager, "
                "ingestion errors) to a CloudWatch log group.",
    severity=Severity.LOW, enforcement=STANDARD, types=(PROMETHEUS,),
    remediation="Set logging_configuration.log_group_arn to a log group (with KMS and retention), the ARN ending ':*'.",
    frameworks=[nist("AU-2"), nist("AU-12")],
)
def prometheus_workspace_logging(resource: Subject, ctx: Context) -> Iterator[str]:
    if not present(peek(resource.props, "loggingConfiguration", default={}), "logGroupArn"):
        yield "workspace sends no logs"


DEFAULT_TAG_KEYS = ["owner", "environment", "team", "cost-center"]


class TagParams(Params):
    required_tags: list[str] = list(DEFAULT_TAG_KEYS)


def effective_tags(resource: Subject) -> dict:
    """The provider's default tags overlaid with the resource's own: `tagsAll` as pulumi-aws's Check
    computes it, else worked out here. The SDK sends a provider's object inputs as JSON strings
    (pulumi_aws.Provider encodes default_tags with to_json)."""
    if isinstance(resource.props.get("tagsAll"), Mapping):
        return dict(resource.props["tagsAll"])
    tags: dict = {}
    defaults = parse_document(resource.provider_props.get("defaultTags")) if resource.provider_props else None
    if isinstance(defaults, Mapping) and isinstance(defaults.get("tags"), Mapping):
        tags.update(defaults["tags"])
    if isinstance(resource.props.get("tags"), Mapping):
        tags.update(resource.props["tags"])
    return tags


@resource_policy(
    id="required-tags", area="governance", title="Required tags",
    description="Every taggable AWS resource carries the tag keys the stack's policy config names "
                "(mladmin:policy.parameters.required-tags.requiredTags; by default owner, environment, team and "
                "cost-center), as its own tags or the provider's default tags. Advisory unless the stack's config "
                "makes it mandatory (mladmin:policy.enforcement.required-tags), so a program that follows another "
                "tagging convention is not blocked by ours.",
    severity=Severity.MEDIUM, enforcement=ADVISORY,
    remediation="Pass the shared tags (components.tags) to the resource, or set them as the provider's default_tags; "
                "set the keys your organisation uses under mladmin:policy.parameters.required-tags.requiredTags.",
    frameworks=[nist("CM-8"), nist("PM-5")],
    params=TagParams,
)
def required_tags(resource: Subject, ctx: Context) -> Iterator[str]:
    if resource.type not in taggable_types():
        return
    tags = effective_tags(resource)
    missing = [t for t in ctx.params.required_tags if not str(tags.get(t) or "").strip()]
    if missing:
        source = ("the pack's default keys: set mladmin:policy.parameters.required-tags.requiredTags to your own"
                  if list(ctx.params.required_tags) == DEFAULT_TAG_KEYS else "keys from mladmin:policy")
        yield f"missing tags: {', '.join(missing)} ({source})"


@resource_policy(
    id="environment-tag-matches", area="governance", title="Environment tag matches the stack",
    description="The environment tag of every tagged AWS resource names the stack's environment.",
    severity=Severity.LOW, enforcement=ADVISORY,
    remediation="Build tags from the stack's settings (components.tags.Tags), not by hand.",
    frameworks=[nist("CM-8")],
)
def environment_tag_matches(resource: Subject, ctx: Context) -> Iterator[str]:
    if resource.type not in taggable_types():
        return
    value = effective_tags(resource).get("environment")
    if value and value != ctx.environment:
        yield f"environment tag is '{value}' in the {ctx.environment} stack"
