"""JUnit XML: one testcase per policy; a failure per policy with violations, skipped when disabled."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict

from policies.catalogue import catalogue
from policies.report import Report


def render(report: Report) -> str:
    by_policy = defaultdict(list)
    for v in report.violations:
        by_policy[v.policy].append(v)
    specs = list(catalogue().values())
    failures = sum(1 for spec in specs if by_policy.get(spec.id))
    skipped = sum(1 for spec in specs if report.levels.get(spec.id) == "disabled")
    suites = ET.Element("testsuites", name="mladmin-policy", tests=str(len(specs)), failures=str(failures))
    suite = ET.SubElement(suites, "testsuite", name=f"{report.policy_pack}:{report.stack}", tests=str(len(specs)),
                          failures=str(failures), errors="0", skipped=str(skipped))
    properties = ET.SubElement(suite, "properties")
    for key, value in (("environment", report.environment), ("resources_evaluated", report.resources_evaluated)):
        ET.SubElement(properties, "property", name=key, value=str(value))
    for spec in specs:
        case = ET.SubElement(suite, "testcase", classname=f"policies.{spec.area}", name=spec.id)
        level = report.levels.get(spec.id)
        if level == "disabled":
            ET.SubElement(case, "skipped", message=f"disabled in {report.environment}")
            continue
        found = by_policy.get(spec.id)
        if found:
            mandatory = any(v.mandatory for v in found)
            failure = ET.SubElement(case, "failure", type="mandatory" if mandatory else "advisory",
                                    message=f"{len(found)} violation(s) of {spec.title} ({spec.severity.value})")
            failure.text = "\n".join(f"[{v.enforcement}] {v.resource_type} '{v.resource_name}' ({v.urn}): {v.message}"
                                     for v in found) + f"\nRemediation: {spec.remediation}"
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"
