"""Every policy has metadata, and resources that pass and fail it — both tested."""

from __future__ import annotations

import pytest

from policies.catalogue import catalogue
from policies.runner import evaluate
from policies.spec import ENVIRONMENTS, Level, Severity
from tests.policies.builders import plan
from tests.policies.fixtures import FAILING, PASSING

PASSING_CASES = [pytest.param(pid, case, id=f"{pid}-{i}") for pid, cases in PASSING.items() for i, case in enumerate(cases)]
FAILING_CASES = [pytest.param(pid, case, id=f"{pid}-{i}") for pid, cases in FAILING.items() for i, case in enumerate(cases)]


def run(case):
    return evaluate(plan(*case.resources, environment=case.environment, policy=case.policy_config))


def test_the_pack_has_at_least_forty_policies():
    assert len(catalogue()) >= 40


def test_catalogue_and_fixtures_cover_each_other():
    ids = set(catalogue())
    assert set(PASSING) == ids, f"missing passing fixtures: {ids - set(PASSING)}; unknown: {set(PASSING) - ids}"
    assert set(FAILING) == ids, f"missing failing fixtures: {ids - set(FAILING)}; unknown: {set(FAILING) - ids}"


@pytest.mark.parametrize("spec", list(catalogue().values()), ids=lambda s: s.id)
def test_every_policy_has_complete_metadata(spec):
    assert spec.description and spec.remediation and spec.title
    assert isinstance(spec.severity, Severity)
    assert spec.frameworks, "at least one framework mapping"
    assert set(spec.enforcement) == set(ENVIRONMENTS)
    assert all(isinstance(level, Level) for level in spec.enforcement.values())


@pytest.mark.parametrize("policy_id,case", PASSING_CASES)
def test_passing_resources_raise_no_violation(policy_id, case):
    report = run(case)
    assert report.levels[policy_id] != "disabled"
    assert [n.reason for n in report.not_run if n.policy == policy_id] == []  # it ran, in preview too
    assert [v for v in report.violations if v.policy == policy_id] == []


@pytest.mark.parametrize("policy_id,case", FAILING_CASES)
def test_failing_resources_are_reported(policy_id, case):
    report = run(case)
    found = [v for v in report.violations if v.policy == policy_id]
    assert found, f"{policy_id} reported nothing"
    if case.flagged is None:
        assert any(v.resource_type == "pulumi:pulumi:Stack" for v in found)
    else:
        assert case.flagged in {v.resource_name for v in found}, found
    assert all(v.message and v.enforcement in ("advisory", "mandatory") for v in found)
