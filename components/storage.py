"""Buckets and image repositories for one environment's ML data."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components import validation as check
from components.bucket import (
    BucketParts,
    LogTarget,
    abort_incomplete_uploads,
    bucket_arn,
    log_delivery_statement,
    secure_bucket,
)
from components.kms import key_policy, via_service_statement
from components.policy_documents import Statement, document, known_after, service_trust_policy, statement, to_json
from components.tags import Tags, child_opts, tags_problems

DATA_BUCKETS = ("datasets", "models", "checkpoints")
LOGS_BUCKET = "access-logs"
ACCESS_LOG_PREFIX = "s3-access"
REPLICA_STORAGE_CLASSES = ("STANDARD", "STANDARD_IA", "INTELLIGENT_TIERING", "GLACIER_IR")


@dataclass(frozen=True)
class StorageArgs:
    """Buckets named ``<prefix>-<purpose>-<account_id>-<region>`` (globally unique, deterministic)."""

    prefix: str                          # e.g. "mladmin-prod"; lower-case, at most 22 characters
    account_id: str
    region: str                          # the provider's region, where the buckets live
    data_key_arn: pulumi.Input[str]      # Kms.data_key_arn: buckets (SSE-KMS) and ECR repositories
    tags: Tags
    replication_region: str | None = None  # prod: replicate data buckets to this region
    protect: bool = False                # protect + retain_on_delete on buckets and the replica key
    force_destroy: bool = False          # allow deleting non-empty buckets/repositories (dev only)
    dataset_tiering_days: int | None = 30  # datasets move to INTELLIGENT_TIERING after this; None: stay Standard
    checkpoint_noncurrent_version_days: int = 14  # overwritten/deleted checkpoint versions expire after this
    access_log_retention_days: int = 365  # server access logs (and their old versions) expire after this
    abort_incomplete_upload_days: int = 7
    replica_storage_class: str = "STANDARD_IA"  # replicas are read only in a disaster
    ecr_repositories: Sequence[str] = ("training", "serving")  # repositories <prefix>/<name>
    ecr_keep_images: int = 100           # newest images kept per repository; untagged expire after 7 days
    # More grants on the primary logs bucket's policy, e.g. CloudTrail's delivery (components.trail).
    logs_bucket_statements: Sequence[Statement] = ()


class Storage(pulumi.ComponentResource):
    def __init__(self, name: str, args: StorageArgs, opts: pulumi.ResourceOptions | None = None):
        check.raise_if_problems("Storage", validate(args))
        super().__init__("mladmin:storage:Storage", name, None, opts)
        self._name, self._args = name, args

        self.logs_bucket = self._logs_bucket(name, args.region, None, args.logs_bucket_statements)
        self.data_buckets: dict[str, BucketParts] = {
            purpose: secure_bucket(
                self,
                f"{name}-{purpose}",
                bucket_name=bucket_name(args.prefix, purpose, args.account_id, args.region),
                tags=self._tags(purpose),
                kms_key_arn=args.data_key_arn,
                lifecycle_rules=self._lifecycle(purpose),
                log_target=LogTarget(self.logs_bucket.bucket.id, f"{ACCESS_LOG_PREFIX}/{purpose}/"),
                protect=args.protect,
                force_destroy=args.force_destroy,
            )
            for purpose in DATA_BUCKETS
        }

        self.replica_key: aws.kms.Key | None = None
        self.replica_buckets: dict[str, BucketParts] = {}
        self.replication_role: aws.iam.Role | None = None
        if args.replication_region:
            self._replication(name, args, args.replication_region)

        self.repositories = {repo: self._repository(repo) for repo in args.ecr_repositories}

        self.bucket_names = {p: parts.bucket.bucket for p, parts in self.data_buckets.items()}
        # ARNs built from the names chosen here: known in a preview, so IAM documents built from
        # them are too (and still ordered after the buckets and repositories).
        self.bucket_arns = {p: known_after(parts.arn, parts.bucket) for p, parts in self.data_buckets.items()}
        self.logs_bucket_name = self.logs_bucket.bucket.bucket
        self.repository_urls = {r: repo.repository_url for r, repo in self.repositories.items()}
        self.repository_arns = {
            r: known_after(repository_arn(args.region, args.account_id, f"{args.prefix}/{r}"), repo)
            for r, repo in self.repositories.items()
        }
        self.register_outputs(
            {
                "bucket_names": self.bucket_names,
                "bucket_arns": self.bucket_arns,
                "logs_bucket_name": self.logs_bucket_name,
                "replica_bucket_names": {p: b.bucket.bucket for p, b in self.replica_buckets.items()},
                "repository_urls": self.repository_urls,
            }
        )

    def _tags(self, purpose: str, region: str | None = None) -> dict[str, str]:
        args = self._args
        name = bucket_name(args.prefix, purpose, args.account_id, region or args.region)
        return args.tags.merged({"Name": name, "purpose": purpose})

    def _lifecycle(self, purpose: str) -> list[dict]:
        args = self._args
        rules = [abort_incomplete_uploads(args.abort_incomplete_upload_days)]
        if purpose == "datasets" and args.dataset_tiering_days is not None:
            rules.append(
                {
                    "id": "datasets-to-intelligent-tiering",
                    "status": "Enabled",
                    "filter": {},
                    "transitions": [{"days": args.dataset_tiering_days, "storage_class": "INTELLIGENT_TIERING"}],
                }
            )
        elif purpose == "checkpoints":
            rules.append(
                {
                    "id": "expire-noncurrent-checkpoints",
                    "status": "Enabled",
                    "filter": {},
                    "noncurrent_version_expiration": {"noncurrent_days": args.checkpoint_noncurrent_version_days},
                }
            )
        elif purpose == LOGS_BUCKET:
            days = args.access_log_retention_days
            rules.append(
                {
                    "id": "expire-access-logs",
                    "status": "Enabled",
                    "filter": {},
                    "expiration": {"days": days},
                    "noncurrent_version_expiration": {"noncurrent_days": 1},
                }
            )
        return rules

    def _logs_bucket(self, resource_prefix: str, region: str, provider_region: str | None,
                     more_statements: Sequence[Statement] = ()) -> BucketParts:
        """The server-access-log target of one region.

        Encrypted with SSE-S3, not SSE-KMS: S3 server access log delivery does not support
        SSE-KMS on the target bucket (AWS S3 User Guide, "Enabling Amazon S3 server access
        logging"), so a KMS default here would silently drop every log. The logs bucket itself
        is not logged: logging a log bucket into itself loops.
        """
        args = self._args
        name = bucket_name(args.prefix, LOGS_BUCKET, args.account_id, region)
        sources = [bucket_arn(bucket_name(args.prefix, p, args.account_id, region)) for p in DATA_BUCKETS]
        return secure_bucket(
            self,
            f"{resource_prefix}-{LOGS_BUCKET}",
            bucket_name=name,
            tags=self._tags(LOGS_BUCKET, region),
            kms_key_arn=None,
            lifecycle_rules=self._lifecycle(LOGS_BUCKET),
            log_target=None,
            policy_statements=[
                log_delivery_statement(bucket_arn(name), args.account_id, sources, f"{ACCESS_LOG_PREFIX}/"),
                *more_statements,
            ],
            region=provider_region,
            protect=args.protect,
            force_destroy=args.force_destroy,
        )

    def _replication(self, name: str, args: StorageArgs, replica_region: str) -> None:
        replica = f"{name}-replica"
        self.replica_key = aws.kms.Key(
            f"{replica}-key",
            description=f"{args.prefix} data replicas in {replica_region}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=to_json(
                key_policy(
                    args.account_id, (),
                    via_service_statement("UseThroughS3", args.account_id, ["s3"], replica_region),
                )
            ),
            region=replica_region,
            tags=args.tags.merged({"Name": f"{args.prefix}-replica-data", "purpose": "replica-data"}),
            opts=child_opts(self, protect=args.protect, retain_on_delete=args.protect),
        )
        aws.kms.Alias(
            f"{replica}-key-alias",
            name=f"alias/{args.prefix}-replica-data",
            target_key_id=self.replica_key.key_id,
            region=replica_region,
            opts=child_opts(self),
        )
        replica_logs = self._logs_bucket(replica, replica_region, replica_region)
        for purpose in DATA_BUCKETS:
            self.replica_buckets[purpose] = secure_bucket(
                self,
                f"{replica}-{purpose}",
                bucket_name=bucket_name(args.prefix, purpose, args.account_id, replica_region),
                tags=self._tags(purpose, replica_region),
                kms_key_arn=self.replica_key.arn,
                lifecycle_rules=self._lifecycle(purpose),
                log_target=LogTarget(replica_logs.bucket.id, f"{ACCESS_LOG_PREFIX}/{purpose}/"),
                region=replica_region,
                protect=args.protect,
                force_destroy=args.force_destroy,
            )

        self.replication_role = aws.iam.Role(
            f"{name}-replication-role",
            description=f"S3 cross-region replication of {args.prefix} data to {replica_region}",
            assume_role_policy=to_json(service_trust_policy("s3.amazonaws.com", args.account_id)),
            tags=args.tags.merged({"Name": f"{args.prefix}-s3-replication"}),
            opts=child_opts(self),
        )
        sources = [b.arn for b in self.data_buckets.values()]
        targets = [b.arn for b in self.replica_buckets.values()]
        aws.iam.RolePolicy(
            f"{name}-replication-policy",
            role=self.replication_role.id,
            policy=to_json(replication_policy(args, replica_region, sources, targets)),
            opts=child_opts(self),
        )
        for purpose, source in self.data_buckets.items():
            target = self.replica_buckets[purpose]
            aws.s3.BucketReplicationConfig(
                f"{name}-{purpose}-replication",
                bucket=source.bucket.id,
                role=self.replication_role.arn,
                rules=[
                    {
                        "id": f"replicate-{purpose}",
                        "status": "Enabled",
                        "priority": 1,
                        "filter": {},
                        # Deletes are not replicated: the replica is the copy that survives a
                        # mistaken or malicious delete in the primary region.
                        "delete_marker_replication": {"status": "Disabled"},
                        "source_selection_criteria": {"sse_kms_encrypted_objects": {"status": "Enabled"}},
                        "destination": {
                            "bucket": target.bucket.arn,
                            "storage_class": args.replica_storage_class,
                            "encryption_configuration": {"replica_kms_key_id": self.replica_key.arn},
                        },
                    }
                ],
                opts=child_opts(self, depends_on=[source.versioning, target.versioning]),
            )

    def _repository(self, repo: str) -> aws.ecr.Repository:
        args = self._args
        repository = aws.ecr.Repository(
            f"{self._name}-ecr-{repo}",
            name=f"{args.prefix}/{repo}",
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration={"scan_on_push": True},
            encryption_configurations=[{"encryption_type": "KMS", "kms_key": args.data_key_arn}],
            force_delete=args.force_destroy,
            tags=args.tags.merged({"Name": f"{args.prefix}/{repo}", "purpose": f"{repo}-images"}),
            opts=child_opts(self),
        )
        aws.ecr.LifecyclePolicy(
            f"{self._name}-ecr-{repo}-lifecycle",
            repository=repository.name,
            policy=json.dumps(ecr_lifecycle_policy(args.ecr_keep_images)),
            opts=child_opts(self),
        )
        return repository


def repository_arn(region: str, account_id: str, name: str) -> str:
    return f"arn:aws:ecr:{region}:{account_id}:repository/{name}"


def bucket_name(prefix: str, purpose: str, account_id: str, region: str) -> str:
    return f"{prefix}-{purpose}-{account_id}-{region}"


def ecr_lifecycle_policy(keep: int) -> dict:
    return {
        "rules": [
            {
                "rulePriority": 1,
                "description": "Expire untagged images after 7 days",
                "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 7},
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 2,
                "description": f"Keep the newest {keep} images",
                "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep},
                "action": {"type": "expire"},
            },
        ]
    }


def replication_policy(args: StorageArgs, replica_region: str, sources: list[str], targets: list[str]) -> dict:
    """Read versions from the source buckets, write replicas, and use KMS only through S3 for these buckets.

    The KMS statements name the account's keys in each region and are held to S3 and to these
    buckets' objects by kms:ViaService and the S3 encryption context, not by key ARNs: a key's ARN
    is only known once AWS has created it, and a document holding one is unknown at preview, where
    the policy pack then cannot judge it.
    """
    return document(
        statement("ReadReplicationConfiguration", ["s3:GetReplicationConfiguration", "s3:ListBucket"], sources),
        statement(
            "ReadSourceVersions",
            ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"],
            [f"{arn}/*" for arn in sources],
        ),
        statement(
            "WriteReplicas",
            ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
            [f"{arn}/*" for arn in targets],
        ),
        statement(
            "DecryptSourceThroughS3",
            ["kms:Decrypt"],
            [f"arn:aws:kms:{args.region}:{args.account_id}:key/*"],
            conditions={
                "StringEquals": {"kms:ViaService": f"s3.{args.region}.amazonaws.com"},
                "StringLike": {"kms:EncryptionContext:aws:s3:arn": sources + [f"{a}/*" for a in sources]},
            },
        ),
        statement(
            "EncryptReplicasThroughS3",
            ["kms:Encrypt", "kms:GenerateDataKey"],
            [f"arn:aws:kms:{replica_region}:{args.account_id}:key/*"],
            conditions={
                "StringEquals": {"kms:ViaService": f"s3.{replica_region}.amazonaws.com"},
                "StringLike": {"kms:EncryptionContext:aws:s3:arn": targets + [f"{a}/*" for a in targets]},
            },
        ),
    )


def validate(args: StorageArgs) -> list[str]:
    problems = check.account_id("account_id", args.account_id)
    problems += check.region("region", args.region)
    regions = [args.region]
    if args.replication_region is not None:
        found = check.region("replication_region", args.replication_region)
        problems += found
        if not found and args.replication_region == args.region:
            problems.append(f"replication_region: {args.replication_region!r} is the primary region; pick another")
        regions.append(args.replication_region)
    # The longest bucket name must fit S3's 63-character limit.
    longest_suffix = max(
        len(bucket_name("", purpose, "0" * 12, str(r))) for purpose in (*DATA_BUCKETS, LOGS_BUCKET) for r in regions
    )
    problems += check.name_prefix("prefix", args.prefix, max_length=63 - longest_suffix)
    if args.protect and args.force_destroy:
        problems.append("force_destroy: True contradicts protect=True; protected data is never force-destroyed")
    if args.dataset_tiering_days is not None:
        problems += check.int_range("dataset_tiering_days", args.dataset_tiering_days, 0)
    problems += check.int_range("checkpoint_noncurrent_version_days", args.checkpoint_noncurrent_version_days, 1)
    problems += check.int_range("access_log_retention_days", args.access_log_retention_days, 1)
    problems += check.int_range("abort_incomplete_upload_days", args.abort_incomplete_upload_days, 1)
    problems += check.one_of("replica_storage_class", args.replica_storage_class, REPLICA_STORAGE_CLASSES)
    problems += check.int_range("ecr_keep_images", args.ecr_keep_images, 1, 10000)
    repos = list(args.ecr_repositories)
    if len(set(repos)) != len(repos):
        problems.append(f"ecr_repositories: {repos} repeats a name")
    for i, repo in enumerate(repos):
        if not isinstance(repo, str) or not check.NAME_PREFIX.match(repo):
            problems.append(f"ecr_repositories[{i}]: {repo!r} must be lower-case letters, digits and hyphens")
    problems += tags_problems(args.tags)
    return problems
