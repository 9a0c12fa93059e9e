"""Studio works out of the box: the SDK defaults a team's profile starts with are what its role demands.

Each team's JupyterLab lifecycle configuration is run here, as bash, with the plan's values (assumed
created); the SDK config it writes is read back, checked against the SDK's own schema
(``tests.infra.sagemaker_sdk_config_schema``), and turned into the requests the SDK sends with it:

| request of team T's member, built by the SDK from T's config | decision |
| --- | --- |
| ``Estimator(...).fit()`` named ``T-…``, on m5 (volume key) or g5 (no volume key) | allowed |
| the same without the config (no VPC, no keys, isolation and encryption left out) | denied |
| the same named as the SDK names it by default (after the image) | denied: not a ``T-*`` job |
| a ``Processor(...).run()`` and a ``Model(...)`` from the config | allowed; without it denied |
| the SDK's first look at its default bucket, and its uploads, under ``teams/T/`` | allowed |

SDK behaviour is that of aws/sagemaker-python-sdk v2.257.6 (``sagemaker/estimator.py`` EstimatorBase
and Session._get_train_request; ``sagemaker/processing.py`` Processor; ``sagemaker/session.py``
default_bucket), the same in v3's sagemaker-core.
"""

from __future__ import annotations

import base64
import hashlib
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml
from pulumi.runtime.rpc import UNKNOWN

from components.studio import StudioArgs, StudioTeam, StudioUser, validate
from components.studio_sdk import MAX_CONTENT_LENGTH, SdkDefaults, content_digest
from components.tags import Tags
from policies.facts.instance_types import FAMILIES, INSTANCE_STORE_FAMILIES
from tests.infra.iam_model import Account, processing_job_context
from tests.infra.sagemaker_sdk_config_schema import SCHEMA, sdk_takes_volume_key
from tests.infra.test_job_network_permissions import CASES

LIFECYCLE = "aws:sagemaker/studioLifecycleConfig:StudioLifecycleConfig"
PROFILE = "aws:sagemaker/userProfile:UserProfile"
STACKS = ("dev", "staging", "prod")


@pytest.fixture(scope="module")
def accounts(all_plans) -> dict[str, Account]:
    return {stack: Account.from_plan(plan) for stack, plan in all_plans.items()}


def lifecycle_config(plan, team: str):
    (config,) = [c for c in plan.of_type(LIFECYCLE) if c.inputs["tags"]["team"] == team]
    return config


def run_script(plan, team: str, home: Path) -> dict:
    """Run the team's lifecycle script as Studio would, in ``home``; the SDK config it leaves there."""
    script = base64.b64decode(lifecycle_config(plan, team).inputs["studioLifecycleConfigContent"]).decode()
    subprocess.run(["bash", "-c", script], env={"HOME": str(home), "PATH": "/usr/bin:/bin"}, check=True)
    return yaml.safe_load((home / ".config" / "sagemaker" / "config.yaml").read_text())


@pytest.fixture(scope="module")
def written(all_plans, tmp_path_factory) -> dict[tuple[str, str], dict]:
    return {(stack, team): run_script(all_plans[stack], team, tmp_path_factory.mktemp(f"{stack}-{team}"))
            for stack, team in CASES}


def studio_defaults(config: dict, section: str) -> dict:
    return config.get("SageMaker", {}).get(section, {})


def s3_join(*parts: str) -> str:
    """sagemaker.s3_utils.s3_path_join: one slash between parts, empty parts skipped."""
    return "s3://" + "/".join(part.strip("/") for part in parts if part and part.strip("/"))


def default_bucket(config: dict, acct: Account) -> tuple[str, str]:
    session = studio_defaults(config, "PythonSDK").get("Modules", {}).get("Session", {})
    return (session.get("DefaultS3Bucket", f"sagemaker-{acct.region}-{acct.account_id}"),
            session.get("DefaultS3ObjectKeyPrefix", ""))


def estimator_request(config: dict, acct: Account, *, role_arn: str, job_name: str,
                      instance_type: str = "ml.m5.xlarge") -> dict:
    """What ``Estimator(image_uri, role, instance_count=1, instance_type).fit()`` sends, the SDK config's
    TrainingJob values taken as EstimatorBase.__init__ takes them: the volume key only for types the SDK
    deems EBS-backed, isolation and encryption only when true."""
    job = studio_defaults(config, "TrainingJob")
    bucket, prefix = default_bucket(config, acct)
    request = {
        "TrainingJobName": job_name,
        "AlgorithmSpecification": {"TrainingImage": f"{acct.account_id}.dkr.ecr.{acct.region}.amazonaws.com/x:1",
                                   "TrainingInputMode": "File"},
        "RoleArn": role_arn,
        "OutputDataConfig": {"S3OutputPath": s3_join(bucket, prefix) + "/"},
        "ResourceConfig": {"InstanceType": instance_type, "InstanceCount": 1, "VolumeSizeInGB": 30},
        "StoppingCondition": {"MaxRuntimeInSeconds": 86400},
    }
    if "KmsKeyId" in job.get("OutputDataConfig", {}):
        request["OutputDataConfig"]["KmsKeyId"] = job["OutputDataConfig"]["KmsKeyId"]
    volume_key = job.get("ResourceConfig", {}).get("VolumeKmsKeyId")
    if volume_key and sdk_takes_volume_key(instance_type):
        request["ResourceConfig"]["VolumeKmsKeyId"] = volume_key
    if "VpcConfig" in job:
        request["VpcConfig"] = job["VpcConfig"]
    for key in ("EnableNetworkIsolation", "EnableInterContainerTrafficEncryption"):
        if job.get(key):
            request[key] = True
    return request


def processing_request(config: dict, *, role_arn: str, job_name: str) -> dict:
    """What ``Processor(role, image_uri, instance_count=1, instance_type="ml.m5.xlarge").run()`` sends."""
    job = studio_defaults(config, "ProcessingJob")
    cluster = {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30}
    volume_key = job.get("ProcessingResources", {}).get("ClusterConfig", {}).get("VolumeKmsKeyId")
    request = {"ProcessingJobName": job_name, "RoleArn": role_arn, "ProcessingResources": {
        "ClusterConfig": {**cluster, **({"VolumeKmsKeyId": volume_key} if volume_key else {})}}}
    if job.get("ProcessingOutputConfig"):
        request["ProcessingOutputConfig"] = {"Outputs": [], **job["ProcessingOutputConfig"]}
    if job.get("NetworkConfig"):
        request["NetworkConfig"] = job["NetworkConfig"]
    return request


def team_role(acct: Account, stack: str, team: str):
    return acct.role(f"mladmin-{stack}-team-{team}")


def role_arn(plan, team: str) -> str:
    """The execution role a Studio job runs as: the team's job role, which the SDK config names (the team role,
    which the member's session is, may pass no other)."""
    return plan.stack_outputs["teamJobRoleArns"][team]


# --- the lifecycle configuration, and who starts with it ------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_each_teams_profiles_start_jupyterlab_with_the_teams_lifecycle_config(all_plans, stack):
    plan = all_plans[stack]
    profiles = plan.of_type(PROFILE)
    assert profiles
    for profile in profiles:
        team = profile.inputs["tags"]["team"]
        config = lifecycle_config(plan, team)
        assert config.inputs["studioLifecycleConfigAppType"] == "JupyterLab"
        lab = profile.inputs["userSettings"]["jupyterLabAppSettings"]
        assert lab["lifecycleConfigArns"] == [config.outputs["arn"]]
        assert lab["defaultResourceSpec"]["lifecycleConfigArn"] == config.outputs["arn"]
    assert {c.inputs["tags"]["team"] for c in plan.of_type(LIFECYCLE)} == {p.inputs["tags"]["team"] for p in profiles}


@pytest.mark.parametrize("stack", ("dev", "prod"))
def test_in_a_preview_the_lifecycle_configs_are_planned_with_content_and_name_unknown(all_preview_plans, stack):
    """The subnet, group and key ids exist only after `pulumi up`, and the name follows the content."""
    configs = all_preview_plans[stack].of_type(LIFECYCLE)
    assert configs
    for config in configs:
        assert config.inputs["studioLifecycleConfigContent"] == UNKNOWN
        assert config.inputs["studioLifecycleConfigName"] == UNKNOWN


@pytest.mark.parametrize("stack, team", CASES)
def test_a_lifecycle_config_is_named_for_its_content_so_a_change_replaces_it_without_a_clash(all_plans, stack, team):
    """SageMaker has no update for a lifecycle config: new content is a new config, created before the
    old one is deleted, so the two may not share a name."""
    plan = all_plans[stack]
    (domain,) = plan.of_type("aws:sagemaker/domain:Domain")
    config = lifecycle_config(plan, team)
    content = config.inputs["studioLifecycleConfigContent"]
    assert config.inputs["studioLifecycleConfigName"] == \
        f"{domain.inputs['domainName']}-{team}-sdk-{hashlib.sha256(content.encode()).hexdigest()[:8]}"
    other = base64.b64encode(base64.b64decode(content).replace(b"sg-", b"sg-1")).decode()
    assert content_digest(other) != content_digest(content)


@pytest.mark.parametrize("stack, team", CASES)
def test_the_script_fits_sagemakers_limit(all_plans, stack, team):
    assert len(lifecycle_config(all_plans[stack], team).inputs["studioLifecycleConfigContent"]) < MAX_CONTENT_LENGTH // 4


# --- what it writes ----------------------------------------------------------------------------


@pytest.mark.parametrize("stack, team", CASES)
def test_the_written_config_is_valid_against_the_sdks_schema(written, stack, team):
    jsonschema.validate(written[stack, team], SCHEMA)


@pytest.mark.parametrize("stack, team", CASES)
def test_the_written_config_holds_exactly_launchs_settings_for_the_team(all_plans, written, stack, team):
    outputs = all_plans[stack].stack_outputs
    vpc = {"SecurityGroupIds": [outputs["trainingSecurityGroupId"]], "Subnets": outputs["privateSubnetIds"]}
    key, role = outputs["dataKeyArn"], outputs["teamJobRoleArns"][team]
    assert written[stack, team] == {
        "SchemaVersion": "1.0",
        "SageMaker": {
            "PythonSDK": {"Modules": {"Session": {"DefaultS3Bucket": outputs["buckets"]["models"],
                                                  "DefaultS3ObjectKeyPrefix": f"teams/{team}/"}}},
            "TrainingJob": {"RoleArn": role, "VpcConfig": vpc, "EnableNetworkIsolation": True,
                            "EnableInterContainerTrafficEncryption": True,
                            "OutputDataConfig": {"KmsKeyId": key}, "ResourceConfig": {"VolumeKmsKeyId": key}},
            "ProcessingJob": {"RoleArn": role,
                              "NetworkConfig": {"VpcConfig": vpc, "EnableNetworkIsolation": True,
                                                "EnableInterContainerTrafficEncryption": True},
                              "ProcessingOutputConfig": {"KmsKeyId": key},
                              "ProcessingResources": {"ClusterConfig": {"VolumeKmsKeyId": key}}},
            "Model": {"ExecutionRoleArn": role, "VpcConfig": vpc},
        },
    }


def test_a_misplaced_key_fails_the_schema_as_it_fails_in_the_sdk(written):
    config = yaml.safe_load(yaml.safe_dump(written["dev", "research"]))
    config["SageMaker"]["TrainingJob"]["KmsKeyId"] = config["SageMaker"]["TrainingJob"].pop("OutputDataConfig")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(config, SCHEMA)


def test_the_script_replaces_a_stale_config(all_plans, tmp_path):
    stale = tmp_path / ".config" / "sagemaker" / "config.yaml"
    stale.parent.mkdir(parents=True)
    stale.write_text("SchemaVersion: '1.0'\nSageMaker: {TrainingJob: {EnableNetworkIsolation: false}}\n")
    config = run_script(all_plans["dev"], "research", tmp_path)
    assert config["SageMaker"]["TrainingJob"]["EnableNetworkIsolation"] is True
    assert [p.name for p in stale.parent.iterdir()] == ["config.yaml"]


# --- what the SDK sends with it ------------------------------------------------------------------


@pytest.mark.parametrize("stack, team", CASES)
def test_an_estimator_built_from_the_studio_defaults_may_train_on_m5_and_g5(accounts, all_plans, written, stack, team):
    acct, plan = accounts[stack], all_plans[stack]
    for instance_type, volume_key in (("ml.m5.xlarge", True), ("ml.g5.xlarge", False)):
        request = estimator_request(written[stack, team], acct, role_arn=role_arn(plan, team),
                                    job_name=f"{team}-studio-2612021315", instance_type=instance_type)
        assert ("VolumeKmsKeyId" in request["ResourceConfig"]) is volume_key
        decision = acct.create_training_job(team_role(acct, stack, team), request)
        assert decision.allowed, decision.reason


@pytest.mark.parametrize("stack, team", CASES)
def test_the_same_estimator_without_the_studio_defaults_is_denied(accounts, all_plans, stack, team):
    acct = accounts[stack]
    request = estimator_request({}, acct, role_arn=role_arn(all_plans[stack], team), job_name=f"{team}-studio-1")
    assert "VpcConfig" not in request and "KmsKeyId" not in request["OutputDataConfig"]
    decision = acct.create_training_job(team_role(acct, stack, team), request)
    assert not decision.allowed and "explicit deny" in decision.reason


@pytest.mark.parametrize("stack, team", CASES)
def test_a_job_running_as_the_members_own_role_is_denied_the_config_names_the_job_role(accounts, all_plans, written,
                                                                                      stack, team):
    """``get_execution_role()`` in Studio is the team role; the team may pass only its job role."""
    acct = accounts[stack]
    request = estimator_request(written[stack, team], acct, role_arn=all_plans[stack].stack_outputs["teamRoleArns"][team],
                                job_name=f"{team}-studio-1")
    assert not acct.create_training_job(team_role(acct, stack, team), request).allowed


@pytest.mark.parametrize("stack, team", CASES)
def test_a_job_named_as_the_sdk_names_it_is_denied_the_team_must_name_it(accounts, all_plans, written, stack, team):
    """The SDK names a job after its image; no config key sets an Estimator's base_job_name."""
    acct = accounts[stack]
    request = estimator_request(written[stack, team], acct, role_arn=role_arn(all_plans[stack], team),
                                job_name="pytorch-training-2026-12-02-13-15-00-000")
    assert not acct.create_training_job(team_role(acct, stack, team), request).allowed


@pytest.mark.parametrize("stack, team", CASES)
def test_a_processing_job_from_the_studio_defaults_is_allowed_and_without_them_denied(
        accounts, all_plans, written, stack, team):
    acct, role = accounts[stack], team_role(accounts[stack], stack, team)
    arn = f"arn:aws:sagemaker:{acct.region}:{acct.account_id}:processing-job/{team}-studio-1"
    with_defaults = processing_request(written[stack, team], role_arn=role_arn(all_plans[stack], team),
                                       job_name=f"{team}-studio-1")
    decision = acct.can(role, "sagemaker:CreateProcessingJob", arn, **processing_job_context(with_defaults))
    assert decision.allowed, decision.reason
    bare = processing_request({}, role_arn=role_arn(all_plans[stack], team), job_name=f"{team}-studio-1")
    assert not acct.can(role, "sagemaker:CreateProcessingJob", arn, **processing_job_context(bare)).allowed


@pytest.mark.parametrize("stack, team", CASES)
def test_a_model_from_the_studio_defaults_may_be_created(accounts, written, stack, team):
    acct, role = accounts[stack], team_role(accounts[stack], stack, team)
    vpc = studio_defaults(written[stack, team], "Model")["VpcConfig"]
    arn = f"arn:aws:sagemaker:{acct.region}:{acct.account_id}:model/{team}-studio-1"
    decision = acct.can(role, "sagemaker:CreateModel", arn, **{"sagemaker:VpcSubnets": vpc["Subnets"],
                                                                "sagemaker:VpcSecurityGroupIds": vpc["SecurityGroupIds"]})
    assert decision.allowed, decision.reason
    assert not acct.can(role, "sagemaker:CreateModel", arn).allowed


@pytest.mark.parametrize("stack, team", CASES)
def test_the_sdk_may_use_its_default_bucket_under_the_team_prefix(accounts, written, stack, team):
    """Session.default_bucket() lists the bucket under exactly DefaultS3ObjectKeyPrefix before using it
    (a team role cannot see ListBuckets' creation date); without the trailing slash that list is denied."""
    acct, role = accounts[stack], team_role(accounts[stack], stack, team)
    bucket, prefix = default_bucket(written[stack, team], acct)
    assert acct.can(role, "s3:ListBucket", f"arn:aws:s3:::{bucket}", **{"s3:prefix": prefix}).allowed
    assert not acct.can(role, "s3:ListBucket", f"arn:aws:s3:::{bucket}", **{"s3:prefix": prefix.rstrip("/")}).allowed
    upload = f"arn:aws:s3:::{bucket}/{prefix}{team}-studio-1/source/sourcedir.tar.gz"
    assert acct.can(role, "s3:PutObject", upload).allowed
    key = acct.key_arn(f"alias/mladmin-{stack}-data")
    assert acct.can(role, "kms:GenerateDataKey", key, **acct.via_s3(bucket)).allowed


def test_where_the_sdk_leaves_the_volume_key_out_the_guard_agrees_but_for_four_families(accounts, dev_plan, written):
    """The Estimator drops the config's volume key by its own rule (no "d" in the family, not g5/g6/p5/trn1);
    the guard demands one unless the family has local NVMe (policies/facts/instance_types.py). They
    disagree on g5g (no local NVMe, but the SDK drops the key: the guard denies) and gr6, p6-b200 and trn2 (the
    SDK sends it, which SageMaker refuses on local NVMe)."""
    acct, role = accounts["dev"], team_role(accounts["dev"], "dev", "research")
    disagree, denied = set(), set()
    for family, spec in FAMILIES.items():
        if sdk_takes_volume_key(f"ml.{family}.x") != (family not in INSTANCE_STORE_FAMILIES):
            disagree.add(family)
        request = estimator_request(written["dev", "research"], acct, role_arn=role_arn(dev_plan, "research"),
                                    job_name="research-studio-1", instance_type=f"ml.{family}.{next(iter(spec.sizes))}")
        if not acct.create_training_job(role, request).allowed:
            denied.add(family)
    assert disagree == {"g5g", "gr6", "p6-b200", "trn2"}
    assert denied == {"g5g"}


# --- the component's arguments -------------------------------------------------------------------


def test_studio_reports_every_bad_team_at_once():
    defaults = SdkDefaults(subnet_ids=["subnet-0a"], security_group_id="sg-0a", bucket="b", key_prefix="teams/a/",
                           kms_key_arn="arn:aws:kms:us-east-1:123456789012:key/x")
    args = StudioArgs(domain_name="studio", vpc_id="vpc-0a", vpc_cidr="10.0.0.0/16", subnet_ids=["subnet-0a"],
                      kms_key_arn="k", execution_role_arn="r", tags=Tags(owner="o", environment="dev", team="platform",
                                                                         cost_center="c"),
                      users=[StudioUser(team="a", member="m", execution_role_arn="r")],
                      teams=[StudioTeam("a", defaults), StudioTeam("a", defaults),
                             StudioTeam("b" * 60, defaults),
                             StudioTeam("c", SdkDefaults(subnet_ids=[], security_group_id="sg", kms_key_arn="k",
                                                         bucket="b", key_prefix="teams/c"))])
    assert validate(args) == [
        "teams[1]: 'a' is already listed",
        f"teams[2]: 'studio-{'b' * 60}-sdk-00000000' is not a lifecycle configuration name (at most 63 letters, "
        "digits and hyphens)",
        "teams[3].sdk_defaults.key_prefix: 'teams/c' must be a key prefix ending in '/' (e.g. 'teams/research/')",
        "teams[3].sdk_defaults.subnet_ids: at least one private subnet is required",
    ]
