"""The documented JSON report: {stack, policy_pack, resources_evaluated, policies_evaluated, preview,
violations: [...], exempted: [...], not_run: [{policy, enforcement, resource_type, resource_name, urn, reason}],
not_applicable: [{policy, enforcement, reason}]}."""

from __future__ import annotations

import json

from policies.report import Report


def render(report: Report) -> str:
    return json.dumps(report.to_json(), indent=2) + "\n"
