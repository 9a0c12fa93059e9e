"""Offline IAM evaluation for one request in one account, as the IAM User Guide documents it.

"Policy evaluation logic" (single account; no SCPs, RCPs or session policies):

1. An explicit Deny in any applicable policy (identity, permissions boundary, resource) wins.
2. A resource-based policy that names the caller grants on its own, with one limit: a grant to an
   IAM *role ARN* is still limited by the role's permissions boundary (a grant to a role *session*
   ARN, an IAM user ARN or the ``*`` principal is not). A grant to the account
   (``arn:aws:iam::<acct>:root`` or the bare account id) only delegates to IAM: it adds nothing by
   itself. (IAM User Guide, "Policy evaluation for requests within a single account".)
3. Otherwise the identity-based policies must allow, and so must the permissions boundary if the
   principal has one (the boundary intersects the identity-based permissions).
4. Some resource policies must allow in every case: a KMS key policy ("no IAM policy alone gives
   access to a KMS key") and a role's trust policy for ``sts:AssumeRole*``. Pass them with
   ``resource_policy_required=True``.

Requests across accounts need both sides (identity and resource policy) to allow. Service
principals (``Service(...)``) are judged by the resource policy alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Union

from policies.iam_conditions import (
    action_matches,
    as_list,
    conditions_hold,
    normalise_context,
    resources_match,
)

Document = Mapping[str, Any]
VARIABLES_VERSION = "2012-10-17"   # policy variables are only replaced in this policy language version


@dataclass(frozen=True)
class Principal:
    """An IAM role or user making requests, with everything IAM knows about it."""

    arn: str                                        # arn:aws:iam::<acct>:role/<path><name> (aws:PrincipalArn)
    identity_policies: Sequence[Document] = ()      # inline and attached managed policies
    permissions_boundary: Document | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    session_name: str | None = None                 # for a role: the assumed-role session's name

    @property
    def account(self) -> str:
        return self.arn.split(":")[4]

    @property
    def is_role(self) -> bool:
        return self.arn.split(":", 5)[5].startswith("role/")

    @property
    def session_arn(self) -> str | None:
        if not self.is_role:
            return None
        name = self.arn.split(":", 5)[5].rsplit("/", 1)[-1]
        return f"arn:aws:sts::{self.account}:assumed-role/{name}/{self.session_name or 'session'}"

    def context(self) -> dict[str, Any]:
        keys: dict[str, Any] = {"aws:PrincipalArn": self.arn, "aws:PrincipalAccount": self.account,
                                "aws:PrincipalType": "AssumedRole" if self.is_role else "User"}
        if not self.is_role:
            keys["aws:username"] = self.arn.rsplit("/", 1)[-1]
        for key, value in self.tags.items():
            keys[f"aws:PrincipalTag/{key}"] = value
        if self.tags:
            keys["aws:PrincipalTagKeys"] = list(self.tags)
        return keys


@dataclass(frozen=True)
class Service:
    """An AWS service principal, e.g. ``Service("sagemaker.amazonaws.com")``."""

    name: str

    def context(self) -> dict[str, Any]:
        return {"aws:PrincipalServiceName": self.name}


Caller = Union[Principal, Service]


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


def statements(document: Document | None) -> list[Mapping[str, Any]]:
    if not document:
        return []
    return [s for s in as_list(document.get("Statement")) if isinstance(s, Mapping)]


def _variables(document: Document) -> bool:
    return document.get("Version") == VARIABLES_VERSION


def _applies(stmt: Mapping[str, Any], action: str, resource: str, context: Mapping[str, Any], variables: bool) -> bool:
    if "NotAction" in stmt:
        if any(action_matches(a, action) for a in as_list(stmt["NotAction"])):
            return False
    elif not any(action_matches(a, action) for a in as_list(stmt.get("Action"))):
        return False
    if "NotResource" in stmt:
        if resources_match(as_list(stmt["NotResource"]), resource, context, variables=variables):
            return False
    elif "Resource" in stmt and not resources_match(as_list(stmt["Resource"]), resource, context, variables=variables):
        return False  # trust policies have no Resource element: they apply to their own role
    return conditions_hold(stmt.get("Condition"), context, variables=variables)


# How a resource policy's Principal element names the caller, most to least direct.
SESSION, USER, ROLE, EVERYONE, ACCOUNT = "session", "user", "role", "everyone", "account"


def _principal_match(element: Any, caller: Caller) -> str | None:
    if element == "*":
        return EVERYONE
    if not isinstance(element, Mapping):
        return None
    if isinstance(caller, Service):
        return SESSION if caller.name in as_list(element.get("Service")) else None
    found = None
    for value in as_list(element.get("AWS")):
        value = str(value)
        if value == "*":
            found = found or EVERYONE
        elif caller.session_arn and value == caller.session_arn:
            return SESSION
        elif value == caller.arn:
            return ROLE if caller.is_role else USER
        elif value in (caller.account, f"arn:aws:iam::{caller.account}:root"):
            found = found or ACCOUNT
    return found


def _resource_grants(document: Document, caller: Caller, action: str, resource: str, context) -> set[str]:
    grants = set()
    for stmt in statements(document):
        if stmt.get("Effect") != "Allow":
            continue
        how = _principal_match(stmt.get("Principal"), caller)
        if how and _applies(stmt, action, resource, context, _variables(document)):
            grants.add(how)
    return grants


def _denied_by(document: Document | None, label: str, caller: Caller, action: str, resource: str, context,
               *, resource_policy: bool) -> str | None:
    for stmt in statements(document):
        if stmt.get("Effect") != "Deny":
            continue
        if resource_policy:
            if "NotPrincipal" in stmt:
                if _principal_match(stmt["NotPrincipal"], caller) in (SESSION, USER, ROLE):
                    continue
            elif _principal_match(stmt.get("Principal"), caller) is None:
                continue
        if _applies(stmt, action, resource, context, _variables(document)):
            return f"explicit deny in {label} statement {stmt.get('Sid', '(no Sid)')}"
    return None


def _allowed_by(documents: Sequence[Document], action: str, resource: str, context) -> bool:
    return any(
        stmt.get("Effect") == "Allow" and _applies(stmt, action, resource, context, _variables(doc))
        for doc in documents for stmt in statements(doc)
    )


def evaluate(
    caller: Caller,
    action: str,
    resource: str,
    *,
    context: Mapping[str, Any] | None = None,
    resource_policy: Document | None = None,
    resource_account: str | None = None,
    resource_policy_required: bool = False,
) -> Decision:
    """Allow or deny one request; ``reason`` says which rule decided."""
    ctx = normalise_context({**caller.context(), **(context or {})})
    policy_label = "resource policy"
    if isinstance(caller, Service):
        denied = _denied_by(resource_policy, policy_label, caller, action, resource, ctx, resource_policy=True)
        if denied:
            return Decision(False, denied)
        if _resource_grants(resource_policy or {}, caller, action, resource, ctx):
            return Decision(True, "resource policy allows the service")
        return Decision(False, "no resource policy statement allows the service")

    for document in caller.identity_policies:
        denied = _denied_by(document, "identity policy", caller, action, resource, ctx, resource_policy=False)
        if denied:
            return Decision(False, denied)
    denied = _denied_by(caller.permissions_boundary, "permissions boundary", caller, action, resource, ctx,
                        resource_policy=False) or \
        _denied_by(resource_policy, policy_label, caller, action, resource, ctx, resource_policy=True)
    if denied:
        return Decision(False, denied)

    identity = _allowed_by(caller.identity_policies, action, resource, ctx)
    boundary = caller.permissions_boundary is None or _allowed_by([caller.permissions_boundary], action, resource, ctx)
    grants = _resource_grants(resource_policy, caller, action, resource, ctx) if resource_policy else set()

    if resource_account and resource_account != caller.account:
        if not (identity and boundary):
            return Decision(False, "cross-account: the identity side (identity policy and boundary) does not allow")
        if not grants:
            return Decision(False, "cross-account: the resource policy does not allow")
        return Decision(True, "cross-account: both the identity side and the resource policy allow")

    if resource_policy_required and not grants:
        return Decision(False, "the resource policy (key or trust policy) does not allow")
    if grants & {SESSION, USER, EVERYONE}:
        return Decision(True, "resource policy names the session, the user or '*'")
    if ROLE in grants:
        if boundary:
            return Decision(True, "resource policy names the role, and the boundary allows")
        return Decision(False, "resource policy names the role, but the permissions boundary does not allow")
    if not identity:
        return Decision(False, "no identity policy allows" if not grants else
                        "the resource policy delegates to IAM, but no identity policy allows")
    if not boundary:
        return Decision(False, "the identity policy allows, but the permissions boundary does not")
    return Decision(True, "identity policy and boundary allow" + (" (resource policy delegates to IAM)" if grants else ""))
