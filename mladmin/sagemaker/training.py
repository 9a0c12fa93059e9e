"""Training jobs: the CreateTrainingJob request a `mladmin:sagemaker.trainingJobs` entry describes,
and the calls behind `mladmin launch train/status/stop`.

S3 layout, under the prefix the job's role reaches (``teams/<team>/`` for the team role,
``platform/teams/<team>/`` for the platform SageMaker role):

    s3://<datasets bucket>/<prefix><data>                 train channel (read)
    s3://<models bucket>/<prefix><baseModel>              model channel (read)
    s3://<models bucket>/<prefix>training/<job name>/     model.tar.gz of the run (SageMaker output)
    s3://<checkpoints bucket>/<prefix><job name>/         checkpoints (synced with /opt/ml/checkpoints)
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from policies.facts.instance_types import INSTANCE_STORE_FAMILIES, ec2_type
from stacks.settings import Settings
from stacks.settings.training import TIMESTAMP_LENGTH, TrainingJobSettings
from workloads import contract

from mladmin.sagemaker.aws import Aws, call
from mladmin.sagemaker.errors import SageMakerCommandError
from mladmin.sagemaker.outputs import StackOutputs

TRAIN_CHANNEL, MODEL_CHANNEL = contract.TRAIN_CHANNEL, contract.MODEL_CHANNEL
CHECKPOINT_LOCAL_PATH = f"{contract.DEFAULT_ROOT}/checkpoints"   # the trainer's default checkpoint_dir
# TrainConfig fields the SageMaker contract sets from the channels and /opt/ml paths.
CONTRACT_KEYS = ("model_dir", "model", "data", "output_dir", "checkpoint_dir", "final_dir")
JOB_TAG = "mladmin:training-job"


def find_job(settings: Settings, name: str, source: str) -> tuple[int, TrainingJobSettings]:
    jobs = settings.sagemaker.training_jobs
    for index, job in enumerate(jobs):
        if job.name == name:
            return index, job
    known = ", ".join(job.name for job in jobs) or "none"
    raise SageMakerCommandError(f"{source}: mladmin:sagemaker.trainingJobs has no job {name!r} (have: {known})")


def run_prefix(settings: Settings, job: TrainingJobSettings) -> str:
    """The SageMaker names of ``job``'s runs start with this: ``<team>-<environment>-<name>-``."""
    return f"{job.team}-{settings.environment}-{job.name}-"


def run_name(settings: Settings, job: TrainingJobSettings, now: datetime) -> str:
    return run_prefix(settings, job) + now.astimezone(timezone.utc).strftime("%y%m%d%H%M%S")


def key_prefix(job: TrainingJobSettings) -> str:
    """The S3 key prefix the job's role can reach (components/teams.py, components/iam.py)."""
    return f"teams/{job.team}/" if job.role == "team" else f"platform/teams/{job.team}/"


def role_arn(job: TrainingJobSettings, outputs: StackOutputs) -> str:
    if job.role == "team":
        # The team's job role: the team role (who calls CreateTrainingJob) may pass only it.
        return outputs.get("teamJobRoleArns", job.team)
    return outputs.get("sagemakerRoleArn")


def image_uri(repository_url: str, tag: str) -> str:
    return f"{repository_url}@{tag}" if tag.startswith("sha256:") else f"{repository_url}:{tag}"


def has_instance_store(instance_type: str) -> bool:
    """Local NVMe types reject a volume KMS key; their instance store is encrypted by the hardware."""
    return ec2_type(instance_type).partition(".")[0] in INSTANCE_STORE_FAMILIES


def hyperparameters(job: TrainingJobSettings, where: str) -> dict[str, str]:
    """The job's hyperparameters checked against the trainer's own settings model, as SageMaker strings.

    ``where`` names the job's key (``stacks/Pulumi.dev.yaml: mladmin:sagemaker.trainingJobs[0]``).
    """
    from pydantic import ValidationError

    from workloads.train.config import FIELDS, TrainConfig

    problems = []
    values = {key.replace("-", "_"): value for key, value in job.hyperparameters.items()}
    for key in values:
        if key in CONTRACT_KEYS:
            problems.append(f"{where}.hyperparameters.{key}: set by the SageMaker training contract (the "
                            f"{TRAIN_CHANNEL}/{MODEL_CHANNEL} channels and /opt/ml paths); remove it")
    checked = {key: value for key, value in values.items() if key not in CONTRACT_KEYS}
    try:
        TrainConfig(model_dir=contract.DEFAULT_ROOT, data=contract.DEFAULT_ROOT, output_dir=contract.DEFAULT_ROOT,
                    **checked)
    except ValidationError as exc:
        for error in exc.errors():
            key = ".".join(str(part) for part in error["loc"])
            if error["type"] == "extra_forbidden":
                expected = ", ".join(sorted(FIELDS - set(CONTRACT_KEYS)))
                problems.append(f"{where}.hyperparameters.{key}: not a trainer setting (expected one of {expected})")
            elif key:
                problems.append(f"{where}.hyperparameters.{key}: {error['msg']} (got {error.get('input')!r})")
            else:
                problems.append(f"{where}.hyperparameters: {error['msg'].removeprefix('Value error, ')}")
    if problems:
        raise SageMakerCommandError("\n".join(problems))
    # SageMaker passes strings; the trainer JSON-decodes them back (workloads/train/config.py).
    return {key: value if isinstance(value, str) else json.dumps(value) for key, value in checked.items()}


def training_request(settings: Settings, job: TrainingJobSettings, outputs: StackOutputs, *, now: datetime,
                     where: str) -> dict[str, Any]:
    """The CreateTrainingJob arguments for one run of ``job``."""
    name = run_name(settings, job, now)
    prefix = key_prefix(job)
    datasets, models, checkpoints = (outputs.get("buckets", purpose) for purpose in ("datasets", "models", "checkpoints"))
    key = outputs.get("dataKeyArn")
    resources: dict[str, Any] = {"InstanceType": job.instance_type, "InstanceCount": job.instance_count,
                                 "VolumeSizeInGB": job.volume_size_gb}
    if not has_instance_store(job.instance_type):
        resources["VolumeKmsKeyId"] = key
    stopping: dict[str, int] = {"MaxRuntimeInSeconds": job.max_runtime_seconds}
    if job.spot:
        stopping["MaxWaitTimeInSeconds"] = job.max_wait_seconds  # type: ignore[assignment]
    tags = {**settings.tags, "team": job.team, JOB_TAG: job.name}
    return {
        "TrainingJobName": name,
        "AlgorithmSpecification": {
            "TrainingImage": image_uri(outputs.get("repositories", "training"), job.image_tag),
            "TrainingInputMode": "File",
        },
        "RoleArn": role_arn(job, outputs),
        "HyperParameters": hyperparameters(job, where),
        "InputDataConfig": [
            _channel(TRAIN_CHANNEL, f"s3://{datasets}/{prefix}{job.data}"),
            _channel(MODEL_CHANNEL, f"s3://{models}/{prefix}{job.base_model}"),
        ],
        "OutputDataConfig": {"S3OutputPath": f"s3://{models}/{prefix}training/{job.name}/", "KmsKeyId": key},
        "ResourceConfig": resources,
        "VpcConfig": {"SecurityGroupIds": [outputs.get("trainingSecurityGroupId")],
                      "Subnets": list(outputs.get("privateSubnetIds"))},
        "StoppingCondition": stopping,
        "EnableNetworkIsolation": job.network_isolation,
        "EnableInterContainerTrafficEncryption": job.encrypt_inter_container_traffic,
        "EnableManagedSpotTraining": job.spot,
        "CheckpointConfig": {"S3Uri": f"s3://{checkpoints}/{prefix}{name}/", "LocalPath": CHECKPOINT_LOCAL_PATH},
        "Tags": [{"Key": k, "Value": v} for k, v in tags.items()],
    }


def _channel(name: str, uri: str) -> dict[str, Any]:
    return {"ChannelName": name, "InputMode": "File", "DataSource": {"S3DataSource": {
        "S3DataType": "S3Prefix", "S3Uri": uri, "S3DataDistributionType": "FullyReplicated"}}}


def submit(aws: Aws, request: dict[str, Any]) -> str:
    return call(aws.sagemaker.create_training_job, **request)["TrainingJobArn"]


def list_runs(aws: Aws, settings: Settings, jobs: list[TrainingJobSettings], limit: int = 10) -> list[dict[str, Any]]:
    """The newest runs of ``jobs`` (summaries from ListTrainingJobs), newest first."""
    runs: list[dict[str, Any]] = []
    for job in jobs:
        prefix = run_prefix(settings, job)
        answer = call(aws.sagemaker.list_training_jobs, NameContains=prefix, SortBy="CreationTime",
                      SortOrder="Descending", MaxResults=limit)
        runs += [run for run in answer.get("TrainingJobSummaries", []) if _is_run_of(run["TrainingJobName"], prefix)]
    return sorted(runs, key=lambda run: run["CreationTime"], reverse=True)


def describe(aws: Aws, name: str) -> dict[str, Any]:
    return call(aws.sagemaker.describe_training_job, TrainingJobName=name)


def owning_job(settings: Settings, name: str) -> TrainingJobSettings | None:
    """The configured job that ``name`` (a SageMaker training job name) is a run of, if any."""
    for job in settings.sagemaker.training_jobs:
        if _is_run_of(name, run_prefix(settings, job)):
            return job
    return None


def stop(aws: Aws, settings: Settings, name: str, source: str) -> None:
    if owning_job(settings, name) is None:
        raise SageMakerCommandError(
            f"{name!r} is not a run of a training job of {source} (expected <team>-{settings.environment}-<job>-"
            "<yymmddHHMMSS>, as `mladmin launch status` lists)")
    call(aws.sagemaker.stop_training_job, TrainingJobName=name)


def _is_run_of(name: str, prefix: str) -> bool:
    return name.startswith(prefix) and re.fullmatch(rf"\d{{{TIMESTAMP_LENGTH}}}", name[len(prefix):]) is not None


def fetch_model(aws: Aws, settings: Settings, name: str, directory: Path, source: str) -> str:
    """Unpack the model.tar.gz of a finished run into ``directory`` (the trainer's final/ as it was saved).

    Returns the artifact's S3 URI. Members are checked by tarfile's "data" filter: no absolute paths,
    no links out of ``directory``, no devices.
    """
    import tarfile
    import tempfile

    if owning_job(settings, name) is None:
        raise SageMakerCommandError(f"{name!r} is not a run of a training job of {source} (expected "
                                    f"<team>-{settings.environment}-<job>-<yymmddHHMMSS>, as `mladmin launch status` lists)")
    run = describe(aws, name)
    uri = (run.get("ModelArtifacts") or {}).get("S3ModelArtifacts")
    if run.get("TrainingJobStatus") not in ("Completed", "Stopped") or not uri:
        raise SageMakerCommandError(f"{name}: {run.get('TrainingJobStatus')} without a model artifact yet "
                                    "(expected a Completed or Stopped run)")
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile() as archive:
        call(aws.s3.download_fileobj, Bucket=bucket, Key=key, Fileobj=archive)
        archive.seek(0)
        try:
            with tarfile.open(fileobj=archive, mode="r:gz") as tar:
                tar.extractall(directory, filter="data")
        except (tarfile.TarError, OSError) as exc:
            raise SageMakerCommandError(f"{uri}: cannot unpack into {directory} ({exc})") from None
    return uri
