"""IAM policy documents as data.

Documents are plain dicts (values may be ``pulumi.Output``s) serialised once with
``to_json`` (``pulumi.Output.json_dumps``), never assembled from JSON strings. Trust policies are
always pinned: a service principal with ``aws:SourceAccount``, an OIDC provider with ``sub`` and
``aud`` conditions, or named principal ARNs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi

VERSION = "2012-10-17"

Document = dict[str, Any]
Statement = dict[str, Any]


def statement(
    sid: str,
    actions: Sequence[str],
    resources: Sequence[pulumi.Input[str]] | pulumi.Input[str],
    *,
    effect: str = "Allow",
    conditions: Mapping[str, Mapping[str, Any]] | None = None,
    not_actions: bool = False,
    principal: Mapping[str, Any] | None = None,
) -> Statement:
    """One statement; ``not_actions=True`` writes ``NotAction`` (for region-pinning denies).

    ``principal`` is only for resource policies (key and bucket policies), e.g. ``{"Service": ...}``.
    """
    body: Statement = {"Sid": sid, "Effect": effect}
    if principal is not None:
        body["Principal"] = dict(principal)
    body["NotAction" if not_actions else "Action"] = list(actions)
    body["Resource"] = resources if isinstance(resources, (str, pulumi.Output)) else list(resources)
    if conditions:
        body["Condition"] = {op: dict(kv) for op, kv in conditions.items()}
    return body


def known_after(value: str, *resources: pulumi.Resource) -> pulumi.Output[str]:
    """A value the program already knows (an ARN built from a name it chose) that still depends on
    ``resources``: known in a preview, so documents built from it can be checked there, while
    whatever uses it is still created after those resources."""
    # A resource's URN is known in a preview, so a value derived from it is too and carries the
    # dependency on the resource.
    return pulumi.Output.all(*(r.urn for r in resources)).apply(lambda _: value)


def role_arn(account_id: str, name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{account_id}:role{path}{name}"


def document(*statements: Statement) -> Document:
    return {"Version": VERSION, "Statement": list(statements)}


def to_json(doc: Document) -> pulumi.Output[str]:
    """Serialise a document once, resolving any Outputs inside it."""
    return pulumi.Output.json_dumps(doc, sort_keys=False)


def service_trust_policy(
    services: str | Sequence[str],
    account_id: str,
    *,
    source_arns: Sequence[pulumi.Input[str]] | None = None,
) -> Document:
    """Trust a service principal, only on behalf of this account (confused-deputy protection)."""
    principals = [services] if isinstance(services, str) else list(services)
    conditions: dict[str, dict[str, Any]] = {"StringEquals": {"aws:SourceAccount": account_id}}
    if source_arns:
        conditions["ArnLike"] = {"aws:SourceArn": list(source_arns)}
    return document(
        {
            "Sid": "TrustServiceForThisAccountOnly",
            "Effect": "Allow",
            "Principal": {"Service": principals if len(principals) > 1 else principals[0]},
            "Action": "sts:AssumeRole",
            "Condition": conditions,
        }
    )


def oidc_trust_policy(
    provider_arn: pulumi.Input[str],
    provider_url: pulumi.Input[str],
    subjects: Sequence[str],
    *,
    audience: str = "sts.amazonaws.com",
) -> pulumi.Output[Document]:
    """Trust web identities from one OIDC provider (e.g. an EKS service account), pinned by sub and aud.

    ``provider_url`` may carry the ``https://`` scheme; the condition keys use the bare host/path.
    """
    if not subjects:
        raise ValueError("oidc_trust_policy: at least one subject is required (an unpinned OIDC trust is refused)")

    def build(args: list[str]) -> Document:
        arn, url = args
        host = url.removeprefix("https://")
        conditions: dict[str, dict[str, Any]] = {"StringEquals": {f"{host}:aud": audience}}
        # A wildcard subject (e.g. every service account of one namespace) needs StringLike.
        operator = "StringLike" if any("*" in s for s in subjects) else "StringEquals"
        conditions.setdefault(operator, {})[f"{host}:sub"] = list(subjects)
        return document(
            {
                "Sid": "TrustPinnedWebIdentity",
                "Effect": "Allow",
                "Principal": {"Federated": arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": conditions,
            }
        )

    return pulumi.Output.all(provider_arn, provider_url).apply(build)


def principal_trust_policy(
    principal_arns: Sequence[pulumi.Input[str]],
    account_id: str,
    *,
    require_mfa: bool = False,
) -> Document:
    """Trust named IAM principals (e.g. SSO permission-set roles) of this account, never ``*``."""
    if not principal_arns:
        raise ValueError("principal_trust_policy: at least one principal ARN is required")
    conditions: dict[str, dict[str, Any]] = {"StringEquals": {"aws:PrincipalAccount": account_id}}
    if require_mfa:
        conditions["Bool"] = {"aws:MultiFactorAuthPresent": "true"}
    return document(
        {
            "Sid": "TrustNamedPrincipals",
            "Effect": "Allow",
            "Principal": {"AWS": list(principal_arns)},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Condition": conditions,
        }
    )


def deny_insecure_transport(bucket_arn: pulumi.Input[str]) -> Statement:
    """Deny every S3 call on a bucket and its objects that does not use TLS."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",  # a Deny must cover everyone; this is not a grant
        "Action": "s3:*",
        "Resource": [bucket_arn, pulumi.Output.concat(bucket_arn, "/*")],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
