"""The plan: what a Pulumi program would create, as recorded by the offline engine.

JSON schema (``mladmin plan STACK --json``), version 1:

    {
      "schema_version": 1,
      "project": "mladmin",
      "stack": "prod",
      "config_file": "stacks/Pulumi.prod.yaml",
      "summary": {"resources": 312, "custom": 290, "components": 22, "read": 0,
                  "by_type": {"aws:s3/bucket:Bucket": 8, ...}},
      "resources": [
        {"urn": "urn:pulumi:prod::mladmin::mladmin:storage:Storage$aws:s3/bucket:Bucket::prod-datasets",
         "type": "aws:s3/bucket:Bucket", "name": "prod-datasets",
         "parent": "urn:pulumi:prod::mladmin::mladmin:storage:Storage::prod-storage",
         "dependencies": ["urn:..."], "provider": "urn:...::default_7_51_1::<id>" | null,
         "custom": true, "id": "prod-datasets-123456789012-us-east-1",
         "protect": false, "retain_on_delete": false, "read": false,
         "inputs": {...}, "outputs": {...}}
      ]
    }

``parent`` is null only for the stack resource itself and the default providers (the engine's
``pulumi:providers:<package>::default_<version>``, made from ``<package>:*`` config; they are not
counted in ``summary``); ``dependencies`` lists the URNs this resource depends on (explicit
``depends_on`` plus every resource whose outputs feed its inputs).
Inputs are as the provider's Check returns them, which is what a policy sees: the program's
inputs (camelCase keys, numbers as floats) plus, on taggable AWS resources, ``tagsAll`` (the
provider's default tags overlaid with the resource's own).
``read`` marks what the program reads rather than creates (``Resource.get``, ``StackReference``,
answered by ``--reads FILE``): its ``inputs`` are the read's arguments, its ``outputs`` the answer,
and ``summary.custom``/``by_type`` count only what is created (``summary.read`` counts reads).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

SCHEMA_VERSION = 1
STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass
class PlanResource:
    urn: str
    type: str
    name: str
    parent: str | None
    dependencies: list[str]
    provider: str | None
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    id: str | None
    custom: bool
    protect: bool = False
    retain_on_delete: bool = False
    read: bool = False  # read from the world (Resource.get, StackReference), not created

    @property
    def is_component(self) -> bool:
        return not self.custom and self.type != STACK_TYPE

    @property
    def is_default_provider(self) -> bool:
        """A provider the engine made from `<package>:*` config, not one the program declared."""
        return self.type.startswith("pulumi:providers:") and self.parent is None and self.name.startswith("default")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Plan:
    project: str
    stack: str
    config: dict[str, Any]
    resources: list[PlanResource]
    config_file: str | None = None
    stack_outputs: dict[str, Any] = field(default_factory=dict)

    def of_type(self, type_token: str) -> list[PlanResource]:
        return [r for r in self.resources if r.type == type_token]

    def by_name(self, name: str) -> PlanResource:
        matches = [r for r in self.resources if r.name == name]
        if len(matches) != 1:
            raise KeyError(f"{len(matches)} resources are named {name!r}")
        return matches[0]

    def by_urn(self, urn: str) -> PlanResource:
        for resource in self.resources:
            if resource.urn == urn:
                return resource
        raise KeyError(urn)

    def children(self, parent_urn: str) -> list[PlanResource]:
        return [r for r in self.resources if r.parent == parent_urn]

    @property
    def custom_resources(self) -> list[PlanResource]:
        """The resources the program declares (default providers are the engine's, not the program's)."""
        return [r for r in self.resources if r.custom and not r.read and not r.is_default_provider]

    @property
    def read_resources(self) -> list[PlanResource]:
        """Existing resources and stack references the program reads (answered by --reads)."""
        return [r for r in self.resources if r.read]

    @property
    def components(self) -> list[PlanResource]:
        return [r for r in self.resources if r.is_component]

    def count_by_type(self) -> dict[str, int]:
        counts = Counter(r.type for r in self.custom_resources)
        return dict(sorted(counts.items()))

    def summary(self) -> dict[str, Any]:
        return {
            "resources": len(self.resources),
            "custom": len(self.custom_resources),
            "components": len(self.components),
            "read": len(self.read_resources),
            "by_type": self.count_by_type(),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "project": self.project,
            "stack": self.stack,
            "config_file": self.config_file,
            "summary": self.summary(),
            "outputs": self.stack_outputs,
            "resources": [r.to_json() for r in self.resources],
        }
