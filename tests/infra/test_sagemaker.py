"""SageMaker on the shipped stacks: endpoints, Studio, the model registry and retraining pipelines,
asserted on the plans by type and property, plus the settings that refuse what AWS would."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from policies.facts.instance_types import INSTANCE_STORE_FAMILIES, ec2_type
from stacks.settings import SettingsError, load_settings, load_settings_file

ROOT = Path(__file__).parents[2]
ENDPOINT = "aws:sagemaker/endpoint:Endpoint"
CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
MODEL = "aws:sagemaker/model:Model"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TARGET = "aws:appautoscaling/target:Target"
SCALING_POLICY = "aws:appautoscaling/policy:Policy"
DOMAIN = "aws:sagemaker/domain:Domain"
PROFILE = "aws:sagemaker/userProfile:UserProfile"
GROUP = "aws:sagemaker/modelPackageGroup:ModelPackageGroup"
PIPELINE = "aws:sagemaker/pipeline:Pipeline"
SCHEDULE = "aws:scheduler/schedule:Schedule"
RULE = "aws:cloudwatch/eventRule:EventRule"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
STACKS = ("dev", "staging", "prod")


def stack_config(stack: str) -> dict:
    return yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]


def endpoints_of(stack: str) -> list[dict]:
    return stack_config(stack)["mladmin:sagemaker"]["endpoints"]


def dedicated_endpoints_of(stack: str) -> list[dict]:
    """The endpoints on instances (serverless ones have no VPC, isolation or instance counts)."""
    return [e for e in endpoints_of(stack) if "serverless" not in e]


def nvme(instance_type: str) -> bool:
    return ec2_type(instance_type).split(".", 1)[0] in INSTANCE_STORE_FAMILIES


def component_child(plan, resource_type: str, component: str):
    (found,) = [r for r in plan.of_type(resource_type) if r.parent and r.parent.endswith(f"::{component}")]
    return found


@pytest.fixture(scope="module")
def dev_with_serverless_plan(tmp_path_factory):
    """dev with its serverless endpoint plus a CPU endpoint (the stack file shows it, commented out)."""
    from mladmin.engine import plan_stack

    document = yaml.safe_load((ROOT / "stacks" / "Pulumi.dev.yaml").read_text())
    sagemaker = document["config"]["mladmin:sagemaker"]
    shipped = {e["name"] for e in sagemaker["endpoints"]}
    sagemaker["endpoints"] += [e for e in [
        {"name": "embed-dev", "model": "embedder", "imageTag": "1.4.2",
         "serverless": {"memorySizeMb": 2048, "maxConcurrency": 5}},
        {"name": "cpu-dev", "model": "classifier", "imageTag": "1.4.2", "instanceType": "ml.m5.xlarge"},
    ] if e["name"] not in shipped]
    path = tmp_path_factory.mktemp("stacks") / "Pulumi.dev.yaml"
    path.write_text(yaml.safe_dump(document))
    return plan_stack("dev", config_file=path, preview=False)


# --- endpoints -------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_every_configured_endpoint_is_deployed_under_its_contract_name(all_plans, stack):
    plan = all_plans[stack]
    expected = {e["name"]: f"mladmin-{stack}-{e['name']}" for e in endpoints_of(stack)}
    assert {r.inputs["name"] for r in plan.of_type(ENDPOINT)} == set(expected.values())
    assert plan.stack_outputs["sagemakerEndpoints"] == expected


@pytest.mark.parametrize("stack", STACKS)
def test_endpoint_volumes_use_the_data_key_wherever_the_instance_type_takes_one(all_plans, stack):
    plan = all_plans[stack]
    data_key = plan.stack_outputs["dataKeyArn"]
    for config in plan.of_type(CONFIG):
        (variant,) = config.inputs["productionVariants"]
        if "serverlessConfig" in variant:  # no volume to encrypt; SageMaker refuses a key for serverless
            assert "kmsKeyArn" not in config.inputs, config.name
        elif nvme(variant["instanceType"]):
            assert "kmsKeyArn" not in config.inputs, variant["instanceType"]
        else:
            assert config.inputs["kmsKeyArn"] == data_key


def test_a_cpu_endpoint_encrypts_its_volume_with_the_data_key(dev_with_serverless_plan):
    plan = dev_with_serverless_plan
    config = component_child(plan, CONFIG, "endpoint-cpu-dev")
    assert config.inputs["kmsKeyArn"] == plan.stack_outputs["dataKeyArn"]


def test_prod_captures_requests_and_responses_to_the_datasets_bucket_with_kms(prod_plan):
    percents = {e["name"]: e.get("dataCapturePercent", 10) for e in endpoints_of("prod")}
    for name, percent in percents.items():
        capture = component_child(prod_plan, CONFIG, f"endpoint-{name}").inputs["dataCaptureConfig"]
        assert capture["enableCapture"] is True
        assert capture["initialSamplingPercentage"] == percent
        assert {o["captureMode"] for o in capture["captureOptions"]} == {"Input", "Output"}
        assert capture["destinationS3Uri"] == f"s3://{prod_plan.stack_outputs['buckets']['datasets']}/platform/capture/{name}"
        assert capture["kmsKeyId"] == prod_plan.stack_outputs["dataKeyArn"]


@pytest.mark.parametrize("stack", STACKS)
def test_models_serve_the_pinned_serving_image_and_artifact_in_the_vpc_isolated(all_plans, stack):
    plan = all_plans[stack]
    repository = plan.stack_outputs["repositories"]["serving"]
    for endpoint in dedicated_endpoints_of(stack):
        model = component_child(plan, MODEL, f"endpoint-{endpoint['name']}").inputs
        container = model["primaryContainer"]
        assert container["image"] == f"{repository}:{endpoint['imageTag']}"
        assert container["modelDataUrl"] == plan.stack_outputs["sagemakerModelArtifacts"][endpoint["name"]]
        assert container["modelDataUrl"].endswith(f"/platform/models/{endpoint['model']}/model.tar.gz")
        assert model["enableNetworkIsolation"] is True
        assert sorted(model["vpcConfig"]["subnets"]) == sorted(plan.stack_outputs["privateSubnetIds"])
        assert model["vpcConfig"]["securityGroupIds"] == [
            plan.stack_outputs["sagemakerEndpointSecurityGroupIds"][endpoint["name"]]]


def test_model_and_endpoint_config_name_the_served_model_and_headroom_for_the_fit_policy(dev_plan):
    for endpoint in endpoints_of("dev"):
        for resource_type in (MODEL, CONFIG):
            tags = component_child(dev_plan, resource_type, f"endpoint-{endpoint['name']}").inputs["tags"]
            assert tags["mladmin:model"] == endpoint["model"]
            assert tags["mladmin:capacity-headroom-percent"] == "10"


def test_an_endpoint_owned_by_a_team_carries_its_team_tag_and_the_others_the_platforms(prod_plan):
    for name, team in (("chat-prod", "applied"), ("embeddings-prod", "platform")):
        for resource_type in (MODEL, CONFIG, ENDPOINT):
            assert component_child(prod_plan, resource_type, f"endpoint-{name}").inputs["tags"]["team"] == team


def test_an_endpoint_team_must_be_a_team_of_the_stack():
    config = yaml.safe_load((ROOT / "stacks" / "Pulumi.prod.yaml").read_text())["config"]
    config["mladmin:sagemaker"]["endpoints"][0]["team"] = "marketing"
    with pytest.raises(SettingsError) as raised:
        load_settings(config, source="stacks/Pulumi.prod.yaml", stack="prod")
    assert raised.value.problems == [
        "stacks/Pulumi.prod.yaml: mladmin:sagemaker.endpoints[0].team: 'marketing' is not a team of this stack "
        "(expected one of applied, evaluation, research)"]


@pytest.mark.parametrize("stack", STACKS)
def test_rollback_alarms_are_the_endpoints_own_and_wired_into_its_deployment(all_plans, stack):
    plan = all_plans[stack]
    for endpoint in endpoints_of(stack):
        component = f"endpoint-{endpoint['name']}"
        alarms = [r for r in plan.of_type(ALARM) if r.parent.endswith(f"::{component}")]
        deployment = component_child(plan, ENDPOINT, component).inputs["deploymentConfig"]
        wired = [a["alarmName"] for a in deployment["autoRollbackConfiguration"]["alarms"]]
        assert sorted(wired) == sorted(a.inputs["name"] for a in alarms)
        assert {a.inputs["metricName"] for a in alarms} == {"Invocation5XXErrors", "ModelLatency"}
        for alarm in alarms:
            assert alarm.inputs["dimensions"] == {"EndpointName": f"mladmin-{stack}-{endpoint['name']}",
                                                  "VariantName": endpoint.get("variantName", "primary")}
            assert alarm.inputs["alarmActions"]


def test_prod_chat_endpoint_shifts_a_canary_then_bakes(prod_plan):
    policy = component_child(prod_plan, ENDPOINT, "endpoint-chat-prod").inputs["deploymentConfig"]["blueGreenUpdatePolicy"]
    routing = policy["trafficRoutingConfiguration"]
    assert routing["type"] == "CANARY"
    assert routing["canarySize"] == {"type": "CAPACITY_PERCENT", "value": 10}
    assert routing["waitIntervalInSeconds"] == 900
    assert policy["maximumExecutionTimeoutInSeconds"] >= 2 * 900 + policy["terminationWaitInSeconds"]


def test_prod_chat_latency_alarm_is_in_microseconds(prod_plan):
    latency = [a for a in prod_plan.of_type(ALARM) if a.inputs["name"] == "mladmin-prod-chat-prod-rollback-latency"]
    assert latency[0].inputs["threshold"] == 4000 * 1000
    assert latency[0].inputs["extendedStatistic"] == "p99"


def test_a_single_instance_endpoint_shifts_all_at_once(dev_plan):
    routing = component_child(dev_plan, ENDPOINT, "endpoint-chat-dev").inputs["deploymentConfig"][
        "blueGreenUpdatePolicy"]["trafficRoutingConfiguration"]
    assert routing["type"] == "ALL_AT_ONCE"


@pytest.mark.parametrize("stack", STACKS)
def test_autoscaling_tracks_invocations_between_the_initial_and_maximum_count(all_plans, stack):
    plan = all_plans[stack]
    for endpoint in dedicated_endpoints_of(stack):
        component = f"endpoint-{endpoint['name']}"
        targets = [t for t in plan.of_type(TARGET) if t.parent.endswith(f"::{component}")]
        maximum = endpoint.get("maxInstanceCount", endpoint["initialInstanceCount"])
        if maximum == endpoint["initialInstanceCount"]:
            assert targets == []
            continue
        (target,) = targets
        assert (target.inputs["minCapacity"], target.inputs["maxCapacity"]) == (endpoint["initialInstanceCount"], maximum)
        assert target.inputs["resourceId"] == f"endpoint/mladmin-{stack}-{endpoint['name']}/variant/primary"
        assert target.inputs["scalableDimension"] == "sagemaker:variant:DesiredInstanceCount"
        tracking = component_child(plan, SCALING_POLICY, component).inputs["targetTrackingScalingPolicyConfiguration"]
        assert tracking["predefinedMetricSpecification"]["predefinedMetricType"] == "SageMakerVariantInvocationsPerInstance"
        assert tracking["scaleInCooldown"] > tracking["scaleOutCooldown"] > 0


def test_dev_can_hold_a_serverless_endpoint(dev_with_serverless_plan):
    plan = dev_with_serverless_plan
    config = component_child(plan, CONFIG, "endpoint-embed-dev").inputs
    (variant,) = config["productionVariants"]
    assert variant["serverlessConfig"] == {"memorySizeInMb": 2048, "maxConcurrency": 5}
    assert "instanceType" not in variant and "dataCaptureConfig" not in config
    assert "mladmin-dev-embed-dev" in {r.inputs["name"] for r in plan.of_type(ENDPOINT)}


# --- Studio ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_studio_domain_is_vpc_only_encrypted_and_without_root(all_plans, stack):
    plan = all_plans[stack]
    (domain,) = plan.of_type(DOMAIN)
    assert domain.inputs["appNetworkAccessType"] == "VpcOnly"
    assert domain.inputs["kmsKeyId"] == plan.stack_outputs["dataKeyArn"]
    assert sorted(domain.inputs["subnetIds"]) == sorted(plan.stack_outputs["privateSubnetIds"])
    user = domain.inputs["defaultUserSettings"]
    assert user["executionRole"] == plan.stack_outputs["sagemakerRoleArn"]
    assert user["customPosixUserConfig"]["uid"] != 0
    assert domain.inputs["domainSettings"]["dockerSettings"]["enableDockerAccess"] == "DISABLED"


def test_prod_domain_signs_in_through_identity_center(prod_plan):
    (domain,) = prod_plan.of_type(DOMAIN)
    assert domain.inputs["authMode"] == "SSO"
    assert all(p.inputs["singleSignOnUserIdentifier"] == "UserName" for p in prod_plan.of_type(PROFILE))


def test_each_admin_and_developer_gets_a_profile_running_as_their_team_role(prod_plan):
    teams = stack_config("prod")["mladmin:teams"]
    expected = {(t["name"], m["name"]) for t in teams for m in t["members"] if m.get("role", "developer") != "viewer"}
    profiles = prod_plan.of_type(PROFILE)
    assert {(p.inputs["tags"]["team"], p.inputs["tags"]["member"]) for p in profiles} == expected
    for profile in profiles:
        team = profile.inputs["tags"]["team"]
        assert profile.inputs["userSettings"]["executionRole"] == prod_plan.stack_outputs["teamRoleArns"][team]


# --- registry and retraining ---------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_one_model_package_group_per_model_family(all_plans, stack):
    models = {e["model"] for e in endpoints_of(stack)}
    groups = {r.inputs["modelPackageGroupName"] for r in all_plans[stack].of_type(GROUP)}
    assert groups == {f"mladmin-{stack}-{m}" for m in models}
    assert all_plans[stack].stack_outputs["modelPackageGroups"] == {m: f"mladmin-{stack}-{m}" for m in models}


# The documented shape of a pipeline definition (SageMaker "Pipeline definition JSON schema", 2020-12-01).
STEP = {"type": "object", "required": ["Name", "Type", "Arguments"], "properties": {
    "Name": {"type": "string", "pattern": "^[A-Za-z0-9\\-_]{1,64}$"},
    "Type": {"enum": ["Training", "Processing", "Condition", "RegisterModel", "Fail", "CreateModel", "Transform",
                      "Tuning", "Lambda", "Callback", "QualityCheck", "ClarifyCheck", "EMR", "AutoML"]},
    "DependsOn": {"type": "array", "items": {"type": "string"}},
    "Arguments": {"type": "object"},
    "PropertyFiles": {"type": "array", "items": {"type": "object",
                                                 "required": ["PropertyFileName", "OutputName", "FilePath"]}}}}
DEFINITION_SCHEMA = {"type": "object", "required": ["Version", "Steps"], "properties": {
    "Version": {"const": "2020-12-01"},
    "Metadata": {"type": "object"},
    "Parameters": {"type": "array", "items": {"type": "object", "required": ["Name", "Type"], "properties": {
        "Type": {"enum": ["String", "Integer", "Float", "Boolean"]}}}},
    "Steps": {"type": "array", "minItems": 1, "items": STEP}}}


def pipeline_definitions(plan) -> dict[str, dict]:
    return {p.inputs["pipelineName"]: json.loads(p.inputs["pipelineDefinition"]) for p in plan.of_type(PIPELINE)}


def flattened_steps(steps: list[dict]) -> list[dict]:
    out = []
    for step in steps:
        out.append(step)
        if step["Type"] == "Condition":
            out += flattened_steps(step["Arguments"]["IfSteps"])
    return out


@pytest.mark.parametrize("stack", STACKS)
def test_pipeline_definition_is_valid_json_with_train_evaluate_gate_register_in_order(all_plans, stack):
    definitions = pipeline_definitions(all_plans[stack])
    retrained = [r["model"] for r in stack_config(stack)["mladmin:sagemaker"]["retraining"]]
    assert set(definitions) == {f"mladmin-{stack}-retrain-{m}" for m in retrained}
    for definition in definitions.values():
        jsonschema.validate(definition, DEFINITION_SCHEMA)
        for step in flattened_steps(definition["Steps"]):
            jsonschema.validate(step, STEP)
        steps = flattened_steps(definition["Steps"])
        assert [s["Type"] for s in steps] == ["Training", "Processing", "Condition", "RegisterModel"]
        train, evaluate, gate, register = steps
        assert "Steps.Train.ModelArtifacts" in json.dumps(evaluate["Arguments"]["ProcessingInputs"])
        assert "Steps.Evaluate.PropertyFiles.EvaluationReport" in json.dumps(gate["Arguments"]["Conditions"])
        assert register["Arguments"]["ModelApprovalStatus"] == "PendingManualApproval"


def test_prod_pipeline_runs_the_contract_images_with_keys_in_the_vpc(prod_plan):
    outputs = prod_plan.stack_outputs
    definition = pipeline_definitions(prod_plan)["mladmin-prod-retrain-chat-llm"]
    train, evaluate, gate = definition["Steps"]
    args = train["Arguments"]
    assert args["AlgorithmSpecification"]["TrainingImage"] == f"{outputs['repositories']['training']}:1.4.2"
    assert args["RoleArn"] == outputs["retrainingRoleArns"]["chat-llm"]
    assert args["OutputDataConfig"]["KmsKeyId"] == outputs["dataKeyArn"]
    assert args["EnableNetworkIsolation"] and args["EnableInterContainerTrafficEncryption"]
    assert "VolumeKmsKeyId" not in args["ResourceConfig"]  # ml.g5.12xlarge: NVMe, SageMaker rejects a volume key
    assert args["VpcConfig"] == {"Subnets": outputs["privateSubnetIds"],
                                 "SecurityGroupIds": [outputs["trainingSecurityGroupId"]]}
    assert "mladmin eval" in evaluate["Arguments"]["AppSpecification"]["ContainerEntrypoint"][-1]
    assert "--gate" in evaluate["Arguments"]["AppSpecification"]["ContainerEntrypoint"][-1]
    register = gate["Arguments"]["IfSteps"][0]
    assert register["Arguments"]["ModelPackageGroupName"] == "mladmin-prod-chat-llm"
    assert register["Arguments"]["InferenceSpecification"]["Containers"][0]["Image"] == \
        f"{outputs['repositories']['serving']}:1.4.2"


@pytest.mark.parametrize("stack", STACKS)
def test_launch_jobs_and_every_pipeline_step_share_the_one_job_security_group(all_plans, stack):
    plan = all_plans[stack]
    groups = plan.of_type("aws:ec2/securityGroup:SecurityGroup")
    (jobs,) = [sg for sg in groups if sg.inputs["tags"].get("purpose") == "sagemaker-jobs"]
    assert plan.stack_outputs["trainingSecurityGroupId"] == jobs.id
    assert not [sg.name for sg in groups if "retrain" in sg.name]
    for definition in pipeline_definitions(plan).values():
        train, evaluate = flattened_steps(definition["Steps"])[:2]
        for vpc in (train["Arguments"]["VpcConfig"], evaluate["Arguments"]["NetworkConfig"]["VpcConfig"]):
            assert vpc == {"Subnets": plan.stack_outputs["privateSubnetIds"], "SecurityGroupIds": [jobs.id]}


def test_prod_pipelines_start_on_their_schedules(prod_plan):
    schedules = {s.inputs["name"]: s.inputs for s in prod_plan.of_type(SCHEDULE)}
    assert schedules["mladmin-prod-retrain-chat-llm"]["scheduleExpression"] == "cron(0 3 ? * SUN *)"
    assert schedules["mladmin-prod-retrain-chat-llm"]["target"]["arn"] == \
        "arn:aws:sagemaker:us-east-1:123456789012:pipeline/mladmin-prod-retrain-chat-llm"


def test_dev_has_no_schedule_but_still_retrains_on_drift(dev_plan):
    assert dev_plan.of_type(SCHEDULE) == []
    assert [r.inputs["name"] for r in dev_plan.of_type(RULE) if "-retrain-" in r.inputs["name"]] == [
        "mladmin-dev-retrain-tiny-chat-on-drift"]


def test_the_drift_alarm_of_each_endpoint_starts_its_models_pipeline(prod_plan):
    for model, endpoint in (("chat-llm", "chat-prod"), ("embedder", "embeddings-prod")):
        (rule,) = [r for r in prod_plan.of_type(RULE) if r.inputs["name"] == f"mladmin-prod-retrain-{model}-on-drift"]
        pattern = json.loads(rule.inputs["eventPattern"])
        assert pattern["resources"] == [f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:mladmin-prod-{endpoint}-drift"]
        assert pattern["detail"] == {"state": {"value": ["ALARM"]}}
        (target,) = [t for t in prod_plan.of_type(EVENT_TARGET) if t.inputs["rule"] == rule.inputs["name"]]
        assert target.inputs["arn"].endswith(f":pipeline/mladmin-prod-retrain-{model}")


# --- settings refuse what SageMaker would ------------------------------------------------------------


def with_sagemaker(tmp_path, stack: str, change) -> Path:
    document = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())
    change(document["config"]["mladmin:sagemaker"])
    path = tmp_path / f"Pulumi.{stack}.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def problems(path: Path, stack: str) -> str:
    with pytest.raises(SettingsError) as error:
        load_settings_file(path, stack)
    return str(error.value)


def test_a_moving_image_tag_is_refused(tmp_path):
    path = with_sagemaker(tmp_path, "dev", lambda sm: sm["endpoints"][0].update(imageTag="latest"))
    assert "mladmin:sagemaker.endpoints[0].imageTag: 'latest' is a moving tag" in problems(path, "dev")


def test_serverless_is_refused_outside_dev(tmp_path):
    def serverless(sm):
        sm["endpoints"].append({"name": "embed", "model": "chat-llm", "imageTag": "1", "serverless": {}})
    assert "mladmin:sagemaker.endpoints[2].serverless: is not allowed in prod" in problems(
        with_sagemaker(tmp_path, "prod", serverless), "prod")


def test_canary_needs_two_instances(tmp_path):
    path = with_sagemaker(tmp_path, "dev", lambda sm: sm["endpoints"][0].update(deployment={"trafficShifting": "canary"}))
    assert "endpoints[0].deployment.trafficShifting: 'canary' needs initialInstanceCount >= 2" in problems(path, "dev")


def test_a_pipeline_for_a_model_no_endpoint_serves_is_refused(tmp_path):
    path = with_sagemaker(tmp_path, "dev", lambda sm: sm["retraining"][0].update(model="other"))
    assert "mladmin:sagemaker.retraining[0].model: 'other' is not served by any endpoint" in problems(path, "dev")
