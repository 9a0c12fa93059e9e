"""SageMaker: encryption, data capture, notebooks, network isolation, inter-container encryption."""

from __future__ import annotations

from collections.abc import Mapping

from typing import Iterator

from policies.capacity_fit import (ARCHITECTURE_TAG, CHECK_CONTEXT, DEFAULT_HEADROOM_PERCENT, DTYPE_TAG, HEADROOM_TAG,
                                   MODEL_TAG, RUNTIME_OVERHEAD, dtype_from, headroom_from, one_sequence_fit)
from policies.facts.instance_types import INSTANCE_STORE_FAMILIES, ec2_type
from policies.facts.models import CATALOGUE
from policies.observability import effective_tags
from policies.sagemaker_endpoints import serverless_only_models
from policies.spec import (
    PROD_ONLY, STANDARD, STRICT, Context, Severity, Subject, nist, resource_policy, stack_policy,
)
from policies.views import StackView, as_list, first, given, present, require, truthy

ENDPOINT_CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
NOTEBOOK = "aws:sagemaker/notebookInstance:NotebookInstance"
MODEL = "aws:sagemaker/model:Model"
TRAINING_JOB = "aws:sagemaker/trainingJob:TrainingJob"
HPO_JOB = "aws:sagemaker/hyperParameterTuningJob:HyperParameterTuningJob"
DATA_QUALITY_JOB = "aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition"
# Tags components/endpoint.py puts on an endpoint's Model and EndpointConfiguration: the served model's name
# (mladmin:sagemaker.endpoints[].model) and the stack's capacity headroom (mladmin:sagemaker.capacityHeadroomPercent).


def _has_instance_store(instance_type: str) -> bool:
    return ec2_type(instance_type).split(".", 1)[0] in INSTANCE_STORE_FAMILIES


@resource_policy(
    id="sagemaker-endpoint-kms", area="sagemaker", title="SageMaker endpoint storage encrypted with KMS",
    description="Endpoint configurations set a KMS key for the ML storage volume, except when every variant "
                "runs on instances with (hardware-encrypted) local NVMe storage, where SageMaker rejects the key.",
    severity=Severity.HIGH, enforcement=STRICT, types=(ENDPOINT_CONFIG,),
    remediation="Set kms_key_arn to the data KMS key.",
    frameworks=[nist("SC-28"), nist("SC-12")],
)
def sagemaker_endpoint_kms(resource: Subject, ctx: Context) -> Iterator[str]:
    if present(resource.props, "kmsKeyArn"):
        return
    variants = [v for v in as_list(resource.props.get("productionVariants")) if isinstance(v, Mapping)]
    volume_backed = [str(v.get("instanceType")) for v in variants
                     if v.get("instanceType") and not _has_instance_store(str(v["instanceType"]))]
    if volume_backed:
        yield f"no KMS key for the storage volumes of {', '.join(volume_backed)}"


@resource_policy(
    id="sagemaker-data-capture-prod", area="sagemaker", title="SageMaker data capture in prod",
    description="In prod, endpoint configurations capture requests and responses to S3 for drift monitoring "
                "and audit.",
    severity=Severity.MEDIUM, enforcement=PROD_ONLY, types=(ENDPOINT_CONFIG,),
    remediation="Set data_capture_config with enable_capture=True, initial_sampling_percentage > 0, "
                "capture_options for Input and Output, a destination_s3_uri and kms_key_id.",
    frameworks=[nist("AU-2"), nist("SI-4")],
)
def sagemaker_data_capture_prod(resource: Subject, ctx: Context) -> Iterator[str]:
    capture = first(resource.props.get("dataCaptureConfig")) or {}
    if not capture or not truthy(capture.get("enableCapture", False)):
        yield "data capture is off"
    elif not float(capture.get("initialSamplingPercentage") or 0) > 0 or not present(capture, "destinationS3Uri"):
        yield "data capture samples nothing or has no S3 destination"


@resource_policy(
    id="sagemaker-notebook-no-direct-internet", area="sagemaker", title="Notebooks without direct internet",
    description="SageMaker notebook instances run in a VPC subnet with direct internet access disabled "
                "(the AWS default is Enabled).",
    severity=Severity.HIGH, enforcement=STRICT, types=(NOTEBOOK,),
    remediation="Set direct_internet_access='Disabled', subnet_id to a private subnet and security_groups.",
    frameworks=[nist("SC-7")],
)
def sagemaker_notebook_no_direct_internet(resource: Subject, ctx: Context) -> Iterator[str]:
    if (resource.props.get("directInternetAccess") or "Enabled") != "Disabled":
        yield "direct internet access is enabled"
    if not present(resource.props, "subnetId"):
        yield "notebook is not placed in a VPC subnet"


@resource_policy(
    id="sagemaker-notebook-no-root", area="sagemaker", title="Notebooks without root",
    description="SageMaker notebook instances disable root access (the AWS default is Enabled).",
    severity=Severity.MEDIUM, enforcement=STANDARD, types=(NOTEBOOK,),
    remediation="Set root_access='Disabled'.",
    frameworks=[nist("AC-6")],
)
def sagemaker_notebook_no_root(resource: Subject, ctx: Context) -> Iterator[str]:
    if (resource.props.get("rootAccess") or "Enabled") != "Disabled":
        yield "root access is enabled"


@resource_policy(
    id="sagemaker-notebook-kms", area="sagemaker", title="Notebook volumes encrypted with KMS",
    description="SageMaker notebook instances encrypt their storage volume with a customer-managed KMS key.",
    severity=Severity.MEDIUM, enforcement=STANDARD, types=(NOTEBOOK,),
    remediation="Set kms_key_id to the data KMS key.",
    frameworks=[nist("SC-28")],
)
def sagemaker_notebook_kms(resource: Subject, ctx: Context) -> Iterator[str]:
    if not present(resource.props, "kmsKeyId"):
        yield "notebook volume has no customer-managed KMS key"


@stack_policy(
    id="sagemaker-network-isolation", area="sagemaker", title="SageMaker network isolation",
    description="SageMaker models and training jobs run with network isolation: containers make no outbound "
                "calls. Models served only by serverless endpoint variants are skipped: AWS refuses network "
                "isolation for them.",
    severity=Severity.MEDIUM, enforcement=STANDARD, types=(MODEL, TRAINING_JOB),
    remediation="Set enable_network_isolation=True; ship weights in the model artifact instead of downloading them.",
    frameworks=[nist("SC-7"), nist("SC-39")],
)
def sagemaker_network_isolation(stack: StackView, ctx: Context) -> Iterator[tuple[str | None, str]]:
    skipped = serverless_only_models(stack)
    for resource in stack.of_type(MODEL, TRAINING_JOB):
        if resource.urn in skipped:
            continue
        value = given(resource, "enableNetworkIsolation")
        require(value)
        if not truthy(value):
            yield resource.urn, "network isolation is off"


@resource_policy(
    id="sagemaker-inter-container-encryption", area="sagemaker", title="Inter-container traffic encrypted",
    description="Distributed SageMaker training and monitoring jobs encrypt traffic between their containers.",
    severity=Severity.MEDIUM, enforcement=STANDARD, types=(TRAINING_JOB, DATA_QUALITY_JOB),
    remediation="Set enable_inter_container_traffic_encryption=True (network_config for monitoring jobs).",
    frameworks=[nist("SC-8")],
)
def sagemaker_inter_container_encryption(resource: Subject, ctx: Context) -> Iterator[str]:
    if resource.type == DATA_QUALITY_JOB:
        value = (first(resource.props.get("networkConfig")) or {}).get("enableInterContainerTrafficEncryption")
    else:
        value = resource.props.get("enableInterContainerTrafficEncryption")
    if not truthy(value):
        yield "inter-container traffic is not encrypted"


@resource_policy(
    id="sagemaker-model-fits-instance", area="sagemaker", title="Served model fits its accelerated instance",
    description="An endpoint configuration whose tag mladmin:architecture (else mladmin:model) names a model of the "
                f"catalogue (policies/facts/models.py) runs it on instance types whose accelerator memory (GPUs or Neuron "
                f"devices), less {RUNTIME_OVERHEAD:.0%} for the runtime, holds its weights (bf16 unless tag {DTYPE_TAG} says otherwise) and one "
                f"{CHECK_CONTEXT:,}-token sequence's KV cache with the configured headroom "
                f"(tag {HEADROOM_TAG}, default {DEFAULT_HEADROOM_PERCENT}%) left free. Models outside the "
                "catalogue and CPU instance types are not checked.",
    severity=Severity.HIGH, enforcement=STANDARD, types=(ENDPOINT_CONFIG,),
    remediation="Serve the model on a larger GPU or Neuron instance type (mladmin capacity MODEL ranks them), a "
                "smaller model, or lower mladmin:sagemaker.capacityHeadroomPercent.",
    frameworks=[nist("CP-2(2)"), nist("SC-6")],
)
def sagemaker_model_fits_instance(resource: Subject, ctx: Context) -> Iterator[str]:
    tags = effective_tags(resource)
    model = CATALOGUE.get(str(tags.get(ARCHITECTURE_TAG) or tags.get(MODEL_TAG, "")).lower())
    if model is None:
        return
    headroom = headroom_from(tags.get(HEADROOM_TAG))
    for variant in as_list(resource.props.get("productionVariants")):
        if not isinstance(variant, Mapping) or not isinstance(variant.get("instanceType"), str):
            continue
        fit = one_sequence_fit(model, variant["instanceType"], headroom, dtype=dtype_from(tags.get(DTYPE_TAG)))
        problem = fit.problem() if fit is not None else None
        if problem is not None:
            yield f"variant {variant.get('variantName', '?')}: {problem}"
