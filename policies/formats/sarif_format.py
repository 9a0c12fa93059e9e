"""SARIF 2.1.0 for GitHub code scanning.

Rules carry help text and `security-severity`; every result has a physical location (the stack
config file or the program, line 1: GitHub requires one) and the resource's URN as a logical location.
Policies that could not run during preview are tool execution notifications tied to their rule;
policies with nothing to evaluate are listed in the run's properties.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from policies.catalogue import catalogue
from policies.report import Report
from policies.spec import PolicySpec

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
INFORMATION_URI = "https://github.com/mladmin/mladmin/tree/main/policies"


def _uri(source: str | None) -> str:
    if not source:
        return "Pulumi.yaml"
    path = Path(source)
    if path.is_absolute():
        try:
            path = path.relative_to(Path.cwd())
        except ValueError:
            return path.as_uri()
    return path.as_posix()


def rule(spec: PolicySpec) -> dict:
    frameworks = "\n".join(f"- {f}" for f in spec.frameworks)
    return {
        "id": spec.id,
        "name": "".join(part.capitalize() for part in spec.id.split("-")),
        "shortDescription": {"text": spec.title},
        "fullDescription": {"text": spec.description},
        "help": {
            "text": f"{spec.description}\n\nRemediation: {spec.remediation}\n\nFrameworks: "
                    + "; ".join(str(f) for f in spec.frameworks),
            "markdown": f"**{spec.title}** ({spec.severity.value})\n\n{spec.description}\n\n"
                        f"**Remediation:** {spec.remediation}\n\n**Frameworks:**\n{frameworks}",
        },
        "defaultConfiguration": {"level": "error" if spec.severity.value in ("critical", "high") else "warning"},
        "properties": {
            "security-severity": SECURITY_SEVERITY[spec.severity.value],
            "tags": list(dict.fromkeys(["security", "iac", "pulumi", spec.area] + [f.name for f in spec.frameworks])),
            "precision": "high",
        },
    }


def render(report: Report) -> str:
    specs = list(catalogue().values())
    index = {spec.id: i for i, spec in enumerate(specs)}
    uri = _uri(report.source)
    results = []
    for v in report.violations:
        fingerprint = hashlib.sha256(f"{v.policy}|{v.urn}|{v.message}".encode()).hexdigest()
        results.append({
            "ruleId": v.policy,
            "ruleIndex": index[v.policy],
            "level": "error" if v.mandatory else "warning",
            "message": {"text": f"{v.resource_type} '{v.resource_name}': {v.message}"},
            "locations": [{
                "physicalLocation": {"artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"},
                                     "region": {"startLine": 1}},
                "logicalLocations": [{"name": v.resource_name, "fullyQualifiedName": v.urn, "kind": "resource"}],
            }],
            "partialFingerprints": {"mladminPolicyFinding/v1": fingerprint},
            "properties": {"enforcement": v.enforcement, "severity": v.severity, "resourceType": v.resource_type},
        })
    notifications = [{
        "level": "warning" if n.mandatory else "note",
        "message": {"text": n.reason},
        "associatedRule": {"id": n.policy, "index": index[n.policy]},
        "locations": [{"logicalLocations": [{"name": n.resource_name, "fullyQualifiedName": n.urn or report.stack,
                                             "kind": "resource" if n.urn else "module"}]}],
        "properties": {"enforcement": n.enforcement, "resourceType": n.resource_type},
    } for n in report.not_run]
    sarif = {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "mladmin-policy", "fullName": f"mladmin policy pack {report.policy_pack}",
                                "informationUri": INFORMATION_URI, "version": "0.1.0",
                                "rules": [rule(spec) for spec in specs]}},
            "automationDetails": {"id": f"mladmin-policy/{report.stack}/"},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": Path(os.getcwd()).as_uri() + "/"}},
            "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": notifications}],
            "results": results,
            "properties": {"stack": report.stack, "environment": report.environment, "preview": report.preview,
                           "resourcesEvaluated": report.resources_evaluated,
                           "policiesEvaluated": report.policies_evaluated,
                           "notApplicable": [n.policy for n in report.not_applicable]},
        }],
    }
    return json.dumps(sarif, indent=2) + "\n"
