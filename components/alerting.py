"""Who may publish to the alert topic, and use its key: CloudWatch alarms, EventBridge rules, AWS Budgets.

Each service principal is pinned to this account with ``aws:SourceAccount`` (the confused-deputy
guard AWS recommends for SNS and KMS), so neither document is public.
"""

from __future__ import annotations

from components.policy_documents import Document, Statement, document, statement

# The services that send the platform's alerts.
PUBLISHERS = ("cloudwatch.amazonaws.com", "events.amazonaws.com", "budgets.amazonaws.com")


def topic_arn(region: str, account_id: str, topic_name: str) -> str:
    return f"arn:aws:sns:{region}:{account_id}:{topic_name}"


def alert_key_statements(account_id: str, region: str) -> list[Statement]:
    """The publishing services may encrypt messages for the topic; SNS uses the key for this account."""
    return [
        statement(
            "AlertPublishersEncrypt", ["kms:GenerateDataKey*", "kms:Decrypt"], "*",
            principal={"Service": list(PUBLISHERS)},
            conditions={"StringEquals": {"aws:SourceAccount": account_id}},
        ),
        statement(
            "UseThroughSns", ["kms:GenerateDataKey*", "kms:Decrypt", "kms:DescribeKey"], "*",
            principal={"AWS": f"arn:aws:iam::{account_id}:root"},
            conditions={"StringEquals": {"kms:CallerAccount": account_id,
                                         "kms:ViaService": f"sns.{region}.amazonaws.com"}},
        ),
    ]


def topic_policy(arn: str, account_id: str) -> Document:
    """The account manages the topic; the alert services publish to it, on this account's behalf only."""
    return document(
        statement(
            "AccountManagesTopic",
            ["sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:AddPermission", "sns:RemovePermission",
             "sns:DeleteTopic", "sns:Subscribe", "sns:ListSubscriptionsByTopic", "sns:Publish"],
            arn,
            principal={"AWS": f"arn:aws:iam::{account_id}:root"},
        ),
        statement(
            "AlertServicesPublish", ["sns:Publish"], arn,
            principal={"Service": list(PUBLISHERS)},
            conditions={"StringEquals": {"aws:SourceAccount": account_id}},
        ),
    )
