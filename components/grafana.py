"""Amazon Managed Grafana for one environment, with a role that can only read its metrics.

The workspace is CUSTOMER_MANAGED: Grafana assumes the role below (trusting grafana.amazonaws.com for
this account only), which reads CloudWatch metrics and alarms and queries the environment's Prometheus
workspace (named by its Name tag, known before the workspace exists), and nothing else.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.policy_documents import Document, document, role_arn, service_trust_policy, statement, to_json
from components.tags import Tags, child_opts

CLOUDWATCH_READ_ACTIONS = [
    "cloudwatch:DescribeAlarmsForMetric", "cloudwatch:DescribeAlarmHistory", "cloudwatch:DescribeAlarms",
    "cloudwatch:ListMetrics", "cloudwatch:GetMetricData", "cloudwatch:GetMetricStatistics",
    "cloudwatch:GetInsightRuleReport",
]
PROMETHEUS_QUERY_ACTIONS = ["aps:QueryMetrics", "aps:GetSeries", "aps:GetLabels", "aps:GetMetricMetadata",
                            "aps:DescribeWorkspace"]


def grafana_role_name(prefix: str) -> str:
    return f"{prefix}-grafana"


def grafana_policy(account_id: str, region: str, prometheus_alias: str | None) -> Document:
    """Read CloudWatch metrics in this region; query only the environment's Prometheus workspace."""
    statements = [
        statement("ReadCloudWatchMetricsInRegion", CLOUDWATCH_READ_ACTIONS, "*",
                  conditions={"StringEquals": {"aws:RequestedRegion": region}}),
        statement("FindPrometheusWorkspaces", ["aps:ListWorkspaces"],
                  f"arn:aws:aps:{region}:{account_id}:*"),
    ]
    if prometheus_alias:
        statements.append(statement(
            "QueryThisEnvironmentsPrometheus", PROMETHEUS_QUERY_ACTIONS,
            f"arn:aws:aps:{region}:{account_id}:workspace/*",
            conditions={"StringEquals": {"aws:ResourceTag/Name": prometheus_alias}},
        ))
    return document(*statements)


def grafana_workspace(
    owner: pulumi.Resource, name: str, *, prefix: str, account_id: str, region: str, tags: Tags,
    prometheus_alias: str | None,
) -> aws.grafana.Workspace:
    role_name = grafana_role_name(prefix)
    role = aws.iam.Role(
        f"{name}-grafana-role",
        name=role_name,
        description=f"Amazon Managed Grafana of {prefix}: read metrics",
        assume_role_policy=to_json(service_trust_policy("grafana.amazonaws.com", account_id)),
        tags=tags.merged({"Name": role_name}),
        opts=child_opts(owner),
    )
    policy = aws.iam.RolePolicy(
        f"{name}-grafana-read",
        role=role.id,
        policy=to_json(grafana_policy(account_id, region, prometheus_alias)),
        opts=child_opts(owner),
    )
    sources = ["CLOUDWATCH", "PROMETHEUS"] if prometheus_alias else ["CLOUDWATCH"]
    return aws.grafana.Workspace(
        f"{name}-grafana",
        name=prefix,
        description=f"{prefix} dashboards",
        account_access_type="CURRENT_ACCOUNT",
        authentication_providers=["AWS_SSO"],
        permission_type="CUSTOMER_MANAGED",
        role_arn=role_arn(account_id, role_name),
        data_sources=sources,
        tags=tags.merged({"Name": prefix}),
        opts=child_opts(owner, depends_on=[role, policy]),
    )
