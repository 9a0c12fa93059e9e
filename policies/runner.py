"""The offline runner: evaluates the pack's policies over a plan from mladmin's offline engine.

It builds the same pulumi_policy objects the pack serves (policies.pack.build_policies) and calls
their validate callbacks with ResourceValidationArgs / StackValidationArgs made from the plan, the
way the Pulumi engine does, with the per-policy config the real engine would get from
`--policy-pack-config` (policies.pack.pack_config).

As in `pulumi preview`, props may hold unknown values (a plan made in preview mode): a check that
reads one raises the engine's UnknownValueError, and the policy is reported as not run for that
resource (resource policies) or for the stack (stack policies), with Pulumi's own message. Stack
policies get each resource's property dependencies, parent and dependencies, as the engine sends them.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from pulumi_policy import (
    PolicyCustomTimeouts, PolicyProviderResource, PolicyResource, PolicyResourceOptions, ResourceValidationArgs,
    ResourceValidationPolicy, StackValidationArgs,
)

from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from policies.catalogue import catalogue
from policies.config import CONFIG_KEY, Exemption, PolicySettings, load_settings, resolve_environment
from policies.pack import PACK_NAME, build_policies, pack_version, policy_config
from policies.report import Exempted, NotApplicable, NotRun, Report, Violation
from policies.spec import Level
from policies.views import name_of, type_of

STACK_TYPE = "pulumi:pulumi:Stack"


class Recorder:
    """A report_violation callback that records findings (and, offline, what exemptions hid)."""

    def __init__(self, spec: Any, level: str, fallback: Any, lookup: dict[str, Any]):
        self.spec, self.level, self.fallback, self.lookup = spec, level, fallback, lookup
        self.violations: list[Violation] = []
        self.exemptions: list[Exempted] = []

    def __call__(self, message: str, urn: str | None = None) -> None:
        resource = self.lookup.get(urn or "") or self.fallback
        self.violations.append(Violation(
            policy=self.spec.id, severity=self.spec.severity.value, enforcement=self.level,
            resource_type=resource.type if resource else type_of(urn or ""),
            resource_name=resource.name if resource else name_of(urn or ""),
            urn=(urn or (resource.urn if resource else "")), message=message,
            title=self.spec.title, remediation=self.spec.remediation,
        ))

    def exempted(self, message: str, urn: str, exemption: Exemption) -> None:
        self.exemptions.append(Exempted(self.spec.id, name_of(urn), urn, message, exemption.reason,
                                        exemption.expires.isoformat()))


class _StackStandIn:
    """Where a stack-level finding points when the plan has no stack resource."""

    def __init__(self, plan: Any):
        self.type = STACK_TYPE
        self.name = f"{plan.project}-{plan.stack}"
        self.urn = f"urn:pulumi:{plan.stack}::{plan.project}::{STACK_TYPE}::{self.name}"


def _options(resource: Any) -> PolicyResourceOptions:
    return PolicyResourceOptions(bool(getattr(resource, "protect", False)), [], None, [],
                                 PolicyCustomTimeouts(0, 0, 0), [], resource.parent)


def _props(resource: Any) -> dict:
    """Stack policies see outputs (in preview: the inputs plus unknowns for what the provider computes)."""
    props = dict(resource.inputs or {})
    props.update(resource.outputs or {})
    if resource.id and "id" not in props:
        props["id"] = resource.id
    return props


def settings_of(plan: Any) -> tuple[str, PolicySettings]:
    source = getattr(plan, "config_file", None) or f"stack {plan.stack}"
    environment = resolve_environment(plan.config, plan.stack, source=source)
    settings = load_settings(plan.config.get(CONFIG_KEY), catalogue(), environment, source=source)
    return environment, settings


def evaluate(plan: Any, settings: PolicySettings | None = None, environment: str | None = None) -> Report:
    """Evaluate every enabled policy over `plan`; settings and environment default to the plan's config.

    Raises policies.config.PolicyConfigError when `mladmin:policy` or `mladmin:environment` is invalid.
    """
    if settings is None or environment is None:
        environment, settings = settings_of(plan)
    specs = catalogue()
    policies = build_policies(environment, settings)
    resources = list(plan.resources)
    by_urn = {r.urn: r for r in resources}
    by_type: dict[str, list[Any]] = defaultdict(list)
    for resource in resources:
        by_type[resource.type].append(resource)
    stack_resource = next((r for r in resources if r.type == STACK_TYPE), None) or _StackStandIn(plan)
    providers = _providers(resources, by_urn)
    stack_view = _policy_resources(resources)
    # Props wrapped as the engine wraps them (Mapping/Sequence proxies), built once per resource.
    inputs = {r.urn: unknown_checking_proxy(dict(r.inputs or {})) for r in resources}
    pack = f"{PACK_NAME}@v{pack_version()}"

    report = Report(stack=plan.stack, project=plan.project, environment=environment, policy_pack=PACK_NAME,
                    resources_evaluated=_created_count(resources), policies_evaluated=0,
                    source=getattr(plan, "config_file", None), preview=bool(getattr(plan, "preview", False)))
    for policy in policies:
        spec = specs[policy.name]
        level = policy.enforcement_level.value
        report.levels[spec.id] = level
        if level == Level.DISABLED.value:
            continue
        report.policies_evaluated += 1
        recorder = Recorder(spec, level, stack_resource, by_urn)
        config = policy_config(spec, environment, settings)
        subjects = [r for t in spec.resource_types for r in by_type.get(t, ())]
        if spec.resource_types and not subjects:
            report.not_applicable.append(NotApplicable(spec.id, level, _nothing_to_evaluate(spec.resource_types)))
        if isinstance(policy, ResourceValidationPolicy):
            for resource in subjects if spec.resource_types else resources:
                if getattr(resource, "read", False):  # the engine analyzes what a program creates, not reads
                    continue
                args = ResourceValidationArgs(resource.type, inputs[resource.urn], resource.urn, resource.name,
                                              _options(resource), providers.get(resource.urn), config)
                try:
                    policy.validate(args, recorder)
                except UnknownValueError as error:
                    report.not_run.append(NotRun(spec.id, level, resource.type, resource.name, resource.urn,
                                                 _cannot_run(spec.id, pack, error)))
        elif not spec.resource_types or subjects:
            try:
                policy.validate(StackValidationArgs(stack_view, config), recorder)
            except UnknownValueError as error:
                report.not_run.append(NotRun(spec.id, level, STACK_TYPE, stack_resource.name, "",
                                             _cannot_run(spec.id, pack, error)))
        report.violations.extend(recorder.violations)
        report.exempted.extend(recorder.exemptions)
    return report


def _cannot_run(policy_id: str, pack: str, error: UnknownValueError) -> str:
    """Pulumi's own words (pulumi_policy's analyzer server) for a check that read an unknown value."""
    return f"can't run policy '{policy_id}' from policy pack '{pack}' during preview: {error.message}"


def _nothing_to_evaluate(types: tuple[str, ...]) -> str:
    shown = ", ".join(types[:3]) + (f" (+{len(types) - 3} more)" if len(types) > 3 else "")
    return f"no resource of its types in the plan: {shown}"


def _created_count(resources: list[Any]) -> int:
    """Custom resources the program creates, as `mladmin plan` counts them: not components, the stack,
    reads, or the providers the engine makes from config."""
    return sum(1 for r in resources if getattr(r, "custom", True) and r.type != STACK_TYPE
               and not getattr(r, "read", False) and not getattr(r, "is_default_provider", False))


def _providers(resources: list[Any], by_urn: dict[str, Any]) -> dict[str, PolicyProviderResource]:
    """resource urn -> its provider (a reference is '<provider urn>::<id>')."""
    found: dict[str, PolicyProviderResource] = {}
    cache: dict[str, PolicyProviderResource] = {}
    for resource in resources:
        reference = getattr(resource, "provider", None)
        if not reference:
            continue
        urn = reference.rsplit("::", 1)[0]
        if urn not in cache:
            provider = by_urn.get(urn)
            cache[urn] = PolicyProviderResource(provider.type if provider else type_of(urn),
                                                unknown_checking_proxy(dict(provider.inputs or {}) if provider else {}),
                                                urn, name_of(urn))
        found[resource.urn] = cache[urn]
    return found


def _policy_resources(resources: list[Any]) -> list[PolicyResource]:
    """The plan as the engine hands it to stack policies: parents, dependencies and property
    dependencies (input property -> the resources whose outputs feed it) linked."""
    made = {r.urn: PolicyResource(r.type, unknown_checking_proxy(_props(r)), r.urn, r.name, _options(r), None, None, [], {})
            for r in resources}
    for r in resources:
        policy_resource = made[r.urn]
        if r.parent in made:
            policy_resource.parent = made[r.parent]
        policy_resource.dependencies = [made[d] for d in r.dependencies if d in made]
        for prop, urns in (getattr(r, "property_dependencies", None) or {}).items():
            policy_resource.property_dependencies[prop] = [made[u] for u in urns if u in made]
    return list(made.values())
