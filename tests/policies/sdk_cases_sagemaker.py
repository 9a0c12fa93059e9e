"""SDK-declared, engine-planned fixtures (see sdk_cases.py) for the SageMaker endpoint rollout and Studio policies."""

from __future__ import annotations

import pulumi_aws as aws

from tests.policies.builders import Case, planned
from tests.policies.sdk_cases import ACCOUNT, KEY_ARN, TAGS

ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/sagemaker"
BLUE_GREEN = {"traffic_routing_configuration": {"type": "CANARY", "wait_interval_in_seconds": 300,
                                                "canary_size": {"type": "CAPACITY_PERCENT", "value": 10}}}


def endpoint(name: str = "llm-ep", *, alarms: list[str] | None = None, deployment: bool = True,
             alarm_resource: bool = False) -> list:
    """An endpoint, with a blue/green deployment config unless ``deployment`` is False, rolling back on
    ``alarms`` (literal names) or on an Alarm resource's name (``alarm_resource``)."""
    def build():
        config = None
        if deployment:
            names: list = [{"alarm_name": a} for a in alarms or []]
            if alarm_resource:
                alarm = aws.cloudwatch.MetricAlarm(f"{name}-5xx", comparison_operator="GreaterThanThreshold",
                                                   evaluation_periods=1, metric_name="Invocation5XXErrors",
                                                   namespace="AWS/SageMaker", period=60, statistic="Sum",
                                                   threshold=1, tags=TAGS)
                names.append({"alarm_name": alarm.name})
            config = {"blue_green_update_policy": BLUE_GREEN}
            if names:
                config["auto_rollback_configuration"] = {"alarms": names}
        aws.sagemaker.Endpoint(name, name=name, endpoint_config_name="llm-config", deployment_config=config,
                               tags=TAGS)
    return planned(build)


def domain(**options) -> list:
    return planned(lambda: aws.sagemaker.Domain(
        "studio", domain_name="studio", auth_mode="IAM", vpc_id="vpc-0abc", subnet_ids=["subnet-0a"],
        app_network_access_type="VpcOnly", default_user_settings={"execution_role": ROLE_ARN}, tags=TAGS,
        **options))


def served_model(*variants: str) -> list:
    """A Model without VPC config or network isolation, served by one config per entry of ``variants``
    ("serverless" or an instance type); the configs name the Model through its (computed) name."""
    def build():
        model = aws.sagemaker.Model("embed", execution_role_arn=ROLE_ARN, tags=TAGS, primary_container={
            "image": f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/serve:1.4.2"})
        for i, kind in enumerate(variants):
            variant: dict = {"variant_name": "main", "model_name": model.name}
            if kind == "serverless":
                variant["serverless_config"] = {"memory_size_in_mb": 4096, "max_concurrency": 5}
            else:
                variant.update(instance_type=kind, initial_instance_count=1)
            aws.sagemaker.EndpointConfiguration(f"embed-{i}", production_variants=[variant], tags=TAGS)
    return planned(build)


PASSING = {
    "sagemaker-endpoint-auto-rollback": [
        Case(endpoint(alarms=["llm-ep-5xx", "llm-ep-latency"]), environment="prod"),
        Case(endpoint(alarm_resource=True), environment="prod"),
        Case(endpoint(deployment=False), environment="prod"),
    ],
    "sagemaker-domain-kms": [Case(domain(kms_key_id=KEY_ARN))],
}

FAILING = {
    "sagemaker-endpoint-auto-rollback": [Case(endpoint(), "llm-ep", environment="prod"),
                                         Case(endpoint(), "llm-ep")],
    "sagemaker-domain-kms": [Case(domain(), "studio", environment="staging")],
}

# Cases for policies whose other fixtures live in sdk_cases_platform.py (fixtures.py appends them).
EXTRA_PASSING = {
    "sagemaker-model-vpc": [Case(served_model("serverless"), environment="prod")],
    "sagemaker-network-isolation": [Case(served_model("serverless", "serverless"), environment="prod")],
}
EXTRA_FAILING = {
    "sagemaker-model-vpc": [Case(served_model("serverless", "ml.m5.xlarge"), "embed", environment="prod")],
    "sagemaker-network-isolation": [Case(served_model("ml.m5.xlarge", "serverless"), "embed", environment="prod"),
                                    Case(served_model(), "embed", environment="prod")],
}
