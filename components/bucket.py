"""One S3 bucket with every guard rail as its own resource (the pulumi-aws 7 model).

Used by ``Storage`` for its data, log and replica buckets; the resources are children of the
calling component so their names stay derived from its name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.policy_documents import Statement, deny_insecure_transport, document, to_json
from components.tags import child_opts


@dataclass(frozen=True)
class LogTarget:
    """Where a bucket's server access logs go: the logs bucket and a per-bucket prefix."""

    bucket: pulumi.Input[str]
    prefix: str


@dataclass
class BucketParts:
    bucket: aws.s3.Bucket
    versioning: aws.s3.BucketVersioning
    name: str
    arn: str
    policy: aws.s3.BucketPolicy  # what a service delivering into the bucket must wait for


def bucket_arn(bucket_name: str) -> str:
    return f"arn:aws:s3:::{bucket_name}"


def abort_incomplete_uploads(days: int) -> dict[str, Any]:
    return {
        "id": "abort-incomplete-multipart-uploads",
        "status": "Enabled",
        "filter": {},
        "abort_incomplete_multipart_upload": {"days_after_initiation": days},
    }


def secure_bucket(
    owner: pulumi.Resource,
    resource_name: str,
    *,
    bucket_name: str,
    tags: dict[str, str],
    kms_key_arn: pulumi.Input[str] | None,
    lifecycle_rules: Sequence[dict[str, Any]],
    log_target: LogTarget | None,
    policy_statements: Sequence[Statement] = (),
    region: str | None = None,
    protect: bool = False,
    force_destroy: bool = False,
) -> BucketParts:
    """A private, versioned, encrypted, TLS-only bucket.

    ``kms_key_arn=None`` selects SSE-S3 and is reserved for server-access-log target buckets:
    S3 log delivery cannot write to a bucket whose default encryption is SSE-KMS.
    ``region`` places the bucket outside the provider's region (replicas).
    """
    arn = bucket_arn(bucket_name)
    bucket = aws.s3.Bucket(
        resource_name,
        bucket=bucket_name,
        force_destroy=force_destroy,
        region=region,
        tags=tags,
        opts=child_opts(owner, protect=protect, retain_on_delete=protect),
    )
    opts = child_opts(owner)
    aws.s3.BucketOwnershipControls(
        f"{resource_name}-ownership",
        bucket=bucket.id,
        rule={"object_ownership": "BucketOwnerEnforced"},  # ACLs off: access is IAM and policy only
        region=region,
        opts=opts,
    )
    public_access = aws.s3.BucketPublicAccessBlock(
        f"{resource_name}-public-access",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        region=region,
        opts=opts,
    )
    if kms_key_arn is None:
        encryption = {"sse_algorithm": "AES256"}
        rule: dict[str, Any] = {"apply_server_side_encryption_by_default": encryption}
    else:
        encryption = {"sse_algorithm": "aws:kms", "kms_master_key_id": kms_key_arn}
        rule = {"apply_server_side_encryption_by_default": encryption, "bucket_key_enabled": True}
    aws.s3.BucketServerSideEncryptionConfiguration(
        f"{resource_name}-encryption", bucket=bucket.id, rules=[rule], region=region, opts=opts
    )
    versioning = aws.s3.BucketVersioning(
        f"{resource_name}-versioning",
        bucket=bucket.id,
        versioning_configuration={"status": "Enabled"},
        region=region,
        opts=opts,
    )
    policy = aws.s3.BucketPolicy(
        f"{resource_name}-policy",
        bucket=bucket.id,
        policy=to_json(document(deny_insecure_transport(arn), *policy_statements)),
        region=region,
        # S3 rejects policies while the public access block is being written.
        opts=child_opts(owner, depends_on=[public_access]),
    )
    aws.s3.BucketLifecycleConfiguration(
        f"{resource_name}-lifecycle",
        bucket=bucket.id,
        rules=list(lifecycle_rules),
        region=region,
        opts=child_opts(owner, depends_on=[versioning]),
    )
    if log_target is not None:
        aws.s3.BucketLogging(
            f"{resource_name}-logging",
            bucket=bucket.id,
            target_bucket=log_target.bucket,
            target_prefix=log_target.prefix,
            target_object_key_format={"partitioned_prefix": {"partition_date_source": "EventTime"}},
            region=region,
            opts=opts,
        )
    return BucketParts(bucket=bucket, versioning=versioning, name=bucket_name, arn=arn, policy=policy)


def log_delivery_statement(
    logs_bucket_arn: str, account_id: str, source_bucket_arns: Sequence[str], prefix: str
) -> Statement:
    """Let S3's log delivery write access logs for this account's named buckets, under ``prefix``."""
    return {
        "Sid": "S3ServerAccessLogDelivery",
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": f"{logs_bucket_arn}/{prefix}*",
        "Condition": {
            "StringEquals": {"aws:SourceAccount": account_id},
            "ArnLike": {"aws:SourceArn": list(source_bucket_arns)},
        },
    }
