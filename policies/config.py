"""The stack's policy settings (`mladmin:policy`): enforcement overrides, exemptions, parameters.

```yaml
mladmin:policy:
  enforcement:                      # policy id -> advisory | mandatory | disabled
    s3-versioning: mandatory
  exemptions:                       # each needs a reason and an expiry date
    - policy: k8s-run-as-non-root
      resource: "dcgm-exporter*"    # logical name or URN, glob patterns allowed
      reason: "NVIDIA DCGM exporter needs root to read GPU counters (vendor ticket 4411)"
      expires: 2026-12-31
  parameters:                       # policy id -> that policy's parameters (camelCase)
    gpu-budget: {maxGpus: 64}
```
"""

from __future__ import annotations

import difflib
import fnmatch
import json
import os
from datetime import date
from typing import Any, Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from policies.spec import ENVIRONMENTS, Level, PolicySpec

CONFIG_KEY = "mladmin:policy"
ENVIRONMENT_KEY = "mladmin:environment"


class PolicyConfigError(ValueError):
    """The policy settings are invalid; one line per problem, each naming the source and key."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


class Exemption(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    policy: str = Field(min_length=1)
    resource: str = Field(min_length=1, description="logical name or URN; glob patterns (*, ?) allowed")
    reason: str = Field(min_length=10, description="why the finding is accepted, for the auditor")
    expires: date

    @field_validator("reason")
    @classmethod
    def _reason_has_words(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("reason must not be blank")
        return value

    def matches(self, name: str, urn: str) -> bool:
        return fnmatch.fnmatchcase(name, self.resource) or fnmatch.fnmatchcase(urn, self.resource)

    def expired(self, today: date | None = None) -> bool:
        return self.expires < (today or date.today())

    def to_config(self) -> dict[str, str]:
        return {"policy": self.policy, "resource": self.resource, "reason": self.reason,
                "expires": self.expires.isoformat()}


class PolicySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enforcement: dict[str, Level] = Field(default_factory=dict)
    exemptions: list[Exemption] = Field(default_factory=list)
    parameters: dict[str, dict[str, Any]] = Field(default_factory=dict)

    def level(self, spec: PolicySpec, environment: str) -> Level:
        return self.enforcement.get(spec.id, spec.default_level(environment))

    def exemptions_for(self, policy_id: str) -> list[Exemption]:
        return [e for e in self.exemptions if e.policy == policy_id]


def _location(loc: tuple) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def load_settings(raw: Any, catalogue: Mapping[str, PolicySpec], environment: str,
                  source: str = "stack config") -> PolicySettings:
    """Validate `mladmin:policy` (a dict, a JSON string or absent) against the catalogue."""
    prefix = f"{source}: {CONFIG_KEY}"
    if raw is None or raw == "":
        raw = {}
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise PolicyConfigError([f"{prefix}: not valid JSON ({exc})"]) from None
    if not isinstance(raw, dict):
        raise PolicyConfigError([f"{prefix}: expected a mapping with enforcement, exemptions and parameters, "
                                 f"got {type(raw).__name__}"])
    try:
        settings = PolicySettings.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = f"{prefix}{_location(error['loc'])}"
            if error["type"] == "extra_forbidden":
                key = str(error["loc"][-1])
                problems.append(f"{where}: unknown key{_suggest(key, ['enforcement', 'exemptions', 'parameters', 'policy', 'resource', 'reason', 'expires'])}")
            elif error["type"].startswith("date"):
                problems.append(f"{where}: {error.get('input')!r} is not a date (expected YYYY-MM-DD)")
            elif error["type"] == "enum":
                problems.append(f"{where}: {error.get('input')!r} is not an enforcement level "
                                f"(expected advisory, mandatory or disabled)")
            else:
                problems.append(f"{where}: {error['msg']}")
        raise PolicyConfigError(problems) from None

    ids = sorted(catalogue)
    problems = []
    for policy_id in settings.enforcement:
        if policy_id not in catalogue:
            problems.append(f"{prefix}.enforcement.{policy_id}: unknown policy{_suggest(policy_id, ids)}")
    for i, exemption in enumerate(settings.exemptions):
        if exemption.policy not in catalogue:
            problems.append(f"{prefix}.exemptions[{i}].policy: unknown policy '{exemption.policy}'"
                            f"{_suggest(exemption.policy, ids)}")
    for policy_id, values in settings.parameters.items():
        spec = catalogue.get(policy_id)
        if spec is None:
            problems.append(f"{prefix}.parameters.{policy_id}: unknown policy{_suggest(policy_id, ids)}")
        elif spec.params is None:
            problems.append(f"{prefix}.parameters.{policy_id}: this policy takes no parameters")
        else:
            try:
                spec.params_for(environment, values)
            except ValidationError as exc:
                for error in exc.errors():
                    problems.append(f"{prefix}.parameters.{policy_id}{_location(error['loc'])}: {error['msg']}")
    if problems:
        raise PolicyConfigError(problems)
    return settings


def resolve_environment(config: Mapping[str, Any], stack: str, source: str = "stack config") -> str:
    """`mladmin:environment`, else the stack name when it names an environment, else prod (strictest)."""
    value = config.get(ENVIRONMENT_KEY)
    if value is not None:
        if value not in ENVIRONMENTS:
            raise PolicyConfigError([f"{source}: {ENVIRONMENT_KEY}: {value!r} is not an environment "
                                     f"(expected one of {', '.join(ENVIRONMENTS)})"])
        return str(value)
    return stack if stack in ENVIRONMENTS else "prod"


def detect_environment() -> str:
    """The environment in the real engine, where the pack runs as a plugin of `pulumi preview`.

    MLADMIN_ENVIRONMENT, else the stack config the CLI passes in PULUMI_CONFIG, else PULUMI_STACK.
    """
    explicit = os.environ.get("MLADMIN_ENVIRONMENT")
    if explicit in ENVIRONMENTS:
        return explicit
    try:
        stack_config = json.loads(os.environ.get("PULUMI_CONFIG", "{}"))
    except ValueError:
        stack_config = {}
    try:
        return resolve_environment(stack_config, os.environ.get("PULUMI_STACK", ""))
    except PolicyConfigError:
        return "prod"


def stack_policy_config() -> Any:
    """`mladmin:policy` from the stack config the Pulumi CLI passes to the pack, if any."""
    try:
        return json.loads(os.environ.get("PULUMI_CONFIG", "{}")).get(CONFIG_KEY)
    except (ValueError, AttributeError):
        return None
