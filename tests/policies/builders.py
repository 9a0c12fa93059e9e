"""Small builders for policy fixtures: plans made of PlanResource-like records."""

from __future__ import annotations

import json
from typing import Any

from mladmin.engine import Plan, PlanResource

TAGS = {"owner": "ml-platform", "environment": "dev", "team": "research", "cost-center": "cc-1"}


def res(type_token: str, name: str, /, *, id: str | None = None, provider: str | None = None,
        outputs: dict | None = None, deps: list[str] | None = None,
        fed: dict[str, list[PlanResource]] | None = None, **inputs: Any) -> PlanResource:
    """A custom resource as the engine records it; its id defaults to its name (as the mocks give for buckets).

    `fed` are its property dependencies: input property -> the resources whose outputs feed it.
    """
    property_dependencies = {prop: [r.urn for r in sources] for prop, sources in (fed or {}).items()}
    return PlanResource(
        urn=f"urn:pulumi:test::fixture::{type_token}::{name}", type=type_token, name=name, parent=None,
        dependencies=sorted(set(deps or []) | {u for urns in property_dependencies.values() for u in urns}),
        provider=provider, inputs=inputs, outputs=outputs or {},
        id=id if id is not None else name, custom=True, property_dependencies=property_dependencies,
    )


def plan(*resources: PlanResource, environment: str = "dev", policy: Any = None, stack: str = "test",
         config_file: str | None = None, preview: bool = False) -> Plan:
    config: dict[str, Any] = {"mladmin:environment": environment}
    if policy is not None:
        config["mladmin:policy"] = policy
    return Plan(project="fixture", stack=stack, config=config, resources=list(resources), config_file=config_file,
                preview=preview)


def doc(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
