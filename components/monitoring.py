"""An environment's eyes: the alert topic, alarms, log groups, dashboard, CloudTrail and managed metrics."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components import validation as check
from components.alarms import (
    TRAINING_FAILED_INPUT,
    TRAINING_FAILED_PATTERN,
    AlarmSpec,
    EndpointWatch,
    Thresholds,
    cluster_alarms,
    drift_alarm,
    endpoint_alarms,
)
from components.alerting import alert_key_statements, topic_arn, topic_policy
from components.dashboard import dashboard_body
from components.grafana import grafana_workspace
from components.kms import key_policy, via_service_statement
from components.policy_documents import known_after, to_json
from components.tags import Tags, child_opts, tags_problems
from components.trail import TRAIL_KEY_PREFIX, trail_key_statements

# Log groups the agent of the amazon-cloudwatch-observability add-on writes (created here first, so
# they carry the key and the retention instead of the agent's defaults: no key, kept forever).
CONTAINER_INSIGHTS_LOG_GROUPS = ("application", "dataplane", "host", "performance")
CONTAINER_INSIGHTS_ADDON = "amazon-cloudwatch-observability"


@dataclass(frozen=True)
class MonitoringArgs:
    """What to watch in one environment, and where alerts go."""

    prefix: str                          # names: <prefix>-alerts, <prefix>-trail, <prefix>-platform ...
    account_id: str
    region: str
    tags: Tags
    logs_key_arn: pulumi.Input[str]      # Kms.logs_key_arn: every log group created here
    log_retention_days: int              # a CloudWatch Logs retention period
    alarm_emails: Sequence[str] = ()     # subscribed to the alert topic (each confirms by email)
    forward_topic_arn: str | None = None  # an existing topic (the pager) every alarm and event also goes to
    endpoints: Sequence[EndpointWatch] = ()  # SageMaker endpoints: 5xx, latency, traffic and drift alarms
    cluster_name: str | None = None      # EKS cluster with Container Insights: node (and GPU) alarms
    gpu_pools: bool = False              # the cluster has GPU node groups: GPU idle/saturated alarms
    thresholds: Thresholds = Thresholds()
    trail_bucket: str | None = None      # a multi-region CloudTrail into this bucket (its policy must
    #                                      hold components.trail.trail_bucket_statements)
    trail_depends_on: Sequence[pulumi.Resource] = field(default_factory=tuple)  # e.g. that bucket policy
    prometheus: bool = False             # Amazon Managed Prometheus workspace (KMS, logging)
    grafana: bool = False                # Amazon Managed Grafana reading CloudWatch (and Prometheus)
    budget_name: str | None = None       # shown on the dashboard
    protect: bool = False                # protect + retain the keys


class Monitoring(pulumi.ComponentResource):
    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None):
        check.raise_if_problems("Monitoring", validate(args))
        super().__init__("mladmin:monitoring:Monitoring", name, None, opts)
        self._name, self._args = name, args
        acct, region, prefix = args.account_id, args.region, args.prefix

        self.alert_key, alert_key_alias = self._key(
            "alerts", "The alert topic's messages", *alert_key_statements(acct, region))
        topic_name = f"{prefix}-alerts"
        self.topic = aws.sns.Topic(
            f"{name}-alerts",
            name=topic_name,
            display_name=f"{prefix} alerts",
            kms_master_key_id=alias_name(prefix, "alerts"),  # by alias: known in a preview
            tags=self._tags(topic_name),
            opts=child_opts(self, depends_on=[alert_key_alias]),
        )
        self.topic_policy = aws.sns.TopicPolicy(
            f"{name}-alerts-policy",
            arn=self.topic.arn,
            policy=to_json(topic_policy(topic_arn(region, acct, topic_name), acct)),
            opts=child_opts(self),
        )
        # Built from the chosen name: known in a preview, so documents and alarms holding it are too;
        # users wait for the policy (AWS Budgets checks it may publish when a notification is created).
        self.topic_arn = known_after(topic_arn(region, acct, topic_name), self.topic, self.topic_policy)
        for index, email in enumerate(args.alarm_emails):
            aws.sns.TopicSubscription(
                f"{name}-alerts-email-{index}", topic=self.topic.arn, protocol="email", endpoint=email,
                opts=child_opts(self),
            )
        self.alarm_actions: list[pulumi.Input[str]] = [self.topic_arn]
        if args.forward_topic_arn:
            self.alarm_actions.append(args.forward_topic_arn)

        self.log_groups = self._log_groups()
        self.alarms = {spec.name: self._alarm(spec) for spec in self._alarm_specs()}
        self._training_failures()
        self.dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=f"{prefix}-platform",
            dashboard_body=json.dumps(dashboard_body(
                region=region, endpoints=args.endpoints,
                cluster_name=args.cluster_name, budget_name=args.budget_name,
            ), sort_keys=True),
            opts=child_opts(self),
        )
        self.trail = self._trail() if args.trail_bucket else None
        self.prometheus = self._prometheus() if args.prometheus else None
        self.grafana = None
        if args.grafana:
            self.grafana = grafana_workspace(
                self, name, prefix=prefix, account_id=acct, region=region, tags=args.tags,
                prometheus_alias=self.prometheus_alias if self.prometheus else None,
            )
        self.register_outputs({
            "topic_arn": self.topic_arn,
            "alarm_names": sorted(self.alarms),
            "dashboard_name": self.dashboard.dashboard_name,
            "trail_arn": self.trail.arn if self.trail else None,
            "prometheus_endpoint": self.prometheus.prometheus_endpoint if self.prometheus else None,
        })

    def _tags(self, name: str) -> dict[str, str]:
        return self._args.tags.merged({"Name": name})

    def _key(self, purpose: str, description: str, *grants) -> tuple[aws.kms.Key, aws.kms.Alias]:
        args = self._args
        key = aws.kms.Key(
            f"{self._name}-{purpose}-key",
            description=f"{args.prefix} {purpose} key: {description}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            key_usage="ENCRYPT_DECRYPT",
            customer_master_key_spec="SYMMETRIC_DEFAULT",
            policy=to_json(key_policy(args.account_id, (), *grants)),
            tags=args.tags.merged({"Name": f"{args.prefix}-{purpose}", "purpose": purpose}),
            opts=child_opts(self, protect=args.protect, retain_on_delete=args.protect),
        )
        alias = aws.kms.Alias(
            f"{self._name}-{purpose}-key-alias", name=alias_name(args.prefix, purpose), target_key_id=key.key_id,
            opts=child_opts(self),
        )
        return key, alias

    def _log_group(self, suffix: str, group_name: str) -> aws.cloudwatch.LogGroup:
        args = self._args
        return aws.cloudwatch.LogGroup(
            f"{self._name}-logs-{suffix}",
            name=group_name,
            retention_in_days=args.log_retention_days,
            kms_key_id=args.logs_key_arn,
            tags=self._tags(group_name),
            opts=child_opts(self),
        )

    def _log_groups(self) -> dict[str, aws.cloudwatch.LogGroup]:
        """The groups AWS services would otherwise create on first write, unencrypted and kept forever."""
        args = self._args
        groups = {
            f"/aws/sagemaker/Endpoints/{e.name}": self._log_group(f"endpoint-{e.name}", f"/aws/sagemaker/Endpoints/{e.name}")
            for e in args.endpoints
        }
        if args.cluster_name:
            for kind in CONTAINER_INSIGHTS_LOG_GROUPS:
                group = f"/aws/containerinsights/{args.cluster_name}/{kind}"
                groups[group] = self._log_group(f"containerinsights-{kind}", group)
        return groups

    def _alarm_specs(self) -> list[AlarmSpec]:
        args = self._args
        specs: list[AlarmSpec] = []
        for endpoint in args.endpoints:
            specs += endpoint_alarms(endpoint, args.thresholds)
            specs.append(drift_alarm(endpoint, args.thresholds))
        if args.cluster_name:
            specs += cluster_alarms(args.cluster_name, args.thresholds, gpu=args.gpu_pools)
        return specs

    def _alarm(self, spec: AlarmSpec) -> aws.cloudwatch.MetricAlarm:
        return aws.cloudwatch.MetricAlarm(
            f"{self._name}-{spec.name.removeprefix(self._args.prefix + '-')}",
            name=spec.name,
            alarm_description=spec.description,
            actions_enabled=True,
            alarm_actions=self.alarm_actions,
            ok_actions=self.alarm_actions,
            tags=self._tags(spec.name),
            opts=child_opts(self),
            **spec.inputs,
        )

    def _training_failures(self) -> None:
        name, args = self._name, self._args
        rule_name = f"{args.prefix}-training-job-failed"
        self.training_rule = aws.cloudwatch.EventRule(
            f"{name}-training-failed",
            name=rule_name,
            description="A SageMaker training job failed: tell the alert topic",
            event_pattern=json.dumps(TRAINING_FAILED_PATTERN),
            tags=self._tags(rule_name),
            opts=child_opts(self),
        )
        for index, target in enumerate(self.alarm_actions):
            aws.cloudwatch.EventTarget(
                f"{name}-training-failed-target-{index}",
                rule=self.training_rule.name,
                arn=target,
                input_transformer=TRAINING_FAILED_INPUT,
                opts=child_opts(self),
            )

    def _trail(self) -> aws.cloudtrail.Trail:
        args = self._args
        trail_name = f"{args.prefix}-trail"
        self.trail_key, alias = self._key(
            "trail", "CloudTrail log files", *trail_key_statements(args.account_id, args.region, trail_name))
        return aws.cloudtrail.Trail(
            f"{self._name}-trail",
            name=trail_name,
            s3_bucket_name=args.trail_bucket,
            s3_key_prefix=TRAIL_KEY_PREFIX,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_log_file_validation=True,
            # An alias ARN (CloudTrail accepts one): known in a preview.
            kms_key_id=f"arn:aws:kms:{args.region}:{args.account_id}:{alias_name(args.prefix, 'trail')}",
            tags=self._tags(trail_name),
            # The audit record of the account: never deleted by a stack update in a protected environment.
            opts=child_opts(self, depends_on=[alias, *args.trail_depends_on], protect=args.protect),
        )

    def _prometheus(self) -> aws.amp.Workspace:
        args = self._args
        self.metrics_key, _ = self._key(
            "metrics", "Amazon Managed Prometheus workspace",
            via_service_statement("UseThroughPrometheus", args.account_id, ["aps"], args.region))
        self.prometheus_alias = f"{args.prefix}-metrics"
        group = self._log_group("prometheus", f"/aws/prometheus/{args.prefix}")
        self.log_groups[f"/aws/prometheus/{args.prefix}"] = group
        return aws.amp.Workspace(
            f"{self._name}-prometheus",
            alias=self.prometheus_alias,
            kms_key_arn=self.metrics_key.arn,
            logging_configuration={"log_group_arn": pulumi.Output.concat(group.arn, ":*")},
            tags=self._tags(self.prometheus_alias),
            opts=child_opts(self),
        )


def alias_name(prefix: str, purpose: str) -> str:
    return f"alias/{prefix}-{purpose}"


def container_insights_addon(
    owner: pulumi.Resource, name: str, cluster_name: pulumi.Input[str], *,
    tags: Tags, depends_on: Sequence[pulumi.Resource] = (),
) -> aws.eks.Addon:
    """Container Insights with enhanced observability (GPU metrics from the NVIDIA DCGM exporter) on a
    cluster, for the cluster component to call when mladmin:monitoring.containerInsights is on. The
    agent writes with the node role: attach arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy to it
    (or a pod identity for the amazon-cloudwatch/cloudwatch-agent service account)."""
    return aws.eks.Addon(
        f"{name}-container-insights",
        cluster_name=cluster_name,
        addon_name=CONTAINER_INSIGHTS_ADDON,
        resolve_conflicts_on_create="OVERWRITE",
        resolve_conflicts_on_update="OVERWRITE",
        tags=tags.merged({"Name": CONTAINER_INSIGHTS_ADDON}),
        opts=child_opts(owner, depends_on=list(depends_on)),
    )


def validate(args: MonitoringArgs) -> list[str]:
    problems = check.name_prefix("prefix", args.prefix, max_length=40)
    problems += check.account_id("account_id", args.account_id)
    problems += check.region("region", args.region)
    problems += check.log_retention("log_retention_days", args.log_retention_days)
    if len(set(args.alarm_emails)) != len(args.alarm_emails):
        problems.append(f"alarm_emails: {list(args.alarm_emails)} repeats an address")
    for i, email in enumerate(args.alarm_emails):
        if not isinstance(email, str) or "@" not in email:
            problems.append(f"alarm_emails[{i}]: {email!r} is not an email address")
    if args.forward_topic_arn is not None and not str(args.forward_topic_arn).startswith("arn:aws"):
        problems.append(f"forward_topic_arn: {args.forward_topic_arn!r} is not an SNS topic ARN")
    names = [e.name for e in args.endpoints]
    if len(set(names)) != len(names):
        problems.append(f"endpoints: {names} repeats a name")
    if args.gpu_pools and not args.cluster_name:
        problems.append("gpu_pools: True needs cluster_name (the GPU alarms watch that cluster)")
    problems += tags_problems(args.tags)
    return problems
