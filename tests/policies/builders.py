"""Small builders for policy fixtures: plans made of PlanResource-like records."""

from __future__ import annotations

import json
from typing import Any

from mladmin.engine import Plan, PlanResource

TAGS = {"owner": "ml-platform", "environment": "dev", "team": "research", "cost-center": "cc-1"}


def res(type_token: str, name: str, /, *, id: str | None = None, provider: str | None = None,
        outputs: dict | None = None, deps: list[str] | None = None, **inputs: Any) -> PlanResource:
    """A custom resource as the engine records it; its id defaults to its name (as the mocks give for buckets)."""
    return PlanResource(
        urn=f"urn:pulumi:test::fixture::{type_token}::{name}", type=type_token, name=name, parent=None,
        dependencies=deps or [], provider=provider, inputs=inputs, outputs=outputs or {},
        id=id if id is not None else name, custom=True,
    )


def plan(*resources: PlanResource, environment: str = "dev", policy: Any = None, stack: str = "test",
         config_file: str | None = None) -> Plan:
    config: dict[str, Any] = {"mladmin:environment": environment}
    if policy is not None:
        config["mladmin:policy"] = policy
    return Plan(project="fixture", stack=stack, config=config, resources=list(resources), config_file=config_file)


def doc(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
