"""Customer-managed KMS keys for the platform: data, logs and cluster secrets."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components import validation as check
from components.policy_documents import Statement, document, statement, to_json
from components.tags import Tags, child_opts, tags_problems

BUCKET_ARN = re.compile(r"^arn:aws:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")  # a bucket, no wildcard or key

# Actions a service needs to use (never administer) a key.
_USE_ACTIONS = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
# Administration without use: no Encrypt/Decrypt/GenerateDataKey, and no CreateGrant (a grant could
# hand out Decrypt outside the services the key is limited to). kms:Put* keeps PutKeyPolicy, which
# KMS's lockout safety check requires of the account.
_ADMIN_ACTIONS = [
    "kms:CreateAlias", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*",
    "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource",
    "kms:UntagResource", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion", "kms:RotateKeyOnDemand",
]


@dataclass(frozen=True)
class KmsArgs:
    """Keys for one environment. Account and region come from the stack (``aws.get_caller_identity``)."""

    prefix: str                       # names and aliases: alias/<prefix>-data, -logs, -cluster
    account_id: str                   # 12-digit account that owns the keys
    region: str                       # region of the keys and of the services allowed to use them
    tags: Tags
    deletion_window_in_days: int = 30  # the maximum AWS allows: a month to notice a mistaken deletion
    admin_role_arns: Sequence[str] = field(default_factory=tuple)  # key administrators besides the account root
    # Let the EC2 Auto Scaling service-linked role use the cluster key, which EKS node groups need
    # for CMK-encrypted node volumes. Off by default: AWS rejects a key policy naming that role
    # before the account's first Auto Scaling group has created it.
    grant_autoscaling_service_role: bool = False
    # Buckets (ARNs) an FSx for Lustre file system links by data repository associations: FSx's S3-access
    # service-linked roles may then use the data key through S3, for these buckets' objects only
    # (``fsx_s3_link_statement``). Empty (the default) in stacks without FSx.
    fsx_linked_bucket_arns: Sequence[str] = field(default_factory=tuple)
    protect: bool = False  # protect + retain_on_delete: deleting a key destroys access to all its data


def key_policy(
    account_id: str,
    admin_role_arns: Sequence[str],
    *service_statements: Statement,
) -> dict:
    """Key administration delegated to IAM, optional named administrators, then the grants of use.

    The account root is given administration only, never use: the key is used only as the service
    statements allow (``via_service_statement``: principals of this account through named services;
    service principals), so even a principal whose IAM policy allows ``kms:*`` cannot call Decrypt
    directly. (A root statement allowing ``kms:*`` would make every such restriction moot.)
    """
    root = f"arn:aws:iam::{account_id}:root"
    statements: list[Statement] = [
        {
            "Sid": "AccountAdministersThroughIam",
            "Effect": "Allow",
            "Principal": {"AWS": root},
            "Action": _ADMIN_ACTIONS,
            "Resource": "*",  # in a key policy "*" means this key only
        }
    ]
    if admin_role_arns:
        statements.append(
            {
                "Sid": "KeyAdministrators",
                "Effect": "Allow",
                "Principal": {"AWS": list(admin_role_arns)},
                "Action": _ADMIN_ACTIONS,
                "Resource": "*",
            }
        )
    statements.extend(service_statements)
    return document(*statements)


def via_service_statement(sid: str, account_id: str, services: Sequence[str], region: str) -> Statement:
    """Let principals of this account use the key only through the named AWS services."""
    return statement(
        sid,
        _USE_ACTIONS + ["kms:CreateGrant"],
        "*",
        principal={"AWS": f"arn:aws:iam::{account_id}:root"},
        conditions={
            "StringEquals": {
                "kms:CallerAccount": account_id,
                "kms:ViaService": [f"{s}.{region}.amazonaws.com" for s in services],
            }
        },
    )


def logs_service_statement(account_id: str, region: str) -> Statement:
    """CloudWatch Logs may use the key only for this account's log groups in this region."""
    return statement(
        "CloudWatchLogsForThisAccountsLogGroups",
        ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
        "*",
        principal={"Service": f"logs.{region}.amazonaws.com"},
        conditions={
            "ArnLike": {
                "kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{region}:{account_id}:log-group:*"
            }
        },
    )


def sagemaker_service_statement(account_id: str) -> Statement:
    return statement(
        "SageMakerServiceForThisAccount",
        _USE_ACTIONS + ["kms:CreateGrant"],
        "*",
        principal={"Service": "sagemaker.amazonaws.com"},
        conditions={"StringEquals": {"aws:SourceAccount": account_id}},
    )


# FSx for Lustre reads and writes a linked bucket as a per-file-system service-linked role,
# AWSServiceRoleForFSxS3Access_<file system id>, created with the first data repository association
# under this path (FSx for Lustre User Guide, "Using service-linked roles for Amazon FSx"; AWS Storage
# Blog, "Use Amazon FSx for Lustre to share Amazon S3 data across accounts", 2023-11-24).
FSX_S3_ACCESS_ROLE_PATH = "aws-service-role/s3.data-source.lustre.fsx.amazonaws.com/"
FSX_S3_ACCESS_ROLE_PREFIX = "AWSServiceRoleForFSxS3Access_fs-"


def fsx_s3_access_role_pattern(account_id: str) -> str:
    """Every FSx for Lustre file system's S3-access service-linked role in the account (ArnLike)."""
    return f"arn:aws:iam::{account_id}:role/{FSX_S3_ACCESS_ROLE_PATH}{FSX_S3_ACCESS_ROLE_PREFIX}*"


def fsx_s3_link_statement(account_id: str, region: str, bucket_arns: Sequence[str]) -> Statement:
    """FSx for Lustre's S3-access roles use the key only through S3 here, for the linked buckets' objects.

    Why a statement of its own: the role's permissions policy holds S3 actions only (s3:Get*, s3:List*,
    s3:PutObject, s3:DeleteObject, s3:AbortMultipartUpload), so the account-wide grant of
    ``via_service_statement`` (which delegates to IAM policies) gives it nothing; the key policy must
    allow it directly, as the role or as ``*`` limited to FSx ("Working with server-side encrypted Amazon
    S3 buckets" in "Linking your file system to an S3 bucket", FSx for Lustre User Guide).

    Why ``*`` with ``aws:PrincipalArn`` rather than the role as Principal: the role is named after the
    file system id, known only once the file system exists (and the file system is encrypted with
    this key), and a Principal cannot hold a partial wildcard (IAM User Guide, "AWS JSON policy
    elements: Principal", from memory). The pattern matches only roles under the aws-service-role/
    path, which IAM keeps to service-linked roles (CreateRole answers "Path prefix '/aws-service-role/'
    can only be used for AWS Service linked Roles"), that only FSx creates and assumes; ``_fs-*``
    leaves out Amazon File Cache's roles. Any Lustre file system of this account
    linked to these buckets could use them: that is the guide's "all file systems in your account" form,
    held here to S3 in this region and to these buckets' objects.

    Actions: GetObject needs kms:Decrypt; PutObject kms:GenerateDataKey, and a multipart upload both
    (AWS Knowledge Center, "s3-large-file-encryption-kms-key"). Encryption context: with S3 Bucket
    Keys (``secure_bucket`` turns them on) it is the bucket ARN; an object written with bucket keys
    off carries its own ARN, hence both forms (S3 User Guide, "Reducing the cost of SSE-KMS with Amazon
    S3 Bucket Keys"; the FSx guide's note on bucket keys).
    """
    arns = list(bucket_arns)
    return statement(
        "FsxLustreLinksUseKeyThroughS3",
        ["kms:Decrypt", "kms:GenerateDataKey"],
        "*",
        principal={"AWS": "*"},
        conditions={
            "StringEquals": {
                "kms:CallerAccount": account_id,
                "kms:ViaService": f"s3.{region}.amazonaws.com",
            },
            "ArnLike": {"aws:PrincipalArn": fsx_s3_access_role_pattern(account_id)},
            "StringLike": {"kms:EncryptionContext:aws:s3:arn": arns + [f"{arn}/*" for arn in arns]},
        },
    )


def autoscaling_statements(account_id: str) -> list[Statement]:
    role = (
        f"arn:aws:iam::{account_id}:role/aws-service-role/autoscaling.amazonaws.com/"
        "AWSServiceRoleForAutoScaling"
    )
    return [
        statement("AutoScalingUsesKeyForNodeVolumes", _USE_ACTIONS, "*", principal={"AWS": role}),
        statement(
            "AutoScalingGrantsForAwsResources",
            ["kms:CreateGrant"],
            "*",
            principal={"AWS": role},
            conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
        ),
    ]


class Kms(pulumi.ComponentResource):
    """Three rotating customer-managed keys with aliases and scoped key policies.

    - ``data``: S3 buckets, ECR repositories, SageMaker and FSx for Lustre (via those services only);
      with ``fsx_linked_bucket_arns``, FSx's S3-access roles through S3 for those buckets.
    - ``logs``: CloudWatch Logs log groups of this account and region.
    - ``cluster``: EKS secrets envelope encryption and node volumes (via EKS and EC2).
    """

    def __init__(self, name: str, args: KmsArgs, opts: pulumi.ResourceOptions | None = None):
        check.raise_if_problems("Kms", validate(args))
        super().__init__("mladmin:kms:Kms", name, None, opts)
        acct, region = args.account_id, args.region

        self.data_key, self.data_alias = self._key(
            name, args, "data", "Data at rest: S3 buckets, ECR repositories, SageMaker volumes",
            via_service_statement("UseThroughDataServices", acct, ["s3", "ecr", "sagemaker", "fsx"], region),
            sagemaker_service_statement(acct),
            *([fsx_s3_link_statement(acct, region, args.fsx_linked_bucket_arns)] if args.fsx_linked_bucket_arns else ()),
        )
        self.logs_key, self.logs_alias = self._key(
            name, args, "logs", "CloudWatch Logs log groups", logs_service_statement(acct, region),
        )
        self.cluster_key, self.cluster_alias = self._key(
            name, args, "cluster", "EKS secrets envelope encryption and node volumes",
            via_service_statement("UseThroughEksAndEc2", acct, ["eks", "ec2"], region),
            *(autoscaling_statements(acct) if args.grant_autoscaling_service_role else ()),
        )

        # Alias names are known before the keys exist: identity policies name the data key by alias
        # (kms:ResourceAliases) so they are known, and checkable, in a preview.
        self.data_alias_name = f"alias/{args.prefix}-data"
        self.data_key_arn = self.data_key.arn
        self.logs_key_arn = self.logs_key.arn
        self.cluster_key_arn = self.cluster_key.arn
        self.register_outputs(
            {
                "data_key_arn": self.data_key_arn,
                "logs_key_arn": self.logs_key_arn,
                "cluster_key_arn": self.cluster_key_arn,
                "data_alias": self.data_alias.name,
                "logs_alias": self.logs_alias.name,
                "cluster_alias": self.cluster_alias.name,
            }
        )

    def _key(self, name: str, args: KmsArgs, purpose: str, description: str, *grants: Statement):
        key = aws.kms.Key(
            f"{name}-{purpose}",
            description=f"{args.prefix} {purpose} key: {description}",
            enable_key_rotation=True,
            deletion_window_in_days=args.deletion_window_in_days,
            key_usage="ENCRYPT_DECRYPT",
            customer_master_key_spec="SYMMETRIC_DEFAULT",
            policy=to_json(key_policy(args.account_id, args.admin_role_arns, *grants)),
            tags=args.tags.merged({"Name": f"{args.prefix}-{purpose}", "purpose": purpose}),
            opts=child_opts(self, protect=args.protect, retain_on_delete=args.protect),
        )
        alias = aws.kms.Alias(
            f"{name}-{purpose}-alias",
            name=f"alias/{args.prefix}-{purpose}",
            target_key_id=key.key_id,
            opts=child_opts(self),
        )
        return key, alias


def validate(args: KmsArgs) -> list[str]:
    problems = check.name_prefix("prefix", args.prefix, max_length=200)
    problems += check.account_id("account_id", args.account_id)
    problems += check.region("region", args.region)
    problems += check.int_range("deletion_window_in_days", args.deletion_window_in_days, 7, 30)
    for i, arn in enumerate(args.admin_role_arns):
        if not isinstance(arn, str) or not arn.startswith("arn:aws") or ":iam::" not in arn or "*" in arn:
            problems.append(f"admin_role_arns[{i}]: {arn!r} is not an IAM role or user ARN without wildcards")
    for i, arn in enumerate(args.fsx_linked_bucket_arns):
        if not isinstance(arn, str) or not BUCKET_ARN.match(arn):
            problems.append(f"fsx_linked_bucket_arns[{i}]: {arn!r} is not an S3 bucket ARN (arn:aws:s3:::<bucket>)")
    problems += tags_problems(args.tags)
    return problems
