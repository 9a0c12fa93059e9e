"""The outcome of evaluating the pack over one plan."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from policies.spec import Level


@dataclass(frozen=True)
class Violation:
    policy: str
    severity: str
    enforcement: str
    resource_type: str
    resource_name: str
    urn: str
    message: str
    title: str = ""
    remediation: str = ""

    @property
    def mandatory(self) -> bool:
        return self.enforcement == Level.MANDATORY.value


@dataclass(frozen=True)
class Exempted:
    policy: str
    resource_name: str
    urn: str
    message: str
    reason: str
    expires: str


@dataclass(frozen=True)
class NotRun:
    """A policy that could not decide on a resource (or, for a stack policy, on the stack) because it
    read a value `pulumi preview` does not know; Pulumi reports these as advisory and goes on."""

    policy: str
    enforcement: str
    resource_type: str
    resource_name: str
    urn: str  # "" for a stack policy, as Pulumi reports it
    reason: str  # Pulumi's message: "can't run policy '<id>' from policy pack '<pack>' during preview: ..."

    @property
    def mandatory(self) -> bool:
        return self.enforcement == Level.MANDATORY.value


@dataclass(frozen=True)
class NotApplicable:
    """An enabled policy with nothing to evaluate: no resource of its types in the plan."""

    policy: str
    enforcement: str
    reason: str


@dataclass
class Report:
    stack: str
    project: str
    environment: str
    policy_pack: str
    resources_evaluated: int
    policies_evaluated: int
    violations: list[Violation] = field(default_factory=list)
    exempted: list[Exempted] = field(default_factory=list)
    source: str | None = None  # the stack config file or program the plan came from
    levels: dict[str, str] = field(default_factory=dict)  # policy id -> enforcement level used
    preview: bool = False  # evaluated as `pulumi preview` does: computed values unknown
    not_run: list[NotRun] = field(default_factory=list)
    not_applicable: list[NotApplicable] = field(default_factory=list)

    @property
    def mandatory_count(self) -> int:
        return sum(1 for v in self.violations if v.mandatory)

    @property
    def advisory_count(self) -> int:
        return sum(1 for v in self.violations if not v.mandatory)

    @property
    def mandatory_not_run(self) -> list[str]:
        """Mandatory policies that could not run (on at least one resource) during preview."""
        return sorted({n.policy for n in self.not_run if n.mandatory})

    @property
    def passed(self) -> bool:
        return self.mandatory_count == 0

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1

    def verdict(self) -> str:
        state = "passed" if self.passed else "FAILED"
        mode = "preview" if self.preview else "assume-created"
        text = (f"policy {state}: {self.mandatory_count} mandatory, {self.advisory_count} advisory violation(s) "
                f"({self.policies_evaluated} policies x {self.resources_evaluated} custom resources, {self.environment}, "
                f"{mode})")
        not_run = self.mandatory_not_run
        if not_run:
            text += (f"; {len(not_run)} mandatory polic{'y' if len(not_run) == 1 else 'ies'} could not run "
                     f"during preview: {', '.join(not_run)}")
        return text

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "policy_pack": self.policy_pack,
            "environment": self.environment,
            "resources_evaluated": self.resources_evaluated,
            "policies_evaluated": self.policies_evaluated,
            "passed": self.passed,
            "mandatory_count": self.mandatory_count,
            "advisory_count": self.advisory_count,
            "preview": self.preview,
            "violations": [asdict(v) for v in self.violations],
            "exempted": [asdict(e) for e in self.exempted],
            "not_run": [asdict(n) for n in self.not_run],
            "not_applicable": [asdict(n) for n in self.not_applicable],
        }
