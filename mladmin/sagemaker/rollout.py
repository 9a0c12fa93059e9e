"""Put a model package live on an endpoint, and take it back.

`deploy` copies the endpoint's current config (production variants, data capture, KMS key, ...)
into a new config whose variants serve a new model built from the package (same execution role,
VPC config and network isolation as the model it replaces), then updates the endpoint with
RetainDeploymentConfig: the endpoint's own blue/green deployment config (canary or linear shifting,
automatic rollback on its alarms) moves the traffic. The old config and model stay for that rollback.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from mladmin.sagemaker import registry
from mladmin.sagemaker.aws import Aws, call
from mladmin.sagemaker.errors import SageMakerCommandError
from mladmin.sagemaker.outputs import StackOutputs
from stacks.settings import Settings

MAX_NAME = 63
# EndpointConfig fields a new config keeps from the current one (CreateEndpointConfig inputs).
CONFIG_FIELDS = ("ProductionVariants", "DataCaptureConfig", "KmsKeyId", "AsyncInferenceConfig", "ExplainerConfig",
                 "ShadowProductionVariants", "ExecutionRoleArn", "VpcConfig", "EnableNetworkIsolation")
# Model fields a new model keeps from the one it replaces (CreateModel inputs besides the container).
MODEL_FIELDS = ("ExecutionRoleArn", "VpcConfig", "EnableNetworkIsolation")
# Container fields kept: the serving settings; image and weights come from the package.
CONTAINER_FIELDS = ("Environment", "Mode")


@dataclass(frozen=True)
class Target:
    """An endpoint of the stack with the registry group of the model it serves."""

    key: str                 # the endpoint's name in the stack file
    endpoint_name: str       # its SageMaker name (stack output sagemakerEndpoints)
    model: str
    group: str               # stack output modelPackageGroups


@dataclass(frozen=True)
class Rollout:
    endpoint_name: str
    package_arn: str
    model_name: str
    endpoint_config_name: str
    previous_config_name: str


def target(settings: Settings, outputs: StackOutputs, endpoint_key: str, source: str) -> Target:
    for endpoint in settings.sagemaker.endpoints:
        if endpoint.name == endpoint_key:
            return Target(endpoint_key, outputs.get("sagemakerEndpoints", endpoint_key), endpoint.model,
                          outputs.get("modelPackageGroups", endpoint.model))
    known = ", ".join(e.name for e in settings.sagemaker.endpoints) or "none"
    raise SageMakerCommandError(f"{source}: mladmin:sagemaker.endpoints has no endpoint {endpoint_key!r} (have: {known})")


def _name(base: str, label: str, now: datetime) -> str:
    """``<endpoint>-<label>-<yymmddHHMMSS>-<4 hex>``: a rollback within the second of a promote to the same
    package still gets new names (SageMaker refuses to create a model or config twice)."""
    suffix = f"-{label}-{now.astimezone(timezone.utc).strftime('%y%m%d%H%M%S')}-{secrets.token_hex(2)}"
    return base[: MAX_NAME - len(suffix)].rstrip("-") + suffix


def current_config(aws: Aws, endpoint_name: str) -> dict[str, Any]:
    endpoint = call(aws.sagemaker.describe_endpoint, EndpointName=endpoint_name)
    return call(aws.sagemaker.describe_endpoint_config, EndpointConfigName=endpoint["EndpointConfigName"])


def live_package(aws: Aws, endpoint_name: str) -> str | None:
    """The package the endpoint's (first) production variant serves, None for a model built otherwise."""
    config = current_config(aws, endpoint_name)
    model = call(aws.sagemaker.describe_model, ModelName=config["ProductionVariants"][0]["ModelName"])
    container = model.get("PrimaryContainer") or (model.get("Containers") or [{}])[0]
    return container.get("ModelPackageName")


def model_request(current: dict[str, Any], package_arn: str, name: str, tags: list[dict[str, str]]) -> dict[str, Any]:
    """CreateModel for ``package_arn`` with everything else as the model it replaces has it."""
    container = current.get("PrimaryContainer") or (current.get("Containers") or [{}])[0]
    request = {"ModelName": name, "Tags": tags,
               "PrimaryContainer": {"ModelPackageName": package_arn,
                                    **{k: container[k] for k in CONTAINER_FIELDS if container.get(k)}}}
    request.update({k: current[k] for k in MODEL_FIELDS if current.get(k) is not None})
    return request


def config_request(current: dict[str, Any], models: dict[str, str], name: str,
                   tags: list[dict[str, str]]) -> dict[str, Any]:
    """CreateEndpointConfig: ``current`` with each variant's model replaced as ``models`` maps it."""
    request: dict[str, Any] = {"EndpointConfigName": name, "Tags": tags}
    request.update({k: current[k] for k in CONFIG_FIELDS if current.get(k) not in (None, [], {})})
    request["ProductionVariants"] = [{**variant, "ModelName": models[variant["ModelName"]]}
                                     for variant in current["ProductionVariants"]]
    return request


def deploy(aws: Aws, endpoint_name: str, package_arn: str, *, now: datetime | None = None) -> Rollout:
    now = now or datetime.now(timezone.utc)
    label = f"v{registry.version_of(package_arn) or 'x'}"
    config = current_config(aws, endpoint_name)
    config_tags = call(aws.sagemaker.list_tags, ResourceArn=config["EndpointConfigArn"]).get("Tags", [])
    models: dict[str, str] = {}
    for old_name in dict.fromkeys(v["ModelName"] for v in config["ProductionVariants"]):
        old = call(aws.sagemaker.describe_model, ModelName=old_name)
        model_tags = call(aws.sagemaker.list_tags, ResourceArn=old["ModelArn"]).get("Tags", [])
        models[old_name] = _name(endpoint_name, f"{label}-{len(models)}" if models else label, now)
        call(aws.sagemaker.create_model, **model_request(old, package_arn, models[old_name], model_tags))
    new_config = _name(endpoint_name, label, now)
    call(aws.sagemaker.create_endpoint_config, **config_request(config, models, new_config, config_tags))
    call(aws.sagemaker.update_endpoint, EndpointName=endpoint_name, EndpointConfigName=new_config,
         RetainDeploymentConfig=True)
    return Rollout(endpoint_name, package_arn, next(iter(models.values())), new_config, config["EndpointConfigName"])


def promote(aws: Aws, where: Target, package_ref: str) -> Rollout:
    """Approve a package whose release gate passed and roll the endpoint onto it."""
    package = registry.resolve_package(aws, where.group, package_ref)
    registry.require_passed_gate(package, registry.read_report(aws, package))
    arn = package["ModelPackageArn"]
    if package.get("ModelApprovalStatus") != registry.APPROVED:
        registry.set_status(aws, arn, registry.APPROVED, f"promoted to {where.endpoint_name} by mladmin; "
                            "release gate passed")
    return deploy(aws, where.endpoint_name, arn)


def rollback(aws: Aws, where: Target) -> tuple[Rollout, str]:
    """Put the previously approved package back on the endpoint; reject the one that was live."""
    live = live_package(aws, where.endpoint_name)
    if live is None:
        raise SageMakerCommandError(f"endpoint {where.endpoint_name} does not serve a registry package (its model came "
                                    "from the stack): nothing to roll back; promote a package first")
    live_version = registry.version_of(live) or 0
    earlier = [p for p in registry.packages(aws, where.group, registry.APPROVED)
               if p["ModelPackageArn"] != live and (p.get("ModelPackageVersion") or 0) < live_version]
    if not earlier:
        raise SageMakerCommandError(f"model package group {where.group} has no approved version before "
                                    f"{live_version}: nothing to roll back to")
    previous = earlier[0]["ModelPackageArn"]
    rollout = deploy(aws, where.endpoint_name, previous)
    registry.set_status(aws, live, registry.REJECTED, f"rolled back on {where.endpoint_name} to {previous}")
    return rollout, live
