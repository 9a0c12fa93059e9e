"""Analytics: Glue jobs and crawlers under a security configuration; Redshift encryption, audit logs, routing."""

from __future__ import annotations

from typing import Iterator

from policies.keys import KEY_DEFAULTS, KEY_NOTE, KeyParams, customer_key
from policies.spec import STANDARD, STRICT, Context, Severity, Subject, nist, resource_policy, stack_policy
from policies.views import StackView, dig, present, truthy

GLUE_JOB = "aws:glue/job:Job"
GLUE_CRAWLER = "aws:glue/crawler:Crawler"
REDSHIFT_CLUSTER = "aws:redshift/cluster:Cluster"
REDSHIFT_LOGGING = "aws:redshift/logging:Logging"


@resource_policy(
    id="glue-security-configuration", area="analytics", title="Glue jobs and crawlers encrypt what they write",
    description="Glue jobs and crawlers name a security configuration (aws.glue.SecurityConfiguration), which "
                "encrypts their S3 output, CloudWatch logs and job bookmarks; without one logs and bookmarks "
                "are not KMS-encrypted.",
    severity=Severity.MEDIUM, enforcement=STANDARD, types=(GLUE_JOB, GLUE_CRAWLER),
    remediation="Create an aws.glue.SecurityConfiguration with SSE-KMS for S3, CloudWatch and job bookmarks, and "
                "set security_configuration to its name.",
    frameworks=[nist("SC-28")],
)
def glue_security_configuration(resource: Subject, ctx: Context) -> Iterator[str]:
    if not present(resource.props, "securityConfiguration"):
        kind = "job" if resource.type == GLUE_JOB else "crawler"
        yield f"{kind} has no security configuration: its logs and bookmarks are not KMS-encrypted"


@resource_policy(
    id="redshift-encrypted", area="analytics", title="Redshift encrypted",
    description="Redshift clusters are encrypted (the default for new clusters since January 2025; "
                "encrypted='false' turns it off), with a customer-managed key where the environment requires one.",
    severity=Severity.HIGH, enforcement=STRICT, types=(REDSHIFT_CLUSTER,),
    remediation="Leave encrypted on and set kms_key_id to the platform's KMS key.",
    frameworks=[nist("SC-28")],
    params=KeyParams, param_defaults=KEY_DEFAULTS,
)
def redshift_encrypted(resource: Subject, ctx: Context) -> Iterator[str]:
    encrypted = dig(resource.props, "encrypted")
    if encrypted is not None and not truthy(encrypted):
        yield "cluster is not encrypted (encrypted is 'false')"
    elif ctx.params.require_customer_key and not customer_key(resource.props, "kmsKeyId"):
        yield f"cluster is encrypted with an AWS-managed key (the default), not a customer-managed key ({KEY_NOTE})"


@stack_policy(
    id="redshift-audit-logging", area="analytics", title="Redshift audit logging",
    description="Every Redshift cluster has audit logging (an aws.redshift.Logging for it, to S3 or CloudWatch): "
                "connections, user changes and user activity.",
    types=(REDSHIFT_CLUSTER,),
    severity=Severity.MEDIUM, enforcement=STANDARD,
    remediation="Add an aws.redshift.Logging with cluster_identifier the cluster's, log_destination_type "
                "'cloudwatch' and log_exports ['connectionlog', 'userlog', 'useractivitylog'] (user activity also "
                "needs enable_user_activity_logging in the parameter group).",
    frameworks=[nist("AU-2"), nist("AU-12")],
)
def redshift_audit_logging(stack: StackView, ctx: Context) -> Iterator[tuple[str, str]]:
    clusters = stack.of_type(REDSHIFT_CLUSTER)
    logged = stack.children_by_target((REDSHIFT_LOGGING,), "clusterIdentifier", clusters)
    for cluster in clusters:
        if not logged.get(cluster.urn):
            yield cluster.urn, f"Redshift cluster '{cluster.name}' has no audit logging"


@resource_policy(
    id="redshift-enhanced-vpc-routing", area="analytics", title="Redshift enhanced VPC routing",
    description="Redshift clusters use enhanced VPC routing (off by default), so COPY and UNLOAD traffic to S3 "
                "goes through the VPC's endpoints and flow logs rather than the internet.",
    severity=Severity.MEDIUM, enforcement=STANDARD, types=(REDSHIFT_CLUSTER,),
    remediation="Set enhanced_vpc_routing=True (and give the VPC an S3 gateway endpoint).",
    frameworks=[nist("SC-7")],
)
def redshift_enhanced_vpc_routing(resource: Subject, ctx: Context) -> Iterator[str]:
    routing = dig(resource.props, "enhancedVpcRouting")
    if not truthy(routing):
        yield "COPY/UNLOAD traffic leaves the VPC (enhanced_vpc_routing is off)"
