"""Small builders for policy fixtures: plans made of PlanResource-like records.

`planned(build)` is the faithful one: `build` declares resources with the real SDK classes
(`aws.ebs.Volume("scratch", encrypted=True, ...)`), and the offline engine plans them, so the props a
policy sees are what pulumi-aws sends (camelCase names, nested types, numbers as floats). `res()`
writes props by hand; tests/policies/test_provider_schema.py holds its names against the SDKs.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from mladmin.engine import Plan, PlanResource, plan_program

SDK_PROGRAM = Path(__file__).parent / "sdk_program"
HAND_WRITTEN_URN = "urn:pulumi:test::fixture::"  # res() records; planned ones are urn:pulumi:dev::fixture::
_current: dict[str, Callable[[], Any]] = {}
_lock = threading.Lock()


@dataclass
class Case:
    resources: list
    flagged: str | None = None  # failing cases: the resource named in the violation (None: the stack)
    environment: str = "dev"
    policy_config: dict | None = None  # the stack's mladmin:policy value


def planned(build: Callable[[], Any]) -> list[PlanResource]:
    """The resources `build` declares, planned by the offline engine (the stack resource left out)."""
    with _lock:
        _current["build"] = build
        try:
            result = plan_program(SDK_PROGRAM)
        finally:
            _current.clear()
    return [r for r in result.resources if r.type != "pulumi:pulumi:Stack"]


def run_current_builder() -> None:
    """Called by sdk_program/__main__.py inside the engine's run."""
    _current["build"]()

TAGS = {"owner": "ml-platform", "environment": "dev", "team": "research", "cost-center": "cc-1"}


def res(type_token: str, name: str, /, *, id: str | None = None, provider: str | None = None,
        outputs: dict | None = None, deps: list[str] | None = None,
        fed: dict[str, list[PlanResource]] | None = None, **inputs: Any) -> PlanResource:
    """A custom resource as the engine records it; its id defaults to its name (as the mocks give for buckets).

    `fed` are its property dependencies: input property -> the resources whose outputs feed it.
    """
    property_dependencies = {prop: [r.urn for r in sources] for prop, sources in (fed or {}).items()}
    return PlanResource(
        urn=f"{HAND_WRITTEN_URN}{type_token}::{name}", type=type_token, name=name, parent=None,
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
