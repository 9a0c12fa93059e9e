"""S3 policies. pulumi-aws 7 models most bucket settings as their own resources, so most of
these are stack policies that join a bucket to the resources whose `bucket` input refers to it.

AWS defaults for new buckets, which these policies do not report as missing: SSE-S3 (AES256) default
encryption since January 2023, and ACLs disabled (object ownership BucketOwnerEnforced) since April 2023.
Public website buckets (an aws.s3.BucketWebsiteConfiguration for the bucket, or the deprecated inline
`website`) are recognised: SSE-S3 suffices for them (anonymous readers cannot use KMS keys), and the
findings that a public website necessarily raises say which exemption accepts them.
"""

from __future__ import annotations

from collections.abc import Mapping

from typing import Any, Iterator

from policies.spec import (
    PROD_ONLY, STANDARD, STRICT, Context, Severity, Subject, cis_aws, nist, resource_policy, stack_policy,
)
from policies.exemptions import exemption_hint
from policies.statements import is_public, public_statements
from policies.views import (
    StackView, Unknown, as_list, condition_keys, dig, first, given, peek, require, statements, truthy,
)

BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
PUBLIC_ACCESS_BLOCKS = ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",)
ACCOUNT_PUBLIC_ACCESS_BLOCKS = ("aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock",)
ENCRYPTION_CONFIGS = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
VERSIONING_CONFIGS = ("aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2")
BUCKET_POLICIES = ("aws:s3/bucketPolicy:BucketPolicy",)
LOGGING_CONFIGS = ("aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2")
REPLICATION_CONFIGS = ("aws:s3/bucketReplicationConfig:BucketReplicationConfig",)
OWNERSHIP_CONTROLS = ("aws:s3/bucketOwnershipControls:BucketOwnershipControls",)
BUCKET_ACLS = ("aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2")
WEBSITE_CONFIGS = ("aws:s3/bucketWebsiteConfiguration:BucketWebsiteConfiguration",
                   "aws:s3/bucketWebsiteConfigurationV2:BucketWebsiteConfigurationV2")

PAB_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
PUBLIC_CANNED_ACLS = {"public-read", "public-read-write", "authenticated-read"}
PUBLIC_GRANTEE_URIS = ("http://acs.amazonaws.com/groups/global/AllUsers",
                       "http://acs.amazonaws.com/groups/global/AuthenticatedUsers")
KMS_ALGORITHMS = {"aws:kms", "aws:kms:dsse"}


def _children(stack: StackView, child_types: tuple[str, ...]) -> tuple[list[Any], dict[str, list[Any]]]:
    buckets = stack.of_type(*BUCKETS)
    return buckets, stack.children_by_target(child_types, "bucket", buckets)


def _log_targets(stack: StackView, buckets: list[Any]) -> set[str]:
    """Buckets that receive access logs: they are not expected to log or replicate themselves."""
    targets: set[str] = set()
    for logging in stack.of_type(*LOGGING_CONFIGS):
        for bucket in stack.referenced(logging, "targetBucket", buckets):
            targets.add(bucket.urn)
    for bucket in buckets:
        # The deprecated inline block (one object in pulumi-aws 7), when the program gave it.
        if given(bucket, "logging") is not None:
            targets.update(t.urn for t in stack.referenced(bucket, "logging", buckets, "targetBucket"))
    return targets


def _websites(stack: StackView, buckets: list[Any]) -> set[str]:
    """Buckets that serve a website: a website configuration names them (or the deprecated inline block)."""
    sites = {b.urn for b in buckets if _inline(b, "website")}
    for config in stack.of_type(*WEBSITE_CONFIGS):
        sites.update(b.urn for b in stack.referenced(config, "bucket", buckets))
    return sites


def _website_note(policy_id: str, bucket: Any, sites: set[str]) -> str:
    if bucket.urn not in sites:
        return ""
    return f"; '{bucket.name}' is a website bucket: " + exemption_hint(policy_id, bucket.name, "it serves the public")


def _either(value: Any, fallback: Any) -> Any:
    return fallback if value is None else value


def _inline(bucket: Any, *props: str) -> list[Any]:
    """A bucket's deprecated inline settings the program gave (an `Unknown` if fed but not known yet).
    Empty values are absent: after `pulumi up` the provider reports `logging: {}`, `website: {}` for a
    bucket that has none."""
    return [value for prop in props for value in [given(bucket, prop)] if isinstance(value, Unknown) or value]


@stack_policy(
    id="s3-public-access-block", area="storage", title="S3 public access block",
    description="Every S3 bucket has a public access block with all four settings on.",
    types=BUCKETS,
    severity=Severity.CRITICAL, enforcement=STRICT,
    remediation="Add an aws.s3.BucketPublicAccessBlock for the bucket with block_public_acls, "
                "block_public_policy, ignore_public_acls and restrict_public_buckets set to True.",
    frameworks=[cis_aws("2.1.4"), nist("AC-3"), nist("SC-7")],
)
def s3_public_access_block(stack: StackView, ctx: Context) -> Iterator[tuple[str, str]]:
    for account_block in stack.of_type(*ACCOUNT_PUBLIC_ACCESS_BLOCKS):
        if all(truthy(peek(account_block.props, flag)) for flag in PAB_FLAGS):
            return
    buckets, blocks = _children(stack, PUBLIC_ACCESS_BLOCKS)
    sites = _websites(stack, buckets)
    for bucket in buckets:
        note = _website_note("s3-public-access-block", bucket, sites)
        attached = blocks.get(bucket.urn, [])
        if not attached:
            yield bucket.urn, f"bucket '{bucket.name}' has no public access block{note}"
            continue
        for block in attached:
            flags = {flag: peek(block.props, flag) for flag in PAB_FLAGS}
            off = [flag for flag, value in flags.items() if not truthy(value)]
            require(*(flags[flag] for flag in off))  # an unknown flag may yet be on
            if off:
                yield bucket.urn, f"bucket '{bucket.name}': public access block '{block.name}' leaves {', '.join(off)} off{note}"


@resource_policy(
    id="s3-no-public-acl", area="storage", title="No public S3 ACLs",
    description="S3 buckets and bucket ACLs grant nothing to AllUsers or AuthenticatedUsers.",
    severity=Severity.CRITICAL, enforcement=STRICT, types=BUCKETS + BUCKET_ACLS,
    remediation="Remove the public canned ACL (public-read, public-read-write, authenticated-read) and "
                "public grants; set object ownership to BucketOwnerEnforced so ACLs are ignored.",
    frameworks=[cis_aws("2.1.4"), nist("AC-3")],
)
def s3_no_public_acl(resource: Subject, ctx: Context) -> Iterator[str]:
    acl = resource.props.get("acl")
    if isinstance(acl, str) and acl in PUBLIC_CANNED_ACLS:
        yield f"canned ACL '{acl}' makes the bucket public"
    if resource.type in BUCKET_ACLS:  # grants[].grantee.uri under access_control_policy
        grants = [g.get("grantee") for g in as_list(dig(resource.props, "accessControlPolicy", "grants"))
                  if isinstance(g, Mapping)]
    else:  # a bucket's deprecated inline grants[].uri
        grants = as_list(resource.props.get("grants"))
    for grant in grants:
        uri = grant.get("uri") if isinstance(grant, Mapping) else None
        if uri in PUBLIC_GRANTEE_URIS:
            yield f"ACL grant to {uri.rsplit('/', 1)[-1]}"


@resource_policy(
    id="s3-bucket-policy-not-public", area="storage", title="No public S3 bucket policy",
    description="Bucket policies do not allow the '*' principal unless a condition limits the caller (its "
                "organisation, account, source ARN, VPC endpoint or IP); aws:SecureTransport alone does not.",
    severity=Severity.CRITICAL, enforcement=STRICT, types=BUCKET_POLICIES + BUCKETS,
    remediation="Name the principals (account roles or service principals) in the Allow statement, or add a "
                "StringEquals condition on aws:PrincipalOrgID, aws:PrincipalAccount, aws:SourceAccount or aws:SourceVpce.",
    frameworks=[cis_aws("2.1.4"), nist("AC-3")],
)
def s3_bucket_policy_not_public(resource: Subject, ctx: Context) -> Iterator[str]:
    document = resource.props.get("policy")
    findings = list(public_statements(document))
    if findings and _only_reads_objects(document):  # what a public website's policy grants
        findings[-1] += "; " + exemption_hint("s3-bucket-policy-not-public", resource.name,
                                              "the bucket serves a public website")
    yield from findings


def _only_reads_objects(document: Any) -> bool:
    actions = {str(a) for s in statements(document) if is_public(s) for a in as_list(s.get("Action"))}
    return actions == {"s3:GetObject"}


@stack_policy(
    id="s3-sse-kms", area="storage", title="S3 default encryption with KMS",
    description="Every S3 bucket encrypts by default with SSE-KMS (aws:kms or aws:kms:dsse). Server access-log "
                "target buckets, which S3 can only deliver to with SSE-S3, and public website buckets, whose "
                "anonymous readers cannot use KMS keys, may keep SSE-S3 (AES256), which S3 applies to every "
                "bucket without a configuration since January 2023.",
    types=BUCKETS,
    severity=Severity.HIGH, enforcement=STRICT,
    remediation="Add an aws.s3.BucketServerSideEncryptionConfiguration with sse_algorithm 'aws:kms', "
                "a customer-managed kms_master_key_id and bucket_key_enabled=True.",
    frameworks=[nist("SC-28"), nist("SC-12")],
)
def s3_sse_kms(stack: StackView, ctx: Context) -> Iterator[tuple[str, str]]:
    buckets, configs = _children(stack, ENCRYPTION_CONFIGS)
    sse_s3_enough = _log_targets(stack, buckets) | _websites(stack, buckets)
    for bucket in buckets:
        rule_sets = [peek(c.props, "rules") for c in configs.get(bucket.urn, [])]
        for inline in _inline(bucket, "serverSideEncryptionConfiguration"):  # deprecated inline block
            rule_sets.append(peek(inline, "rule") if isinstance(inline, Mapping) else inline)
        algorithms = [
            peek(first(rule), "applyServerSideEncryptionByDefault", "sseAlgorithm")
            for rules in rule_sets for rule in as_list(rules)
        ]
        if bucket.urn in sse_s3_enough and all(a in (None, "AES256") for a in algorithms):
            continue  # access logs can only be delivered to SSE-S3 buckets; anonymous website reads cannot use KMS
        if not any(a in KMS_ALGORITHMS for a in algorithms if isinstance(a, str)):
            require(*algorithms)
            found = ", ".join(str(a) for a in algorithms if a)
            if found:
                yield bucket.urn, f"bucket '{bucket.name}' encrypts by default with {found}, not SSE-KMS"
            else:
                yield bucket.urn, (f"bucket '{bucket.name}' has no default-encryption configuration, so S3 applies "
                                   "SSE-S3 (AES256, its default since January 2023), not SSE-KMS")


@stack_policy(
    id="s3-versioning", area="storage", title="S3 versioning",
    description="Every S3 bucket has versioning enabled.",
    types=BUCKETS,
    severity=Severity.MEDIUM, enforcement=STANDARD,
    remediation="Add an aws.s3.BucketVersioning with versioning_configuration.status 'Enabled'.",
    frameworks=[nist("CP-9"), nist("SI-12")],
)
def s3_versioning(stack: StackView, ctx: Context) -> Iterator[tuple[str, str]]:
    buckets, configs = _children(stack, VERSIONING_CONFIGS)
    for bucket in buckets:
        statuses = [peek(c.props, "versioningConfiguration", "status") for c in configs.get(bucket.urn, [])]
        statuses += [peek(first(inline), "enabled") if isinstance(first(inline), Mapping) else inline
                     for inline in _inline(bucket, "versioning")]
        if not any(status == "Enabled" or status is True or status == "true" for status in statuses):
            require(*statuses)
            yield bucket.urn, f"bucket '{bucket.name}' is not versioned"


def _denies_insecure_transport(document: Any) -> bool:
    for statement in statements(document):
        if statement.get("Effect") != "Deny":
            continue
        secure = condition_keys(statement).get("aws:securetransport")
        if any(str(v).lower() == "false" for v in as_list(secure)):
            return True
    return False


@stack_policy(
    id="s3-tls-only", area="storage", title="S3 TLS-only bucket policy",
    description="Every S3 bucket has a policy that denies requests not made over TLS.",
    types=BUCKETS,
    severity=Severity.HIGH, enforcement=STRICT,
    remediation="Attach a bucket policy with a Deny statement for s3:* on the bucket and its objects "
                "when aws:SecureTransport is false.",
    frameworks=[cis_aws("2.1.1"), nist("SC-8")],
)
def s3_tls_only(stack: StackView, ctx: Context) -> Iterator[tuple[str, str]]:
    buckets, policies = _children(stack, BUCKET_POLICIES)
    sites = _websites(stack, buckets)
    for bucket in buckets:
        documents = [peek(p.props, "policy") for p in policies.get(bucket.urn, [])] + _inline(bucket, "policy")
        if not any(_denies_insecure_transport(d) for d in documents if not isinstance(d, Unknown)):
            require(*documents)
            note = _website_note("s3-tls-only", bucket, sites)
            if note:  # S3 website endpoints speak only HTTP
                note = "; S3 website endpoints serve only HTTP (front the bucket with CloudFront for HTTPS)" + note
            yield bucket.urn, f"bucket '{bucket.name}' does not deny requests without TLS (aws:SecureTransport){note}"


@stack_policy(
    id="s3-access-logging", area="storage", title="S3 server access logging",
    description="Every S3 bucket except log-target buckets sends server access logs to a log bucket.",
    types=BUCKETS,
    severity=Severity.MEDIUM, enforcement=STANDARD,
    remediation="Add an aws.s3.BucketLogging with target_bucket set to the access-logs bucket and a target_prefix.",
    frameworks=[cis_aws("3.4"), nist("AU-2"), nist("AU-12")],
)
def s3_access_logging(stack: StackView, ctx: Context) -> Iterator[tuple[str, str]]:
    buckets, loggings = _children(stack, LOGGING_CONFIGS)
    targets = _log_targets(stack, buckets)
    for bucket in buckets:
        inline = _inline(bucket, "logging")
        if bucket.urn not in targets and not loggings.get(bucket.urn) and not inline:
            yield bucket.urn, f"bucket '{bucket.name}' has no access logging"


@stack_policy(
    id="s3-replication-prod", area="storage", title="S3 cross-region replication in prod",
    description="In prod, every S3 bucket except log targets and replica buckets replicates to another region.",
    types=BUCKETS,
    severity=Severity.MEDIUM, enforcement=PROD_ONLY,
    remediation="Add an aws.s3.BucketReplicationConfig with an enabled rule to a versioned, KMS-encrypted "
                "bucket in the disaster-recovery region.",
    frameworks=[nist("CP-6"), nist("CP-9")],
)
def s3_replication_prod(stack: StackView, ctx: Context) -> Iterator[tuple[str, str]]:
    buckets, replications = _children(stack, REPLICATION_CONFIGS)
    replicas: set[str] = set()
    for replication in stack.of_type(*REPLICATION_CONFIGS):
        for i in range(len(as_list(peek(replication.props, "rules")))):
            replicas.update(b.urn for b in stack.referenced(replication, "rules", buckets, i, "destination", "bucket"))
    skip = replicas | _log_targets(stack, buckets)
    for bucket in buckets:
        if bucket.urn in skip:
            continue
        statuses = [peek(r, "status") for c in replications.get(bucket.urn, []) for r in as_list(peek(c.props, "rules"))]
        if "Enabled" not in statuses:
            require(*statuses)
            yield bucket.urn, f"bucket '{bucket.name}' is not replicated to another region"


@stack_policy(
    id="s3-bucket-owner-enforced", area="storage", title="S3 ACLs disabled",
    description="S3 buckets keep ACLs disabled (object ownership BucketOwnerEnforced). New buckets get it by "
                "default since April 2023, so only ownership controls that set ObjectWriter or "
                "BucketOwnerPreferred are reported, not a bucket without them.",
    types=BUCKETS,
    severity=Severity.MEDIUM, enforcement=STANDARD,
    remediation="Set the aws.s3.BucketOwnershipControls rule.object_ownership to 'BucketOwnerEnforced' (or remove "
                "it from a new bucket) and grant access with bucket policies instead of ACLs.",
    frameworks=[nist("AC-3"), nist("AC-6")],
)
def s3_bucket_owner_enforced(stack: StackView, ctx: Context) -> Iterator[tuple[str, str]]:
    buckets, controls = _children(stack, OWNERSHIP_CONTROLS)
    for bucket in buckets:
        for control in controls.get(bucket.urn, []):
            owner = _either(peek(control.props, "rule", "objectOwnership"), peek(control.props, "rule", 0, "objectOwnership"))
            require(owner)
            if owner != "BucketOwnerEnforced":
                yield bucket.urn, (f"bucket '{bucket.name}': ownership controls '{control.name}' set {owner}, which "
                                   "enables ACLs (new buckets default to BucketOwnerEnforced)")
