"""The retraining pipeline's definition, as SageMaker Pipelines' JSON (schema version 2020-12-01).

Train (the training image, SageMaker's training contract) -> Evaluate (`mladmin eval` with the
release gate, in the same image) -> CheckGate (the report's ``gate.passed``) -> Register (a model
package, PendingManualApproval) or GateFailed. Step arguments are the CreateTrainingJob,
CreateProcessingJob and CreateModelPackage requests; ``{"Get": ...}`` and ``Std:`` functions are the
pipeline's own expressions. Built here rather than with the SageMaker Python SDK: the SDK's
``Pipeline.definition()`` needs a boto session (region, credentials, a default bucket) and pulls
sagemaker-core/-train/-serve, pyarrow and pyiceberg into the Pulumi program.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

VERSION = "2020-12-01"
TRAIN, EVALUATE, CHECK_GATE, REGISTER, GATE_FAILED = "Train", "Evaluate", "CheckGate", "Register", "GateFailed"
REPORT_OUTPUT, REPORT_FILE, REPORT_PROPERTY_FILE = "report", "eval_report.json", "EvaluationReport"
PROCESSING = "/opt/ml/processing"
MODEL_ARTIFACTS = {"Get": f"Steps.{TRAIN}.ModelArtifacts.S3ModelArtifacts"}
# `mladmin eval` exits 1 when the gate fails, after writing the report: that is a result for the
# condition step to act on, not a failed job. Any other failure (2: bad input) fails the step.
EVAL_SCRIPT = (
    f"mkdir -p /tmp/model && tar -xzf {PROCESSING}/model/model.tar.gz -C /tmp/model && "
    f"mladmin eval --model /tmp/model --data {PROCESSING}/eval/eval.jsonl --gate {PROCESSING}/gate/gate.yaml "
    f"--output-dir {PROCESSING}/{REPORT_OUTPUT}; status=$?; [ \"$status\" -le 1 ]"
)


@dataclass(frozen=True)
class PipelineSpec:
    """Everything the definition names; all plain strings (resolved outputs)."""

    model_package_group: str
    role_arn: str
    training_image: str                  # <training repository URL>:<pinned tag>
    serving_image: str                   # what the registered package serves with
    train_data_uri: str                  # s3://<datasets>/platform/<model>/train/
    base_model_uri: str                  # s3://<models>/platform/models/<model>/base/
    eval_data_uri: str                   # s3://<datasets>/platform/<model>/eval/ (eval.jsonl)
    gate_uri: str                        # s3://<models>/platform/models/<model>/gate.yaml
    output_uri: str                      # s3://<models>/platform/models/<model>/pipelines
    evaluation_uri: str                  # s3://<models>/platform/models/<model>/evaluations
    checkpoint_uri: str                  # s3://<checkpoints>/platform/<model>/pipelines
    kms_key_arn: str
    subnet_ids: Sequence[str]
    security_group_ids: Sequence[str]
    instance_type: str
    evaluation_instance_type: str
    instance_count: int = 1
    volume_size_gb: int = 100
    max_runtime_seconds: int = 86400
    volume_kms: bool = True              # False on instance types with local NVMe storage (rejected there)
    evaluation_volume_kms: bool = True
    inference_instance_types: Sequence[str] = ()


def _parameter(name: str, default: str) -> dict:
    return {"Name": name, "Type": "String", "DefaultValue": default}


def _s3_input(name: str, uri: object, local: str) -> dict:
    return {"InputName": name, "AppManaged": False, "S3Input": {
        "S3Uri": uri, "LocalPath": f"{PROCESSING}/{local}", "S3DataType": "S3Prefix", "S3InputMode": "File",
        "S3DataDistributionType": "FullyReplicated", "S3CompressionType": "None"}}


def _channel(name: str, parameter: str) -> dict:
    return {"ChannelName": name, "DataSource": {"S3DataSource": {
        "S3DataType": "S3Prefix", "S3Uri": {"Get": f"Parameters.{parameter}"},
        "S3DataDistributionType": "FullyReplicated"}}}


def train_step(spec: PipelineSpec) -> dict:
    resources: dict = {"InstanceCount": spec.instance_count, "InstanceType": spec.instance_type,
                       "VolumeSizeInGB": spec.volume_size_gb}
    if spec.volume_kms:
        resources["VolumeKmsKeyId"] = spec.kms_key_arn
    return {"Name": TRAIN, "Type": "Training", "Arguments": {
        "AlgorithmSpecification": {"TrainingImage": spec.training_image, "TrainingInputMode": "File"},
        "RoleArn": spec.role_arn,
        "InputDataConfig": [_channel("train", "TrainData"), _channel("model", "BaseModel")],
        "OutputDataConfig": {"S3OutputPath": spec.output_uri, "KmsKeyId": spec.kms_key_arn},
        "ResourceConfig": resources,
        "StoppingCondition": {"MaxRuntimeInSeconds": spec.max_runtime_seconds},
        "CheckpointConfig": {"S3Uri": spec.checkpoint_uri, "LocalPath": "/opt/ml/checkpoints"},
        "VpcConfig": {"Subnets": list(spec.subnet_ids), "SecurityGroupIds": list(spec.security_group_ids)},
        "EnableNetworkIsolation": True,
        "EnableInterContainerTrafficEncryption": True,
    }}


def evaluate_step(spec: PipelineSpec) -> dict:
    cluster: dict = {"InstanceCount": 1, "InstanceType": spec.evaluation_instance_type, "VolumeSizeInGB": 50}
    if spec.evaluation_volume_kms:
        cluster["VolumeKmsKeyId"] = spec.kms_key_arn
    report_uri = {"Std:Join": {"On": "/", "Values": [spec.evaluation_uri, {"Get": "Execution.PipelineExecutionId"}]}}
    return {"Name": EVALUATE, "Type": "Processing", "Arguments": {
        "ProcessingResources": {"ClusterConfig": cluster},
        "AppSpecification": {"ImageUri": spec.training_image, "ContainerEntrypoint": ["/bin/sh", "-c", EVAL_SCRIPT]},
        "RoleArn": spec.role_arn,
        "ProcessingInputs": [_s3_input("model", MODEL_ARTIFACTS, "model"),
                             _s3_input("eval", {"Get": "Parameters.EvalData"}, "eval"),
                             _s3_input("gate", {"Get": "Parameters.Gate"}, "gate")],
        "ProcessingOutputConfig": {"KmsKeyId": spec.kms_key_arn, "Outputs": [{
            "OutputName": REPORT_OUTPUT, "AppManaged": False,
            "S3Output": {"S3Uri": report_uri, "LocalPath": f"{PROCESSING}/{REPORT_OUTPUT}", "S3UploadMode": "EndOfJob"}}]},
        "NetworkConfig": {"EnableNetworkIsolation": True, "EnableInterContainerTrafficEncryption": True,
                          "VpcConfig": {"Subnets": list(spec.subnet_ids),
                                        "SecurityGroupIds": list(spec.security_group_ids)}},
        "StoppingCondition": {"MaxRuntimeInSeconds": 7200},
    }, "PropertyFiles": [{"PropertyFileName": REPORT_PROPERTY_FILE, "OutputName": REPORT_OUTPUT,
                          "FilePath": REPORT_FILE}]}


def register_step(spec: PipelineSpec) -> dict:
    report = {"Std:Join": {"On": "/", "Values": [
        {"Get": f"Steps.{EVALUATE}.ProcessingOutputConfig.Outputs['{REPORT_OUTPUT}'].S3Output.S3Uri"}, REPORT_FILE]}}
    inference: dict = {"Containers": [{"Image": spec.serving_image, "ModelDataUrl": MODEL_ARTIFACTS}],
                       "SupportedContentTypes": ["application/json"],
                       "SupportedResponseMIMETypes": ["application/json"]}
    if spec.inference_instance_types:
        inference["SupportedRealtimeInferenceInstanceTypes"] = list(spec.inference_instance_types)
    return {"Name": REGISTER, "Type": "RegisterModel", "Arguments": {
        "ModelPackageGroupName": spec.model_package_group,
        "ModelApprovalStatus": "PendingManualApproval",
        "InferenceSpecification": inference,
        "ModelMetrics": {"ModelQuality": {"Statistics": {"ContentType": "application/json", "S3Uri": report}}},
        "CustomerMetadataProperties": {"source": "retraining-pipeline"},
    }}


def gate_step(spec: PipelineSpec) -> dict:
    passed = {"Std:JsonGet": {"PropertyFile": {"Get": f"Steps.{EVALUATE}.PropertyFiles.{REPORT_PROPERTY_FILE}"},
                              "Path": "gate.passed"}}
    failed = {"Name": GATE_FAILED, "Type": "Fail", "Arguments": {
        "ErrorMessage": "the release gate failed: see the evaluation report; nothing was registered"}}
    return {"Name": CHECK_GATE, "Type": "Condition", "Arguments": {
        "Conditions": [{"Type": "Equals", "LeftValue": passed, "RightValue": True}],
        "IfSteps": [register_step(spec)],
        "ElseSteps": [failed],
    }}


def retraining_definition(spec: PipelineSpec) -> dict:
    return {
        "Version": VERSION,
        "Metadata": {},
        "Parameters": [
            _parameter("TrainData", spec.train_data_uri),
            _parameter("BaseModel", spec.base_model_uri),
            _parameter("EvalData", spec.eval_data_uri),
            _parameter("Gate", spec.gate_uri),
        ],
        "PipelineExperimentConfig": {"ExperimentName": {"Get": "Execution.PipelineName"},
                                     "TrialName": {"Get": "Execution.PipelineExecutionId"}},
        "Steps": [train_step(spec), evaluate_step(spec), gate_step(spec)],
    }
