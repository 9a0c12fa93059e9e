"""A SageMaker real-time endpoint that rolls out safely: blue/green traffic shifting that its own
CloudWatch alarms (5xx errors, p99 model latency) roll back, and target-tracking autoscaling."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components import validation as check
from components.tags import Tags, child_opts, tags_problems
from policies.capacity_fit import ARCHITECTURE_TAG, DEFAULT_DTYPE, DTYPE_TAG, HEADROOM_TAG, MODEL_TAG

SHIFTING = {"canary": "CANARY", "linear": "LINEAR", "allAtOnce": "ALL_AT_ONCE"}
SERVERLESS_MEMORY_MB = (1024, 2048, 3072, 4096, 5120, 6144)
SCALABLE_DIMENSION = "sagemaker:variant:DesiredInstanceCount"
SCALING_METRIC = "SageMakerVariantInvocationsPerInstance"
MAX_DEPLOYMENT_SECONDS = 28800  # SageMaker's limit on one blue/green deployment


@dataclass(frozen=True)
class Rollout:
    """Blue/green traffic shifting; the alarms built here roll a deployment back."""

    shifting: str = "allAtOnce"         # canary, linear or allAtOnce
    step_percent: int = 10              # canary size or linear step (% of capacity)
    wait_seconds: int = 600             # bake time after each step
    termination_wait_seconds: int = 300  # the old fleet is kept this long after the shift
    max_5xx_errors: int = 5             # 5xx responses in one minute that roll back
    p99_latency_ms: int = 2000          # p99 ModelLatency over two minutes that rolls back

    def steps(self) -> int:
        if self.shifting == "linear":
            return math.ceil(100 / self.step_percent)
        return 2 if self.shifting == "canary" else 1

    def timeout_seconds(self) -> int:
        """Room for every bake, the old fleet's wait and half an hour to launch the new fleet."""
        needed = self.steps() * self.wait_seconds + self.termination_wait_seconds + 1800
        return min(MAX_DEPLOYMENT_SECONDS, max(600, needed))


@dataclass(frozen=True)
class Scaling:
    """Target tracking on invocations per instance between the variant's initial and maximum count."""

    target_invocations_per_instance: int = 50
    scale_in_cooldown_seconds: int = 600
    scale_out_cooldown_seconds: int = 120


@dataclass(frozen=True)
class DataCapture:
    destination_s3_uri: pulumi.Input[str]  # s3://<bucket>/<prefix>
    kms_key_arn: pulumi.Input[str]
    sampling_percent: int


@dataclass(frozen=True)
class Serverless:
    memory_size_mb: int = 2048
    max_concurrency: int = 5


@dataclass(frozen=True)
class EndpointArgs:
    """One endpoint with one production variant. ``instance_type`` or ``serverless``, not both."""

    endpoint_name: str                          # physical name, e.g. mladmin-prod-chat-prod
    image_uri: pulumi.Input[str]                # <serving repository URL>:<pinned tag>
    model_data_url: pulumi.Input[str]           # s3://<models bucket>/.../model.tar.gz
    execution_role_arn: pulumi.Input[str]
    tags: Tags
    instance_type: str | None = None
    serverless: Serverless | None = None
    variant_name: str = "primary"
    initial_instance_count: int = 1
    max_instance_count: int = 1
    # None only where SageMaker rejects a volume key (instance types with local NVMe storage) or serverless.
    volume_kms_key_arn: pulumi.Input[str] | None = None
    capture: DataCapture | None = None          # None: no data capture (serverless cannot capture)
    vpc_id: pulumi.Input[str] | None = None     # instance variants run in these subnets, own security group
    subnet_ids: Sequence[pulumi.Input[str]] = ()
    network_isolation: bool = True              # the container opens no connections
    rollout: Rollout = Rollout()
    scaling: Scaling | None = None              # None: fixed at initial_instance_count
    alarm_actions: Sequence[pulumi.Input[str]] = ()  # who hears about a rollback
    # Tagged on the Model and EndpointConfiguration (mladmin:model, mladmin:architecture,
    # mladmin:capacity-headroom-percent) so policy sagemaker-model-fits-instance can size a catalogue model
    # against the variant's instance type in a preview.
    served_model: str | None = None
    architecture: str | None = None             # the catalogue model served_model is built on, when it is not one
    dtype: str = DEFAULT_DTYPE                  # of the served checkpoint's weights (int4 for an AWQ checkpoint)
    capacity_headroom_percent: int | None = None


def _capacity_tags(args: EndpointArgs) -> dict[str, str]:
    tags = {MODEL_TAG: args.served_model} if args.served_model else {}
    if args.architecture:
        tags[ARCHITECTURE_TAG] = args.architecture
    if args.dtype != DEFAULT_DTYPE:
        tags[DTYPE_TAG] = args.dtype
    if args.capacity_headroom_percent is not None:
        tags[HEADROOM_TAG] = str(args.capacity_headroom_percent)
    return tags


class Endpoint(pulumi.ComponentResource):
    def __init__(self, name: str, args: EndpointArgs, opts: pulumi.ResourceOptions | None = None):
        check.raise_if_problems("Endpoint", validate(args))
        super().__init__("mladmin:sagemaker:Endpoint", name, None, opts)
        self._name, self._args = name, args
        tags = args.tags.merged({"Name": args.endpoint_name})
        sized_tags = {**tags, **_capacity_tags(args)}

        self.security_group = None
        vpc_config = None
        if args.serverless is None and args.vpc_id is not None:
            self.security_group = aws.ec2.SecurityGroup(
                f"{name}-sg",
                name=f"{args.endpoint_name}-endpoint",
                vpc_id=args.vpc_id,
                description=f"SageMaker endpoint {args.endpoint_name}: no inbound, HTTPS out to AWS APIs",
                ingress=[],  # SageMaker reaches the containers through its own network interfaces
                egress=[{"description": "HTTPS to S3 (gateway endpoint) and AWS APIs (interface endpoints)",
                         "protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_blocks": ["0.0.0.0/0"]}],
                tags=args.tags.merged({"Name": f"{args.endpoint_name}-endpoint"}),
                opts=child_opts(self),
            )
            vpc_config = {"subnets": list(args.subnet_ids), "security_group_ids": [self.security_group.id]}

        self.model = aws.sagemaker.Model(
            f"{name}-model",
            execution_role_arn=args.execution_role_arn,
            primary_container={"image": args.image_uri, "model_data_url": args.model_data_url, "mode": "SingleModel"},
            vpc_config=vpc_config,
            enable_network_isolation=args.network_isolation if args.serverless is None else None,
            tags=sized_tags,
            opts=child_opts(self),
        )
        self.endpoint_config = aws.sagemaker.EndpointConfiguration(
            f"{name}-config",
            production_variants=[self._variant()],
            kms_key_arn=args.volume_kms_key_arn,
            data_capture_config=_capture(args.capture) if args.capture else None,
            tags=sized_tags,
            opts=child_opts(self),
        )
        self.alarms = self._rollback_alarms()
        self.endpoint = aws.sagemaker.Endpoint(
            name,
            name=args.endpoint_name,
            endpoint_config_name=self.endpoint_config.name,
            deployment_config=deployment_config(args.rollout, [alarm_name for alarm_name, _ in self.alarms]),
            tags=tags,
            # `mladmin model promote/rollback` move the endpoint to new configs: `pulumi up --refresh` must
            # not move it back to the stack's first config (and model).
            opts=pulumi.ResourceOptions.merge(child_opts(self, depends_on=[alarm for _, alarm in self.alarms]),
                                              pulumi.ResourceOptions(ignore_changes=["endpointConfigName"])),
        )
        self.scaling_target = self.scaling_policy = None
        if args.scaling is not None:
            self._autoscaling(args.scaling)

        self.name = self.endpoint.name
        self.security_group_id = self.security_group.id if self.security_group else None
        self.register_outputs({"name": self.name, "security_group_id": self.security_group_id})

    def _variant(self) -> dict:
        args = self._args
        variant: dict = {"variant_name": args.variant_name, "model_name": self.model.name}
        if args.serverless is not None:
            variant["serverless_config"] = {"memory_size_in_mb": args.serverless.memory_size_mb,
                                            "max_concurrency": args.serverless.max_concurrency}
        else:
            variant.update(instance_type=args.instance_type, initial_instance_count=args.initial_instance_count,
                           initial_variant_weight=1.0)
        return variant

    def _rollback_alarms(self) -> list[tuple[str, aws.cloudwatch.MetricAlarm]]:
        """The deployment's own alarms; SageMaker rolls back while either is in ALARM during a rollout."""
        args, rollout = self._args, self._args.rollout
        dimensions = {"EndpointName": args.endpoint_name, "VariantName": args.variant_name}
        common = dict(namespace="AWS/SageMaker", dimensions=dimensions, period=60, treat_missing_data="notBreaching",
                      actions_enabled=True, alarm_actions=list(args.alarm_actions), ok_actions=list(args.alarm_actions))
        errors_name = f"{args.endpoint_name}-rollback-5xx"
        latency_name = f"{args.endpoint_name}-rollback-latency"
        errors = aws.cloudwatch.MetricAlarm(
            f"{self._name}-rollback-5xx",
            name=errors_name,
            alarm_description=f"Rolls back a deployment of {args.endpoint_name}: {rollout.max_5xx_errors} or more "
                              "5xx responses in a minute",
            metric_name="Invocation5XXErrors", statistic="Sum", evaluation_periods=1,
            comparison_operator="GreaterThanOrEqualToThreshold", threshold=float(rollout.max_5xx_errors),
            tags=self._args.tags.merged({"Name": errors_name}), opts=child_opts(self), **common,
        )
        latency = aws.cloudwatch.MetricAlarm(
            f"{self._name}-rollback-latency",
            name=latency_name,
            alarm_description=f"Rolls back a deployment of {args.endpoint_name}: p99 model latency above "
                              f"{rollout.p99_latency_ms} ms for two minutes",
            # ModelLatency is reported in microseconds.
            metric_name="ModelLatency", extended_statistic="p99", evaluation_periods=2,
            comparison_operator="GreaterThanThreshold", threshold=float(rollout.p99_latency_ms * 1000),
            tags=self._args.tags.merged({"Name": latency_name}), opts=child_opts(self), **common,
        )
        return [(errors_name, errors), (latency_name, latency)]

    def _autoscaling(self, scaling: Scaling) -> None:
        args = self._args
        resource_id = pulumi.Output.concat("endpoint/", self.endpoint.name, "/variant/", args.variant_name)
        self.scaling_target = aws.appautoscaling.Target(
            f"{self._name}-scaling",
            service_namespace="sagemaker",
            scalable_dimension=SCALABLE_DIMENSION,
            resource_id=resource_id,
            min_capacity=args.initial_instance_count,
            max_capacity=args.max_instance_count,
            tags=args.tags.merged({"Name": f"{args.endpoint_name}-scaling"}),
            opts=child_opts(self),
        )
        self.scaling_policy = aws.appautoscaling.Policy(
            f"{self._name}-invocations",
            name=f"{args.endpoint_name}-invocations-per-instance",
            policy_type="TargetTrackingScaling",
            service_namespace=self.scaling_target.service_namespace,
            scalable_dimension=self.scaling_target.scalable_dimension,
            resource_id=self.scaling_target.resource_id,
            target_tracking_scaling_policy_configuration={
                "predefined_metric_specification": {"predefined_metric_type": SCALING_METRIC},
                "target_value": float(scaling.target_invocations_per_instance),
                "scale_in_cooldown": scaling.scale_in_cooldown_seconds,
                "scale_out_cooldown": scaling.scale_out_cooldown_seconds,
            },
            opts=child_opts(self),
        )


def deployment_config(rollout: Rollout, alarm_names: Sequence[str]) -> dict:
    routing: dict = {"type": SHIFTING[rollout.shifting], "wait_interval_in_seconds": rollout.wait_seconds}
    if rollout.shifting == "canary":
        routing["canary_size"] = {"type": "CAPACITY_PERCENT", "value": rollout.step_percent}
    elif rollout.shifting == "linear":
        routing["linear_step_size"] = {"type": "CAPACITY_PERCENT", "value": rollout.step_percent}
    return {
        "blue_green_update_policy": {
            "traffic_routing_configuration": routing,
            "termination_wait_in_seconds": rollout.termination_wait_seconds,
            "maximum_execution_timeout_in_seconds": rollout.timeout_seconds(),
        },
        "auto_rollback_configuration": {"alarms": [{"alarm_name": alarm} for alarm in alarm_names]},
    }


def _capture(capture: DataCapture) -> dict:
    return {
        "enable_capture": capture.sampling_percent > 0,
        "initial_sampling_percentage": capture.sampling_percent,
        "destination_s3_uri": capture.destination_s3_uri,
        "kms_key_id": capture.kms_key_arn,
        "capture_options": [{"capture_mode": "Input"}, {"capture_mode": "Output"}],
        "capture_content_type_header": {"json_content_types": ["application/json"]},
    }


def validate(args: EndpointArgs) -> list[str]:
    problems = check.name_prefix("endpoint_name", args.endpoint_name, max_length=63 - len("-rollback-latency"))
    if (args.instance_type is None) == (args.serverless is None):
        problems.append("instance_type/serverless: expected exactly one of them")
    if args.instance_type is not None and not str(args.instance_type).startswith("ml."):
        problems.append(f"instance_type: {args.instance_type!r} is not a SageMaker ml. instance type")
    if args.serverless is not None:
        problems += check.one_of("serverless.memory_size_mb", args.serverless.memory_size_mb, SERVERLESS_MEMORY_MB)
        problems += check.int_range("serverless.max_concurrency", args.serverless.max_concurrency, 1, 200)
        if args.capture is not None:
            problems.append("capture: serverless endpoints cannot capture data")
        if args.scaling is not None:
            problems.append("scaling: serverless endpoints scale themselves")
    else:
        problems += check.int_range("initial_instance_count", args.initial_instance_count, 1)
        problems += check.int_range("max_instance_count", args.max_instance_count, args.initial_instance_count)
        if args.vpc_id is None or not list(args.subnet_ids):
            problems.append("vpc_id/subnet_ids: instance-based endpoints run in the VPC's private subnets")
    if args.scaling is not None and args.max_instance_count <= args.initial_instance_count:
        problems.append("scaling: needs max_instance_count above initial_instance_count")
    problems += check.one_of("rollout.shifting", args.rollout.shifting, SHIFTING)
    if args.rollout.shifting in ("canary", "linear"):
        problems += check.int_range("rollout.step_percent", args.rollout.step_percent, 10, 50)
        if args.serverless is None and args.initial_instance_count < 2:
            problems.append("rollout.shifting: canary and linear steps are at most half the fleet; "
                            "a single instance shifts allAtOnce")
    problems += check.int_range("rollout.wait_seconds", args.rollout.wait_seconds, 0, 3600)
    problems += check.int_range("rollout.termination_wait_seconds", args.rollout.termination_wait_seconds, 0, 3600)
    if args.capture is not None:
        problems += check.int_range("capture.sampling_percent", args.capture.sampling_percent, 0, 100)
    problems += tags_problems(args.tags)
    return problems
