"""The exemption register judged as a policy: an expired exemption is itself a finding."""

from __future__ import annotations

from datetime import date
from typing import Iterator

from policies.spec import STRICT, Context, Severity, nist, stack_policy
from policies.views import StackView


@stack_policy(
    id="policy-exemption-expired", area="governance", title="Expired policy exemptions",
    description="Every policy exemption in the stack's mladmin:policy config is still within its expiry date.",
    severity=Severity.MEDIUM, enforcement=STRICT,
    remediation="Fix the exempted resource, or renew the exemption with a new reason and expiry after review.",
    frameworks=[nist("CA-7"), nist("PM-9")],
)
def policy_exemption_expired(stack: StackView, ctx: Context) -> Iterator[tuple[str | None, str]]:
    today = date.today()
    for exemption in ctx.exemptions:
        if not exemption.expired(today):
            continue
        matched = [r for r in stack.resources if exemption.matches(r.name, r.urn)]
        message = (f"exemption of '{exemption.resource}' from {exemption.policy} expired on "
                   f"{exemption.expires.isoformat()} (reason given: {exemption.reason})")
        if not matched:
            yield None, message + "; it matches no resource any more"
        for resource in matched:
            yield resource.urn, message


def exemption_hint(policy_id: str, resource_name: str, why: str) -> str:
    """How to accept a finding on purpose: the `mladmin:policy.exemptions` entry that would hide it."""
    return (f"if {why} on purpose, exempt it under mladmin:policy.exemptions: "
            f"{{policy: {policy_id}, resource: {resource_name}, reason: <why>, expires: <YYYY-MM-DD>}}")
