"""Per-team access: two IAM roles per team, both under the platform's permissions boundary.

A team's role ``<prefix>-team-<name>`` is assumed by its members (IAM Identity Center
permission-set sessions of this account whose ``team`` attribute names the team), by SageMaker as the
execution role of the team's Studio user profiles, and by EKS Pod Identity for the team's service
account on the platform's cluster. It reaches only the team's prefix ``teams/<name>/`` of the data
buckets, SageMaker jobs and models named ``<name>-*``, the platform's images, and can pass only the
team's job role, only to SageMaker.

The team's job role ``<prefix>-team-<name>-jobs`` is the execution role of its SageMaker jobs and
models, and only SageMaker (for this account) assumes it: the same prefix, images and data key, the
jobs' log streams and metrics, and the network interfaces of its jobs in the platform VPC (private
subnets, the jobs' security group; managing ENIs cannot be fenced further, so no person holds it).

Its jobs are started the way `mladmin launch train` starts them or not at all: in the VPC (the
permissions boundary denies any other), with their outputs and volumes under a KMS key of the
platform's account and region, network isolation and encrypted traffic between instances unless the
team's own jobs in the stack file turn them off (``TeamArgs``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi

from components import validation as check
from components.iam import (
    ECR_PULL_ACTIONS,
    LOG_WRITE_ACTIONS,
    SAGEMAKER_LOG_GROUPS,
    TEAM_JOB_ACTIONS,
    data_key_alias_problems,
    data_key_statement,
    JOB_ROLE_SUFFIX,
    job_eni_statements,
    team_job_role_name,
    team_role,
    team_role_name,
)
from components.addon_policies import pod_identity_trust_policy
from components.policy_documents import document, known_after, role_arn, service_trust_policy, statement
from components.tags import Tags, tags_problems
from policies.facts.instance_types import INSTANCE_STORE_FAMILIES, SAGEMAKER_PREFIX
from policies.facts.sagemaker_iam import (
    INSTANCE_TYPES,
    INTER_CONTAINER_TRAFFIC_ENCRYPTION,
    NETWORK_ISOLATION,
    OUTPUT_KMS_KEY,
    VOLUME_KMS_KEY,
)

TEAM_PREFIX = "teams"
SAGEMAKER_TEAM_RESOURCES = ("training-job", "processing-job", "transform-job", "hyper-parameter-tuning-job",
                            "model", "endpoint-config", "endpoint", "experiment", "experiment-trial")
# The roles IAM Identity Center creates for permission sets, with or without the Region in the path.
IDENTITY_CENTER_ROLE_PATTERNS = (
    "arn:aws:iam::{account}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_*",
    "arn:aws:iam::{account}:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_*",
)


def team_prefix(team: str) -> str:
    """The key prefix a team reaches in every data bucket, ``teams/<team>/``."""
    return f"{TEAM_PREFIX}/{team}/"


@dataclass(frozen=True)
class TeamArgs:
    name: str                                   # lower-case, also the data prefix teams/<name>/
    owner: str                                  # e-mail of who answers for the team's spend (tagged)
    # What the team's SageMaker jobs may turn off; the stack sets these when one of the team's jobs
    # in mladmin:sagemaker.trainingJobs does. Default: every job is network-isolated and encrypts
    # the traffic between its instances.
    jobs_without_network_isolation: bool = False
    jobs_without_traffic_encryption: bool = False


@dataclass(frozen=True)
class TeamsArgs:
    prefix: str                                 # role names: <prefix>-team-<name>, <prefix>-team-<name>-jobs
    account_id: str
    region: str
    tags: Tags                                  # the platform's tags; each role gets team=<name>
    boundary_arn: pulumi.Input[str]             # Iam.permissions_boundary_arn
    data_key_alias: str                         # Kms.data_alias_name (objects are SSE-KMS)
    bucket_arns: Mapping[str, pulumi.Input[str]]  # purpose -> bucket ARN (datasets, models, checkpoints)
    repository_arns: Sequence[pulumi.Input[str]] = ()  # ECR repositories the team's jobs pull images from
    teams: Sequence[TeamArgs] = field(default_factory=tuple)
    # Who signs in as a member: principals of this account whose ARN matches one of these patterns
    # ("{account}" and "{team}" are filled in) and, unless member_tag is None, whose session tag
    # member_tag names the team. The default is IAM Identity Center with a `team` attribute for access
    # control. No MFA condition: Identity Center sessions never carry aws:MultiFactorAuthPresent
    # (Identity Center enforces MFA at sign-in).
    member_principal_patterns: Sequence[str] = IDENTITY_CENTER_ROLE_PATTERNS
    member_tag: str | None = "team"             # None: each pattern must contain "{team}" instead
    max_session_duration: int = 3600            # seconds
    # The EKS cluster whose Pod Identity may hand the role to the team's service account
    # (components.tenancy binds it); None: no pods act as the team.
    pod_identity_cluster_arn: str | None = None


class Teams(pulumi.ComponentResource):
    def __init__(self, name: str, args: TeamsArgs, opts: pulumi.ResourceOptions | None = None):
        check.raise_if_problems("Teams", validate(args))
        super().__init__("mladmin:teams:Teams", name, None, opts)
        self.roles = {}
        self.role_arns = {}
        self.job_roles = {}
        self.job_role_arns = {}
        for team in args.teams:
            role_name = team_role_name(args.prefix, team.name)
            job_role_name = team_job_role_name(args.prefix, team.name)
            tags = args.tags.for_team(team.name).merged({"team-owner": team.owner})
            self.job_roles[team.name] = team_role(
                f"{name}-{team.name}-jobs",
                role_name=job_role_name,
                boundary_arn=args.boundary_arn,
                assume_role_policy=service_trust_policy("sagemaker.amazonaws.com", args.account_id),
                policy=job_policy(args, team),
                tags=tags,
                parent=self,
                max_session_duration=args.max_session_duration,
                description=f"Team {team.name}'s SageMaker jobs and models: its data prefix, images, logs, job ENIs",
            )
            self.job_role_arns[team.name] = known_after(role_arn(args.account_id, job_role_name),
                                                        self.job_roles[team.name])
            self.roles[team.name] = team_role(
                f"{name}-{team.name}",
                role_name=role_name,
                boundary_arn=args.boundary_arn,
                assume_role_policy=trust_policy(args, team.name),
                policy=access_policy(args, team, role_arn(args.account_id, job_role_name)),
                tags=tags,
                parent=self,
                max_session_duration=args.max_session_duration,
                description=f"Team {team.name}: its data prefix, SageMaker jobs and endpoints",
            )
            self.role_arns[team.name] = known_after(role_arn(args.account_id, role_name), self.roles[team.name])
        self.register_outputs({"role_arns": self.role_arns, "job_role_arns": self.job_role_arns})


def trust_policy(args: TeamsArgs, team: str) -> dict:
    """Members, SageMaker (the team's Studio user profiles run as this role) and Pod Identity."""
    patterns = [p.format(account=args.account_id, team=team) for p in args.member_principal_patterns]
    member_conditions: dict[str, dict] = {"ArnLike": {"aws:PrincipalArn": patterns},
                                          "StringEquals": {"aws:PrincipalAccount": args.account_id}}
    if args.member_tag:
        member_conditions["StringEquals"][f"aws:PrincipalTag/{args.member_tag}"] = team
    return document(
        {"Sid": "TeamMembers", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{args.account_id}:root"},
         "Action": ["sts:AssumeRole", "sts:TagSession"], "Condition": member_conditions},
        {"Sid": "SageMakerStudioOfThisAccount", "Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"},
         "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:SourceAccount": args.account_id}}},
        *([pod_identity_trust_policy(args.account_id, args.pod_identity_cluster_arn)["Statement"][0]]
          if args.pod_identity_cluster_arn else []),
    )


def _own_prefix(args: TeamsArgs, team: str) -> list[dict]:
    """The team's ``teams/<name>/`` in every data bucket, and the data key through S3 for its objects."""
    prefix = team_prefix(team)
    buckets = list(args.bucket_arns.values())
    objects = [pulumi.Output.concat(arn, f"/{prefix}*") for arn in buckets]
    return [
        statement("ListOwnPrefix", ["s3:ListBucket"], buckets,
                  conditions={"StringLike": {"s3:prefix": [prefix, f"{prefix}*"]}}),
        statement("ReadWriteOwnPrefix", ["s3:GetObject", "s3:PutObject", "s3:DeleteObject",
                                         "s3:AbortMultipartUpload"], objects),
        data_key_statement("UseDataKeyThroughS3", ["kms:Decrypt", "kms:GenerateDataKey"], args.region,
                           args.account_id, args.data_key_alias, via_services=["s3"]),
    ]


def _image_pulls(args: TeamsArgs) -> list[dict]:
    if not args.repository_arns:
        return []
    return [
        statement("PullPlatformImages", ECR_PULL_ACTIONS, list(args.repository_arns)),
        # ecr:GetAuthorizationToken has no resource-level permissions.
        statement("EcrAuthTokenHasNoResourceLevelPermissions", ["ecr:GetAuthorizationToken"], "*"),
    ]


def access_policy(args: TeamsArgs, team_args: TeamArgs, job_role_arn: str) -> dict:
    """What a member does (and the team's Studio apps and pods, which run as this role): the team's
    prefix, its SageMaker work, run as the team's job role, and its images (Studio's custom images)."""
    region, acct, team = args.region, args.account_id, team_args.name
    sagemaker = [f"arn:aws:sagemaker:{region}:{acct}:{kind}/{team}-*" for kind in SAGEMAKER_TEAM_RESOURCES]
    statements = [
        *_own_prefix(args, team),
        statement("RunOwnSageMakerWork", ["sagemaker:CreateTrainingJob", "sagemaker:DescribeTrainingJob",
                                          "sagemaker:StopTrainingJob", "sagemaker:CreateProcessingJob",
                                          "sagemaker:DescribeProcessingJob", "sagemaker:CreateModel",
                                          "sagemaker:DescribeModel", "sagemaker:CreateEndpointConfig",
                                          "sagemaker:CreateEndpoint", "sagemaker:DescribeEndpoint",
                                          "sagemaker:UpdateEndpoint", "sagemaker:InvokeEndpoint",
                                          "sagemaker:AddTags"], sagemaker,
                  conditions={"StringEquals": {"aws:RequestedRegion": region}}),
        statement("PassOnlyOwnJobRoleToSageMaker", ["iam:PassRole"], [job_role_arn],
                  conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}),
        # The role that makes the Create* calls is the one these denies must hold.
        *job_guard_statements(region, acct, team_args),
    ]
    if args.pod_identity_cluster_arn:
        # Members build their kubeconfig (`aws eks update-kubeconfig`); what they may do inside the
        # cluster is the access entry's: their own namespace only.
        statements.append(statement("DescribeOwnCluster", ["eks:DescribeCluster"], [args.pod_identity_cluster_arn]))
    return document(*statements, *_image_pulls(args))


def job_policy(args: TeamsArgs, team_args: TeamArgs) -> dict:
    """What the team's jobs and models need as they run: its prefix, images, log streams, metrics and
    the ENIs of a job in the platform VPC (`mladmin launch train` always sends a VpcConfig)."""
    region, acct, team = args.region, args.account_id, team_args.name
    logs = f"arn:aws:logs:{region}:{acct}:{SAGEMAKER_LOG_GROUPS}"
    return document(
        *_own_prefix(args, team),
        # Their log groups, and only the team's streams in them (job streams are named <job>/...,
        # endpoint groups /aws/sagemaker/Endpoints/<endpoint>).
        statement("CreateJobLogStreams", [a for a in LOG_WRITE_ACTIONS if a != "logs:PutLogEvents"], [logs]),
        statement("WriteOwnJobLogs", ["logs:PutLogEvents"],
                  [f"{logs}:log-stream:{team}-*",
                   f"arn:aws:logs:{region}:{acct}:log-group:/aws/sagemaker/Endpoints/{team}-*"]),
        statement("PutJobMetrics", ["cloudwatch:PutMetricData"], "*",
                  conditions={"StringLike": {"cloudwatch:namespace": "/aws/sagemaker/*"}}),
        *job_eni_statements(region, acct, args.tags.environment),
        *_image_pulls(args),
    )


def job_guard_statements(region: str, account_id: str, team: TeamArgs) -> list[dict]:
    """Denies for the team's job requests that `mladmin launch train` would not send.

    The data key's ARN holds a random id, unknown in a preview (which would leave this document
    unchecked there): a job must name a key of this account and region, and the data key is the only
    one whose key policy lets SageMaker and this role use it. Instance types with local NVMe take no
    volume key (their instance store is encrypted by the hardware); every other type needs one.
    Negated operators and ``...IfExists`` also deny a request that leaves the parameter out.
    """
    jobs = list(TEAM_JOB_ACTIONS)
    account_keys = f"arn:aws:kms:{region}:{account_id}:key/*"
    local_nvme = [f"{SAGEMAKER_PREFIX}{family}.*" for family in sorted(INSTANCE_STORE_FAMILIES)]
    statements = [
        statement("DenyJobOutputsWithoutAnAccountKey", jobs, "*", effect="Deny",
                  conditions={"ArnNotLike": {OUTPUT_KMS_KEY: account_keys}}),
        statement("DenyJobVolumesWithAnotherKey", jobs, "*", effect="Deny",
                  conditions={"Null": {VOLUME_KMS_KEY: "false"}, "ArnNotLike": {VOLUME_KMS_KEY: account_keys}}),
        statement("DenyJobVolumesWithoutAKey", jobs, "*", effect="Deny",
                  conditions={"Null": {VOLUME_KMS_KEY: "true"},
                              "ForAnyValue:StringNotLike": {INSTANCE_TYPES: local_nvme}}),
    ]
    if not team.jobs_without_network_isolation:
        statements.append(statement("DenyJobsWithoutNetworkIsolation", jobs, "*", effect="Deny",
                                    conditions={"BoolIfExists": {NETWORK_ISOLATION: "false"}}))
    if not team.jobs_without_traffic_encryption:
        statements.append(statement("DenyJobsWithUnencryptedTraffic", jobs, "*", effect="Deny",
                                    conditions={"BoolIfExists": {INTER_CONTAINER_TRAFFIC_ENCRYPTION: "false"}}))
    return statements


def validate(args: TeamsArgs) -> list[str]:
    problems = check.name_prefix("prefix", args.prefix, max_length=40)
    problems += check.account_id("account_id", args.account_id)
    problems += check.region("region", args.region)
    problems += tags_problems(args.tags)
    problems += data_key_alias_problems("data_key_alias", args.data_key_alias)
    names = [team.name for team in args.teams]
    for duplicate in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"teams: {duplicate!r} appears more than once")
    for i, team in enumerate(args.teams):
        # The longest role name: <prefix>-team-<name>-jobs (IAM role names are at most 64 characters).
        problems += check.name_prefix(f"teams[{i}].name", team.name,
                                      max_length=64 - len(team_job_role_name(args.prefix, "")))
        if team.name.endswith(JOB_ROLE_SUFFIX):
            problems.append(f"teams[{i}].name: {team.name!r} must not end in {JOB_ROLE_SUFFIX!r} (its role "
                            f"would be named like team {team.name.removesuffix(JOB_ROLE_SUFFIX)!r}'s job role)")
    if args.pod_identity_cluster_arn is not None and not str(args.pod_identity_cluster_arn).startswith(
            f"arn:aws:eks:{args.region}:{args.account_id}:cluster/"):
        problems.append(f"pod_identity_cluster_arn: {args.pod_identity_cluster_arn!r} is not an EKS cluster of "
                        "this account and region")
    if not args.bucket_arns:
        problems.append("bucket_arns: expected at least one bucket for the team prefixes")
    if isinstance(args.member_principal_patterns, str) or not list(args.member_principal_patterns):
        problems.append("member_principal_patterns: expected a list of at least one principal ARN pattern")
    else:
        for i, pattern in enumerate(args.member_principal_patterns):
            if not isinstance(pattern, str) or not pattern.startswith("arn:aws:iam::{account}:"):
                problems.append(f"member_principal_patterns[{i}]: {pattern!r} must start with "
                                "'arn:aws:iam::{account}:' (members come from this account only)")
            elif args.member_tag is None and "{team}" not in pattern:
                problems.append(f"member_principal_patterns[{i}]: {pattern!r} must contain '{{team}}' when "
                                "member_tag is None, or every member could assume every team's role")
    return problems
