"""The model registry's groups and one model family's retraining pipeline, with its own scoped role,
started on a schedule (EventBridge Scheduler) and when the family's drift alarms go to ALARM. Its jobs
run in the platform's private subnets with the jobs' security group (components.training_network)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace

import pulumi
import pulumi_aws as aws

from components import validation as check
from components.iam import ECR_PULL_ACTIONS, LOG_WRITE_ACTIONS, data_key_statement, job_eni_statements
from components.pipeline_definition import PipelineSpec, retraining_definition
from components.policy_documents import (
    Document,
    document,
    known_after,
    role_arn,
    service_trust_policy,
    statement,
    to_json,
)
from components.tags import Tags, child_opts, tags_problems

PIPELINE_JOBS = ("training-job/pipelines-*", "processing-job/pipelines-*")  # names Pipelines gives its jobs


def model_package_group_arn(region: str, account_id: str, group: str) -> str:
    return f"arn:aws:sagemaker:{region}:{account_id}:model-package-group/{group}"


def pipeline_arn(region: str, account_id: str, name: str) -> str:
    return f"arn:aws:sagemaker:{region}:{account_id}:pipeline/{name}"


class ModelRegistry(pulumi.ComponentResource):
    """A model package group per model family: ``<prefix>-<model>``."""

    def __init__(self, name: str, groups: dict[str, str], tags: Tags, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mladmin:sagemaker:ModelRegistry", name, None, opts)
        self.groups = {
            model: aws.sagemaker.ModelPackageGroup(
                f"{name}-{group}",
                model_package_group_name=group,
                model_package_group_description=f"Versions of {model}: registered PendingManualApproval, "
                                                "approved by `mladmin model promote`",
                tags=tags.merged({"Name": group, "model": model}),
                opts=child_opts(self),
            )
            for model, group in groups.items()
        }
        self.group_names = {model: group.model_package_group_name for model, group in self.groups.items()}
        self.register_outputs({"group_names": self.group_names})


@dataclass(frozen=True)
class RetrainingArgs:
    """``spec`` holds the definition's values; role_arn, subnets, security group, images and key are filled in here."""

    pipeline_name: str                   # <prefix>-retrain-<model>; also the roles' names
    account_id: str
    region: str
    tags: Tags
    spec: PipelineSpec                   # role_arn / security_group_ids are replaced by this component's
    security_group_id: pulumi.Input[str]  # the jobs' group: TrainingNetwork.security_group_id
    data_key_alias: str                  # the pipeline's role uses the data key by alias
    read_object_arns: Sequence[str]      # training and evaluation data, base model, gate
    write_object_arns: Sequence[str]     # artifacts, evaluation reports, checkpoints
    bucket_prefixes: dict[str, Sequence[str]]  # bucket ARN -> key prefixes it may list
    training_repository_arn: pulumi.Input[str]
    # Subnets, image URIs and key: outputs the definition is resolved from.
    subnet_ids: Sequence[pulumi.Input[str]] = ()
    training_image: pulumi.Input[str] = ""
    serving_image: pulumi.Input[str] = ""
    kms_key_arn: pulumi.Input[str] = ""
    schedule: str | None = None          # EventBridge Scheduler expression
    schedule_timezone: str = "UTC"
    drift_alarm_names: Sequence[str] = ()  # <prefix>-<endpoint>-drift, created by the observability stack


class Retraining(pulumi.ComponentResource):
    def __init__(self, name: str, args: RetrainingArgs, opts: pulumi.ResourceOptions | None = None):
        check.raise_if_problems("Retraining", validate(args))
        super().__init__("mladmin:sagemaker:Retraining", name, None, opts)
        acct, region, tags = args.account_id, args.region, args.tags
        self.role_name = args.pipeline_name
        self.trigger_role_name = f"{args.pipeline_name}-start"
        own_arn = role_arn(acct, self.role_name)
        arn = pipeline_arn(region, acct, args.pipeline_name)

        self.role = aws.iam.Role(
            f"{name}-role",
            name=self.role_name,
            description=f"Runs {args.pipeline_name} and its jobs: its data, keys and images only",
            assume_role_policy=to_json(service_trust_policy("sagemaker.amazonaws.com", acct)),
            tags=tags.merged({"Name": self.role_name}),
            opts=child_opts(self),
        )
        aws.iam.RolePolicy(f"{name}-role-policy", role=self.role.id, policy=to_json(pipeline_role_policy(args, own_arn)),
                           opts=child_opts(self))
        self.role_arn = known_after(own_arn, self.role)

        definition = pulumi.Output.all(
            self.role_arn, args.security_group_id, list(args.subnet_ids), args.training_image, args.serving_image,
            args.kms_key_arn,
        ).apply(lambda values: json.dumps(retraining_definition(replace(
            args.spec, role_arn=values[0], security_group_ids=[values[1]], subnet_ids=list(values[2]),
            training_image=values[3], serving_image=values[4], kms_key_arn=values[5]))))
        self.pipeline = aws.sagemaker.Pipeline(
            name,
            pipeline_name=args.pipeline_name,
            pipeline_display_name=args.pipeline_name,
            pipeline_description="Train -> evaluate with the release gate -> register (PendingManualApproval)",
            role_arn=self.role_arn,
            pipeline_definition=definition,
            tags=tags.merged({"Name": args.pipeline_name}),
            opts=child_opts(self, depends_on=[self.role]),
        )
        self.pipeline_arn = known_after(arn, self.pipeline)

        self.trigger_role = aws.iam.Role(
            f"{name}-start",
            name=self.trigger_role_name,
            description=f"EventBridge Scheduler and rules start {args.pipeline_name}, nothing else",
            assume_role_policy=to_json(service_trust_policy(["scheduler.amazonaws.com", "events.amazonaws.com"], acct)),
            tags=tags.merged({"Name": self.trigger_role_name}),
            opts=child_opts(self),
        )
        aws.iam.RolePolicy(f"{name}-start-policy", role=self.trigger_role.id,
                           policy=to_json(document(statement("StartThisPipeline", ["sagemaker:StartPipelineExecution"],
                                                             [arn]))),
                           opts=child_opts(self))
        trigger_arn = known_after(role_arn(acct, self.trigger_role_name), self.trigger_role)

        self.schedule = None
        if args.schedule:
            self.schedule = aws.scheduler.Schedule(
                f"{name}-schedule",
                name=args.pipeline_name,
                description=f"Starts {args.pipeline_name} on {args.schedule}",
                schedule_expression=args.schedule,
                schedule_expression_timezone=args.schedule_timezone,
                flexible_time_window={"mode": "OFF"},
                target={"arn": self.pipeline_arn, "role_arn": trigger_arn,
                        "retry_policy": {"maximum_retry_attempts": 2, "maximum_event_age_in_seconds": 3600}},
                opts=child_opts(self),
            )
        self.drift_rule = None
        if args.drift_alarm_names:
            self.drift_rule = aws.cloudwatch.EventRule(
                f"{name}-on-drift",
                name=f"{args.pipeline_name}-on-drift",
                description=f"Starts {args.pipeline_name} when a drift alarm of its endpoints goes to ALARM",
                event_pattern=json.dumps(drift_event_pattern(region, acct, args.drift_alarm_names)),
                tags=tags.merged({"Name": f"{args.pipeline_name}-on-drift"}),
                opts=child_opts(self),
            )
            aws.cloudwatch.EventTarget(
                f"{name}-on-drift-target",
                rule=self.drift_rule.name,
                arn=self.pipeline_arn,
                role_arn=trigger_arn,
                retry_policy={"maximum_retry_attempts": 2, "maximum_event_age_in_seconds": 3600},
                opts=child_opts(self),
            )
        self.register_outputs({"pipeline_arn": self.pipeline_arn, "role_arn": self.role_arn})


def drift_event_pattern(region: str, account_id: str, alarm_names: Sequence[str]) -> dict:
    return {
        "source": ["aws.cloudwatch"],
        "detail-type": ["CloudWatch Alarm State Change"],
        "resources": [f"arn:aws:cloudwatch:{region}:{account_id}:alarm:{alarm}" for alarm in alarm_names],
        "detail": {"state": {"value": ["ALARM"]}},
    }


def pipeline_role_policy(args: RetrainingArgs, own_arn: str) -> Document:
    acct, region = args.account_id, args.region
    group = args.spec.model_package_group
    logs = f"arn:aws:logs:{region}:{acct}:log-group:/aws/sagemaker"
    return document(
        statement("RunPipelineJobs",
                  ["sagemaker:CreateTrainingJob", "sagemaker:DescribeTrainingJob", "sagemaker:StopTrainingJob",
                   "sagemaker:CreateProcessingJob", "sagemaker:DescribeProcessingJob",
                   "sagemaker:StopProcessingJob", "sagemaker:AddTags"],
                  [f"arn:aws:sagemaker:{region}:{acct}:{jobs}" for jobs in PIPELINE_JOBS]),
        statement("RegisterInOwnGroup", ["sagemaker:CreateModelPackage", "sagemaker:DescribeModelPackage",
                                         "sagemaker:DescribeModelPackageGroup", "sagemaker:AddTags"],
                  [model_package_group_arn(region, acct, group),
                   f"arn:aws:sagemaker:{region}:{acct}:model-package/{group}/*"]),
        statement("PassOnlyItselfToSageMaker", ["iam:PassRole"], [own_arn],
                  conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}),
        *[statement(f"ListOwnPrefixes{i}", ["s3:ListBucket"], [bucket],
                    conditions={"StringLike": {"s3:prefix": [p for prefix in prefixes for p in (prefix, f"{prefix}*")]}})
          for i, (bucket, prefixes) in enumerate(args.bucket_prefixes.items())],
        statement("ReadOwnInputs", ["s3:GetObject", "s3:GetObjectVersion"],
                  [*args.read_object_arns, *args.write_object_arns]),
        statement("WriteOwnOutputs", ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
                  list(args.write_object_arns)),
        data_key_statement("UseDataKey", ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
                           region, acct, args.data_key_alias),
        statement("PullTrainingImage", ECR_PULL_ACTIONS, [args.training_repository_arn]),
        # ecr:GetAuthorizationToken has no resource-level permissions.
        statement("EcrAuthTokenHasNoResourceLevelPermissions", ["ecr:GetAuthorizationToken"], "*"),
        statement("WriteJobLogs", LOG_WRITE_ACTIONS,
                  [f"{logs}/TrainingJobs:*", f"{logs}/ProcessingJobs:*"]),
        statement("PutJobMetrics", ["cloudwatch:PutMetricData"], "*",
                  conditions={"StringLike": {"cloudwatch:namespace": "/aws/sagemaker/*"}}),
        *job_eni_statements(region, acct, args.tags.environment),
    )


def validate(args: RetrainingArgs) -> list[str]:
    problems = check.name_prefix("pipeline_name", args.pipeline_name, max_length=64 - len("-start"))
    problems += check.account_id("account_id", args.account_id)
    problems += check.region("region", args.region)
    for field_name in ("read_object_arns", "write_object_arns"):
        for i, arn in enumerate(getattr(args, field_name)):
            if isinstance(arn, str) and not arn.startswith("arn:aws:s3:::"):
                problems.append(f"{field_name}[{i}]: {arn!r} is not an S3 object ARN")
    if not list(args.write_object_arns):
        problems.append("write_object_arns: the pipeline writes its artifacts somewhere")
    if not list(args.subnet_ids):
        problems.append("subnet_ids: the pipeline's jobs run in the VPC's private subnets")
    if isinstance(args.security_group_id, str) and not args.security_group_id.startswith("sg-"):
        problems.append(f"security_group_id: {args.security_group_id!r} is not a security group id (expected "
                        "TrainingNetwork.security_group_id)")
    problems += tags_problems(args.tags)
    return problems
