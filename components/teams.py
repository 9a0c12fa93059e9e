"""Per-team access: one IAM role per team, always under the platform's permissions boundary.

A team's role is assumed by its members (principals of this account tagged ``team=<name>``, with
MFA) and by SageMaker for the team's jobs. It reaches only the team's prefix ``teams/<name>/`` of
the data buckets, SageMaker jobs and models named ``<name>-*``, and can pass only itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi

from components import validation as check
from components.iam import team_role
from components.policy_documents import document, statement
from components.tags import Tags, tags_problems

TEAM_PREFIX = "teams"
SAGEMAKER_TEAM_RESOURCES = ("training-job", "processing-job", "transform-job", "hyper-parameter-tuning-job",
                            "model", "endpoint-config", "endpoint", "experiment", "experiment-trial")


@dataclass(frozen=True)
class TeamArgs:
    name: str                                   # lower-case, also the data prefix teams/<name>/
    owner: str                                  # e-mail of who answers for the team's spend (tagged)


@dataclass(frozen=True)
class TeamsArgs:
    prefix: str                                 # role names: <prefix>-team-<name>
    account_id: str
    region: str
    tags: Tags                                  # the platform's tags; each role gets team=<name>
    boundary_arn: pulumi.Input[str]             # Iam.permissions_boundary_arn
    data_key_arn: pulumi.Input[str]             # Kms.data_key_arn (objects are SSE-KMS)
    bucket_arns: Mapping[str, pulumi.Input[str]]  # purpose -> bucket ARN (datasets, models, checkpoints)
    teams: Sequence[TeamArgs] = field(default_factory=tuple)
    require_mfa: bool = True                    # members must have signed in with MFA
    max_session_duration: int = 3600            # seconds


class Teams(pulumi.ComponentResource):
    def __init__(self, name: str, args: TeamsArgs, opts: pulumi.ResourceOptions | None = None):
        check.raise_if_problems("Teams", validate(args))
        super().__init__("mladmin:teams:Teams", name, None, opts)
        self.roles = {}
        for team in args.teams:
            role_name = f"{args.prefix}-team-{team.name}"
            role_arn = f"arn:aws:iam::{args.account_id}:role/{role_name}"
            self.roles[team.name] = team_role(
                f"{name}-{team.name}",
                role_name=role_name,
                boundary_arn=args.boundary_arn,
                assume_role_policy=trust_policy(args, team.name),
                policy=access_policy(args, team.name, role_arn),
                tags=args.tags.for_team(team.name).merged({"team-owner": team.owner}),
                parent=self,
                max_session_duration=args.max_session_duration,
                description=f"Team {team.name}: its data prefix, SageMaker jobs and endpoints",
            )
        self.role_arns = {team: role.arn for team, role in self.roles.items()}
        self.register_outputs({"role_arns": self.role_arns})


def trust_policy(args: TeamsArgs, team: str) -> dict:
    member_conditions = {"StringEquals": {"aws:PrincipalAccount": args.account_id, "aws:PrincipalTag/team": team}}
    if args.require_mfa:
        member_conditions["Bool"] = {"aws:MultiFactorAuthPresent": "true"}
    return document(
        {"Sid": "TeamMembers", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{args.account_id}:root"},
         "Action": ["sts:AssumeRole", "sts:TagSession"], "Condition": member_conditions},
        {"Sid": "SageMakerJobsOfThisAccount", "Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"},
         "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:SourceAccount": args.account_id}}},
    )


def access_policy(args: TeamsArgs, team: str, role_arn: str) -> dict:
    prefix = f"{TEAM_PREFIX}/{team}/"
    buckets = list(args.bucket_arns.values())
    objects = [pulumi.Output.concat(arn, f"/{prefix}*") for arn in buckets]
    sagemaker = [f"arn:aws:sagemaker:{args.region}:{args.account_id}:{kind}/{team}-*"
                 for kind in SAGEMAKER_TEAM_RESOURCES]
    return document(
        statement("ListOwnPrefix", ["s3:ListBucket"], buckets,
                  conditions={"StringLike": {"s3:prefix": [prefix, f"{prefix}*"]}}),
        statement("ReadWriteOwnPrefix", ["s3:GetObject", "s3:PutObject", "s3:DeleteObject",
                                         "s3:AbortMultipartUpload"], objects),
        statement("UseDataKeyThroughS3", ["kms:Decrypt", "kms:GenerateDataKey"], [args.data_key_arn],
                  conditions={"StringEquals": {"kms:ViaService": f"s3.{args.region}.amazonaws.com"}}),
        statement("RunOwnSageMakerWork", ["sagemaker:CreateTrainingJob", "sagemaker:DescribeTrainingJob",
                                          "sagemaker:StopTrainingJob", "sagemaker:CreateProcessingJob",
                                          "sagemaker:DescribeProcessingJob", "sagemaker:CreateModel",
                                          "sagemaker:DescribeModel", "sagemaker:CreateEndpointConfig",
                                          "sagemaker:CreateEndpoint", "sagemaker:DescribeEndpoint",
                                          "sagemaker:UpdateEndpoint", "sagemaker:InvokeEndpoint",
                                          "sagemaker:AddTags"], sagemaker,
                  conditions={"StringEquals": {"aws:RequestedRegion": args.region}}),
        statement("PassOnlyItselfToSageMaker", ["iam:PassRole"], [role_arn],
                  conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}),
    )


def validate(args: TeamsArgs) -> list[str]:
    problems = check.name_prefix("prefix", args.prefix, max_length=40)
    problems += check.account_id("account_id", args.account_id)
    problems += check.region("region", args.region)
    problems += tags_problems(args.tags)
    names = [team.name for team in args.teams]
    for duplicate in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"teams: {duplicate!r} appears more than once")
    for i, team in enumerate(args.teams):
        problems += check.name_prefix(f"teams[{i}].name", team.name, max_length=64 - len(args.prefix) - 6)
    if not args.bucket_arns:
        problems.append("bucket_arns: expected at least one bucket for the team prefixes")
    return problems
