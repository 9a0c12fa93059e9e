"""For every policy: resources that pass and resources that fail (the catalogue test checks coverage).

The cases are declared with the real SDK classes and planned by the offline engine (sdk_cases*.py).
The hand-written `bucket_set` below serves tests that need fixed resource counts (test_formats)."""

from __future__ import annotations

from tests.policies import sdk_cases, sdk_cases_platform, sdk_cases_sagemaker, sdk_cases_services, sdk_cases_workloads
from tests.policies.builders import TAGS, Case, doc, res

B = "aws:s3/bucket:Bucket"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
VER = "aws:s3/bucketVersioning:BucketVersioning"
BPOL = "aws:s3/bucketPolicy:BucketPolicy"
LOG = "aws:s3/bucketLogging:BucketLogging"
REP = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
OWN = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
SG = "aws:ec2/securityGroup:SecurityGroup"
NG = "aws:eks/nodeGroup:NodeGroup"

TLS_DENY = {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


def bucket_set(name: str, *, skip: tuple[str, ...] = (), replicate: bool = False, log_to: str = "logs",
               **changes: dict) -> list:
    """A bucket with every companion resource a compliant bucket has; `skip` drops some."""
    parts = {
        "pab": res(PAB, f"{name}-pab", bucket=name, **{**dict(blockPublicAcls=True, blockPublicPolicy=True,
                   ignorePublicAcls=True, restrictPublicBuckets=True), **changes.get("pab", {})}),
        "sse": res(SSE, f"{name}-sse", bucket=name, rules=[{"applyServerSideEncryptionByDefault": {
            "sseAlgorithm": changes.get("sse", {}).get("sseAlgorithm", "aws:kms"),
            "kmsMasterKeyId": "arn:aws:kms:us-east-1:123456789012:key/k"}, "bucketKeyEnabled": True}]),
        "ver": res(VER, f"{name}-versioning", bucket=name,
                   versioningConfiguration={"status": changes.get("ver", {}).get("status", "Enabled")}),
        "pol": res(BPOL, f"{name}-policy", bucket=name, policy=doc(TLS_DENY)),
        "log": res(LOG, f"{name}-logging", bucket=name, targetBucket=log_to, targetPrefix=f"{name}/"),
        "own": res(OWN, f"{name}-ownership", bucket=name, rule={"objectOwnership": "BucketOwnerEnforced"}),
    }
    if replicate:
        parts["rep"] = res(REP, f"{name}-replication", bucket=name, role="arn:aws:iam::123456789012:role/r",
                           rules=[{"id": "all", "status": "Enabled",
                                   "destination": {"bucket": f"arn:aws:s3:::{name}-replica"}}])
    bucket = res(B, name, bucket=name, tags=TAGS)
    return [bucket] + [r for key, r in parts.items() if key not in skip]


PASSING: dict[str, list[Case]] = {}
FAILING: dict[str, list[Case]] = {}
for _module in (sdk_cases, sdk_cases_platform, sdk_cases_workloads, sdk_cases_services, sdk_cases_sagemaker):
    PASSING.update(_module.PASSING)
    FAILING.update(_module.FAILING)
for _policy, _cases in sdk_cases.EXTRA_FAILING.items():
    FAILING[_policy] = FAILING[_policy] + _cases
for _policy, _cases in sdk_cases_sagemaker.EXTRA_FAILING.items():
    FAILING[_policy] = FAILING[_policy] + _cases
for _policy, _cases in sdk_cases_sagemaker.EXTRA_PASSING.items():
    PASSING[_policy] = PASSING[_policy] + _cases
