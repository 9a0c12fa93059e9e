"""CloudTrail's grants: what the trail's key policy and the logs bucket's policy must allow.

Everything here is built from names the caller chooses (trail name, bucket name, account, region),
so the documents are known in a preview. The statements follow the AWS CloudTrail User Guide
("Amazon S3 bucket policy for CloudTrail", "Configure AWS KMS key policies for CloudTrail"), each
pinned to this trail with ``aws:SourceArn``.
"""

from __future__ import annotations

from components.policy_documents import Statement, statement

TRAIL_KEY_PREFIX = "cloudtrail"  # objects land under <bucket>/cloudtrail/AWSLogs/<account>/...


def trail_arn(region: str, account_id: str, trail_name: str) -> str:
    return f"arn:aws:cloudtrail:{region}:{account_id}:trail/{trail_name}"


def trail_bucket_statements(bucket_arn: str, account_id: str, region: str, trail_name: str) -> list[Statement]:
    """CloudTrail may read the bucket's ACL and write this account's log files under the trail's prefix."""
    source = {"aws:SourceArn": trail_arn(region, account_id, trail_name)}
    return [
        statement("CloudTrailAclCheck", ["s3:GetBucketAcl"], bucket_arn,
                  principal={"Service": "cloudtrail.amazonaws.com"}, conditions={"StringEquals": source}),
        statement(
            "CloudTrailWrite", ["s3:PutObject"], f"{bucket_arn}/{TRAIL_KEY_PREFIX}/AWSLogs/{account_id}/*",
            principal={"Service": "cloudtrail.amazonaws.com"},
            conditions={"StringEquals": {**source, "s3:x-amz-acl": "bucket-owner-full-control"}},
        ),
    ]


def trail_key_statements(account_id: str, region: str, trail_name: str) -> list[Statement]:
    """CloudTrail encrypts this trail's log files; this account reads them back through S3 only."""
    source = {"aws:SourceArn": trail_arn(region, account_id, trail_name)}
    context = {"kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{account_id}:trail/*"}
    return [
        statement("CloudTrailEncryptsLogs", ["kms:GenerateDataKey*"], "*",
                  principal={"Service": "cloudtrail.amazonaws.com"},
                  conditions={"StringEquals": source, "StringLike": context}),
        statement("CloudTrailDescribesKey", ["kms:DescribeKey"], "*",
                  principal={"Service": "cloudtrail.amazonaws.com"}, conditions={"StringEquals": source}),
        statement(
            "AccountReadsLogsThroughS3", ["kms:Decrypt", "kms:ReEncryptFrom"], "*",
            principal={"AWS": f"arn:aws:iam::{account_id}:root"},
            conditions={
                "StringEquals": {"kms:CallerAccount": account_id, "kms:ViaService": f"s3.{region}.amazonaws.com"},
                "StringLike": context,
            },
        ),
    ]
