"""Plain text, one line per finding, mandatory first."""

from __future__ import annotations

from policies.report import Report

SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}


def render(report: Report) -> str:
    lines = [f"stack {report.stack} ({report.environment}) - pack {report.policy_pack}: "
             f"{report.policies_evaluated} policies x {report.resources_evaluated} resources"]
    ordered = sorted(report.violations, key=lambda v: (not v.mandatory, SEVERITY_ORDER.get(v.severity, 9), v.policy, v.urn))
    for v in ordered:
        lines.append(f"{v.enforcement.upper():9} {v.severity:8} {v.policy}: {v.resource_type} '{v.resource_name}': {v.message}")
    for e in report.exempted:
        lines.append(f"{'EXEMPT':9} {'':8} {e.policy}: '{e.resource_name}' until {e.expires} ({e.reason})")
    lines.append(report.verdict())
    return "\n".join(lines) + "\n"
