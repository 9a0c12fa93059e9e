"""Elastic Load Balancing: TLS on listeners, access logs, header hygiene, deletion protection, exposure.

Application and Network Load Balancers (`aws.lb.*`, and the `aws.alb.*` aliases). A load balancer is
internet-facing unless `internal=True`; one that is meant to face the internet says so with the tag
`mladmin:internet-facing = "true"` (its own tags or the provider's default tags), which the review sees
in the program, so `lb-internal` lets it through.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Iterator

from policies.facts.tls import MODERN_TLS_POLICIES
from policies.observability import effective_tags
from policies.spec import (
    PROD_ONLY, STANDARD, STRICT, Context, Severity, Subject, nist, resource_policy,
)
from policies.views import dig, known_items, peek, require, truthy

LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
LISTENERS = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")
INTERNET_FACING_TAG = "mladmin:internet-facing"
TLS_PROTOCOLS = ("HTTPS", "TLS")


def _application(resource: Subject) -> bool:
    return (peek(resource.props, "loadBalancerType") or "application") == "application"


def _redirects_to_https(action: Any) -> bool:
    if not isinstance(action, Mapping) or action.get("type") != "redirect":
        return False
    protocol = peek(action, "redirect", "protocol")
    return str(protocol or "").upper() == "HTTPS"


@resource_policy(
    id="lb-listener-https", area="load-balancers", title="Load balancer listeners use TLS",
    description="Application Load Balancer listeners use HTTPS; a plain HTTP listener is allowed only when "
                "every default action redirects to HTTPS.",
    severity=Severity.HIGH, enforcement=STRICT, types=LISTENERS,
    remediation="Use protocol='HTTPS' with a certificate_arn and ssl_policy; keep port 80 only as a listener "
                "whose default action is {type: 'redirect', redirect: {protocol: 'HTTPS', port: '443', "
                "status_code: 'HTTP_301'}}.",
    frameworks=[nist("SC-8"), nist("SC-23")],
)
def lb_listener_https(resource: Subject, ctx: Context) -> Iterator[str]:
    protocol = dig(resource.props, "protocol")
    if str(protocol or "").upper() != "HTTP":
        return
    actions = known_items(peek(resource.props, "defaultActions"))
    require(*actions)
    if not actions or not all(_redirects_to_https(a) for a in actions):
        kinds = ", ".join(str(a.get("type")) for a in actions if isinstance(a, Mapping)) or "none"
        yield f"HTTP listener on port {_port(resource)} serves traffic in clear text (default actions: {kinds}), not a redirect to HTTPS"


def _port(resource: Subject) -> str:
    port = peek(resource.props, "port")
    return str(int(float(port))) if isinstance(port, (int, float)) else "?"


@resource_policy(
    id="lb-tls-policy", area="load-balancers", title="Load balancer TLS policy is modern",
    description="HTTPS and TLS listeners name an SSL policy from the allowlist in policies/facts/tls.py "
                "(TLS 1.2 or later, forward-secret ciphers); without one, the API may apply the 2016-08 policy "
                "that still accepts TLS 1.0.",
    severity=Severity.HIGH, enforcement=STANDARD, types=LISTENERS,
    remediation="Set ssl_policy='ELBSecurityPolicy-TLS13-1-2-2021-06' (or another policy of the allowlist).",
    frameworks=[nist("SC-8"), nist("SC-13")],
)
def lb_tls_policy(resource: Subject, ctx: Context) -> Iterator[str]:
    protocol, policy = peek(resource.props, "protocol"), peek(resource.props, "sslPolicy")
    require(protocol)
    if str(protocol or "").upper() not in TLS_PROTOCOLS:
        return
    require(policy)
    if not policy:
        yield f"{protocol} listener names no ssl_policy (the API may choose ELBSecurityPolicy-2016-08, which allows TLS 1.0)"
    elif policy not in MODERN_TLS_POLICIES:
        yield f"ssl_policy {policy} is not on the modern-TLS allowlist"


@resource_policy(
    id="lb-access-logs", area="load-balancers", title="Load balancer access logs",
    description="Load balancers write access logs to S3 (off by default).",
    severity=Severity.MEDIUM, enforcement=STANDARD, types=LOAD_BALANCERS,
    remediation="Set access_logs={bucket: <log bucket>, prefix: <name>, enabled: True}; the bucket's policy must "
                "let the ELB log-delivery principal write.",
    frameworks=[nist("AU-2"), nist("AU-12")],
)
def lb_access_logs(resource: Subject, ctx: Context) -> Iterator[str]:
    enabled = dig(resource.props, "accessLogs", "enabled")
    if not truthy(enabled):
        yield "access logs are off"


@resource_policy(
    id="lb-drop-invalid-headers", area="load-balancers", title="ALB drops invalid headers",
    description="Application Load Balancers drop HTTP headers with invalid names instead of passing them to "
                "the targets (request smuggling); off by default.",
    severity=Severity.MEDIUM, enforcement=STANDARD, types=LOAD_BALANCERS,
    remediation="Set drop_invalid_header_fields=True.",
    frameworks=[nist("SI-10")],
)
def lb_drop_invalid_headers(resource: Subject, ctx: Context) -> Iterator[str]:
    if not _application(resource):
        return
    drop = dig(resource.props, "dropInvalidHeaderFields")
    if not truthy(drop):
        yield "invalid header fields are passed to the targets (drop_invalid_header_fields is off)"


@resource_policy(
    id="lb-deletion-protection-prod", area="load-balancers", title="Load balancer deletion protection in prod",
    description="In prod, load balancers have deletion protection (off by default).",
    severity=Severity.LOW, enforcement=PROD_ONLY, types=LOAD_BALANCERS,
    remediation="Set enable_deletion_protection=True.",
    frameworks=[nist("CP-10")],
)
def lb_deletion_protection_prod(resource: Subject, ctx: Context) -> Iterator[str]:
    protected = dig(resource.props, "enableDeletionProtection")
    if not truthy(protected):
        yield "the load balancer can be deleted (enable_deletion_protection is off)"


@resource_policy(
    id="lb-internal", area="load-balancers", title="Load balancers internal unless asked",
    description="Load balancers are internal (the AWS default is internet-facing) unless the program marks one "
                f"as meant for the internet with the tag '{INTERNET_FACING_TAG}' = 'true'.",
    severity=Severity.HIGH, enforcement=STANDARD, types=LOAD_BALANCERS,
    remediation=f"Set internal=True; for a load balancer that must face the internet, tag it "
                f"'{INTERNET_FACING_TAG}: \"true\"' so the intent is reviewed with the program.",
    frameworks=[nist("SC-7")],
)
def lb_internal(resource: Subject, ctx: Context) -> Iterator[str]:
    internal = dig(resource.props, "internal")
    if truthy(internal):
        return
    if str(effective_tags(resource).get(INTERNET_FACING_TAG, "")).lower() == "true":
        return
    yield (f"internet-facing (internal is {'off' if internal is not None else 'not set, the AWS default'}) "
           f"without the '{INTERNET_FACING_TAG}' tag that says it is meant to be")
