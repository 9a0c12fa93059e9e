"""The pack and its fixtures held against the installed provider SDKs (pulumi-aws, pulumi-kubernetes).

A type token no SDK defines, or a property the provider does not have, never matches anything: the
policy passes silently. These tests collect every token the pack names and every property path it
reads (by running each policy over its fixtures and over the shipped stacks with props that record
each lookup), and every path the fixtures write, and look each one up in the SDKs.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from policies.catalogue import AREAS, catalogue
from policies.spec import Context, Subject
from policies.views import StackView
from tests.policies import sdk_schema
from tests.policies.builders import HAND_WRITTEN_URN, Case
from tests.policies.fixtures import FAILING, PASSING, bucket_set
from tests.policies.recording import POLICIES_DIR, Reads, record

TOKEN_LITERAL = re.compile(r"""["']((?:aws|kubernetes):[A-Za-z0-9._-]+/[A-Za-z0-9._]+:[A-Za-z0-9]+)["']""")
# Lookups that probe any resource for a way to name it (StackView's id/ARN/name joins): not claims
# that the resource type has the property.
PROBE = " identifiers"  # recording.py names such reads after StackView.identifiers


def _cases():
    for table in (PASSING, FAILING):
        for policy_id, cases in table.items():
            for case in cases:
                yield policy_id, case


class _StackResource:
    """What a stack policy sees of one resource (the shape of pulumi_policy.PolicyResource)."""

    def __init__(self, resource, props):
        self.resource_type, self.urn, self.name, self.props = resource.type, resource.urn, resource.name, props
        self.parent, self.dependencies, self.property_dependencies = None, [], {}
        self.options = None


def _state(resource) -> dict:
    props = {**(resource.inputs or {}), **(resource.outputs or {})}
    props.setdefault("id", resource.id)
    return props


def run_recorded(spec, resources, environment: str, sink: Reads) -> None:
    """Run one policy's check over `resources` with recording props (inputs for resource policies,
    inputs and outputs for stack policies, as the engine gives them)."""
    ctx = Context(environment=environment, params=spec.params_for(environment))
    sink.kind = spec.kind
    if spec.kind == "resource":
        providers = {r.urn: r for r in resources if r.type.startswith("pulumi:providers:")}
        for resource in resources:
            if spec.resource_types and resource.type not in spec.resource_types:
                continue
            provider = providers.get((resource.provider or "").rsplit("::", 1)[0])
            provider_props = record(dict(provider.inputs), provider.type, sink) if provider else {}
            subject = Subject(resource.type, resource.name, resource.urn,
                              record(dict(resource.inputs or {}), resource.type, sink), provider_props)
            list(spec.check(subject, ctx))
    else:
        made = {r.urn: _StackResource(r, record(_state(r), r.type, sink)) for r in resources}
        for r in resources:  # property dependencies, as the engine sends them (joins in preview use them)
            made[r.urn].property_dependencies = {prop: [made[u] for u in urns if u in made]
                                                 for prop, urns in (r.property_dependencies or {}).items()}
        list(spec.check(StackView(list(made.values())), ctx))


@pytest.fixture(scope="module")
def fixture_reads() -> Reads:
    sink = Reads()
    specs = catalogue()
    for policy_id, case in _cases():
        run_recorded(specs[policy_id], case.resources, case.environment, sink)
    return sink


@pytest.fixture(scope="module")
def stack_reads(all_plans) -> Reads:
    sink = Reads()
    for environment, plan in all_plans.items():
        for spec in catalogue().values():
            run_recorded(spec, plan.resources, environment, sink)
    return sink


def _token_problems(tokens) -> list[str]:
    return sorted({t for t in tokens if not sdk_schema.known_token(t)})


def test_every_type_a_policy_judges_exists_in_the_sdks():
    named = {(spec.id, t) for spec in catalogue().values() for t in spec.resource_types}
    assert [f"{pid}: {t}" for pid, t in sorted(named) if not sdk_schema.known_token(t)] == []


def test_every_type_token_written_in_the_pack_exists_in_the_sdks():
    found = {}
    for source in sorted(POLICIES_DIR.glob("*.py")):
        for token in TOKEN_LITERAL.findall(source.read_text(encoding="utf-8")):
            found.setdefault(token, source.name)
    assert [f"{found[t]}: {t}" for t in _token_problems(found)] == []


def test_every_fixture_resource_type_exists_in_the_sdks():
    types = {r.type for _, case in _cases() for r in case.resources}
    assert _token_problems(types) == []


def test_every_fixture_property_is_a_provider_input():
    problems = set()
    hand_written = [("bucket_set", Case(bucket_set("data", replicate=True)))]
    for policy_id, case in [*_cases(), *hand_written]:
        for resource in case.resources:
            if getattr(resource, "is_default_provider", False):
                continue  # the engine's, made from aws:* config, not the fixture's
            if not sdk_schema.known_token(resource.type):
                continue  # reported by the type test
            for path in sdk_schema.paths_of(resource.inputs or {}):
                problem = sdk_schema.input_problem(resource.type, path) if path else None
                if problem:
                    problems.add(f"{policy_id} fixture '{resource.name}' ({resource.type}): {'.'.join(path)}: {problem}")
            if not resource.urn.startswith(HAND_WRITTEN_URN):
                continue  # planned: its outputs are the mock engine's, not the fixture's
            for path in sdk_schema.paths_of(resource.outputs or {}):
                problem = sdk_schema.state_problem(resource.type, path) if path else None
                if problem:
                    problems.add(f"{policy_id} fixture '{resource.name}' output {'.'.join(path)}: {problem}")
    assert sorted(problems) == []


def _read_problems(reads: Reads) -> list[str]:
    problems = set()
    for read in reads:
        if read.where.endswith(PROBE) or not sdk_schema.known_token(read.type):
            continue
        # A stack policy's props carry inputs and outputs; a resource policy's only inputs.
        check = sdk_schema.state_problem if read.kind == "stack" else sdk_schema.input_problem
        problem = check(read.type, read.path)
        if problem and sdk_schema.state_problem(read.type, read.path) is None:
            problem = f"an output, not an input: resource policies see only inputs ({problem})"
        if problem:
            problems.add(f"{read.where} reads {'.'.join(read.path)} of {read.type}: {problem}")
    return sorted(problems)


def test_every_property_the_pack_reads_over_its_fixtures_exists(fixture_reads):
    assert _read_problems(fixture_reads) == []


def test_every_property_the_pack_reads_over_the_shipped_stacks_exists(stack_reads):
    assert _read_problems(stack_reads) == []


# Lookups that are not of provider properties: keys of IAM policy documents parsed from JSON (and of
# their conditions), and of dicts a check builds itself (module -> keys).
DOCUMENT_KEYS = {"Version", "Statement", "Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction",
                 "Resource", "NotResource", "Condition", "aws:securetransport"}
BUILT_HERE = {
    "network.py": {"protocol", "from", "to", "cidrs"},  # _ingress_rules' normalised records
    "observability.py": {"tags", "environment"},  # the parsed default_tags JSON; effective_tags' result
    "kubernetes.py": {"runAsUser", "runAsNonRoot"},  # the pod and container security contexts merged
    # keys of the parsed container_definitions JSON (the ECS API's ContainerDefinition, not provider inputs)
    "ecs.py": {"name", "value", "privileged", "readonlyRootFilesystem", "user", "environment"},
}


def _lookups(source: Path):
    """(key, first line, last line) of each string literal a check looks up: x.get("k"), x["k"], dig(x, "a")."""
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == "get" and node.args:
                candidates = node.args[:1]
            elif isinstance(func, ast.Name) and func.id == "dig":
                candidates = node.args[1:]
            else:
                continue
            for arg in candidates:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    yield arg.value, node.lineno, node.end_lineno
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
            yield node.slice.value, node.lineno, node.end_lineno


def test_every_property_lookup_in_the_pack_is_reached_by_a_fixture(fixture_reads):
    """Only lookups that run are recorded and held against the SDKs: each lookup site in the policy
    modules must run over some fixture."""
    reached = set()
    for read in fixture_reads:
        match = re.match(r"policies/(\w+\.py):(\d+) ", read.where)
        if match:
            reached.add((match.group(1), int(match.group(2))))
    unreached = set()
    for module in (POLICIES_DIR / f"{area}.py" for area in AREAS):
        for key, first, last in _lookups(module):
            if key in DOCUMENT_KEYS or key in BUILT_HERE.get(module.name, ()):
                continue
            if not any((module.name, line) in reached for line in range(first, last + 1)):
                unreached.add(f"policies/{module.name}:{first} '{key}'")
    assert not unreached, f"add fixtures that reach these lookups: {', '.join(sorted(unreached))}"


def test_every_policy_document_input_named_in_the_resource_policy_tables_exists():
    """resource_policies.py looks the document's input up in tables, for types no fixture may reach."""
    from policies import resource_policies as rp

    named = {**rp.SNS, **rp.SQS, **rp.ECR, **rp.SECRETS, **rp.OTHERS}
    named.update({(rp.LAMBDA_PERMISSION, limit): limit for limit in rp.LAMBDA_LIMITS})
    problems = []
    for key, prop in named.items():
        token = key[0] if isinstance(key, tuple) else key
        problem = sdk_schema.input_problem(token, (prop,))
        if problem:
            problems.append(f"{token} {prop}: {problem}")
    assert problems == []


POLICY_INPUT = re.compile(r"^\s+(policy|access_policy|access_policies|policy_document|resource_policy): pulumi\.Input\[",
                          re.MULTILINE)


def test_every_pulumi_aws_type_that_takes_a_policy_document_is_judged_or_excused():
    """A new resource policy type in pulumi-aws must be judged by some policy or listed, with a reason,
    in resource_policies.NOT_JUDGED."""
    from policies.resource_policies import NOT_JUDGED

    judged = {t for spec in catalogue().values() for t in spec.resource_types}
    root = Path(sdk_schema._package_root("pulumi_aws"))
    unjudged = []
    for token, (_, module, _) in sorted(sdk_schema.token_index().items()):
        if not token.startswith("aws:") or token in judged or token in NOT_JUDGED:
            continue
        source = root.joinpath(*module.split(".")[1:]).with_suffix(".py").read_text(encoding="utf-8")
        if POLICY_INPUT.search(source.split("\nclass _", 1)[0]):  # the Args class comes first
            unjudged.append(token)
    assert unjudged == []
