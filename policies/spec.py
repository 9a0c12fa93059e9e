"""What a policy is: its metadata, its check function and its per-environment defaults.

Area modules (storage.py, network.py, ...) declare policies with `@resource_policy(...)` or
`@stack_policy(...)`; the decorator records a `PolicySpec` in `REGISTRY`. `catalogue.py` imports
the area modules and exposes the ordered catalogue; `pack.py` turns specs into pulumi_policy
objects. Nothing here imports Pulumi itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable, Iterable, Mapping

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from policies.facts.environments import ENVIRONMENTS


class Severity(str, Enum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class Level(str, Enum):
    """Enforcement levels, spelled as Pulumi spells them."""

    ADVISORY = "advisory"
    MANDATORY = "mandatory"
    DISABLED = "disabled"


# Enforcement presets: the default level per environment.
STRICT = {"dev": Level.MANDATORY, "staging": Level.MANDATORY, "prod": Level.MANDATORY}
STANDARD = {"dev": Level.ADVISORY, "staging": Level.MANDATORY, "prod": Level.MANDATORY}
PROD_ONLY = {"dev": Level.DISABLED, "staging": Level.DISABLED, "prod": Level.MANDATORY}
ADVISORY = {"dev": Level.ADVISORY, "staging": Level.ADVISORY, "prod": Level.ADVISORY}
# A must where users are served; elsewhere advice (e.g. a rollback guard on endpoints).
PROD_MANDATORY = {"dev": Level.ADVISORY, "staging": Level.ADVISORY, "prod": Level.MANDATORY}


@dataclass(frozen=True)
class Framework:
    """One control of a compliance framework that a policy maps to."""

    name: str
    version: str
    control: str

    def __str__(self) -> str:
        return f"{self.name} {self.version} {self.control}"


def cis_aws(control: str) -> Framework:
    return Framework("CIS AWS Foundations Benchmark", "3.0.0", control)


def cis_eks(control: str) -> Framework:
    return Framework("CIS Amazon EKS Benchmark", "1.5.0", control)


def nist(control: str) -> Framework:
    return Framework("NIST SP 800-53", "rev5", control)


def pss(control: str) -> Framework:
    return Framework("Kubernetes Pod Security Standards", "v1.30", control)


class Params(BaseModel):
    """Base of a policy's tunable parameters (set per stack under `mladmin:policy.parameters`)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, alias_generator=to_camel)


@dataclass(frozen=True)
class Subject:
    """The resource a resource policy looks at (a view over ResourceValidationArgs)."""

    type: str
    name: str
    urn: str
    props: Mapping[str, Any]
    provider_props: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Context:
    """What a check knows about where it runs."""

    environment: str
    params: Any = None  # an instance of the policy's Params model, or None
    exemptions: tuple = ()  # the Exemption objects configured for this policy


ResourceCheck = Callable[[Subject, Context], Iterable[str]]
# A stack check yields (urn or None, message) pairs; it receives a `StackView` (views.py).
StackCheck = Callable[[Any, Context], Iterable[tuple[str | None, str]]]


@dataclass(frozen=True)
class PolicySpec:
    id: str
    area: str
    kind: str  # "resource" | "stack"
    title: str
    description: str
    severity: Severity
    remediation: str
    frameworks: tuple[Framework, ...]
    enforcement: Mapping[str, Level]
    check: Callable[..., Iterable[Any]]
    # The types a policy judges: a resource policy runs on these (empty: all); either kind has nothing to
    # evaluate in a plan without one (the report lists it as not applicable).
    resource_types: tuple[str, ...] = ()
    params: type[Params] | None = None
    param_defaults: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # env -> values

    def default_level(self, environment: str) -> Level:
        return self.enforcement[environment]

    def params_for(self, environment: str, overrides: Mapping[str, Any] | None = None) -> Params | None:
        if self.params is None:
            return None
        values = {to_camel(k): v for k, v in self.param_defaults.get(environment, {}).items()}
        values.update(overrides or {})
        return self.params.model_validate(values)


REGISTRY: dict[str, PolicySpec] = {}


def _register(spec: PolicySpec) -> None:
    if spec.id in REGISTRY:
        raise ValueError(f"duplicate policy id {spec.id!r}")
    if set(spec.enforcement) != set(ENVIRONMENTS):
        raise ValueError(f"{spec.id}: enforcement must name {ENVIRONMENTS}")
    REGISTRY[spec.id] = spec


def _decorator(kind: str, **meta: Any) -> Callable[[Callable], Callable]:
    def wrap(fn: Callable) -> Callable:
        doc = (fn.__doc__ or "").strip()
        _register(
            PolicySpec(
                kind=kind,
                check=fn,
                description=meta.pop("description", doc),
                frameworks=tuple(meta.pop("frameworks", ())),
                resource_types=tuple(meta.pop("types", ())),
                **meta,
            )
        )
        return fn

    return wrap


def resource_policy(**meta: Any) -> Callable[[ResourceCheck], ResourceCheck]:
    """Declare a resource policy: the function yields one message per problem found."""
    return _decorator("resource", **meta)


def stack_policy(**meta: Any) -> Callable[[StackCheck], StackCheck]:
    """Declare a stack policy: the function yields (urn, message) per problem found."""
    return _decorator("stack", **meta)
