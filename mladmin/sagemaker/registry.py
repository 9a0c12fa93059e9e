"""The model registry: register a trained model with its evaluation report, promote it, roll back.

Artifacts live in the models bucket under the model's prefix (stacks/sagemaker.py `model_prefix`,
inside the platform prefix the endpoints' execution role reads):

    s3://<models bucket>/platform/models/<model>/registry/<fingerprint[:16]>/model.tar.gz
    s3://<models bucket>/platform/models/<model>/registry/<fingerprint[:16]>/evaluation.json

``fingerprint`` is the model's identity from the evaluation report (workloads/evaluate/model.py), so
re-registering the same weights overwrites nothing different. The package's ModelQuality statistics
point at ``evaluation.json``; `promote` reads the release gate from there, not from a copy.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mladmin.sagemaker.aws import Aws, call
from mladmin.sagemaker.errors import GateFailed, SageMakerCommandError
from mladmin.sagemaker.outputs import StackOutputs
from mladmin.sagemaker.training import image_uri
from stacks.settings import EndpointSettings, Settings

REPORT_KIND, REPORT_VERSION = "mladmin.eval-report", 1
REGISTRY_FOLDER = "registry"
PENDING, APPROVED, REJECTED = "PendingManualApproval", "Approved", "Rejected"
CONTENT_TYPE = "application/json"


@dataclass(frozen=True)
class Registered:
    arn: str
    version: int | None
    model_data_url: str
    report_url: str
    gate: str               # passed | failed | none


# --- register ---------------------------------------------------------------------------------

def load_report(path: Path) -> dict[str, Any]:
    """The `mladmin eval` JSON report (workloads/evaluate/report.schema.json)."""
    try:
        report = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SageMakerCommandError(f"{path}: file not found (expected the JSON report of `mladmin eval`)") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise SageMakerCommandError(f"{path}: not a JSON evaluation report ({exc})") from None
    if not isinstance(report, dict) or report.get("kind") != REPORT_KIND:
        raise SageMakerCommandError(f"{path}: not an evaluation report (expected kind {REPORT_KIND!r}, "
                                    "the JSON that `mladmin eval --output-dir` writes)")
    if report.get("schema_version") != REPORT_VERSION:
        raise SageMakerCommandError(f"{path}: schema_version {report.get('schema_version')!r} is not supported "
                                    f"(expected {REPORT_VERSION})")
    return report


def gate_result(report: dict[str, Any]) -> str:
    gate = report.get("gate")
    return "none" if not gate else ("passed" if gate.get("passed") else "failed")


def check_same_model(directory: Path, report: dict[str, Any], report_path: Path) -> str:
    """The report must be about these weights: its fingerprint is the directory's."""
    from workloads.evaluate.model import fingerprint_model_dir

    fingerprint, files = fingerprint_model_dir(directory)
    if not files or not (directory / "config.json").is_file():
        raise SageMakerCommandError(f"{directory}: not a model directory (expected config.json, weights and tokenizer "
                                    "files, as the trainer writes to final/)")
    reported = (report.get("model") or {}).get("fingerprint")
    if reported != fingerprint:
        raise SageMakerCommandError(f"{report_path}: evaluates model {reported}, but {directory} is {fingerprint} "
                                    f"(expected the report of this directory: mladmin eval --model {directory} ...)")
    return fingerprint


def pack_model(directory: Path) -> bytes:
    """model.tar.gz of every file under ``directory`` at the archive root (SageMaker unpacks it into
    /opt/ml/model). Sorted, with fixed owners and times, so the same files give the same bytes."""
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as zipped, \
            tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(p for p in directory.rglob("*") if p.is_file()):
            info = tarfile.TarInfo(path.relative_to(directory).as_posix())
            info.size, info.mode, info.mtime = path.stat().st_size, 0o644, 0
            with open(path, "rb") as handle:
                tar.addfile(info, handle)
    return buffer.getvalue()


def artifact_prefix(model: str, fingerprint: str) -> str:
    from stacks.sagemaker import model_prefix

    return f"{model_prefix(model)}/{REGISTRY_FOLDER}/{fingerprint.removeprefix('sha256:')[:16]}"


def endpoint_for_model(settings: Settings, model: str, source: str) -> list[EndpointSettings]:
    endpoints = [endpoint for endpoint in settings.sagemaker.endpoints if endpoint.model == model]
    if not endpoints:
        served = ", ".join(sorted({e.model for e in settings.sagemaker.endpoints})) or "none"
        raise SageMakerCommandError(f"{source}: no endpoint of mladmin:sagemaker.endpoints serves model {model!r} "
                                    f"(models served: {served})")
    return endpoints


def register(aws: Aws, settings: Settings, outputs: StackOutputs, *, model: str, directory: Path,
             report_path: Path, image_tag: str | None, source: str) -> Registered:
    """Pack, upload and register ``directory`` as a new version in the model's package group.

    The serving image is ``image_tag`` of the serving repository, by default the imageTag of the
    first endpoint that serves ``model``."""
    from stacks.settings.training import PinnedImage  # the same rule as training images
    from pydantic import TypeAdapter, ValidationError

    endpoints = endpoint_for_model(settings, model, source)
    if image_tag is None:
        image_tag = endpoints[0].image_tag
    try:
        TypeAdapter(PinnedImage).validate_python(image_tag)
    except ValidationError as exc:
        raise SageMakerCommandError(f"--image-tag: {exc.errors()[0]['msg'].removeprefix('Value error, ')}") from None
    report = load_report(report_path)
    fingerprint = check_same_model(directory, report, report_path)
    group = outputs.get("modelPackageGroups", model)
    bucket, key = outputs.get("buckets", "models"), outputs.get("dataKeyArn")
    image = image_uri(outputs.get("repositories", "serving"), image_tag)
    prefix = artifact_prefix(model, fingerprint)
    archive = pack_model(directory)
    encryption = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": key}
    call(aws.s3.put_object, Bucket=bucket, Key=f"{prefix}/model.tar.gz", Body=archive, **encryption)
    call(aws.s3.put_object, Bucket=bucket, Key=f"{prefix}/evaluation.json", ContentType=CONTENT_TYPE,
         Body=json.dumps(report, indent=2).encode(), **encryption)
    model_data_url, report_url = f"s3://{bucket}/{prefix}/model.tar.gz", f"s3://{bucket}/{prefix}/evaluation.json"
    gate = gate_result(report)
    arn = call(
        aws.sagemaker.create_model_package,
        ModelPackageGroupName=group,
        ModelPackageDescription=f"{model} {fingerprint[:23]} from {directory.name}/; release gate {gate}",
        InferenceSpecification={
            "Containers": [{"Image": image, "ModelDataUrl": model_data_url}],
            "SupportedContentTypes": [CONTENT_TYPE],
            "SupportedResponseMIMETypes": [CONTENT_TYPE],
            "SupportedRealtimeInferenceInstanceTypes": list(settings.sagemaker.allowed_instance_types),
        },
        ModelMetrics={"ModelQuality": {"Statistics": {"ContentType": CONTENT_TYPE, "S3Uri": report_url}}},
        ModelApprovalStatus=PENDING,
        CustomerMetadataProperties={"mladmin:fingerprint": fingerprint, "mladmin:release-gate": gate,
                                    "mladmin:archive-sha256": hashlib.sha256(archive).hexdigest()},
        Tags=[{"Key": k, "Value": v} for k, v in settings.tags.items()],
    )["ModelPackageArn"]
    return Registered(arn, version_of(arn), model_data_url, report_url, gate)


# --- packages ---------------------------------------------------------------------------------

def version_of(arn: str) -> int | None:
    tail = arn.rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else None


def packages(aws: Aws, group: str, status: str | None = None) -> list[dict[str, Any]]:
    """The group's versioned packages, newest version first."""
    found, token = [], None
    while True:
        args: dict[str, Any] = {"ModelPackageGroupName": group, "ModelPackageType": "Versioned", "MaxResults": 100}
        if status:
            args["ModelApprovalStatus"] = status
        if token:
            args["NextToken"] = token
        answer = call(aws.sagemaker.list_model_packages, **args)
        found += answer.get("ModelPackageSummaryList", [])
        token = answer.get("NextToken")
        if not token:
            break
    return sorted(found, key=lambda p: p.get("ModelPackageVersion") or 0, reverse=True)


def resolve_package(aws: Aws, group: str, ref: str) -> dict[str, Any]:
    """A package of ``group`` by version number or ARN, described."""
    if ref.isdigit():
        matches = [p for p in packages(aws, group) if p.get("ModelPackageVersion") == int(ref)]
        if not matches:
            raise SageMakerCommandError(f"model package group {group} has no version {ref} "
                                        f"(`mladmin model packages` lists them)")
        ref = matches[0]["ModelPackageArn"]
    package = call(aws.sagemaker.describe_model_package, ModelPackageName=ref)
    if package.get("ModelPackageGroupName") != group:
        raise SageMakerCommandError(f"{ref}: belongs to group {package.get('ModelPackageGroupName')}, not {group}")
    return package


def read_report(aws: Aws, package: dict[str, Any]) -> dict[str, Any]:
    """The evaluation report a package's ModelQuality statistics point at."""
    uri = (((package.get("ModelMetrics") or {}).get("ModelQuality") or {}).get("Statistics") or {}).get("S3Uri")
    if not uri or not uri.startswith("s3://"):
        raise SageMakerCommandError(f"{package['ModelPackageArn']}: no evaluation report attached (expected "
                                    "ModelMetrics.ModelQuality.Statistics, as `mladmin model register` sets)")
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    body = call(aws.s3.get_object, Bucket=bucket, Key=key)["Body"].read()
    try:
        report = json.loads(body)
    except ValueError:
        raise SageMakerCommandError(f"{uri}: not JSON (expected the evaluation report)") from None
    if not isinstance(report, dict) or report.get("kind") != REPORT_KIND:
        raise SageMakerCommandError(f"{uri}: not an evaluation report (expected kind {REPORT_KIND!r})")
    return report


def require_passed_gate(package: dict[str, Any], report: dict[str, Any]) -> None:
    """A package goes live only on a report whose release gate ran and passed."""
    arn, gate = package["ModelPackageArn"], report.get("gate")
    if not gate:
        raise GateFailed(f"{arn}: its evaluation report has no release gate (expected `mladmin eval --gate FILE`); "
                         "not promoting")
    failing = [check for check in gate.get("checks", []) if not check.get("passed")]
    if failing or not gate.get("passed"):
        reasons = "; ".join(f"{check['metric']}: {check.get('reason', 'failed')}" for check in failing) or "failed"
        raise GateFailed(f"{arn}: release gate failed ({reasons}); not promoting")


def set_status(aws: Aws, arn: str, status: str, why: str) -> None:
    call(aws.sagemaker.update_model_package, ModelPackageArn=arn, ModelApprovalStatus=status,
         ApprovalDescription=why[:1024])
