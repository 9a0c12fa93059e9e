"""The part of the SageMaker Python SDK's config-file JSON schema that the Studio SDK defaults use.

Copied from ``SAGEMAKER_PYTHON_SDK_CONFIG_SCHEMA`` in aws/sagemaker-python-sdk
``src/sagemaker/config/config_schema.py`` at tag v2.257.6 (fc582aaa46faf7b7e16ab1e13840869712174cd0,
2026-08-10; the same sections in v3's ``sagemaker-core/src/sagemaker/core/config/config_schema.py``),
Apache License 2.0, with every optional property the defaults do not set left out. Each object keeps
``additionalProperties: False``, so a document valid here is valid against the SDK's full schema, and a
misspelt or misplaced key fails here as it fails in the SDK (``sagemaker.config.config`` validates the
file when it loads it). The SDK itself is not a dependency: ``sagemaker`` 3.x pulls four packages and
their stacks (sagemaker-core, -train, -serve, -mlops) for one dictionary.
"""

from __future__ import annotations

_CLOSED = {"type": "object", "additionalProperties": False}

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    **_CLOSED,
    "required": ["SchemaVersion"],
    "definitions": {
        "kmsKeyId": {"type": "string", "maxLength": 2048},
        "roleArn": {"type": "string", "pattern": r"^arn:aws[a-z\-]*:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$",
                    "minLength": 20, "maxLength": 2048},
        "securityGroupId": {"type": "string", "pattern": r"[-0-9a-zA-Z]+", "maxLength": 32},
        "subnet": {"type": "string", "pattern": r"[-0-9a-zA-Z]+", "maxLength": 32},
        "vpcConfig": {**_CLOSED, "properties": {
            "SecurityGroupIds": {"type": "array", "items": {"$ref": "#/definitions/securityGroupId"},
                                 "minItems": 1, "maxItems": 5},
            "Subnets": {"type": "array", "items": {"$ref": "#/definitions/subnet"}, "minItems": 1, "maxItems": 16},
        }},
        "s3Bucket": {"type": "string", "pattern": r"^[a-z0-9][\.\-a-z0-9]{1,61}[a-z0-9]$",
                     "minLength": 3, "maxLength": 63},
    },
    "properties": {
        "SchemaVersion": {"type": "string", "enum": ["1.0"]},
        "SageMaker": {**_CLOSED, "properties": {
            "PythonSDK": {**_CLOSED, "properties": {"Modules": {**_CLOSED, "properties": {
                "Session": {**_CLOSED, "properties": {
                    "DefaultS3Bucket": {"$ref": "#/definitions/s3Bucket"},
                    "DefaultS3ObjectKeyPrefix": {"type": "string", "minLength": 1, "maxLength": 1024},
                }},
            }}}},
            "Model": {**_CLOSED, "properties": {
                "EnableNetworkIsolation": {"type": "boolean"},
                "ExecutionRoleArn": {"$ref": "#/definitions/roleArn"},
                "VpcConfig": {"$ref": "#/definitions/vpcConfig"},
            }},
            "ProcessingJob": {**_CLOSED, "properties": {
                "RoleArn": {"$ref": "#/definitions/roleArn"},
                "NetworkConfig": {**_CLOSED, "properties": {
                    "EnableInterContainerTrafficEncryption": {"type": "boolean"},
                    "EnableNetworkIsolation": {"type": "boolean"},
                    "VpcConfig": {"$ref": "#/definitions/vpcConfig"},
                }},
                "ProcessingOutputConfig": {**_CLOSED, "properties": {"KmsKeyId": {"$ref": "#/definitions/kmsKeyId"}}},
                "ProcessingResources": {**_CLOSED, "properties": {"ClusterConfig": {**_CLOSED, "properties": {
                    "VolumeKmsKeyId": {"$ref": "#/definitions/kmsKeyId"}}}}},
            }},
            "TrainingJob": {**_CLOSED, "properties": {
                "EnableInterContainerTrafficEncryption": {"type": "boolean"},
                "EnableNetworkIsolation": {"type": "boolean"},
                "OutputDataConfig": {**_CLOSED, "properties": {"KmsKeyId": {"$ref": "#/definitions/kmsKeyId"}}},
                "ResourceConfig": {**_CLOSED, "properties": {"VolumeKmsKeyId": {"$ref": "#/definitions/kmsKeyId"}}},
                "RoleArn": {"$ref": "#/definitions/roleArn"},
                "VpcConfig": {"$ref": "#/definitions/vpcConfig"},
            }},
        }},
    },
}

# sagemaker.utils.volume_size_supported (which instance_supports_kms returns), same tag: the Estimator
# takes the config's ResourceConfig.VolumeKmsKeyId only for an instance type this accepts.
SDK_NO_VOLUME_KEY_FAMILY_PREFIXES = ("g5", "g6", "p5", "trn1")


def sdk_takes_volume_key(instance_type: str) -> bool:
    """The SDK's rule: no "d" in the family name and no family starting with g5, g6, p5 or trn1."""
    parts = instance_type.split(".")
    family = parts[1] if len(parts) == 3 and parts[0] == "ml" else parts[0]
    return "d" not in family and not family.startswith(SDK_NO_VOLUME_KEY_FAMILY_PREFIXES)
