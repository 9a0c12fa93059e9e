"""SageMaker on the platform: endpoints, the Studio domain, the model registry, retraining pipelines and
the one security group of training and processing jobs (`mladmin launch train` and the pipelines).

Names shared with the CLI (`mladmin model ...`, `mladmin launch train`) and the observability stack:
endpoint ``<prefix>-<endpoint>``, model package group ``<prefix>-<model>``, pipeline
``<prefix>-retrain-<model>``, drift alarm ``<prefix>-<endpoint>-drift``; a model family's artifacts
live under ``s3://<models bucket>/platform/models/<model>/`` (the endpoint serves ``model.tar.gz`` there).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.endpoint import DataCapture, Endpoint, EndpointArgs, Rollout, Scaling, Serverless
from components.pipeline_definition import PipelineSpec
from components.retraining import ModelRegistry, Retraining, RetrainingArgs
from components.storage import bucket_name
from components.studio import Studio, StudioArgs, StudioTeam, StudioUser
from components.studio_sdk import SdkDefaults
from components.teams import team_prefix
from components.training_network import TrainingNetwork, TrainingNetworkArgs
from components.tags import Tags
from policies.facts.instance_types import INSTANCE_STORE_FAMILIES, ec2_type
from stacks.settings import Settings
from stacks.settings.sagemaker import EndpointSettings, model_slug

PLATFORM_PREFIX = "platform"
STUDIO_ROLES = ("admin", "developer")  # team member roles that get a Studio user profile (viewers do not)


def endpoint_name(prefix: str, endpoint: str) -> str:
    return f"{prefix}-{endpoint}"


def model_package_group_name(prefix: str, model: str) -> str:
    return f"{prefix}-{model_slug(model)}"


def pipeline_name(prefix: str, model: str) -> str:
    return f"{prefix}-retrain-{model_slug(model)}"


def drift_alarm_name(prefix: str, endpoint: str) -> str:
    """The observability stack's drift alarm of one endpoint (it creates the alarm under this name)."""
    return f"{prefix}-{endpoint}-drift"


def model_prefix(model: str) -> str:
    return f"{PLATFORM_PREFIX}/models/{model_slug(model)}"


def capture_prefix() -> str:
    return f"{PLATFORM_PREFIX}/capture"


def takes_volume_key(instance_type: str) -> bool:
    """SageMaker rejects a volume KMS key on instance types with local NVMe storage (hardware-encrypted)."""
    return ec2_type(instance_type).split(".", 1)[0] not in INSTANCE_STORE_FAMILIES


def alarm_topic_arns(platform: Any) -> list:
    """Where rollback alarms notify: the platform's alert topic ``<prefix>-alerts`` and the configured
    mladmin:monitoring.snsTopicArn (components.monitoring, the one home of both)."""
    return list(platform.monitoring.alarm_actions)


@dataclass
class SageMaker:
    endpoints: dict[str, Endpoint]
    registry: ModelRegistry
    pipelines: dict[str, Retraining]
    training: TrainingNetwork
    studio: Studio | None = None
    model_artifacts: dict[str, str] = field(default_factory=dict)

    def outputs(self) -> dict[str, Any]:
        return {
            "sagemakerEndpoints": {key: endpoint.name for key, endpoint in self.endpoints.items()},
            "sagemakerEndpointSecurityGroupIds": {
                key: endpoint.security_group_id for key, endpoint in self.endpoints.items() if endpoint.security_group_id
            },
            "sagemakerModelArtifacts": dict(self.model_artifacts),
            "modelPackageGroups": dict(self.registry.group_names),
            "retrainingPipelines": {model: p.pipeline.pipeline_name for model, p in self.pipelines.items()},
            "retrainingRoleArns": {model: p.role_arn for model, p in self.pipelines.items()},
            "trainingSecurityGroupId": self.training.security_group_id,
            # The first release's per-pipeline groups: every pipeline now uses the jobs' group (kept for readers).
            "sagemakerJobSecurityGroupIds": {model: self.training.security_group_id for model in self.pipelines},
            "studioDomainId": self.studio.domain_id if self.studio else None,
        }


def build_sagemaker(settings: Settings, platform: Any) -> SageMaker:
    """Everything ``mladmin:sagemaker`` asks for, on the platform's network, keys, buckets and roles."""
    account_id = aws.get_caller_identity().account_id
    sm, prefix = settings.sagemaker, settings.prefix
    tags = Tags(owner=settings.owner, environment=settings.environment, team="platform",
                cost_center=settings.cost_center)
    buckets = {purpose: bucket_name(prefix, purpose, account_id, settings.region)
               for purpose in ("datasets", "models", "checkpoints")}
    serving_repo = platform.storage.repository_urls["serving"]
    alarms = alarm_topic_arns(platform)

    registry = ModelRegistry("model-registry", {model: model_package_group_name(prefix, model) for model in sm.models()},
                             tags)
    endpoints: dict[str, Endpoint] = {}
    artifacts: dict[str, str] = {}
    for endpoint in sm.endpoints:
        artifacts[endpoint.name] = f"s3://{buckets['models']}/{model_prefix(endpoint.model)}/model.tar.gz"
        endpoints[endpoint.name] = Endpoint(f"endpoint-{endpoint.name}", _endpoint_args(
            settings, endpoint, platform, tags, serving_repo, artifacts[endpoint.name], buckets["datasets"], alarms))

    network = platform.network
    training = TrainingNetwork("training", TrainingNetworkArgs(
        vpc_id=network.vpc_id, vpc_cidr_block=network.vpc_cidr_block,
        s3_prefix_list_id=network.s3_endpoint.prefix_list_id, tags=tags))
    pipelines = {
        pipeline.model: Retraining(f"retrain-{model_slug(pipeline.model)}", _retraining_args(
            settings, pipeline, platform, tags, account_id, buckets, training.security_group_id))
        for pipeline in sm.retraining
    }
    studio = _studio(settings, platform, tags, training.security_group_id, buckets["models"]) \
        if sm.domain.enabled else None
    return SageMaker(endpoints=endpoints, registry=registry, pipelines=pipelines, training=training, studio=studio,
                     model_artifacts=artifacts)


def _endpoint_args(settings: Settings, endpoint: EndpointSettings, platform: Any, tags: Tags, serving_repo: Any,
                   artifact: str, capture_bucket: str, alarms: list[str]) -> EndpointArgs:
    deployment = endpoint.deployment
    instances = endpoint.initial_instance_count
    rollout = Rollout(shifting=deployment.shifting(instances), step_percent=deployment.step(instances),
                      wait_seconds=deployment.wait_seconds,
                      termination_wait_seconds=deployment.termination_wait_seconds,
                      max_5xx_errors=deployment.rollback_5xx_errors, p99_latency_ms=deployment.rollback_latency_ms)
    common = dict(
        endpoint_name=endpoint_name(settings.prefix, endpoint.name),
        image_uri=pulumi.Output.concat(serving_repo, ":", endpoint.image_tag),
        model_data_url=artifact,
        execution_role_arn=platform.iam.sagemaker_role_arn,
        tags=tags.for_team(endpoint.team) if endpoint.team else tags,
        variant_name=endpoint.variant_name,
        served_model=endpoint.model,
        architecture=endpoint.architecture,
        dtype=endpoint.dtype,
        capacity_headroom_percent=settings.sagemaker.capacity_headroom_percent,
        rollout=rollout,
        alarm_actions=alarms,
    )
    if endpoint.serverless is not None:
        return EndpointArgs(**common, serverless=Serverless(memory_size_mb=endpoint.serverless.memory_size_mb,
                                                            max_concurrency=endpoint.serverless.max_concurrency))
    scaling = endpoint.scaling
    percent = settings.sagemaker.capture_percent(endpoint)
    return EndpointArgs(
        **common,
        instance_type=endpoint.instance_type,
        initial_instance_count=instances,
        max_instance_count=endpoint.max_instance_count or instances,
        volume_kms_key_arn=platform.kms.data_key_arn if takes_volume_key(endpoint.instance_type) else None,
        capture=DataCapture(destination_s3_uri=f"s3://{capture_bucket}/{capture_prefix()}/{endpoint.name}",
                            kms_key_arn=platform.kms.data_key_arn, sampling_percent=percent) if percent else None,
        vpc_id=platform.network.vpc_id,
        subnet_ids=list(platform.network.private_subnet_ids),
        network_isolation=not endpoint.allow_outbound,
        scaling=Scaling(target_invocations_per_instance=scaling.target_invocations_per_instance,
                        scale_in_cooldown_seconds=scaling.scale_in_cooldown_seconds,
                        scale_out_cooldown_seconds=scaling.scale_out_cooldown_seconds) if endpoint.scales else None,
    )


def _retraining_args(settings: Settings, pipeline: Any, platform: Any, tags: Tags, account_id: str,
                     buckets: dict[str, str], security_group_id: Any) -> RetrainingArgs:
    prefix, slug = settings.prefix, model_slug(pipeline.model)
    models, datasets, checkpoints = buckets["models"], buckets["datasets"], buckets["checkpoints"]
    own_model = model_prefix(pipeline.model)
    data = f"{PLATFORM_PREFIX}/{slug}"
    evaluation_type = pipeline.evaluation_instance_type or pipeline.instance_type
    serving_types = sorted({e.instance_type for e in settings.sagemaker.endpoints
                            if e.model == pipeline.model and e.instance_type})
    spec = PipelineSpec(
        model_package_group=model_package_group_name(prefix, pipeline.model),
        role_arn="", training_image="", serving_image="",
        train_data_uri=f"s3://{datasets}/{data}/train/",
        base_model_uri=f"s3://{models}/{own_model}/base/",
        eval_data_uri=f"s3://{datasets}/{data}/eval/",
        gate_uri=f"s3://{models}/{own_model}/gate.yaml",
        output_uri=f"s3://{models}/{own_model}/pipelines",
        evaluation_uri=f"s3://{models}/{own_model}/evaluations",
        checkpoint_uri=f"s3://{checkpoints}/{data}/pipelines",
        kms_key_arn="", subnet_ids=(), security_group_ids=(),
        instance_type=pipeline.instance_type,
        evaluation_instance_type=evaluation_type,
        instance_count=pipeline.instance_count,
        volume_size_gb=pipeline.volume_size_gb,
        max_runtime_seconds=pipeline.max_runtime_hours * 3600,
        volume_kms=takes_volume_key(pipeline.instance_type),
        evaluation_volume_kms=takes_volume_key(evaluation_type),
        inference_instance_types=serving_types,
    )
    drift = [drift_alarm_name(prefix, e.name) for e in settings.sagemaker.endpoints if e.model == pipeline.model]
    return RetrainingArgs(
        pipeline_name=pipeline_name(prefix, pipeline.model),
        account_id=account_id,
        region=settings.region,
        tags=tags,
        spec=spec,
        security_group_id=security_group_id,
        data_key_alias=platform.kms.data_alias_name,
        read_object_arns=[f"arn:aws:s3:::{datasets}/{data}/*", f"arn:aws:s3:::{models}/{own_model}/base/*",
                          f"arn:aws:s3:::{models}/{own_model}/gate.yaml"],
        write_object_arns=[f"arn:aws:s3:::{models}/{own_model}/pipelines/*",
                           f"arn:aws:s3:::{models}/{own_model}/evaluations/*",
                           f"arn:aws:s3:::{checkpoints}/{data}/pipelines/*"],
        bucket_prefixes={f"arn:aws:s3:::{datasets}": [f"{data}/"], f"arn:aws:s3:::{models}": [f"{own_model}/"],
                         f"arn:aws:s3:::{checkpoints}": [f"{data}/pipelines/"]},
        training_repository_arn=platform.storage.repository_arns["training"],
        subnet_ids=list(platform.network.private_subnet_ids),
        training_image=pulumi.Output.concat(platform.storage.repository_urls["training"], ":",
                                            pipeline.training_image_tag),
        serving_image=pulumi.Output.concat(platform.storage.repository_urls["serving"], ":",
                                           _serving_tag(settings, pipeline.model)),
        kms_key_arn=platform.kms.data_key_arn,
        schedule=pipeline.schedule,
        schedule_timezone=pipeline.schedule_timezone,
        drift_alarm_names=drift if pipeline.on_drift else [],
    )


def _serving_tag(settings: Settings, model: str) -> str:
    """The serving image tag of the model's first endpoint: what a registered version is served with."""
    return next(e.image_tag for e in settings.sagemaker.endpoints if e.model == model)


def _studio(settings: Settings, platform: Any, tags: Tags, job_security_group_id: Any, models_bucket: str) -> Studio:
    """Members' SDK jobs get launch's settings: private subnets, the jobs' group, the data key, isolation
    and encrypted traffic on, and the team's prefix of the models bucket (where launch writes its runs)."""
    domain = settings.sagemaker.domain
    users = [StudioUser(team=team.name, member=member.name, execution_role_arn=platform.teams.role_arns[team.name])
             for team in settings.teams for member in team.members if member.role in STUDIO_ROLES]
    teams = [StudioTeam(name=team.name, sdk_defaults=SdkDefaults(
        subnet_ids=list(platform.network.private_subnet_ids), security_group_id=job_security_group_id,
        kms_key_arn=platform.kms.data_key_arn, bucket=models_bucket, key_prefix=team_prefix(team.name),
        role_arn=platform.teams.job_role_arns[team.name]))
        for team in settings.teams if any(member.role in STUDIO_ROLES for member in team.members)]
    return Studio("studio", StudioArgs(
        domain_name=domain.name or settings.prefix,
        vpc_id=platform.network.vpc_id,
        vpc_cidr=settings.network.vpc_cidr,
        subnet_ids=list(platform.network.private_subnet_ids),
        kms_key_arn=platform.kms.data_key_arn,
        execution_role_arn=platform.iam.sagemaker_role_arn,
        tags=tags,
        auth_mode=domain.auth_mode,
        app_network_access_type=domain.app_network_access_type,
        default_instance_type=domain.default_instance_type,
        retain_home_volumes=settings.storage.protect,
        users=users,
        teams=teams,
    ))
