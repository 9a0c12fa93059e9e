"""Turns the catalogue into pulumi_policy objects.

The validate callbacks built here are the ones the real engine calls (through the pack's entry point)
and the ones the offline runner calls: they read the policy's config (`args.get_config()`), apply
exemptions, run the check and report what it finds.
"""

from __future__ import annotations

import json
import re
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Mapping

from pulumi_policy import (
    EnforcementLevel, Policy, PolicyComplianceFramework, PolicyConfigSchema, ResourceValidationArgs,
    ResourceValidationPolicy, Severity, StackValidationArgs, StackValidationPolicy,
)

from policies.catalogue import catalogue
from policies.config import Exemption, PolicySettings, detect_environment
from policies.spec import ENVIRONMENTS, Context, PolicySpec, Subject
from policies.views import StackView, name_of

PACK_NAME = "mladmin-ml-platform"
PACK_DESCRIPTION = "Security and cost guardrails for the mladmin LLM platform on AWS (EKS, SageMaker, S3)."
PACK_MANIFEST = Path(__file__).parent / "PulumiPolicy.yaml"


@lru_cache(maxsize=1)
def pack_version() -> str:
    """The pack's version as `pulumi policy publish` reads it: PulumiPolicy.yaml's `version`."""
    found = re.search(r"^version:\s*['\"]?([^'\"\s]+)", PACK_MANIFEST.read_text(encoding="utf-8"), re.MULTILINE)
    return found.group(1) if found else "0.0.1"  # pulumi_policy's own fallback

_EXEMPTION_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {"policy": {"type": "string"}, "resource": {"type": "string"},
                       "reason": {"type": "string", "minLength": 10},
                       "expires": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}},
        "required": ["resource", "reason", "expires"],
    },
}


def config_schema(spec: PolicySpec) -> PolicyConfigSchema:
    properties: dict[str, dict[str, Any]] = {
        "environment": {"type": "string", "enum": list(ENVIRONMENTS)},
        "exemptions": _EXEMPTION_SCHEMA,
    }
    if spec.params is not None:
        schema = spec.params.model_json_schema(by_alias=True)
        properties.update({k: {kk: vv for kk, vv in v.items() if kk != "title"}
                           for k, v in schema.get("properties", {}).items()})
    return PolicyConfigSchema(properties=properties)


_context_cache: dict[tuple[str, str], tuple[Context, tuple[Exemption, ...]]] = {}


def context_from_config(spec: PolicySpec, config: Mapping[str, Any] | None) -> Context:
    """The check's context from the policy's config (environment, exemptions, parameters)."""
    same = _identity_cache.get(spec.id)
    if same is not None and same[0] is config:  # the offline runner passes one config object per policy
        return same[1]
    context = _context_from_config(spec, config)
    _identity_cache[spec.id] = (config, context)
    return context


_identity_cache: dict[str, tuple[Any, Context]] = {}


def _context_from_config(spec: PolicySpec, config: Mapping[str, Any] | None) -> Context:
    config = dict(config or {})
    key = (spec.id, json.dumps(config, sort_keys=True, default=str))
    cached = _context_cache.get(key)
    if cached is not None:
        return cached[0]
    environment = config.pop("environment", None) or detect_environment()
    exemptions = tuple(Exemption.model_validate({"policy": spec.id, **e}) for e in config.pop("exemptions", ()) or ())
    overrides = {k: v for k, v in config.items() if k != "enforcementLevel"}
    params = spec.params_for(environment, overrides)
    context = Context(environment=environment, params=params, exemptions=exemptions)
    if len(_context_cache) > 4096:
        _context_cache.clear()
    _context_cache[key] = (context, exemptions)
    return context


def _reporter(spec: PolicySpec, ctx: Context, report_violation: Callable) -> Callable[[str, str | None], None]:
    """report_violation that honours exemptions; an offline recorder may also learn what was exempted."""
    exempted = getattr(report_violation, "exempted", None)
    today = date.today()

    def report(message: str, urn: str | None) -> None:
        if urn:
            for exemption in ctx.exemptions:
                if exemption.policy != spec.id or not exemption.matches(name_of(urn), urn):
                    continue
                if not exemption.expired(today):
                    if exempted is not None:
                        exempted(message, urn, exemption)
                    return
                message += f" (exemption expired on {exemption.expires.isoformat()})"
        report_violation(message, urn)

    return report


def resource_validator(spec: PolicySpec) -> Callable[[ResourceValidationArgs, Callable], None]:
    types = frozenset(spec.resource_types)

    def validate(args: ResourceValidationArgs, report_violation: Callable) -> None:
        if types and args.resource_type not in types:
            return
        ctx = context_from_config(spec, args.get_config())
        provider = getattr(args, "provider", None)
        subject = Subject(args.resource_type, args.name, args.urn, args.props or {},
                          (provider.props if provider is not None else None) or {})
        report = _reporter(spec, ctx, report_violation)
        for message in spec.check(subject, ctx):
            report(message, args.urn)

    validate.__name__ = spec.check.__name__
    return validate


def stack_validator(spec: PolicySpec) -> Callable[[StackValidationArgs, Callable], None]:
    def validate(args: StackValidationArgs, report_violation: Callable) -> None:
        ctx = context_from_config(spec, args.get_config())
        report = _reporter(spec, ctx, report_violation)
        for urn, message in spec.check(StackView(args.resources), ctx):
            report(message, urn)

    validate.__name__ = spec.check.__name__
    return validate


def to_policy(spec: PolicySpec, level: str) -> Policy:
    first_framework = spec.frameworks[0] if spec.frameworks else None
    common = dict(
        name=spec.id,
        description=spec.description,
        enforcement_level=EnforcementLevel(level),
        config_schema=config_schema(spec),
        display_name=spec.title,
        severity=Severity(spec.severity.value),
        framework=PolicyComplianceFramework(
            name=first_framework.name, version=first_framework.version, reference=first_framework.control,
        ) if first_framework else None,
        tags=[spec.area] + [str(f) for f in spec.frameworks],
        remediation_steps=spec.remediation,
    )
    if spec.kind == "resource":
        return ResourceValidationPolicy(validate=resource_validator(spec), **common)
    return StackValidationPolicy(validate=stack_validator(spec), **common)


def build_policies(environment: str, settings: PolicySettings | None = None) -> list[Policy]:
    """Every policy of the pack with its enforcement level for `environment` (after stack overrides)."""
    settings = settings or PolicySettings()
    return [to_policy(spec, settings.level(spec, environment).value) for spec in catalogue().values()]


def policy_config(spec: PolicySpec, environment: str, settings: PolicySettings) -> dict[str, Any]:
    """What `args.get_config()` holds for one policy: the same offline and in `--policy-pack-config`."""
    exemptions = settings.exemptions if spec.id == "policy-exemption-expired" else settings.exemptions_for(spec.id)
    config: dict[str, Any] = {"environment": environment, "exemptions": [e.to_config() for e in exemptions]}
    params = spec.params_for(environment, settings.parameters.get(spec.id, {}))
    if params is not None:
        config.update(params.model_dump(by_alias=True))  # explicit, so the real engine needs no defaults
    return config


def pack_config(environment: str, settings: PolicySettings) -> dict[str, Any]:
    """The JSON for `pulumi preview --policy-pack policies --policy-pack-config FILE`."""
    return {spec.id: {"enforcementLevel": settings.level(spec, environment).value,
                      **policy_config(spec, environment, settings)}
            for spec in catalogue().values()}


def initial_config(environment: str, settings: PolicySettings) -> dict[str, dict[str, Any]]:
    """pack_config in the form PolicyPack(initial_config=...) takes: the defaults the engine hands back
    through `args.get_config()` unless `--policy-pack-config` overrides them."""
    return {policy_id: {**values, "enforcementLevel": EnforcementLevel(values["enforcementLevel"])}
            for policy_id, values in pack_config(environment, settings).items()}

