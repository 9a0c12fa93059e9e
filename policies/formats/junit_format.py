"""JUnit XML: one testcase per policy; a failure per policy with violations; skipped when disabled, when
it had nothing to evaluate, or when it could not run during preview (the message says which)."""

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
    not_run = defaultdict(list)
    for n in report.not_run:
        not_run[n.policy].append(n)
    not_applicable = {n.policy: n.reason for n in report.not_applicable}
    failures = sum(1 for spec in specs if by_policy.get(spec.id))
    skipped = sum(1 for spec in specs if not by_policy.get(spec.id) and (
        report.levels.get(spec.id) == "disabled" or spec.id in not_applicable or not_run.get(spec.id)))
    suites = ET.Element("testsuites", name="mladmin-policy", tests=str(len(specs)), failures=str(failures))
    suite = ET.SubElement(suites, "testsuite", name=f"{report.policy_pack}:{report.stack}", tests=str(len(specs)),
                          failures=str(failures), errors="0", skipped=str(skipped))
    properties = ET.SubElement(suite, "properties")
    for key, value in (("environment", report.environment), ("resources_evaluated", report.resources_evaluated),
                       ("preview", str(report.preview).lower())):
        ET.SubElement(properties, "property", name=key, value=str(value))
    for spec in specs:
        case = ET.SubElement(suite, "testcase", classname=f"policies.{spec.area}", name=spec.id)
        level = report.levels.get(spec.id)
        if level == "disabled":
            ET.SubElement(case, "skipped", message=f"disabled in {report.environment}")
            continue
        found = by_policy.get(spec.id)
        unrun = [f"[not run] {n.resource_type} '{n.resource_name}': {n.reason}" for n in not_run.get(spec.id, ())]
        if found:
            mandatory = any(v.mandatory for v in found)
            failure = ET.SubElement(case, "failure", type="mandatory" if mandatory else "advisory",
                                    message=f"{len(found)} violation(s) of {spec.title} ({spec.severity.value})")
            failure.text = "\n".join([f"[{v.enforcement}] {v.resource_type} '{v.resource_name}' ({v.urn}): {v.message}"
                                      for v in found] + unrun) + f"\nRemediation: {spec.remediation}"
        elif unrun:
            skipped_ = ET.SubElement(case, "skipped", message=f"could not run during preview on {len(unrun)} resource(s)")
            skipped_.text = "\n".join(unrun)
        elif spec.id in not_applicable:
            ET.SubElement(case, "skipped", message=f"nothing to evaluate: {not_applicable[spec.id]}")
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"
