"""What each role of the shipped stacks can actually do: identity policies, permissions boundary,
trust policy, bucket policies and key policies evaluated together (``policies.iam_evaluation``).

The matrix, per team T of a stack (O: another team; in a one-team stack a team that could be added):

| principal | allowed | denied |
| --- | --- | --- |
| team role T (people, T's Studio apps and pods) | CreateTrainingJob T-* as `mladmin launch train` sends it (tests/infra/test_team_job_guard.py: and only so), PassRole of T's job role to SageMaker; Get/Put/List ``teams/T/`` in every data bucket; data key through S3; ECR pull | ``teams/O/`` and the bucket root; PassRole of itself, of O's roles, of the platform role, or to another service; O's jobs; job log streams and metrics; deleting or disabling any key; the data key outside S3 |
| T's job role (the RoleArn of T's jobs) | Get/Put/List ``teams/T/``; data key through S3; ECR pull; T's job log streams and SageMaker metrics | ``teams/O/``; O's log streams; PassRole of any role; any SageMaker API call |
| SageMaker service | assume T's job role, T's role (Studio user profiles) and the platform role for this account | for another account |
| anyone but SageMaker (members, pods, T's role) | — | assume T's job role |
| EKS Pod Identity | assume T's role for the stack's cluster (team-T's service account) | for another cluster or account |
| Identity Center session tagged team=T | assume T's role (no MFA key needed) | assume O's role |
| anyone outside the account, or not an Identity Center role | — | assume any team role |
| team role T were it given ``*`` on ``*`` (the boundary's ceiling) | — | IAM users, its own policies, roles without the boundary, the platform role, other services and regions, the access-log bucket, key deletion |
| platform SageMaker role | its ``platform/`` prefix, data key through S3, ECR pull, logs | every ``teams/`` prefix, key deletion, the data key outside S3 |
| FSx for Lustre S3-access role (prod: FSx on) | read datasets and checkpoints, export checkpoints; data key Decrypt/GenerateDataKey through S3 in this region for those two buckets' objects | the key directly, through S3 in another region or through another service, for the models bucket or another bucket, any other KMS action; in stacks without FSx, the key at all |
| every other principal | exactly what it had without the FSx statement | — |
"""

from __future__ import annotations

import copy
import json

import pytest

from components.kms import fsx_s3_access_role_pattern
from policies.iam_evaluation import Principal, Service
from stacks.platform import FSX_REPOSITORIES
from tests.infra.iam_model import Account
from tests.infra.test_job_network_permissions import job_request

STACKS = ("dev", "prod")
DATA_BUCKETS = ("datasets", "models", "checkpoints")
BOUNDARY_LIMIT = 6144               # IAM's limit for a managed policy, whitespace excluded
BOUNDARY_BUDGET = BOUNDARY_LIMIT * 5 // 6  # headroom for the statements later components add (~1,000 characters)


@pytest.fixture(scope="module")
def accounts(dev_plan, prod_plan) -> dict[str, Account]:
    return {"dev": Account.from_plan(dev_plan), "prod": Account.from_plan(prod_plan)}


# Every team of the shipped stacks (checked against the stack files below).
CASES = [("dev", "research"), ("prod", "research"), ("prod", "applied"), ("prod", "evaluation")]


def test_the_matrix_covers_every_team_of_the_shipped_stacks(dev_plan, prod_plan):
    for stack, plan in (("dev", dev_plan), ("prod", prod_plan)):
        teams = plan.config["mladmin:teams"]
        teams = json.loads(teams) if isinstance(teams, str) else teams
        assert sorted(t["name"] for t in teams) == sorted(t for s, t in CASES if s == stack)


def prefix(stack: str) -> str:
    return f"mladmin-{stack}"


def other_team(stack: str, team: str) -> str:
    teams = [t for s, t in CASES if s == stack and t != team]
    return teams[0] if teams else "intruders"


def bucket(acct: Account, stack: str, purpose: str) -> str:
    return f"{prefix(stack)}-{purpose}-{acct.account_id}-{acct.region}"


def job(acct: Account, team: str, kind: str = "training-job") -> str:
    return f"arn:aws:sagemaker:{acct.region}:{acct.account_id}:{kind}/{team}-llama-sft-1"


def repos(acct: Account, stack: str) -> list[str]:
    return [f"arn:aws:ecr:{acct.region}:{acct.account_id}:repository/{prefix(stack)}/{r}" for r in ("training", "serving")]


def team_role(acct: Account, stack: str, team: str) -> Principal:
    return acct.role(f"{prefix(stack)}-team-{team}")


def job_role(acct: Account, stack: str, team: str) -> Principal:
    return acct.role(f"{prefix(stack)}-team-{team}-jobs")


def both_roles(acct: Account, stack: str, team: str) -> list[Principal]:
    """The team's role and its job role: what people and what the team's jobs reach of the team's data."""
    return [team_role(acct, stack, team), job_role(acct, stack, team)]


def sagemaker_role(acct: Account, stack: str) -> Principal:
    return acct.role(f"{prefix(stack)}-sagemaker-execution")


def assert_allowed(acct, caller, action, resource, **context):
    decision = acct.can(caller, action, resource, **context)
    assert decision.allowed, f"{caller.arn if isinstance(caller, Principal) else caller.name} {action} {resource}: {decision.reason}"


def assert_denied(acct, caller, action, resource, **context):
    decision = acct.can(caller, action, resource, **context)
    assert not decision.allowed, f"{action} {resource} unexpectedly allowed: {decision.reason}"


# --- a team runs its SageMaker work with its own role -------------------------------------------


@pytest.mark.parametrize("stack, team", CASES)
def test_team_role_launches_a_training_job_that_runs_as_the_teams_job_role(accounts, all_plans, stack, team):
    acct = accounts[stack]
    role = team_role(acct, stack, team)
    request = job_request(stack, all_plans[stack], team)  # as `mladmin launch train` sends it
    assert request["RoleArn"] == job_role(acct, stack, team).arn
    decision = acct.create_training_job(role, request)
    assert decision.allowed, decision.reason
    assert_allowed(acct, role, "sagemaker:DescribeTrainingJob", job(acct, team))


@pytest.mark.parametrize("stack, team", CASES)
def test_sagemaker_assumes_the_job_role_and_the_team_role_only_for_this_account(accounts, stack, team):
    """The job role runs the team's jobs; the team role is its Studio user profiles' execution role."""
    acct = accounts[stack]
    sagemaker = Service("sagemaker.amazonaws.com")
    for arn in (acct.role_arn(f"{prefix(stack)}-team-{team}-jobs"), acct.role_arn(f"{prefix(stack)}-team-{team}")):
        assert_allowed(acct, sagemaker, "sts:AssumeRole", arn, **{"aws:SourceAccount": acct.account_id})
        assert_denied(acct, sagemaker, "sts:AssumeRole", arn, **{"aws:SourceAccount": "999999999999"})


@pytest.mark.parametrize("stack, team", CASES)
def test_only_sagemaker_assumes_the_job_role(accounts, stack, team):
    acct = accounts[stack]
    arn = acct.role_arn(f"{prefix(stack)}-team-{team}-jobs")
    cluster = f"arn:aws:eks:{acct.region}:{acct.account_id}:cluster/{prefix(stack)}-eks"
    assume_anything = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"], "Resource": "*"}]}
    member_role = team_role(acct, stack, team)
    callers = [identity_center_session(acct, team), identity_center_session(acct, team, regional_path=False),
               Principal(member_role.arn, identity_policies=[assume_anything], tags=member_role.tags),
               Principal(acct.role_arn("platform-admin"), identity_policies=[assume_anything])]
    for caller in callers:
        assert_denied(acct, caller, "sts:AssumeRole", arn)
        assert_denied(acct, caller, "sts:TagSession", arn)
    pods = Service("pods.eks.amazonaws.com")
    assert_denied(acct, pods, "sts:AssumeRole", arn, **{"aws:SourceAccount": acct.account_id, "aws:SourceArn": cluster})


@pytest.mark.parametrize("stack, team", CASES)
def test_eks_pod_identity_hands_the_team_role_only_to_pods_of_this_stacks_cluster(accounts, stack, team):
    acct = accounts[stack]
    arn = acct.role_arn(f"{prefix(stack)}-team-{team}")
    pods = Service("pods.eks.amazonaws.com")
    cluster = f"arn:aws:eks:{acct.region}:{acct.account_id}:cluster/{prefix(stack)}-eks"
    mine = {"aws:SourceAccount": acct.account_id, "aws:SourceArn": cluster}
    assert_allowed(acct, pods, "sts:AssumeRole", arn, **mine)
    assert_allowed(acct, pods, "sts:TagSession", arn, **mine)
    assert_denied(acct, pods, "sts:AssumeRole", arn, **{**mine, "aws:SourceArn": cluster.replace("-eks", "-other")})
    assert_denied(acct, pods, "sts:AssumeRole", arn, **{**mine, "aws:SourceAccount": "999999999999"})


@pytest.mark.parametrize("stack, team", CASES)
def test_team_role_describes_its_stacks_cluster_for_a_kubeconfig_and_no_other(accounts, stack, team):
    acct = accounts[stack]
    role = team_role(acct, stack, team)
    cluster = f"arn:aws:eks:{acct.region}:{acct.account_id}:cluster/{prefix(stack)}-eks"
    assert_allowed(acct, role, "eks:DescribeCluster", cluster)
    assert_denied(acct, role, "eks:DescribeCluster", cluster.replace("-eks", "-other"))
    assert_denied(acct, role, "eks:UpdateClusterConfig", cluster)


@pytest.mark.parametrize("stack, team", CASES)
@pytest.mark.parametrize("kind", ["team", "jobs"])
def test_team_and_job_role_read_list_and_write_the_prefix_in_every_data_bucket(accounts, stack, team, kind):
    acct = accounts[stack]
    role = team_role(acct, stack, team) if kind == "team" else job_role(acct, stack, team)
    for purpose in DATA_BUCKETS:
        name = bucket(acct, stack, purpose)
        obj = f"arn:aws:s3:::{name}/teams/{team}/run-1/part-0000.parquet"
        for action in ("s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"):
            assert_allowed(acct, role, action, obj)
        assert_allowed(acct, role, "s3:ListBucket", f"arn:aws:s3:::{name}", **{"s3:prefix": f"teams/{team}/"})


@pytest.mark.parametrize("stack, team", CASES)
def test_team_and_job_role_use_the_data_key_through_s3(accounts, stack, team):
    acct = accounts[stack]
    key = acct.key_arn(f"alias/{prefix(stack)}-data")
    via_s3 = acct.via_s3(bucket(acct, stack, "datasets"))
    for role in both_roles(acct, stack, team):
        assert_allowed(acct, role, "kms:GenerateDataKey", key, **via_s3)
        assert_allowed(acct, role, "kms:Decrypt", key, **via_s3)


@pytest.mark.parametrize("stack, team", CASES)
def test_team_and_job_role_pull_the_training_and_serving_images(accounts, stack, team):
    acct = accounts[stack]
    for role in both_roles(acct, stack, team):
        assert_allowed(acct, role, "ecr:GetAuthorizationToken", "*")
        for repo in repos(acct, stack):
            for action in ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"):
                assert_allowed(acct, role, action, repo)


@pytest.mark.parametrize("stack, team", CASES)
def test_job_role_writes_its_job_logs_and_metrics_and_the_team_role_does_not(accounts, stack, team):
    acct = accounts[stack]
    group = f"arn:aws:logs:{acct.region}:{acct.account_id}:log-group:/aws/sagemaker/TrainingJobs"
    stream = f"{group}:log-stream:{team}-llama-sft-1/algo-1-1700000000"
    metrics = {"cloudwatch:namespace": "/aws/sagemaker/TrainingJobs"}
    role = job_role(acct, stack, team)
    assert_allowed(acct, role, "logs:CreateLogGroup", group)
    for action in ("logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"):
        assert_allowed(acct, role, action, stream)
    assert_allowed(acct, role, "cloudwatch:PutMetricData", "*", **metrics)
    person = team_role(acct, stack, team)
    for action in ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"):
        assert_denied(acct, person, action, stream)
    assert_denied(acct, person, "cloudwatch:PutMetricData", "*", **metrics)


@pytest.mark.parametrize("stack, team", CASES)
def test_job_role_makes_no_sagemaker_call_and_passes_no_role(accounts, stack, team):
    acct = accounts[stack]
    role = job_role(acct, stack, team)
    for action in ("sagemaker:CreateTrainingJob", "sagemaker:DescribeTrainingJob", "sagemaker:StopTrainingJob"):
        assert_denied(acct, role, action, job(acct, team))
    for arn in (role.arn, team_role(acct, stack, team).arn, acct.role_arn(f"{prefix(stack)}-sagemaker-execution")):
        assert_denied(acct, role, "iam:PassRole", arn, **{"iam:PassedToService": "sagemaker.amazonaws.com"})


# --- and nothing of anyone else's ---------------------------------------------------------------


@pytest.mark.parametrize("stack, team", CASES)
def test_team_role_cannot_touch_another_teams_prefix_or_list_the_whole_bucket(accounts, stack, team):
    acct = accounts[stack]
    role, other = team_role(acct, stack, team), other_team(stack, team)
    for purpose in DATA_BUCKETS:
        name = bucket(acct, stack, purpose)
        for action in ("s3:GetObject", "s3:PutObject", "s3:DeleteObject"):
            assert_denied(acct, role, action, f"arn:aws:s3:::{name}/teams/{other}/run-1/part-0000.parquet")
            assert_denied(acct, role, action, f"arn:aws:s3:::{name}/platform/model.tar.gz")
        assert_denied(acct, role, "s3:ListBucket", f"arn:aws:s3:::{name}", **{"s3:prefix": f"teams/{other}/"})
        assert_denied(acct, role, "s3:ListBucket", f"arn:aws:s3:::{name}")


@pytest.mark.parametrize("stack, team", CASES)
def test_team_role_passes_only_its_job_role_and_only_to_sagemaker(accounts, stack, team):
    acct = accounts[stack]
    role, jobs = team_role(acct, stack, team), job_role(acct, stack, team).arn
    to_sagemaker = {"iam:PassedToService": "sagemaker.amazonaws.com"}
    assert_allowed(acct, role, "iam:PassRole", jobs, **to_sagemaker)
    other = other_team(stack, team)
    for arn in (role.arn, acct.role_arn(f"{prefix(stack)}-team-{other}"), acct.role_arn(f"{prefix(stack)}-team-{other}-jobs"),
                acct.role_arn(f"{prefix(stack)}-sagemaker-execution")):
        assert_denied(acct, role, "iam:PassRole", arn, **to_sagemaker)
    for service in ("ec2.amazonaws.com", "lambda.amazonaws.com", "pods.eks.amazonaws.com"):
        assert_denied(acct, role, "iam:PassRole", jobs, **{"iam:PassedToService": service})


@pytest.mark.parametrize("stack, team", CASES)
def test_team_role_cannot_read_or_stop_another_teams_jobs(accounts, stack, team):
    acct = accounts[stack]
    role, other = team_role(acct, stack, team), other_team(stack, team)
    for action in ("sagemaker:DescribeTrainingJob", "sagemaker:StopTrainingJob", "sagemaker:CreateTrainingJob"):
        assert_denied(acct, role, action, job(acct, other))
    assert_denied(acct, role, "sagemaker:InvokeEndpoint", job(acct, other, "endpoint"))
    group = f"arn:aws:logs:{acct.region}:{acct.account_id}:log-group:/aws/sagemaker/TrainingJobs"
    for caller in both_roles(acct, stack, team):
        assert_denied(acct, caller, "logs:PutLogEvents", f"{group}:log-stream:{other}-llama-sft-1/algo-1-1700000000")
    for purpose in DATA_BUCKETS:
        assert_denied(acct, job_role(acct, stack, team), "s3:GetObject",
                      f"arn:aws:s3:::{bucket(acct, stack, purpose)}/teams/{other}/run-1/part-0000.parquet")


@pytest.mark.parametrize("stack, team", CASES)
def test_team_role_cannot_delete_disable_or_repolicy_any_key(accounts, stack, team):
    acct = accounts[stack]
    role = team_role(acct, stack, team)
    for key in acct.key_policies:
        for action in ("kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:PutKeyPolicy", "kms:CreateGrant"):
            assert_denied(acct, role, action, key)


# --- the data key is used only through the data services ----------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_the_data_key_decrypts_only_through_its_services(accounts, stack):
    acct = accounts[stack]
    key = acct.key_arn(f"alias/{prefix(stack)}-data")
    admin = Principal(acct.role_arn("platform-admin"), identity_policies=[
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}])
    callers = [admin, sagemaker_role(acct, stack)] + [team_role(acct, stack, t) for s, t in CASES if s == stack]
    for caller in callers:
        assert_denied(acct, caller, "kms:Decrypt", key)  # a direct call, not through a service
    assert_allowed(acct, admin, "kms:Decrypt", key, **acct.via_s3(bucket(acct, stack, "models")))
    assert_allowed(acct, admin, "kms:ScheduleKeyDeletion", key)  # administration stays with IAM admins


@pytest.mark.parametrize("stack", STACKS)
def test_the_logs_key_serves_cloudwatch_logs_for_this_accounts_log_groups_only(accounts, stack):
    acct = accounts[stack]
    key = acct.key_arn(f"alias/{prefix(stack)}-logs")
    logs = Service(f"logs.{acct.region}.amazonaws.com")
    context = "kms:EncryptionContext:aws:logs:arn"
    own = f"arn:aws:logs:{acct.region}:{acct.account_id}:log-group:/aws/vpc/flow-logs/x"
    assert_allowed(acct, logs, "kms:GenerateDataKey", key, **{context: own})
    assert_denied(acct, logs, "kms:GenerateDataKey", key, **{context: own.replace(acct.account_id, "999999999999")})


# --- people sign in through IAM Identity Center -------------------------------------------------


def identity_center_session(acct: Account, team: str, *, account: str | None = None, regional_path: bool = True) -> Principal:
    """A permission-set session as Identity Center creates it: no MFA key, the team as a session tag.

    Permission-set roles live under aws-reserved/sso.amazonaws.com/, with the Region in the path
    for instances created since the path changed.
    """
    account = account or acct.account_id
    path = f"aws-reserved/sso.amazonaws.com/{acct.region}/" if regional_path else "aws-reserved/sso.amazonaws.com/"
    permission_set = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"], "Resource": "arn:aws:iam::*:role/*"}]}
    return Principal(f"arn:aws:iam::{account}:role/{path}AWSReservedSSO_MLEngineer_0a1b2c3d4e5f6a7b",
                     identity_policies=[permission_set], tags={"team": team}, session_name="alice@example.com")


@pytest.mark.parametrize("stack, team", CASES)
@pytest.mark.parametrize("regional_path", [True, False], ids=["regional-path", "global-path"])
def test_an_identity_center_session_of_the_team_assumes_the_team_role_without_an_mfa_key(accounts, stack, team,
                                                                                         regional_path):
    acct = accounts[stack]
    arn = acct.role_arn(f"{prefix(stack)}-team-{team}")
    assert_allowed(acct, identity_center_session(acct, team, regional_path=regional_path), "sts:AssumeRole", arn)


@pytest.mark.parametrize("stack, team", CASES)
def test_nobody_else_assumes_a_team_role(accounts, stack, team):
    acct = accounts[stack]
    arn = acct.role_arn(f"{prefix(stack)}-team-{team}")
    other = other_team(stack, team)
    assert_denied(acct, identity_center_session(acct, other), "sts:AssumeRole", arn)
    assert_denied(acct, identity_center_session(acct, team, account="999999999999"), "sts:AssumeRole", arn,
                  **{"aws:MultiFactorAuthPresent": True})
    tagged_role = Principal(acct.role_arn("ci-deployer"), tags={"team": team}, identity_policies=[
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}])
    assert_denied(acct, tagged_role, "sts:AssumeRole", arn, **{"aws:MultiFactorAuthPresent": True})


@pytest.mark.parametrize("stack, team", CASES)
def test_the_boundary_holds_even_if_a_team_role_were_given_administrator_access(accounts, stack, team):
    acct = accounts[stack]
    role = team_role(acct, stack, team)
    admin = Principal(role.arn, permissions_boundary=role.permissions_boundary, tags=role.tags, identity_policies=[
        *role.identity_policies,
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}])
    assert_denied(acct, admin, "iam:CreateUser", f"arn:aws:iam::{acct.account_id}:user/backdoor")
    assert_denied(acct, admin, "iam:PutRolePolicy", role.arn)
    assert_denied(acct, admin, "iam:CreateRole", acct.role_arn("unbounded"),
                  **{"iam:PermissionsBoundary": f"arn:aws:iam::{acct.account_id}:policy/other"})
    for arn in (acct.role_arn(f"{prefix(stack)}-sagemaker-execution"), role.arn):  # only job roles are passed
        assert_denied(acct, admin, "iam:PassRole", arn, **{"iam:PassedToService": "sagemaker.amazonaws.com"})
    assert_denied(acct, admin, "ec2:RunInstances", f"arn:aws:ec2:{acct.region}:{acct.account_id}:instance/*")
    assert_denied(acct, admin, "s3:GetObject",
                  f"arn:aws:s3:::{bucket(acct, stack, 'access-logs')}/s3-access/datasets/log")
    for key in acct.key_policies:
        assert_denied(acct, admin, "kms:ScheduleKeyDeletion", key)
    assert_denied(acct, admin, "sagemaker:CreateTrainingJob", job(acct, team), **{"aws:RequestedRegion": "eu-west-1"})


# --- the platform's own SageMaker role ----------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_platform_sagemaker_role_works_in_its_own_prefix(accounts, stack):
    acct = accounts[stack]
    role = sagemaker_role(acct, stack)
    assert_allowed(acct, role, "s3:GetObject", f"arn:aws:s3:::{bucket(acct, stack, 'datasets')}/platform/eval/set.jsonl")
    for purpose in ("models", "checkpoints"):
        assert_allowed(acct, role, "s3:PutObject", f"arn:aws:s3:::{bucket(acct, stack, purpose)}/platform/chat/model.tar.gz")
    key = acct.key_arn(f"alias/{prefix(stack)}-data")
    assert_allowed(acct, role, "kms:Decrypt", key, **acct.via_s3(bucket(acct, stack, "models")))
    assert_allowed(acct, role, "ecr:BatchGetImage", repos(acct, stack)[1])
    group = f"arn:aws:logs:{acct.region}:{acct.account_id}:log-group:/aws/sagemaker/Endpoints/chat"
    assert_allowed(acct, role, "logs:PutLogEvents", f"{group}:log-stream:primary/i-1")


@pytest.mark.parametrize("stack", STACKS)
def test_platform_sagemaker_role_attaches_enis_only_in_subnets_of_its_environment(accounts, stack):
    acct = accounts[stack]
    role = sagemaker_role(acct, stack)
    ec2 = f"arn:aws:ec2:{acct.region}:{acct.account_id}"
    environment = {"dev": "dev", "prod": "prod"}[stack]
    assert_allowed(acct, role, "ec2:CreateNetworkInterface", f"{ec2}:subnet/subnet-0abc",
                   **{"aws:ResourceTag/environment": environment})
    assert_allowed(acct, role, "ec2:CreateNetworkInterface", f"{ec2}:network-interface/*")
    assert_denied(acct, role, "ec2:CreateNetworkInterface", f"{ec2}:subnet/subnet-0abc",
                  **{"aws:ResourceTag/environment": "shared-services"})
    assert_denied(acct, role, "ec2:CreateNetworkInterface", f"{ec2}:security-group/sg-0abc")


@pytest.mark.parametrize("stack, team", CASES)
def test_platform_sagemaker_role_reaches_no_team_prefix(accounts, stack, team):
    acct = accounts[stack]
    role = sagemaker_role(acct, stack)
    for purpose in DATA_BUCKETS:
        name = bucket(acct, stack, purpose)
        assert_denied(acct, role, "s3:GetObject", f"arn:aws:s3:::{name}/teams/{team}/secret.parquet")
        assert_denied(acct, role, "s3:ListBucket", f"arn:aws:s3:::{name}", **{"s3:prefix": f"teams/{team}/"})
    for key in acct.key_policies:
        assert_denied(acct, role, "kms:ScheduleKeyDeletion", key)


# --- the boundary stays far from IAM's size limit -----------------------------------------------


@pytest.mark.parametrize("stack", ("dev", "staging", "prod"))
def test_team_boundary_stays_well_under_the_managed_policy_size_limit(all_plans, stack):
    (boundary,) = [p for p in all_plans[stack].of_type("aws:iam/policy:Policy") if p.name.endswith("team-boundary")]
    size = len(json.dumps(json.loads(boundary.inputs["policy"]), separators=(",", ":")))
    assert size <= BOUNDARY_BUDGET, f"{stack} boundary is {size} characters; budget {BOUNDARY_BUDGET} of {BOUNDARY_LIMIT}"


# --- FSx for Lustre reads and writes its linked buckets as its own service-linked role ---------


FSX_STATEMENT = "FsxLustreLinksUseKeyThroughS3"


def fsx_link_role(acct: Account, stack: str, *, account: str | None = None,
                  name: str = "AWSServiceRoleForFSxS3Access_fs-0123456789abcdef0",
                  path: str = "aws-service-role/s3.data-source.lustre.fsx.amazonaws.com/") -> Principal:
    """The role FSx creates for a file system's data repository associations, with the permissions the
    FSx for Lustre User Guide lists for it ("Using service-linked roles for Amazon FSx": s3:Get*,
    s3:List*, s3:PutObject, s3:DeleteObject, s3:AbortMultipartUpload on the linked bucket; the AWS
    Storage Blog's cross-account example adds s3:PutBucketNotification for automatic import). No
    KMS action: the key policy alone has to allow it."""
    account = account or acct.account_id
    linked = [f"arn:aws:s3:::{bucket(acct, stack, purpose)}" for purpose in FSX_REPOSITORIES]
    permissions = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Action": ["s3:AbortMultipartUpload", "s3:DeleteObject", "s3:PutObject", "s3:Get*", "s3:List*",
                   "s3:PutBucketNotification"],
        "Resource": linked + [f"{arn}/*" for arn in linked]}]}
    return Principal(f"arn:aws:iam::{account}:role/{path}{name}", identity_policies=[permissions], session_name="FSx")


def via_s3_object(acct: Account, name: str, key: str = "teams/research/run-1/part-0000.parquet") -> dict:
    """An object written with S3 Bucket Keys off carries its own ARN as encryption context."""
    return {**acct.via_s3(name), "kms:EncryptionContext:aws:s3:arn": f"arn:aws:s3:::{name}/{key}"}


def test_only_prod_has_fsx_and_the_key_grant_follows_it(all_plans):
    for stack, plan in all_plans.items():
        lustre = plan.of_type("aws:fsx/lustreFileSystem:LustreFileSystem")
        acct = Account.from_plan(plan)
        sids = [s.get("Sid") for s in acct.key_policies[acct.key_arn(f"alias/{prefix(stack)}-data")]["Statement"]]
        assert (FSX_STATEMENT in sids) == bool(lustre) == (stack == "prod"), stack


def test_the_fsx_grant_is_known_in_a_preview_where_no_file_system_id_is(prod_preview_plan):
    """The role's name ends in the file system id, unknown until `pulumi up`: the grant matches the
    role by a pattern, so the key policy, and the pack's verdict on it, do not wait for the id."""
    (key,) = [k for k in prod_preview_plan.of_type("aws:kms/key:Key") if k.name.endswith("-data")]
    policy = key.inputs["policy"]
    assert isinstance(policy, str) and FSX_STATEMENT in policy


def test_the_fsx_role_pattern_names_the_documented_service_linked_role_path():
    assert fsx_s3_access_role_pattern("123456789012") == (
        "arn:aws:iam::123456789012:role/aws-service-role/s3.data-source.lustre.fsx.amazonaws.com/"
        "AWSServiceRoleForFSxS3Access_fs-*")


@pytest.mark.parametrize("purpose", list(FSX_REPOSITORIES))
def test_the_fsx_link_role_reads_and_writes_a_linked_bucket_through_s3(accounts, purpose):
    acct, stack = accounts["prod"], "prod"
    role, key, name = fsx_link_role(acct, stack), acct.key_arn("alias/mladmin-prod-data"), bucket(acct, stack, purpose)
    assert_allowed(acct, role, "s3:GetObject", f"arn:aws:s3:::{name}/teams/research/run-1/part-0000.parquet")
    assert_allowed(acct, role, "s3:PutObject", f"arn:aws:s3:::{name}/teams/research/run-1/part-0000.parquet")
    for context in (acct.via_s3(name), via_s3_object(acct, name)):
        assert_allowed(acct, role, "kms:Decrypt", key, **context)       # import, lazy load: GetObject
        assert_allowed(acct, role, "kms:GenerateDataKey", key, **context)  # export: PutObject, multipart


def test_the_fsx_link_role_cannot_use_the_data_key_any_other_way(accounts):
    acct, stack = accounts["prod"], "prod"
    role, key = fsx_link_role(acct, stack), acct.key_arn("alias/mladmin-prod-data")
    datasets = acct.via_s3(bucket(acct, stack, "datasets"))
    assert_denied(acct, role, "kms:Decrypt", key)  # directly, not through S3
    assert_denied(acct, role, "kms:Decrypt", key, **{"kms:EncryptionContext:aws:s3:arn": datasets[
        "kms:EncryptionContext:aws:s3:arn"]})
    assert_denied(acct, role, "kms:Decrypt", key, **{**datasets, "kms:ViaService": "s3.eu-west-1.amazonaws.com"})
    for service in ("sagemaker", "ecr", "fsx", "ec2", "secretsmanager"):
        assert_denied(acct, role, "kms:Decrypt", key, **{**datasets, "kms:ViaService": f"{service}.{acct.region}.amazonaws.com"})
    assert_denied(acct, role, "kms:Decrypt", key, **acct.via_s3(bucket(acct, stack, "models")))  # not linked
    assert_denied(acct, role, "kms:Decrypt", key, **acct.via_s3("someone-elses-bucket"))
    assert_denied(acct, role, "kms:Decrypt", key, **{**datasets, "kms:EncryptionContext:aws:s3:arn":
                                                     datasets["kms:EncryptionContext:aws:s3:arn"] + "-copy"})
    for action in ("kms:Encrypt", "kms:ReEncryptFrom", "kms:GenerateDataKeyWithoutPlaintext", "kms:CreateGrant",
                   "kms:DescribeKey", "kms:ScheduleKeyDeletion", "kms:PutKeyPolicy"):
        assert_denied(acct, role, action, key, **datasets)


def test_only_fsx_lustre_s3_access_roles_of_this_account_match_the_fsx_grant(accounts):
    acct, stack = accounts["prod"], "prod"
    key = acct.key_arn("alias/mladmin-prod-data")
    datasets = acct.via_s3(bucket(acct, stack, "datasets"))
    foreign = fsx_link_role(acct, stack, account="999999999999")
    assert_denied(acct, foreign, "kms:Decrypt", key, **{**datasets, "kms:CallerAccount": "999999999999"})
    assert_denied(acct, fsx_link_role(acct, stack, name="AWSServiceRoleForFSxS3Access_fc-0123456789abcdef0"),
                  "kms:Decrypt", key, **datasets)  # an Amazon File Cache, not a Lustre file system
    assert_denied(acct, fsx_link_role(acct, stack, path=""), "kms:Decrypt", key, **datasets)  # a look-alike name
    assert_denied(acct, fsx_link_role(acct, stack, path="aws-service-role/sagemaker.amazonaws.com/"),
                  "kms:Decrypt", key, **datasets)


@pytest.mark.parametrize("stack", ("dev", "staging"))
def test_without_fsx_the_fsx_link_role_gets_nothing_from_the_data_key(all_plans, stack):
    acct = Account.from_plan(all_plans[stack])
    role, key = fsx_link_role(acct, stack), acct.key_arn(f"alias/{prefix(stack)}-data")
    assert_denied(acct, role, "kms:Decrypt", key, **acct.via_s3(bucket(acct, stack, "datasets")))
    assert_denied(acct, role, "kms:GenerateDataKey", key, **acct.via_s3(bucket(acct, stack, "checkpoints")))


def test_the_fsx_grant_gives_no_other_principal_anything(accounts):
    """Every role of the plan (without identity policies, and with kms:* on *), the team and platform
    roles as shipped, an IAM administrator, a principal outside the account and the services: each
    request decides the same with and without the FSx statement in the key policy."""
    acct, stack = accounts["prod"], "prod"
    key = acct.key_arn("alias/mladmin-prod-data")
    without = copy.deepcopy(acct)
    policy = without.key_policies[key]
    policy["Statement"] = [s for s in policy["Statement"] if s.get("Sid") != FSX_STATEMENT]
    assert len(policy["Statement"]) == len(acct.key_policies[key]["Statement"]) - 1

    kms_anything = [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}]
    # Each role of the plan with its boundary and tags, once with no identity policy (what a grant
    # to '*' would give on its own) and once with kms:* on * (what IAM could add).
    callers = [Principal(role["arn"], identity_policies=policies, tags=role["tags"],
                         permissions_boundary=acct.managed[role["boundary"]] if role["boundary"] else None)
               for role in acct.roles.values() for policies in ([], kms_anything)]
    callers += [Principal(acct.role_arn("platform-admin"), identity_policies=kms_anything),
                Principal("arn:aws:iam::999999999999:role/admin", identity_policies=kms_anything),
                team_role(acct, stack, "research"), sagemaker_role(acct, stack),
                Service("s3.amazonaws.com"), Service("fsx.amazonaws.com")]
    contexts = [{}, *(acct.via_s3(bucket(acct, stack, p)) for p in DATA_BUCKETS),
                via_s3_object(acct, bucket(acct, stack, "datasets")),
                {**acct.via_s3(bucket(acct, stack, "datasets")), "kms:ViaService": f"fsx.{acct.region}.amazonaws.com"}]
    checked = 0
    for caller in callers:
        for action in ("kms:Decrypt", "kms:GenerateDataKey", "kms:Encrypt", "kms:CreateGrant"):
            for context in contexts:
                if isinstance(caller, Principal) and caller.account != acct.account_id:
                    context = {**context, "kms:CallerAccount": caller.account}
                before = without.can(caller, action, key, **context).allowed
                after = acct.can(caller, action, key, **context).allowed
                assert before == after, f"{getattr(caller, 'arn', caller)} {action} {context}: {before} -> {after}"
                checked += 1
    assert checked == len(callers) * 4 * len(contexts) and len(acct.roles) >= 10
