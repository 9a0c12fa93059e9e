"""IAM: wildcard admin statements, managed admin policies, trust policies, boundaries, users."""

from __future__ import annotations

from collections.abc import Mapping

import fnmatch
from typing import Iterator

from policies.spec import STANDARD, STRICT, Context, Params, Severity, Subject, cis_aws, nist, resource_policy
from policies.statements import is_public, restricting_conditions
from policies.views import as_list, is_allow, known_items, peek, present, statements

POLICY = "aws:iam/policy:Policy"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
USER_POLICY = "aws:iam/userPolicy:UserPolicy"
GROUP_POLICY = "aws:iam/groupPolicy:GroupPolicy"
ROLE = "aws:iam/role:Role"
ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
POLICY_ATTACHMENT = "aws:iam/policyAttachment:PolicyAttachment"
ROLE_ATTACHMENTS_EXCLUSIVE = "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive"
USER = "aws:iam/user:User"
ACCESS_KEY = "aws:iam/accessKey:AccessKey"
USER_LOGIN_PROFILE = "aws:iam/userLoginProfile:UserLoginProfile"

ADMIN_MANAGED_POLICIES = ("AdministratorAccess", "PowerUserAccess", "IAMFullAccess")


def _documents(resource: Subject) -> list:
    if resource.type == ROLE:
        return [p.get("policy") for p in as_list(resource.props.get("inlinePolicies")) if isinstance(p, Mapping)]
    return [resource.props.get("policy")]


def _wildcard(values: object) -> bool:
    return any(v in ("*", "*:*") for v in as_list(values))


@resource_policy(
    id="iam-no-wildcard-admin", area="iam", title="No '*' on '*' IAM statements",
    description="No IAM policy statement allows every action ('*') on every resource ('*').",
    severity=Severity.CRITICAL, enforcement=STRICT, types=(POLICY, ROLE_POLICY, USER_POLICY, GROUP_POLICY, ROLE),
    remediation="List the actions the workload needs and scope Resource to the ARNs it touches.",
    frameworks=[cis_aws("1.16"), nist("AC-6")],
)
def iam_no_wildcard_admin(resource: Subject, ctx: Context) -> Iterator[str]:
    for document in _documents(resource):
        for statement in statements(document):
            if is_allow(statement) and _wildcard(statement.get("Action")) and _wildcard(statement.get("Resource")):
                yield f"statement {statement.get('Sid', '(no Sid)')} allows '*' on '*'"


@resource_policy(
    id="iam-passrole-scoped", area="iam", title="iam:PassRole scoped",
    description="No IAM statement allows iam:PassRole on every resource.",
    severity=Severity.HIGH, enforcement=STRICT, types=(POLICY, ROLE_POLICY, USER_POLICY, GROUP_POLICY, ROLE),
    remediation="Scope iam:PassRole to the role ARNs the workload hands to services, with an iam:PassedToService condition.",
    frameworks=[nist("AC-6")],
)
def iam_passrole_scoped(resource: Subject, ctx: Context) -> Iterator[str]:
    for document in _documents(resource):
        for statement in statements(document):
            actions = [str(a).lower() for a in as_list(statement.get("Action"))]
            passes = any(a in ("iam:passrole", "iam:*") for a in actions)
            if is_allow(statement) and passes and _wildcard(statement.get("Resource")):
                yield f"statement {statement.get('Sid', '(no Sid)')} allows iam:PassRole on '*'"


def _admin_arns(values: object) -> list[str]:
    return [str(a) for a in as_list(values)
            if ":iam::aws:policy/" in str(a) and str(a).rsplit("/", 1)[-1] in ADMIN_MANAGED_POLICIES]


@resource_policy(
    id="iam-no-admin-managed-policies", area="iam", title="No AWS-managed admin policies on roles",
    description="Workload roles get no AWS-managed administrator policies (AdministratorAccess, PowerUserAccess, "
                "IAMFullAccess).",
    severity=Severity.CRITICAL, enforcement=STRICT,
    types=(ROLE, ROLE_POLICY_ATTACHMENT, POLICY_ATTACHMENT, ROLE_ATTACHMENTS_EXCLUSIVE),
    remediation="Attach a customer-managed least-privilege policy instead; keep administrator access to the "
                "break-glass role, exempted in config with a reason and an expiry.",
    frameworks=[cis_aws("1.16"), nist("AC-6"), nist("AC-2")],
)
def iam_no_admin_managed_policies(resource: Subject, ctx: Context) -> Iterator[str]:
    prop = {ROLE: "managedPolicyArns", ROLE_ATTACHMENTS_EXCLUSIVE: "policyArns"}.get(resource.type, "policyArn")
    # An ARN unknown in preview is an output of a policy created in this stack, never an AWS-managed one.
    known = [v for v in known_items(peek(resource.props, prop)) if isinstance(v, str)]
    for arn in _admin_arns(known):
        yield f"AWS-managed admin policy {arn.rsplit('/', 1)[-1]} attached"


@resource_policy(
    id="iam-trust-policy-pinned", area="iam", title="Trust policies pinned",
    description="Role trust policies name their principals: no '*' principal unless a condition limits the "
                "caller, and web-identity (OIDC) trust pins both the token's sub and aud (StringEquals/StringLike "
                "to values that are not wildcards).",
    severity=Severity.CRITICAL, enforcement=STRICT, types=(ROLE,),
    remediation="Trust a service principal or named role; for OIDC (IRSA, CI) add StringEquals conditions on "
                "<provider>:sub (the service account or repository) and <provider>:aud.",
    frameworks=[nist("AC-3"), nist("IA-2")],
)
def iam_trust_policy_pinned(resource: Subject, ctx: Context) -> Iterator[str]:
    for statement in statements(resource.props.get("assumeRolePolicy")):
        if not is_allow(statement):
            continue
        sid = statement.get("Sid", "(no Sid)")
        if is_public(statement):
            yield f"statement {sid} lets any principal assume the role (no condition limits the principal)"
        actions = [str(a) for a in as_list(statement.get("Action"))]
        if any(a in ("sts:AssumeRoleWithWebIdentity", "sts:*") for a in actions):
            keys = [key for _, key in restricting_conditions(statement)]
            missing = [k for k in ("sub", "aud") if not any(key.endswith(f":{k}") for key in keys)]
            if missing:
                yield f"statement {sid}: web-identity trust without a condition on {' and '.join(missing)}"


class BoundaryParams(Params):
    team_role_patterns: list[str] = ["*-team-*", "team-*", "*-team"]
    platform_teams: list[str] = ["ml-platform", "platform"]


@resource_policy(
    id="iam-team-role-boundary", area="iam", title="Permissions boundary on team roles",
    description="Roles handed to teams (named like a team role, or tagged with a team other than the platform "
                "team) have a permissions boundary.",
    severity=Severity.HIGH, enforcement=STANDARD, types=(ROLE,),
    remediation="Create team roles through components.iam.team_role, which sets permissions_boundary to the "
                "platform's team boundary policy.",
    frameworks=[nist("AC-6"), nist("AC-2")],
    params=BoundaryParams,
)
def iam_team_role_boundary(resource: Subject, ctx: Context) -> Iterator[str]:
    names = {resource.name, str(resource.props.get("name") or "")}
    team = (resource.props.get("tags") or {}).get("team")
    by_name = any(fnmatch.fnmatchcase(n, p) for n in names if n for p in ctx.params.team_role_patterns)
    by_tag = team is not None and team not in ctx.params.platform_teams
    if (by_name or by_tag) and not present(resource.props, "permissionsBoundary"):
        yield f"team role (team={team}) has no permissions boundary"


@resource_policy(
    id="iam-no-users", area="iam", title="No IAM users",
    description="No IAM users or login profiles: people sign in through SSO, workloads use roles.",
    severity=Severity.HIGH, enforcement=STRICT, types=(USER, USER_LOGIN_PROFILE),
    remediation="Use IAM Identity Center for people and roles (IRSA, instance profiles, OIDC) for workloads.",
    frameworks=[cis_aws("1.15"), nist("AC-2"), nist("IA-2")],
)
def iam_no_users(resource: Subject, ctx: Context) -> Iterator[str]:
    yield "IAM user declared" if resource.type == USER else "console password for an IAM user declared"


@resource_policy(
    id="iam-no-access-keys", area="iam", title="No IAM access keys",
    description="No long-lived IAM access keys.",
    severity=Severity.CRITICAL, enforcement=STRICT, types=(ACCESS_KEY,),
    remediation="Remove the access key; use a role with short-lived credentials (OIDC federation for CI).",
    frameworks=[cis_aws("1.4"), nist("IA-5")],
)
def iam_no_access_keys(resource: Subject, ctx: Context) -> Iterator[str]:
    yield "long-lived access key declared"
