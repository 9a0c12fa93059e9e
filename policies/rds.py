"""RDS and Aurora: encryption, exposure, backups, credentials, engine support and logs.

DB instances (`aws.rds.Instance`) and clusters (`aws.rds.Cluster`, Aurora or Multi-AZ DB clusters) carry
the settings; Aurora's `aws.rds.ClusterInstance` members carry only their own public accessibility.
Read replicas (`replicate_source_db`, `replication_source_identifier`) inherit encryption, credentials
and backups from their source and are judged there.
"""

from __future__ import annotations

from typing import Any, Iterator

from policies.facts.databases import (
    REQUIRED_LOG_EXPORTS, STANDARD_SUPPORT_ENDS, SUPPORT_CALENDAR_CHECKED, major_version,
)
from policies.facts.environments import RDS_BACKUP_RETENTION_MIN_DAYS
from policies.keys import KEY_DEFAULTS, KEY_NOTE, KeyParams, customer_key
from policies.spec import (
    PROD_ONLY, STANDARD, STRICT, Context, Params, Severity, Subject, cis_aws, nist, resource_policy, stack_policy,
)
from policies.views import StackView, dig, given, known_items, peek, present, require, truthy

INSTANCE = "aws:rds/instance:Instance"
CLUSTER = "aws:rds/cluster:Cluster"
CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
DATABASES = (INSTANCE, CLUSTER)


def _replica(resource: Subject) -> bool:
    source = "replicateSourceDb" if resource.type == INSTANCE else "replicationSourceIdentifier"
    return present(resource.props, source)


def _kind(resource: Subject) -> str:
    return "cluster" if resource.type == CLUSTER else "instance"


@resource_policy(
    id="rds-storage-encrypted", area="databases", title="RDS storage encrypted",
    description="RDS instances and Aurora/Multi-AZ clusters encrypt their storage (off unless "
                "storage_encrypted is set, except Aurora Serverless v1), with a customer-managed KMS key in "
                "staging and prod. Read replicas inherit their source's encryption.",
    severity=Severity.HIGH, enforcement=STRICT, types=DATABASES,
    remediation="Set storage_encrypted=True and kms_key_id to the platform's data KMS key (a new encrypted "
                "instance restored from a snapshot replaces an unencrypted one).",
    frameworks=[cis_aws("2.3.1"), nist("SC-28"), nist("SC-12")],
    params=KeyParams, param_defaults=KEY_DEFAULTS,
)
def rds_storage_encrypted(resource: Subject, ctx: Context) -> Iterator[str]:
    if _replica(resource):
        return
    encrypted = dig(resource.props, "storageEncrypted")
    mode = peek(resource.props, "engineMode") if resource.type == CLUSTER else None
    if not truthy(encrypted):
        require(mode)  # serverless v1 is always encrypted
    serverless_v1 = mode == "serverless"
    if not truthy(encrypted) and not serverless_v1:
        yield f"{_kind(resource)} storage is not encrypted (storage_encrypted is off, the RDS default)"
    elif ctx.params.require_customer_key and not customer_key(resource.props, "kmsKeyId"):
        yield f"storage is encrypted with the AWS-managed key aws/rds, not a customer-managed key ({KEY_NOTE})"


@resource_policy(
    id="rds-not-public", area="databases", title="RDS not publicly accessible",
    description="RDS instances, Multi-AZ DB clusters and Aurora cluster instances are not publicly accessible "
                "(no public IP on the database endpoint).",
    severity=Severity.CRITICAL, enforcement=STRICT, types=(INSTANCE, CLUSTER, CLUSTER_INSTANCE),
    remediation="Set publicly_accessible=False (the default) and reach the database from inside the VPC "
                "(private subnets in the DB subnet group, a security group that admits the application only).",
    frameworks=[cis_aws("2.3.3"), nist("SC-7"), nist("AC-3")],
)
def rds_not_public(resource: Subject, ctx: Context) -> Iterator[str]:
    public = dig(resource.props, "publiclyAccessible")
    if truthy(public):
        yield "publicly_accessible is on: the endpoint resolves to a public IP"


class BackupParams(Params):
    min_retention_days: int


@resource_policy(
    id="rds-backup-retention", area="databases", title="RDS backups retained",
    description="RDS instances and clusters keep automated backups for at least the environment's minimum "
                "(the API's default when none is given is 1 day; 0 turns backups off). Read replicas are skipped.",
    severity=Severity.MEDIUM, enforcement=STANDARD, types=DATABASES,
    remediation="Set backup_retention_period to at least "
                + ", ".join(f"{env} {days}" for env, days in RDS_BACKUP_RETENTION_MIN_DAYS.items())
                + " days (parameter minRetentionDays).",
    frameworks=[nist("CP-9"), nist("CP-10")],
    params=BackupParams,
    param_defaults={env: {"min_retention_days": days} for env, days in RDS_BACKUP_RETENTION_MIN_DAYS.items()},
)
def rds_backup_retention(resource: Subject, ctx: Context) -> Iterator[str]:
    if _replica(resource):
        return
    days = dig(resource.props, "backupRetentionPeriod")
    kept = 1 if days is None else int(float(days))
    if kept == 0:
        yield "automated backups are off (backup_retention_period 0)"
    elif kept < ctx.params.min_retention_days:
        note = "" if days is not None else " (not set: the API's default)"
        yield (f"backups kept {kept} day(s){note}, under the {ctx.environment} minimum of "
               f"{ctx.params.min_retention_days}")


@resource_policy(
    id="rds-deletion-protection-prod", area="databases", title="RDS deletion protection in prod",
    description="In prod, RDS instances and clusters have deletion protection (off by default).",
    severity=Severity.MEDIUM, enforcement=PROD_ONLY, types=DATABASES,
    remediation="Set deletion_protection=True.",
    frameworks=[nist("CP-9"), nist("SI-12")],
)
def rds_deletion_protection_prod(resource: Subject, ctx: Context) -> Iterator[str]:
    protected = dig(resource.props, "deletionProtection")
    if not truthy(protected):
        yield f"the {_kind(resource)} can be deleted (deletion_protection is off)"


@stack_policy(
    id="rds-multi-az-prod", area="databases", title="RDS Multi-AZ in prod",
    description="In prod, RDS instances run Multi-AZ and Aurora clusters have at least two cluster instances "
                "(a writer and a reader to fail over to). Multi-AZ DB clusters (non-Aurora engines) are "
                "Multi-AZ by design.",
    types=(INSTANCE, CLUSTER),
    severity=Severity.MEDIUM, enforcement=PROD_ONLY,
    remediation="Set multi_az=True on aws.rds.Instance; give an Aurora cluster a second aws.rds.ClusterInstance "
                "(ideally in another availability zone).",
    frameworks=[nist("CP-10"), nist("SC-36")],
)
def rds_multi_az_prod(stack: StackView, ctx: Context) -> Iterator[tuple[str, str]]:
    for instance in stack.of_type(INSTANCE):
        if given(instance, "replicateSourceDb") is not None:
            continue
        multi_az = given(instance, "multiAz")
        require(multi_az)
        if not truthy(multi_az):
            yield instance.urn, f"instance '{instance.name}' runs in one availability zone (multi_az is off)"
    clusters = [c for c in stack.of_type(CLUSTER) if str(given(c, "engine") or "").startswith("aurora")]
    members = stack.children_by_target((CLUSTER_INSTANCE,), "clusterIdentifier", clusters)
    for cluster in clusters:
        count = len(members.get(cluster.urn, []))
        if count < 2:
            yield cluster.urn, f"Aurora cluster '{cluster.name}' has {count} cluster instance(s): nothing to fail over to"


@resource_policy(
    id="rds-managed-credentials", area="databases", title="RDS credentials managed",
    description="RDS instances and clusters let RDS keep the master password in Secrets Manager "
                "(manage_master_user_password) or use IAM database authentication, so no password lives in "
                "the program or its state.",
    severity=Severity.HIGH, enforcement=STANDARD, types=DATABASES,
    remediation="Set manage_master_user_password=True (RDS creates and rotates the secret) and drop "
                "password/master_password; or set iam_database_authentication_enabled=True for application logins.",
    frameworks=[nist("IA-5"), nist("AC-2")],
)
def rds_managed_credentials(resource: Subject, ctx: Context) -> Iterator[str]:
    if _replica(resource) or present(resource.props, "snapshotIdentifier"):
        return
    managed = peek(resource.props, "manageMasterUserPassword")
    iam = peek(resource.props, "iamDatabaseAuthenticationEnabled")
    if truthy(managed) or truthy(iam):
        return
    require(managed, iam)
    password = "password" if resource.type == INSTANCE else "masterPassword"
    how = f"a {password} given by the program" if present(resource.props, password) else "no managed credentials"
    yield (f"{how}: neither manage_master_user_password (Secrets Manager) nor "
           "iam_database_authentication_enabled is on")


@resource_policy(
    id="rds-engine-supported", area="databases", title="RDS engine version in standard support",
    description="RDS instances and clusters pin an engine major version still in RDS standard support "
                f"(policies/facts/databases.py, calendar as of {SUPPORT_CALENDAR_CHECKED.isoformat()}); past it "
                "RDS charges Extended Support or upgrades the database itself. No engine_version: RDS picks its "
                "current default, which passes.",
    severity=Severity.MEDIUM, enforcement=STANDARD, types=DATABASES,
    remediation="Upgrade engine_version to a major version in standard support (plan the major upgrade with a "
                "blue/green deployment).",
    frameworks=[nist("SI-2"), nist("SA-22")],
)
def rds_engine_supported(resource: Subject, ctx: Context) -> Iterator[str]:
    engine, version = peek(resource.props, "engine"), peek(resource.props, "engineVersion")
    require(engine, version)
    if not isinstance(engine, str) or not isinstance(version, str) or not version:
        return
    major = major_version(engine, version)
    known = {m: end for (e, m), end in STANDARD_SUPPORT_ENDS.items() if e == engine}
    if not known:
        return
    if major in known:
        end = known[major]
        if end is not None and end <= SUPPORT_CALENDAR_CHECKED:
            yield f"{engine} {major} left RDS standard support on {end.isoformat()} (engine_version {version})"
    elif _older_than_all(major, known):
        yield f"{engine} {major} is older than every major version RDS still lists (engine_version {version})"


def _older_than_all(major: str, known: dict[str, Any]) -> bool:
    def key(v: str) -> tuple:
        return tuple(int(p) if p.isdigit() else 0 for p in v.split("."))
    return all(key(major) < key(m) for m in known)


@resource_policy(
    id="rds-logs-exported", area="databases", title="RDS logs exported",
    description="RDS instances and clusters export the engine's log that records connections and "
                "authentication failures to CloudWatch Logs (postgresql for PostgreSQL, error for MySQL and "
                "MariaDB, ...; policies/facts/databases.py).",
    severity=Severity.MEDIUM, enforcement=STANDARD, types=DATABASES,
    remediation="Set enabled_cloudwatch_logs_exports to include the engine's log type (e.g. ['postgresql'] or "
                "['audit', 'error', 'slowquery']).",
    frameworks=[nist("AU-2"), nist("AU-12")],
)
def rds_logs_exported(resource: Subject, ctx: Context) -> Iterator[str]:
    engine = peek(resource.props, "engine")
    required = REQUIRED_LOG_EXPORTS.get(engine) if isinstance(engine, str) else None
    if required is None:
        require(engine)
        return
    exports = known_items(peek(resource.props, "enabledCloudwatchLogsExports"))
    if required in exports:
        return
    require(*exports)
    found = ", ".join(str(e) for e in exports) or "nothing"
    yield f"exports {found} to CloudWatch Logs, not the '{required}' log"
