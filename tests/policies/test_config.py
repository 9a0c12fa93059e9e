"""`mladmin:policy`: enforcement overrides, exemptions and parameters, and their errors."""

from __future__ import annotations

import json

import pytest

from policies.config import PolicyConfigError
from policies.runner import evaluate
from tests.policies.builders import plan, res
from tests.policies.fixtures import NG, bucket_set

UNVERSIONED = bucket_set("data", skip=("ver",))


def findings(report, policy_id):
    return [v for v in report.violations if v.policy == policy_id]


def test_enforcement_defaults_depend_on_the_environment():
    assert findings(evaluate(plan(*UNVERSIONED, environment="dev")), "s3-versioning")[0].enforcement == "advisory"
    assert findings(evaluate(plan(*UNVERSIONED, environment="prod")), "s3-versioning")[0].enforcement == "mandatory"


def test_a_stack_can_make_a_policy_mandatory():
    report = evaluate(plan(*UNVERSIONED, policy={"enforcement": {"s3-versioning": "mandatory"}}))
    assert findings(report, "s3-versioning")[0].enforcement == "mandatory"
    assert not report.passed


def test_a_disabled_policy_does_not_run():
    report = evaluate(plan(*UNVERSIONED, environment="prod", policy={"enforcement": {"s3-versioning": "disabled"}}))
    assert findings(report, "s3-versioning") == []
    assert report.levels["s3-versioning"] == "disabled"


def test_policy_config_is_accepted_as_a_json_string():
    report = evaluate(plan(*UNVERSIONED, policy=json.dumps({"enforcement": {"s3-versioning": "mandatory"}})))
    assert findings(report, "s3-versioning")[0].enforcement == "mandatory"


def test_environment_falls_back_to_the_stack_name_then_prod():
    no_env = plan(*UNVERSIONED, stack="staging")
    no_env.config.pop("mladmin:environment")
    assert evaluate(no_env).environment == "staging"
    no_env.stack = "feature-x"
    assert evaluate(no_env).environment == "prod"


def test_parameters_override_the_environment_defaults():
    big = res(NG, "gpu", instanceTypes=["g5.12xlarge"], scalingConfig={"maxSize": 4.0})  # 16 GPUs
    assert findings(evaluate(plan(big, environment="dev")), "gpu-budget")
    raised = evaluate(plan(big, environment="dev", policy={"parameters": {"gpu-budget": {"maxGpus": 16}}}))
    assert findings(raised, "gpu-budget") == []


def test_gpu_allowlist_can_be_extended_per_stack():
    p5 = res(NG, "train", instanceTypes=["p5.48xlarge"])
    extended = {"parameters": {"gpu-instance-type-allowlist": {"allowedInstanceTypes": ["p5.48xlarge"]}}}
    assert findings(evaluate(plan(p5)), "gpu-instance-type-allowlist")
    assert findings(evaluate(plan(p5, policy=extended)), "gpu-instance-type-allowlist") == []


@pytest.mark.parametrize("config,expected", [
    ({"enforcement": {"s3-versoning": "advisory"}},
     "x.yaml: mladmin:policy.enforcement.s3-versoning: unknown policy (did you mean 's3-versioning'?)"),
    ({"enforcement": {"s3-versioning": "sometimes"}},
     "x.yaml: mladmin:policy.enforcement.s3-versioning: 'sometimes' is not an enforcement level"),
    ({"exemptions": [{"policy": "s3-versioning", "resource": "data", "reason": "scratch data only", "expires": "soon"}]},
     "x.yaml: mladmin:policy.exemptions[0].expires: 'soon' is not a date (expected YYYY-MM-DD)"),
    ({"exemptions": [{"policy": "s3-versioning", "resource": "data", "expires": "2030-01-01"}]},
     "x.yaml: mladmin:policy.exemptions[0].reason: Field required"),
    ({"exemptions": [{"policy": "s3-versioning", "resource": "data", "reason": "because", "expires": "2030-01-01"}]},
     "x.yaml: mladmin:policy.exemptions[0].reason: String should have at least 10 characters"),
    ({"exemption": []}, "x.yaml: mladmin:policy.exemption: unknown key (did you mean 'exemptions'?)"),
    ({"parameters": {"gpu-budget": {"maxGpu": 4}}}, "x.yaml: mladmin:policy.parameters.gpu-budget.maxGpu: Extra inputs are not permitted"),
    ({"parameters": {"s3-versioning": {"x": 1}}}, "x.yaml: mladmin:policy.parameters.s3-versioning: this policy takes no parameters"),
    ("{not json", "x.yaml: mladmin:policy: not valid JSON"),
    (["enforcement"], "x.yaml: mladmin:policy: expected a mapping"),
])
def test_bad_policy_config_names_the_file_and_key(config, expected):
    with pytest.raises(PolicyConfigError) as error:
        evaluate(plan(*UNVERSIONED, policy=config, config_file="x.yaml"))
    assert any(line.startswith(expected) for line in error.value.problems), error.value.problems


def test_every_problem_of_a_config_is_reported_at_once():
    config = {"enforcement": {"nope": "advisory"}, "parameters": {"gpu-budget": {"maxGpus": "many"}}}
    with pytest.raises(PolicyConfigError) as error:
        evaluate(plan(*UNVERSIONED, policy=config, config_file="x.yaml"))
    assert len(error.value.problems) == 2


def test_an_unknown_environment_is_a_config_error():
    with pytest.raises(PolicyConfigError, match="mladmin:environment: 'qa' is not an environment"):
        evaluate(plan(*UNVERSIONED, environment="qa"))


