"""Least-privilege roles: the SageMaker execution role and the permissions boundary for team roles
(the roles people assume and their teams' job execution roles)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components import validation as check
from components.policy_documents import (
    Document,
    Statement,
    document,
    known_after,
    role_arn,
    service_trust_policy,
    statement,
    to_json,
)
from components.network import TIER_TAG
from components.tags import Tags, child_opts, tags_problems
from components.training_network import JOB_SECURITY_GROUP_TAGS
from policies.facts.sagemaker_iam import VPC_SUBNETS

# Services with no regional endpoint (or that must stay reachable) for the region-pinning deny.
GLOBAL_SERVICE_ACTIONS = (
    "iam:*", "sts:*", "organizations:*", "account:*", "support:*", "health:*", "budgets:*", "ce:*",
    "cloudfront:*", "route53:*", "waf:*", "trustedadvisor:*", "s3:ListAllMyBuckets", "s3:GetBucketLocation",
)
SAGEMAKER_LOG_GROUPS = "log-group:/aws/sagemaker/*"
# What a SageMaker execution role writes for its jobs and endpoints (CloudWatch Logs).
LOG_WRITE_ACTIONS = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
ECR_PULL_ACTIONS = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
# The SageMaker jobs a team role may start (its own policy says which): as `mladmin launch train` does.
TEAM_JOB_ACTIONS = ("sagemaker:CreateTrainingJob", "sagemaker:CreateProcessingJob",
                    "sagemaker:CreateHyperParameterTuningJob")
# What runs a team's containers on SageMaker instances: its jobs, and models (endpoints and transform
# jobs run a model's VpcConfig). Each defines sagemaker:VpcSubnets (policies/facts/sagemaker_iam.py).
TEAM_COMPUTE_ACTIONS = (*TEAM_JOB_ACTIONS, "sagemaker:CreateModel")


def team_role_name(prefix: str, team: str) -> str:
    """``<prefix>-team-<team>``: the role a team's members (and its Studio apps and pods) act as."""
    return f"{prefix}-team-{team}"


JOB_ROLE_SUFFIX = "-jobs"


def team_job_role_name(prefix: str, team: str) -> str:
    """``<prefix>-team-<team>-jobs``: the execution role of a team's SageMaker jobs and models, which only
    SageMaker assumes; ``team="*"`` gives the pattern of every one (the boundary's PassRole and ENIs)."""
    return f"{team_role_name(prefix, team)}{JOB_ROLE_SUFFIX}"


def sagemaker_role_name(prefix: str) -> str:
    return f"{prefix}-sagemaker-execution"


def data_key_statement(sid: str, actions: Sequence[str], region: str, account_id: str, alias: str,
                       *, via_services: Sequence[str] = ()) -> Statement:
    """Use of the key behind ``alias``, named by alias (``kms:ResourceAliases``) rather than by key ARN.

    The key's ARN holds a random id that only exists after ``pulumi up``; the alias name is chosen
    here, so the document is complete in a preview and policies can check it there. Only key
    administrators (kms:CreateAlias/UpdateAlias on both key and alias) can move an alias.
    """
    conditions: dict[str, dict] = {"ForAnyValue:StringEquals": {"kms:ResourceAliases": alias}}
    if via_services:
        conditions["StringEquals"] = {"kms:ViaService": [f"{s}.{region}.amazonaws.com" for s in via_services]}
    return statement(sid, list(actions), [f"arn:aws:kms:{region}:{account_id}:key/*"], conditions=conditions)


@dataclass(frozen=True)
class IamArgs:
    """Roles for one environment's ML platform. ARNs and the alias usually come from ``Kms`` and ``Storage``."""

    prefix: str                                   # role and policy names start with it
    account_id: str
    region: str
    tags: Tags
    data_key_alias: str                           # Kms.data_alias_name, e.g. "alias/mladmin-prod-data"
    read_bucket_arns: Sequence[pulumi.Input[str]]   # SageMaker reads these (datasets)
    write_bucket_arns: Sequence[pulumi.Input[str]]  # SageMaker reads and writes these (models, checkpoints)
    repository_arns: Sequence[pulumi.Input[str]]    # ECR repositories SageMaker pulls images from
    # The platform SageMaker role's key prefix in the buckets, away from the teams' teams/<name>/
    # prefixes; "" gives it whole buckets (only where no team shares them).
    bucket_prefix: str = "platform"
    metric_namespaces: Sequence[str] = ("/aws/sagemaker/*", "mladmin/*")  # PutMetricData only into these
    # Objects the role writes besides its prefix of the write buckets: endpoint data capture.
    capture_object_arns: Sequence[pulumi.Input[str]] = ()
    # SageMaker in VPC mode: ENIs only in subnets and security groups tagged with this environment.
    vpc_mode: bool = False
    extra_regions: Sequence[str] = ()             # boundary: regions besides ``region`` teams may act in
    max_session_duration: int = 3600              # seconds, for every role built here


class Iam(pulumi.ComponentResource):
    def __init__(self, name: str, args: IamArgs, opts: pulumi.ResourceOptions | None = None):
        check.raise_if_problems("Iam", validate(args))
        super().__init__("mladmin:iam:Iam", name, None, opts)
        self._args = args

        role_name = sagemaker_role_name(args.prefix)
        self.sagemaker_role = aws.iam.Role(
            f"{name}-sagemaker-execution",
            name=role_name,
            description="SageMaker jobs and endpoints: platform buckets, data key, own logs and images only",
            assume_role_policy=to_json(service_trust_policy("sagemaker.amazonaws.com", args.account_id)),
            max_session_duration=args.max_session_duration,
            tags=args.tags.merged({"Name": role_name}),
            opts=child_opts(self),
        )
        aws.iam.RolePolicy(
            f"{name}-sagemaker-execution-policy",
            role=self.sagemaker_role.id,
            policy=to_json(sagemaker_execution_policy(args)),
            opts=child_opts(self),
        )
        if args.vpc_mode:
            aws.iam.RolePolicy(
                f"{name}-sagemaker-vpc-policy",
                role=self.sagemaker_role.id,
                policy=to_json(document(*vpc_mode_statements(args))),
                opts=child_opts(self),
            )

        self.permissions_boundary_name = f"{args.prefix}-team-boundary"
        self.permissions_boundary_arn_string = f"arn:aws:iam::{args.account_id}:policy/{self.permissions_boundary_name}"
        self.permissions_boundary = aws.iam.Policy(
            f"{name}-team-boundary",
            name=self.permissions_boundary_name,
            description="Permissions boundary of every team role: ML work on platform resources, nothing more",
            policy=to_json(team_boundary_policy(args, self.permissions_boundary_arn_string)),
            tags=args.tags.merged({"Name": self.permissions_boundary_name}),
            opts=child_opts(self),
        )

        # Built from the names chosen here (known in a preview), still ordered after the resources.
        self.sagemaker_role_arn = known_after(role_arn(args.account_id, role_name), self.sagemaker_role)
        self.sagemaker_role_name = self.sagemaker_role.name
        self.permissions_boundary_arn = known_after(self.permissions_boundary_arn_string, self.permissions_boundary)
        self.register_outputs(
            {
                "sagemaker_role_arn": self.sagemaker_role_arn,
                "permissions_boundary_arn": self.permissions_boundary_arn,
            }
        )


def _object_arns(bucket_arns: Sequence[pulumi.Input[str]], prefix: str) -> list[pulumi.Output[str]]:
    suffix = f"/{prefix.strip('/')}/*" if prefix.strip("/") else "/*"
    return [pulumi.Output.concat(arn, suffix) for arn in bucket_arns]


def _list_bucket(sid: str, bucket_arns: Sequence[pulumi.Input[str]], prefix: str) -> Statement:
    prefix = prefix.strip("/")
    conditions = {"StringLike": {"s3:prefix": [prefix, f"{prefix}/*"]}} if prefix else None
    return statement(sid, ["s3:ListBucket"], list(bucket_arns), conditions=conditions)


def sagemaker_execution_policy(args: IamArgs) -> Document:
    all_buckets = [*args.read_bucket_arns, *args.write_bucket_arns]
    logs = f"arn:aws:logs:{args.region}:{args.account_id}:{SAGEMAKER_LOG_GROUPS}"
    statements: list[Statement] = [
        _list_bucket("ListPlatformBuckets", all_buckets, args.bucket_prefix),
        statement("LocatePlatformBuckets", ["s3:GetBucketLocation"], all_buckets),
        statement("ReadObjects", ["s3:GetObject", "s3:GetObjectVersion"], _object_arns(all_buckets, args.bucket_prefix)),
    ]
    if args.capture_object_arns:
        statements.append(statement("WriteDataCapture", ["s3:PutObject"], list(args.capture_object_arns)))
    if args.write_bucket_arns:
        statements.append(
            statement(
                "WriteModelsAndCheckpoints",
                ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
                _object_arns(args.write_bucket_arns, args.bucket_prefix),
            )
        )
    statements += [
        data_key_statement("UseDataKey", ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
                           args.region, args.account_id, args.data_key_alias),
        statement("WriteOwnLogs", LOG_WRITE_ACTIONS, [logs]),
        statement("PullPlatformImages", ECR_PULL_ACTIONS, list(args.repository_arns)),
        # ecr:GetAuthorizationToken has no resource-level permissions: "*" is the only valid resource.
        statement("EcrAuthTokenHasNoResourceLevelPermissions", ["ecr:GetAuthorizationToken"], "*"),
        # PutMetricData has no resource-level permissions either; the namespace condition scopes it.
        statement(
            "PutMetricsInOwnNamespaces",
            ["cloudwatch:PutMetricData"],
            "*",
            conditions={"StringLike": {"cloudwatch:namespace": list(args.metric_namespaces)}},
        ),
    ]
    return document(*statements)


def vpc_mode_statements(args: IamArgs) -> list[Statement]:
    """What SageMaker needs to attach jobs and endpoints to the platform VPC.

    The VPC's id (and so an `ec2:Vpc` condition) exists only after `pulumi up`, which would leave
    this document unknown, and unchecked, in a preview. The platform's subnets and security groups
    carry the environment tag instead: an ENI can only be created in them. Managing the ENIs themselves
    is open within the account and region, as AWS's own SageMaker policies have it; only SageMaker can
    use it, since only sagemaker.amazonaws.com may assume this role.
    """
    return vpc_eni_statements(args.region, args.account_id, args.tags.environment)


def vpc_eni_statements(region: str, account_id: str, environment: str) -> list[Statement]:
    """ENIs for SageMaker jobs and endpoints, only in subnets and security groups tagged ``environment``."""
    ec2 = f"arn:aws:ec2:{region}:{account_id}"
    return [
        statement(
            "CreateEnisOnlyInPlatformSubnets",
            ["ec2:CreateNetworkInterface"],
            [f"{ec2}:subnet/*", f"{ec2}:security-group/*"],
            conditions={"StringEquals": {"aws:ResourceTag/environment": environment}},
        ),
        _manage_enis(ec2),
        _describe_network(),
    ]


def job_eni_statements(region: str, account_id: str, environment: str, *, describe: bool = True,
                       principal_pattern: str | None = None) -> list[Statement]:
    """ENIs for SageMaker training and processing jobs only: in the environment's private subnets and
    with the jobs' security group (``components.training_network``), both picked by their tags.

    ``principal_pattern`` (a role ARN pattern) limits managing ENIs, and so creating them, to the roles
    it matches: for a permissions boundary that people's roles share with job roles. ``describe=False``
    leaves out the Describe* calls, for a document that lists them with its other "*"-only actions.
    """
    ec2 = f"arn:aws:ec2:{region}:{account_id}"
    environment_tag = {"aws:ResourceTag/environment": environment}
    private_subnet = {**environment_tag, f"aws:ResourceTag/{TIER_TAG}": "private"}
    job_group = {**environment_tag, **{f"aws:ResourceTag/{key}": value for key, value in JOB_SECURITY_GROUP_TAGS.items()}}
    return [
        statement("CreateJobEnisInPrivateSubnets", ["ec2:CreateNetworkInterface"], [f"{ec2}:subnet/*"],
                  conditions={"StringEquals": private_subnet}),
        statement("CreateJobEnisWithTheJobGroup", ["ec2:CreateNetworkInterface"], [f"{ec2}:security-group/*"],
                  conditions={"StringEquals": job_group}),
        _manage_enis(ec2, principal_pattern),
        *([_describe_network()] if describe else []),
    ]


# The network Describe* calls SageMaker makes as a job's or endpoint's role; they have no resource-level
# permissions ("*" is the only resource).
NETWORK_DESCRIBE_ACTIONS = ("ec2:DescribeNetworkInterfaces", "ec2:DescribeVpcs", "ec2:DescribeSubnets",
                            "ec2:DescribeSecurityGroups", "ec2:DescribeDhcpOptions")


def _manage_enis(ec2: str, principal_pattern: str | None = None) -> Statement:
    # The ENIs SageMaker creates carry no tags, and their subnet and VPC ARNs are unknown in a preview:
    # managing them is open within the account and region, as in AWS's own SageMaker policies, so
    # only roles that nobody but SageMaker assumes may have it.
    return statement(
        "ManageSageMakerEnis",
        ["ec2:CreateNetworkInterface", "ec2:CreateNetworkInterfacePermission",
         "ec2:DeleteNetworkInterface", "ec2:DeleteNetworkInterfacePermission"],
        f"{ec2}:network-interface/*",
        conditions={"ArnLike": {"aws:PrincipalArn": principal_pattern}} if principal_pattern else None,
    )


def _describe_network() -> Statement:
    return statement("DescribeNetworkHasNoResourceLevelPermissions", list(NETWORK_DESCRIBE_ACTIONS), "*")


def team_boundary_policy(args: IamArgs, boundary_arn: str) -> Document:
    """The most any team role or team job role may do, whatever policies it is later given.

    People's team roles and their teams' job execution roles share it, so it covers what members do
    and what a job needs (image pulls, log writes, metrics, ENIs in the VPC); the ENIs only for the
    job roles, which only SageMaker assumes (``aws:PrincipalArn`` tells the two kinds of role apart).
    """
    acct, region = args.account_id, args.region
    all_buckets = [*args.read_bucket_arns, *args.write_bucket_arns]
    regions = [region, *args.extra_regions]
    job_roles = role_arn(acct, team_job_role_name(args.prefix, "*"))
    return document(
        # One statement for buckets and objects (each action matches only its own resource type): the size.
        statement(
            "UsePlatformBuckets",
            ["s3:ListBucket", "s3:GetBucketLocation", "s3:GetObject", "s3:GetObjectVersion", "s3:PutObject",
             "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
            [*all_buckets, *_object_arns(all_buckets, "")],
        ),
        data_key_statement("UseDataKey", ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
                           region, acct, args.data_key_alias),
        # One statement for every action that has no resource-level permissions ("*" is the only resource).
        statement(
            "NoResourceLevelPermissions",
            ["sagemaker:List*", "sagemaker:Search", "sagemaker:GetSearchSuggestions", "ecr:GetAuthorizationToken",
             "cloudwatch:GetMetricData", "cloudwatch:ListMetrics", *NETWORK_DESCRIBE_ACTIONS],
            "*",
        ),
        # Team roles run their jobs as job roles: each team's policy narrows this to its own job role.
        statement(
            "PassJobRolesToSageMaker",
            ["iam:PassRole"],
            [job_roles],
            conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        ),
        statement(
            "PushAndPullPlatformImages",
            [*ECR_PULL_ACTIONS, "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:PutImage",
             "ecr:DescribeImages", "ecr:ListImages", "ecr:DescribeImageScanFindings"],
            list(args.repository_arns),
        ),
        statement(
            "WriteAndReadSageMakerLogs",
            [*LOG_WRITE_ACTIONS, "logs:GetLogEvents", "logs:FilterLogEvents", "logs:StartQuery"],
            [f"arn:aws:logs:{region}:{acct}:{SAGEMAKER_LOG_GROUPS}"],
        ),
        statement(
            "PutMetricsInOwnNamespaces",
            ["cloudwatch:PutMetricData"],
            "*",
            conditions={"StringLike": {"cloudwatch:namespace": list(args.metric_namespaces)}},
        ),
        # SageMaker in this account and region, and two reads: one statement (each action matches only
        # its own service's resources) for the boundary's size.
        statement("SageMakerAndDescribeLogGroupsAndClusters",
                  ["sagemaker:*", "logs:DescribeLogGroups", "eks:DescribeCluster"],
                  [f"arn:aws:sagemaker:{region}:{acct}:*", f"arn:aws:logs:{region}:{acct}:log-group:*",
                   f"arn:aws:eks:{region}:{acct}:cluster/*"]),
        *job_eni_statements(region, acct, args.tags.environment, describe=False, principal_pattern=job_roles),
        # No job or model outside the VPC, where nothing fences its network. VpcConfig needs both
        # Subnets and SecurityGroupIds, so a request without subnets has no VpcConfig at all. Which
        # subnets and groups is fenced by the ENI statements above: a team's job runs as a job role
        # (PassRole), which may create ENIs only in the private subnets with the jobs' group.
        # Their ids are unknown in a preview (and would leave this document unchecked there); their tags are not.
        statement("DenyComputeOutsideTheVpc", list(TEAM_COMPUTE_ACTIONS), "*", effect="Deny",
                  conditions={"Null": {VPC_SUBNETS: "true"}}),
        statement(
            "DenyIamUsersAndRemovingBoundaries",
            ["iam:CreateUser", "iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile",
             "iam:AttachUserPolicy", "iam:PutUserPolicy",
             "iam:DeleteRolePermissionsBoundary", "iam:DeleteUserPermissionsBoundary"],
            "*",
            effect="Deny",
        ),
        statement(
            "DenyRolesWithoutThisBoundary",
            ["iam:CreateRole", "iam:PutRolePermissionsBoundary", "iam:PutUserPermissionsBoundary"],
            "*",
            effect="Deny",
            conditions={"StringNotEquals": {"iam:PermissionsBoundary": boundary_arn}},
        ),
        statement(
            "DenyEditingTheBoundary",
            ["iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion"],
            [boundary_arn],
            effect="Deny",
        ),
        statement(
            "DenyLeavingThePlatformRegions",
            list(GLOBAL_SERVICE_ACTIONS),
            "*",
            effect="Deny",
            not_actions=True,
            conditions={"StringNotEquals": {"aws:RequestedRegion": regions}},
        ),
    )


def trust_problems(trust: Document) -> list[str]:
    """Why a trust policy is not pinned (empty when every statement is)."""
    problems = []
    for i, stmt in enumerate(trust.get("Statement", [])):
        if stmt.get("Effect") != "Allow":
            continue
        principal = stmt.get("Principal")
        values = [principal] if isinstance(principal, str) else [
            v for vs in (principal or {}).values() for v in (vs if isinstance(vs, list) else [vs])
        ]
        if "*" in values:
            problems.append(f"Statement[{i}]: principal '*' trusts everyone")
        if isinstance(principal, dict) and ("Service" in principal or "Federated" in principal) and not stmt.get("Condition"):
            problems.append(f"Statement[{i}]: a service or federated principal needs conditions (aws:SourceAccount, or OIDC sub/aud)")
    return problems


def team_role(
    resource_name: str,
    *,
    role_name: str,
    boundary_arn: pulumi.Input[str],
    assume_role_policy: Document | pulumi.Output[Document],
    tags: dict[str, str],
    parent: pulumi.Resource,
    policy: Document | None = None,
    managed_policy_arns: Sequence[pulumi.Input[str]] = (),
    max_session_duration: int = 3600,
    description: str | None = None,
) -> aws.iam.Role:
    """A team's role, always under the platform's permissions boundary.

    ``assume_role_policy`` must be pinned (see ``components.policy_documents``); a plain-dict
    policy is checked here and refused when it trusts ``*`` or an unconditioned service.
    """
    if isinstance(assume_role_policy, dict):
        problems = trust_problems(assume_role_policy)
        if problems:
            check.raise_if_problems(f"team role {role_name!r} trust policy", problems)
    role = aws.iam.Role(
        resource_name,
        name=role_name,
        description=description or f"Team role {role_name}",
        assume_role_policy=to_json(assume_role_policy) if isinstance(assume_role_policy, dict)
        else pulumi.Output.json_dumps(assume_role_policy),
        permissions_boundary=boundary_arn,
        max_session_duration=max_session_duration,
        tags=tags,
        opts=child_opts(parent),
    )
    if policy is not None:
        aws.iam.RolePolicy(f"{resource_name}-policy", role=role.id, policy=to_json(policy), opts=child_opts(parent))
    for i, arn in enumerate(managed_policy_arns):
        aws.iam.RolePolicyAttachment(f"{resource_name}-attach-{i}", role=role.name, policy_arn=arn, opts=child_opts(parent))
    return role


def validate(args: IamArgs) -> list[str]:
    # IAM role names are at most 64 characters; "-sagemaker-execution" is the longest suffix.
    problems = check.name_prefix("prefix", args.prefix, max_length=64 - len("-sagemaker-execution"))
    problems += data_key_alias_problems("data_key_alias", args.data_key_alias)
    problems += check.account_id("account_id", args.account_id)
    problems += check.region("region", args.region)
    for i, extra in enumerate(args.extra_regions):
        problems += check.region(f"extra_regions[{i}]", extra)
    for field_name in ("read_bucket_arns", "write_bucket_arns", "repository_arns"):
        value = getattr(args, field_name)
        if isinstance(value, (str, pulumi.Output)):
            problems.append(f"{field_name}: expected a list of ARNs, got a single value")
            continue
        for i, arn in enumerate(value):
            if isinstance(arn, str) and ("*" in arn or not arn.startswith("arn:")):
                problems.append(f"{field_name}[{i}]: {arn!r} must be a concrete ARN without wildcards")
    if not list(args.read_bucket_arns) and not list(args.write_bucket_arns):
        problems.append("read_bucket_arns/write_bucket_arns: at least one bucket is required")
    if "*" in args.bucket_prefix:
        problems.append(f"bucket_prefix: {args.bucket_prefix!r} must be a literal key prefix without wildcards")
    if not list(args.metric_namespaces):
        problems.append("metric_namespaces: at least one namespace is required")
    for i, ns in enumerate(args.metric_namespaces):
        if not isinstance(ns, str) or ns.strip() in ("", "*"):
            problems.append(f"metric_namespaces[{i}]: {ns!r} must name a namespace (a trailing * is allowed)")
    problems += check.int_range("max_session_duration", args.max_session_duration, 3600, 43200)
    problems += tags_problems(args.tags)
    return problems


def data_key_alias_problems(field_name: str, alias: object) -> list[str]:
    if not isinstance(alias, str) or not alias.startswith("alias/") or alias.startswith("alias/aws/") or "*" in alias:
        return [f"{field_name}: {alias!r} must be the name of a customer-managed key's alias ('alias/<name>', no wildcards)"]
    return []
