"""A team role starts SageMaker jobs the way `mladmin launch train` does, or not at all.

The request under test is the one launch builds (``mladmin.sagemaker.training.training_request`` over
the plan's outputs, as `mladmin launch train --from-plan` does), evaluated with the condition keys
SageMaker sends for it (``tests.infra.iam_model.training_job_context``).

| request of a team role T | decision | by |
| --- | --- | --- |
| every configured job of T, and dev's first job as T's, exactly as launch sends it (T's job role as RoleArn) | allowed | team policy and boundary |
| the same with T's own role, another team's roles or the platform role as RoleArn | denied | team policy (PassRole), boundary for the platform role |
| without a VpcConfig (training, processing, tuning job, model) | denied | boundary, even with ``*`` on ``*`` |
| a public, untagged or foreign subnet, or another security group | the job gets no network interface | boundary and team policy (ENIs by tag) |
| without an output key, or with an alias, a key id or another account's key | denied | team policy |
| a type without local NVMe and no volume key, or another account's volume key | denied | team policy |
| a type with local NVMe (g5) and no volume key | allowed (launch sends none) | — |
| network isolation or inter-container encryption off or left out | denied, unless one of T's jobs in the stack file turns it off | team policy |

Subnet and security-group ids exist only after `pulumi up`; a document naming them would be unknown,
and unjudged, in a preview. So the Create call is fenced by ``Null`` (a VpcConfig at all) and the
network by tags: the job runs as the team's job role (the only role PassRole allows), which may create
ENIs only in the private subnets with the jobs' group (tests/infra/test_job_network_permissions.py).
The denies stay on the team role: it is the one that calls CreateTrainingJob.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml

from mladmin.engine import plan_stack
from mladmin.sagemaker.outputs import StackOutputs
from mladmin.sagemaker.stack import load_stack
from mladmin.sagemaker.training import training_request
from policies.facts.sagemaker_iam import SAGEMAKER_CONDITION_KEYS
from policies.iam_evaluation import Principal, Service
from tests.infra.iam_model import Account, training_job_context
from tests.infra.test_job_network_permissions import CASES, NOW, eni_request, job_request, public_subnets

ROOT = Path(__file__).resolve().parents[2]
IAM_DOCUMENTS = ("aws:iam/policy:Policy", "aws:iam/rolePolicy:RolePolicy")
ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


@pytest.fixture(scope="module")
def accounts(all_plans) -> dict[str, Account]:
    return {stack: Account.from_plan(plan) for stack, plan in all_plans.items()}


def team_role(acct: Account, stack: str, team: str) -> Principal:
    return acct.role(f"mladmin-{stack}-team-{team}")


def widened(role: Principal) -> Principal:
    """The role were it given ``*`` on ``*``: only its boundary holds."""
    return Principal(role.arn, identity_policies=[ADMIN], permissions_boundary=role.permissions_boundary,
                     tags=role.tags, session_name="session")


def launched(stack: str, plan, team: str, job_name: str | None = None) -> dict:
    """launch's request for ``job_name`` of the stack (or dev's first job, run as ``team``)."""
    if job_name is None:
        return job_request(stack, plan, team)
    settings = load_stack(stack).settings
    (job,) = [job for job in settings.sagemaker.training_jobs if job.name == job_name]
    outputs = StackOutputs(stack, "the offline plan", plan.stack_outputs)
    return training_request(settings, job, outputs, now=NOW, where=f"{stack} {job_name}")


def changed(request: dict, **edits) -> dict:
    """A copy of ``request`` with ``Section=value`` set or, for ``None``, removed (``A__B`` for nested)."""
    request = copy.deepcopy(request)
    for path, value in edits.items():
        *parents, leaf = path.split("__")
        target = request
        for part in parents:
            target = target[part]
        if value is None:
            target.pop(leaf, None)
        else:
            target[leaf] = value
    return request


def assert_allowed(acct: Account, role: Principal, request: dict):
    decision = acct.create_training_job(role, request)
    assert decision.allowed, decision.reason


def assert_denied(acct: Account, role: Principal, request: dict, by: str = ""):
    decision = acct.create_training_job(role, request)
    assert not decision.allowed, f"unexpectedly allowed: {training_job_context(request)}"
    assert by in decision.reason, decision.reason


# --- the condition keys are ones the actions define ------------------------------------------------


def shipped_sagemaker_conditions(plan):
    for resource in (r for kind in IAM_DOCUMENTS for r in plan.of_type(kind)):
        for stmt in json.loads(resource.inputs["policy"])["Statement"]:
            actions = stmt.get("Action", [])
            keys = {key for block in stmt.get("Condition", {}).values() for key in block if key.startswith("sagemaker:")}
            if keys:
                yield resource.name, stmt.get("Sid"), [actions] if isinstance(actions, str) else actions, keys


@pytest.mark.parametrize("stack", ("dev", "staging", "prod"))
def test_every_sagemaker_condition_key_of_the_shipped_policies_is_one_its_actions_define(all_plans, stack):
    found = list(shipped_sagemaker_conditions(all_plans[stack]))
    assert {sid for _, sid, _, _ in found} >= {"DenyComputeOutsideTheVpc", "DenyJobOutputsWithoutAnAccountKey",
                                               "DenyJobVolumesWithoutAKey", "DenyJobsWithoutNetworkIsolation"}
    for name, sid, actions, keys in found:
        for action in actions:
            assert "*" not in action, f"{name} {sid}: {action} - a wildcard may match actions without the keys"
            assert action in SAGEMAKER_CONDITION_KEYS, f"{name} {sid}: {action} is not in policies/facts/sagemaker_iam.py"
            assert keys <= SAGEMAKER_CONDITION_KEYS[action], \
                f"{name} {sid}: {action} defines no {sorted(keys - SAGEMAKER_CONDITION_KEYS[action])}"


def test_the_launch_request_carries_every_key_the_guard_reads(all_plans):
    context = training_job_context(launched("dev", all_plans["dev"], "research", "finetune-tiny"))
    assert set(context) >= {"sagemaker:VpcSubnets", "sagemaker:VpcSecurityGroupIds", "sagemaker:VolumeKmsKey",
                            "sagemaker:OutputKmsKey", "sagemaker:NetworkIsolation",
                            "sagemaker:InterContainerTrafficEncryption", "sagemaker:InstanceTypes"}


# --- allowed: what launch sends ------------------------------------------------------------------


@pytest.mark.parametrize("stack, team", CASES)
def test_every_job_of_the_team_may_be_launched_as_launch_sends_it(accounts, all_plans, stack, team):
    """The team's jobs in the stack file (dev has two: on m5 with a volume key, on g5 without), else
    dev's first job run as the team."""
    acct, plan = accounts[stack], all_plans[stack]
    jobs = [job.name for job in load_stack(stack).settings.sagemaker.training_jobs
            if job.team == team and job.role == "team"]
    for name in jobs or [None]:
        assert_allowed(acct, team_role(acct, stack, team), launched(stack, plan, team, name))


@pytest.mark.parametrize("stack, team", CASES)
def test_a_team_job_runs_only_as_the_teams_job_role(accounts, all_plans, stack, team):
    acct, role = accounts[stack], team_role(accounts[stack], stack, team)
    request = launched(stack, all_plans[stack], team)
    assert request["RoleArn"] == acct.role_arn(f"mladmin-{stack}-team-{team}-jobs")
    others = [t for s, t in CASES if s == stack and t != team] or ["intruders"]
    for name in (f"mladmin-{stack}-team-{team}", f"mladmin-{stack}-team-{others[0]}-jobs",
                 f"mladmin-{stack}-team-{others[0]}", f"mladmin-{stack}-sagemaker-execution"):
        assert_denied(acct, role, changed(request, RoleArn=acct.role_arn(name)), by="iam:PassRole")


@pytest.mark.parametrize("stack, team", CASES)
def test_a_team_may_launch_a_job_on_a_type_with_or_without_local_nvme(accounts, all_plans, stack, team):
    acct, role = accounts[stack], team_role(accounts[stack], stack, team)
    request = launched(stack, all_plans[stack], team)   # ml.m5.xlarge: a volume key
    assert "VolumeKmsKeyId" in request["ResourceConfig"]
    assert_allowed(acct, role, request)
    g5 = changed(request, ResourceConfig__InstanceType="ml.g5.xlarge", ResourceConfig__VolumeKmsKeyId=None)
    assert_allowed(acct, role, g5)


# --- denied: the same request, not as the platform sends it ------------------------------------------


@pytest.mark.parametrize("stack, team", CASES)
def test_a_job_without_a_vpc_is_denied_by_the_boundary_even_with_administrator_access(accounts, all_plans, stack, team):
    acct, role = accounts[stack], team_role(accounts[stack], stack, team)
    request = changed(launched(stack, all_plans[stack], team), VpcConfig=None)
    for caller in (role, widened(role)):
        assert_denied(acct, caller, request, by="permissions boundary statement DenyComputeOutsideTheVpc")
    assert_allowed(acct, widened(role), launched(stack, all_plans[stack], team))


@pytest.mark.parametrize("stack, team", CASES)
def test_processing_tuning_jobs_and_models_without_a_vpc_are_denied_by_the_boundary(accounts, stack, team):
    acct, role = accounts[stack], widened(team_role(accounts[stack], stack, team))
    vpc = {"sagemaker:VpcSubnets": ["subnet-0a"], "sagemaker:VpcSecurityGroupIds": ["sg-0a"]}
    for kind, action in (("processing-job", "sagemaker:CreateProcessingJob"), ("model", "sagemaker:CreateModel"),
                         ("hyper-parameter-tuning-job", "sagemaker:CreateHyperParameterTuningJob")):
        arn = f"arn:aws:sagemaker:{acct.region}:{acct.account_id}:{kind}/{team}-x"
        assert not acct.can(role, action, arn).allowed
        assert acct.can(role, action, arn, **vpc).allowed


@pytest.mark.parametrize("stack, team", CASES)
def test_a_job_in_another_subnet_or_group_gets_no_network_interface(accounts, all_plans, stack, team):
    """The Create call cannot see a subnet's tags; the job's role (the team's job role, as PassRole
    allows no other) may create its ENIs only in the private subnets with the jobs' group."""
    acct, plan = accounts[stack], all_plans[stack]
    request = launched(stack, plan, team)
    role = acct.role(request["RoleArn"].rsplit("/", 1)[-1])
    (group,) = request["VpcConfig"]["SecurityGroupIds"]
    private = request["VpcConfig"]["Subnets"][0]
    other_groups = [sg.id for sg in plan.of_type("aws:ec2/securityGroup:SecurityGroup") if sg.id != group]
    for subnet in [*public_subnets(plan), "subnet-0foreign"]:
        assert not acct.can_all(role, "ec2:CreateNetworkInterface", eni_request(acct, subnet, group)).allowed
    for other in [*other_groups, "sg-0foreign"]:
        assert not acct.can_all(role, "ec2:CreateNetworkInterface", eni_request(acct, private, other)).allowed
    assert acct.can_all(role, "ec2:CreateNetworkInterface", eni_request(acct, private, group)).allowed


@pytest.mark.parametrize("stack, team", CASES)
def test_a_job_without_the_accounts_key_for_its_outputs_is_denied(accounts, all_plans, stack, team):
    acct, role = accounts[stack], team_role(accounts[stack], stack, team)
    request = launched(stack, all_plans[stack], team)
    key = request["OutputDataConfig"]["KmsKeyId"]
    for wrong in (None, key.replace(acct.account_id, "999999999999"), f"alias/mladmin-{stack}-data",
                  key.rsplit("/", 1)[-1], key.replace(acct.region, "eu-west-1")):
        assert_denied(acct, role, changed(request, OutputDataConfig__KmsKeyId=wrong),
                      by="identity policy statement DenyJobOutputsWithoutAnAccountKey")


@pytest.mark.parametrize("stack, team", CASES)
def test_a_job_without_the_accounts_key_for_its_volumes_is_denied(accounts, all_plans, stack, team):
    acct, role = accounts[stack], team_role(accounts[stack], stack, team)
    request = launched(stack, all_plans[stack], team)  # ml.m5.xlarge: no local NVMe
    assert_denied(acct, role, changed(request, ResourceConfig__VolumeKmsKeyId=None),
                  by="identity policy statement DenyJobVolumesWithoutAKey")
    foreign = request["ResourceConfig"]["VolumeKmsKeyId"].replace(acct.account_id, "999999999999")
    assert_denied(acct, role, changed(request, ResourceConfig__VolumeKmsKeyId=foreign),
                  by="identity policy statement DenyJobVolumesWithAnotherKey")


@pytest.mark.parametrize("stack, team", CASES)
def test_the_accounts_other_keys_serve_no_sagemaker_job(accounts, stack, team):
    """A key of the account is all IAM can pin before `pulumi up`; only the data key lets SageMaker use it."""
    acct = accounts[stack]
    sagemaker = Service("sagemaker.amazonaws.com")
    mine = {"aws:SourceAccount": acct.account_id}
    data = acct.key_arn(f"alias/mladmin-{stack}-data")
    assert acct.can(sagemaker, "kms:CreateGrant", data, **mine).allowed
    others = [key for key in acct.key_policies if key != data]
    assert others
    for key in others:
        for action in ("kms:CreateGrant", "kms:GenerateDataKey", "kms:Decrypt"):
            assert not acct.can(sagemaker, action, key, **mine).allowed
            for role in (team_role(acct, stack, team), acct.role(f"mladmin-{stack}-team-{team}-jobs")):
                assert not acct.can(role, action, key,
                                    **{"kms:ViaService": f"sagemaker.{acct.region}.amazonaws.com"}).allowed


@pytest.mark.parametrize("stack, team", CASES)
def test_a_job_without_network_isolation_or_traffic_encryption_is_denied(accounts, all_plans, stack, team):
    acct, role = accounts[stack], team_role(accounts[stack], stack, team)
    request = launched(stack, all_plans[stack], team)
    for value in (False, None):  # None: left out, and SageMaker's default is off
        assert_denied(acct, role, changed(request, EnableNetworkIsolation=value),
                      by="identity policy statement DenyJobsWithoutNetworkIsolation")
        assert_denied(acct, role, changed(request, EnableInterContainerTrafficEncryption=value),
                      by="identity policy statement DenyJobsWithUnencryptedTraffic")


# --- what the stack file allows stays allowed ------------------------------------------------------


def test_a_team_whose_job_turns_isolation_off_may_launch_it_and_only_that_team(tmp_path):
    dev = yaml.safe_load((ROOT / "stacks" / "Pulumi.dev.yaml").read_text())["config"]["mladmin:sagemaker"]
    job = {**dev["trainingJobs"][1], "networkIsolation": False, "encryptInterContainerTraffic": False}
    config = yaml.safe_load((ROOT / "stacks" / "Pulumi.staging.yaml").read_text())
    config["config"]["mladmin:sagemaker"]["trainingJobs"] = [job]   # research's; applied has none
    path = tmp_path / "Pulumi.staging.yaml"
    path.write_text(yaml.safe_dump(config))
    plan = plan_stack("staging", config_file=path, preview=False)
    acct = Account.from_plan(plan)
    settings = load_stack("staging", config_file=path).settings
    (edited,) = [j for j in settings.sagemaker.training_jobs if j.name == job["name"]]
    request = training_request(settings, edited, StackOutputs("staging", "the offline plan", plan.stack_outputs),
                               now=NOW, where="staging")
    assert request["EnableNetworkIsolation"] is False and request["EnableInterContainerTrafficEncryption"] is False
    assert_allowed(acct, team_role(acct, "staging", "research"), request)
    applied = changed(job_request("staging", plan, "applied"), EnableNetworkIsolation=False)
    assert_denied(acct, team_role(acct, "staging", "applied"), applied, by="DenyJobsWithoutNetworkIsolation")


# --- and a preview judges it ---------------------------------------------------------------------


@pytest.mark.parametrize("stack", ("dev", "prod"))
def test_the_guard_is_known_in_a_preview(all_preview_plans, stack):
    plan = all_preview_plans[stack]
    (boundary,) = [p for p in plan.of_type("aws:iam/policy:Policy") if p.name.endswith("team-boundary")]
    sids = {s.get("Sid") for s in json.loads(boundary.inputs["policy"])["Statement"]}
    assert "DenyComputeOutsideTheVpc" in sids
    # The role's id is unknown in a preview: the policies are found by their resource names.
    teams = plan.config["mladmin:teams"]
    names = {f"teams-{team['name']}-policy" for team in (json.loads(teams) if isinstance(teams, str) else teams)}
    policies = [p for p in plan.of_type("aws:iam/rolePolicy:RolePolicy") if p.name in names]
    assert len(policies) == len(names)
    for policy in policies:  # the team role's: it calls CreateTrainingJob
        sids = {s.get("Sid") for s in json.loads(policy.inputs["policy"])["Statement"]}
        assert {"DenyJobOutputsWithoutAnAccountKey", "DenyJobsWithoutNetworkIsolation"} <= sids
