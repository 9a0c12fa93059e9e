"""Plain text, one line per finding, mandatory first; then what could not run or had nothing to judge."""

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
    for n in sorted(report.not_run, key=lambda n: (not n.mandatory, n.policy, n.urn)):
        where = f"{n.resource_type} '{n.resource_name}'" if n.urn else "the stack"
        lines.append(f"{'NOT RUN':9} {n.enforcement:8} {n.policy} on {where}: {n.reason}")
    if report.not_applicable:
        lines.append("nothing to evaluate (no resource of their types): "
                     + ", ".join(n.policy for n in report.not_applicable))
    lines.append(report.verdict())
    return "\n".join(lines) + "\n"
