"""Data services: queues, streams, tables, secrets, file systems, caches and search domains.

Encryption at rest with a customer-managed key where the environment asks for one (policies/keys.py),
in transit where the service offers it, recovery (DynamoDB point-in-time recovery), rotation (secrets),
and network placement and access control (OpenSearch, ElastiCache). Each message says what the service
does when the program says nothing (its default), so a finding is never about a setting AWS already applies.
"""

from __future__ import annotations

from typing import Iterator

from policies.facts.tls import OPENSEARCH_TLS_POLICIES
from policies.keys import KEY_DEFAULTS, KEY_NOTE, KeyParams, customer_key
from policies.spec import STANDARD, STRICT, Context, Severity, Subject, cis_aws, nist, resource_policy, stack_policy
from policies.views import StackView, dig, peek, present, require, truthy

SQS_QUEUE = "aws:sqs/queue:Queue"
KINESIS_STREAM = "aws:kinesis/stream:Stream"
DYNAMODB_TABLE = "aws:dynamodb/table:Table"
SECRET = "aws:secretsmanager/secret:Secret"
SECRET_ROTATION = "aws:secretsmanager/secretRotation:SecretRotation"
EFS = "aws:efs/fileSystem:FileSystem"
REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
CACHE_CLUSTER = "aws:elasticache/cluster:Cluster"
SEARCH_DOMAINS = ("aws:opensearch/domain:Domain", "aws:elasticsearch/domain:Domain")

_KEYED = dict(params=KeyParams, param_defaults=KEY_DEFAULTS)


@resource_policy(
    id="sqs-encrypted", area="data-services", title="SQS queues encrypted",
    description="SQS queues are encrypted at rest: SSE-SQS is the default for new queues since October 2022 and "
                "passes where no customer-managed key is required; turning it off without a KMS key fails, and "
                "staging and prod need a customer-managed key.",
    severity=Severity.MEDIUM, enforcement=STANDARD, types=(SQS_QUEUE,),
    remediation="Set kms_master_key_id to the platform's KMS key (its policy must let the producers' services "
                "use it); never set sqs_managed_sse_enabled=False without one.",
    frameworks=[nist("SC-28")], **_KEYED,
)
def sqs_encrypted(resource: Subject, ctx: Context) -> Iterator[str]:
    if customer_key(resource.props, "kmsMasterKeyId"):
        return
    managed = dig(resource.props, "sqsManagedSseEnabled")
    if managed is not None and not truthy(managed):
        yield "queue is not encrypted (sqs_managed_sse_enabled is off and no KMS key is set)"
    elif ctx.params.require_customer_key:
        yield f"queue uses SSE-SQS (the default since October 2022), not a customer-managed key ({KEY_NOTE})"


@resource_policy(
    id="kinesis-stream-encrypted", area="data-services", title="Kinesis streams encrypted",
    description="Kinesis data streams encrypt records with KMS (the default is no encryption), with a "
                "customer-managed key where the environment requires one.",
    severity=Severity.MEDIUM, enforcement=STANDARD, types=(KINESIS_STREAM,),
    remediation="Set encryption_type='KMS' and kms_key_id to the platform's KMS key.",
    frameworks=[nist("SC-28")], **_KEYED,
)
def kinesis_stream_encrypted(resource: Subject, ctx: Context) -> Iterator[str]:
    kind = dig(resource.props, "encryptionType")
    if kind != "KMS":
        yield f"stream records are not encrypted (encryption_type {kind or 'not set: NONE, the default'})"
    elif ctx.params.require_customer_key and not customer_key(resource.props, "kmsKeyId"):
        yield f"stream is encrypted with the AWS-managed key aws/kinesis ({KEY_NOTE})"


@resource_policy(
    id="dynamodb-pitr", area="data-services", title="DynamoDB point-in-time recovery",
    description="DynamoDB tables keep point-in-time recovery on (off by default), so a bad write or a deleted "
                "feature table can be restored to any second of the last 35 days.",
    severity=Severity.MEDIUM, enforcement=STANDARD, types=(DYNAMODB_TABLE,),
    remediation="Set point_in_time_recovery={enabled: True}.",
    frameworks=[nist("CP-9"), nist("CP-10")],
)
def dynamodb_pitr(resource: Subject, ctx: Context) -> Iterator[str]:
    enabled = dig(resource.props, "pointInTimeRecovery", "enabled")
    if not truthy(enabled):
        yield "point-in-time recovery is off"


@resource_policy(
    id="dynamodb-customer-key", area="data-services", title="DynamoDB tables under a customer key",
    description="DynamoDB always encrypts tables (an AWS-owned key by default); where the environment requires "
                "a customer-managed key, the table names one.",
    severity=Severity.MEDIUM, enforcement=STANDARD, types=(DYNAMODB_TABLE,),
    remediation="Set server_side_encryption={enabled: True, kms_key_arn: <platform KMS key ARN>}.",
    frameworks=[nist("SC-28"), nist("SC-12")], **_KEYED,
)
def dynamodb_customer_key(resource: Subject, ctx: Context) -> Iterator[str]:
    if not ctx.params.require_customer_key:
        return
    enabled = dig(resource.props, "serverSideEncryption", "enabled")
    if not truthy(enabled):
        yield f"table is encrypted with the AWS-owned key (the default), not a customer-managed key ({KEY_NOTE})"
    elif not customer_key(resource.props, "serverSideEncryption", "kmsKeyArn"):
        yield f"table is encrypted with the AWS-managed key aws/dynamodb ({KEY_NOTE})"


@resource_policy(
    id="secret-customer-key", area="data-services", title="Secrets under a customer key",
    description="Secrets Manager secrets are encrypted with a customer-managed key where the environment "
                "requires one (the default is the AWS-managed key aws/secretsmanager, usable by any principal "
                "of the account allowed GetSecretValue).",
    severity=Severity.MEDIUM, enforcement=STANDARD, types=(SECRET,),
    remediation="Set kms_key_id to the platform's KMS key and grant kms:Decrypt only to the secret's readers.",
    frameworks=[nist("SC-28"), nist("SC-12")], **_KEYED,
)
def secret_customer_key(resource: Subject, ctx: Context) -> Iterator[str]:
    if ctx.params.require_customer_key and not customer_key(resource.props, "kmsKeyId"):
        yield f"secret is encrypted with the AWS-managed key aws/secretsmanager ({KEY_NOTE})"


@stack_policy(
    id="secret-rotation", area="data-services", title="Secrets rotate",
    description="Every Secrets Manager secret has an aws.secretsmanager.SecretRotation with a schedule. A "
                "secret that cannot rotate automatically (a third-party token) needs an exemption with its reason.",
    types=(SECRET,),
    severity=Severity.MEDIUM, enforcement=STANDARD,
    remediation="Add an aws.secretsmanager.SecretRotation for the secret with rotation_rules "
                "(automatically_after_days or schedule_expression) and a rotation Lambda; or exempt the secret "
                "under mladmin:policy.exemptions with the reason it is rotated by hand.",
    frameworks=[nist("IA-5")],
)
def secret_rotation(stack: StackView, ctx: Context) -> Iterator[tuple[str, str]]:
    secrets = stack.of_type(SECRET)
    rotated = stack.children_by_target((SECRET_ROTATION,), "secretId", secrets)
    for secret in secrets:
        if not rotated.get(secret.urn):
            yield secret.urn, f"secret '{secret.name}' has no rotation"


@resource_policy(
    id="efs-encrypted", area="data-services", title="EFS encrypted",
    description="EFS file systems are encrypted at rest (off unless encrypted=True), with a customer-managed key "
                "where the environment requires one.",
    severity=Severity.HIGH, enforcement=STRICT, types=(EFS,),
    remediation="Set encrypted=True and kms_key_id to the platform's KMS key (encryption is chosen at creation: "
                "a new file system and a copy of the data are needed).",
    frameworks=[cis_aws("2.4.1"), nist("SC-28")], **_KEYED,
)
def efs_encrypted(resource: Subject, ctx: Context) -> Iterator[str]:
    encrypted = dig(resource.props, "encrypted")
    if not truthy(encrypted):
        yield "file system is not encrypted (encrypted is off, the default)"
    elif ctx.params.require_customer_key and not customer_key(resource.props, "kmsKeyId"):
        yield f"file system is encrypted with the AWS-managed key aws/elasticfilesystem ({KEY_NOTE})"


def _valkey(resource: Subject) -> bool:
    engine = peek(resource.props, "engine")
    require(engine)  # the at-rest default depends on it
    return str(engine or "redis") == "valkey"


@resource_policy(
    id="elasticache-encrypted", area="data-services", title="ElastiCache encrypted at rest and in transit",
    description="ElastiCache replication groups encrypt data at rest (the default only for Valkey) and in "
                "transit; stand-alone cache clusters that are not members of a replication group encrypt in "
                "transit.",
    severity=Severity.HIGH, enforcement=STANDARD, types=(REPLICATION_GROUP, CACHE_CLUSTER),
    remediation="Set at_rest_encryption_enabled=True (with kms_key_id) and transit_encryption_enabled=True; "
                "clients connect with TLS.",
    frameworks=[nist("SC-8"), nist("SC-28")],
)
def elasticache_encrypted(resource: Subject, ctx: Context) -> Iterator[str]:
    if resource.type == CACHE_CLUSTER and present(resource.props, "replicationGroupId"):
        return  # a member: the replication group decides
    if resource.type == REPLICATION_GROUP:
        at_rest = dig(resource.props, "atRestEncryptionEnabled")
        if not truthy(at_rest) and not (at_rest is None and _valkey(resource)):
            yield "data at rest is not encrypted (at_rest_encryption_enabled is off, the Redis OSS default)"
    transit = dig(resource.props, "transitEncryptionEnabled")
    if not truthy(transit):
        yield "traffic is not encrypted in transit (transit_encryption_enabled is off, the default)"


@resource_policy(
    id="elasticache-auth", area="data-services", title="ElastiCache requires authentication",
    description="Redis OSS and Valkey replication groups require clients to authenticate: an AUTH token or "
                "RBAC user groups (both need in-transit encryption).",
    severity=Severity.HIGH, enforcement=STANDARD, types=(REPLICATION_GROUP,),
    remediation="Set user_group_ids to an aws.elasticache.UserGroup (RBAC), or auth_token from Secrets Manager, "
                "with transit_encryption_enabled=True.",
    frameworks=[nist("IA-2"), nist("AC-3")],
)
def elasticache_auth(resource: Subject, ctx: Context) -> Iterator[str]:
    if any(present(resource.props, key) for key in ("authToken", "authTokenWo", "userGroupIds")):
        return
    yield "any client that reaches the port can use the cache (no auth_token or user_group_ids)"


@resource_policy(
    id="opensearch-in-vpc", area="data-services", title="OpenSearch domains in a VPC",
    description="OpenSearch (and Elasticsearch) domains have a VPC endpoint (vpc_options), not a public one.",
    severity=Severity.HIGH, enforcement=STRICT, types=SEARCH_DOMAINS,
    remediation="Set vpc_options={subnet_ids: <private subnets>, security_group_ids: [...]} (chosen at creation).",
    frameworks=[nist("SC-7")],
)
def opensearch_in_vpc(resource: Subject, ctx: Context) -> Iterator[str]:
    options = peek(resource.props, "vpcOptions")
    require(options)
    if not present(options or {}, "subnetIds"):
        yield "domain has a public endpoint (no vpc_options)"


@resource_policy(
    id="opensearch-fine-grained-access", area="data-services", title="OpenSearch fine-grained access control",
    description="OpenSearch domains turn on fine-grained access control (advanced_security_options), so "
                "index- and document-level permissions apply to every caller.",
    severity=Severity.MEDIUM, enforcement=STANDARD, types=SEARCH_DOMAINS,
    remediation="Set advanced_security_options={enabled: True, internal_user_database_enabled: False, "
                "master_user_options: {master_user_arn: <admin role ARN>}}.",
    frameworks=[nist("AC-3"), nist("AC-6")],
)
def opensearch_fine_grained_access(resource: Subject, ctx: Context) -> Iterator[str]:
    enabled = dig(resource.props, "advancedSecurityOptions", "enabled")
    if not truthy(enabled):
        yield "fine-grained access control is off"


@resource_policy(
    id="opensearch-encrypted", area="data-services", title="OpenSearch encrypted at rest and in transit",
    description="OpenSearch domains encrypt data at rest and between nodes, and their endpoint accepts only "
                "HTTPS with TLS 1.2 or later (policies/facts/tls.py).",
    severity=Severity.HIGH, enforcement=STRICT, types=SEARCH_DOMAINS,
    remediation="Set encrypt_at_rest={enabled: True, kms_key_id: ...}, node_to_node_encryption={enabled: True} and "
                "domain_endpoint_options={enforce_https: True, tls_security_policy: 'Policy-Min-TLS-1-2-2019-07'}.",
    frameworks=[nist("SC-8"), nist("SC-28")],
)
def opensearch_encrypted(resource: Subject, ctx: Context) -> Iterator[str]:
    props = resource.props
    at_rest, n2n = peek(props, "encryptAtRest", "enabled"), peek(props, "nodeToNodeEncryption", "enabled")
    https, tls = peek(props, "domainEndpointOptions", "enforceHttps"), peek(props, "domainEndpointOptions", "tlsSecurityPolicy")
    require(at_rest, n2n, https, tls)
    if not truthy(at_rest):
        yield "data at rest is not encrypted (encrypt_at_rest is off)"
    if not truthy(n2n):
        yield "traffic between nodes is not encrypted (node_to_node_encryption is off)"
    if not truthy(https):
        yield "the endpoint accepts plain HTTP (domain_endpoint_options.enforce_https is off)"
    elif not tls:
        yield "the endpoint names no tls_security_policy (the API's default, Policy-Min-TLS-1-0-2019-07, allows TLS 1.0)"
    elif tls not in OPENSEARCH_TLS_POLICIES:
        yield f"the endpoint's TLS policy {tls} allows TLS older than 1.2"
