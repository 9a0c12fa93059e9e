"""The environments and what each one requires, for the settings and the policies alike."""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

ENVIRONMENTS: tuple[str, ...] = ("dev", "staging", "prod")

# Fewest days any platform log is kept (CloudWatch log groups, VPC flow logs, S3 access logs).
# Our rule, not an AWS fact (checked 2026-12): prod keeps a year, the audit-log retention that
# PCI DSS 10.5.1 asks for and that the prod stack documents; staging two weeks; dev any period.
LOG_RETENTION_MIN_DAYS: Mapping[str, int] = MappingProxyType({"dev": 1, "staging": 14, "prod": 365})

# Accelerated instance types each environment may run (policy gpu-instance-type-allowlist; a stack
# may widen it under mladmin:policy.parameters). Our rule, checked 2026-12: dev the single-GPU sizes,
# staging adds the 4-GPU sizes, prod adds the 8-GPU training types. CPU types are not listed.
_DEV_GPU_TYPES = (
    "g5.xlarge", "g5.2xlarge", "g6.xlarge", "g6.2xlarge", "g6e.xlarge", "inf2.xlarge",
    "ml.g5.xlarge", "ml.g5.2xlarge", "ml.g6.xlarge", "ml.g6.2xlarge", "ml.inf2.xlarge",
)
_STAGING_GPU_TYPES = _DEV_GPU_TYPES + (
    "g5.4xlarge", "g5.12xlarge", "g6.12xlarge", "g6e.12xlarge", "inf2.8xlarge",
    "ml.g5.12xlarge", "ml.g6.12xlarge", "ml.g6e.12xlarge",
)
_PROD_GPU_TYPES = _STAGING_GPU_TYPES + (
    "g5.48xlarge", "g6e.24xlarge", "g6e.48xlarge", "p4d.24xlarge", "p4de.24xlarge", "p5.48xlarge",
    "trn1.32xlarge", "inf2.48xlarge",
    "ml.g5.48xlarge", "ml.p4d.24xlarge", "ml.p5.48xlarge", "ml.inf2.48xlarge",
)
GPU_INSTANCE_TYPES_ALLOWED: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"dev": _DEV_GPU_TYPES, "staging": _STAGING_GPU_TYPES, "prod": _PROD_GPU_TYPES}
)

# Most accelerators (GPUs and Neuron devices) a stack may hold at full scale-out: node groups at
# maxSize on their largest type, endpoints at their autoscaling maximum (policy gpu-budget; a stack may
# raise it under mladmin:policy.parameters). Our rule, checked 2026-12.
GPU_BUDGET: Mapping[str, int] = MappingProxyType({"dev": 8, "staging": 32, "prod": 256})

# The ml. instance types SageMaker endpoints and team jobs may use when a stack lists none (settings
# sagemaker.allowedInstanceTypes); the GPU types among them are further limited to the environment's
# GPU_INSTANCE_TYPES_ALLOWED. Our rule, checked 2026-12.
SAGEMAKER_DEFAULT_INSTANCE_TYPES: tuple[str, ...] = ("ml.m5.xlarge", "ml.g5.xlarge", "ml.g5.2xlarge", "ml.g5.12xlarge")

# Environments whose data stores must be encrypted with a customer-managed KMS key (a key the
# platform's key policy controls and CloudTrail logs), not the service's AWS-managed or AWS-owned
# key. Our rule, checked 2026-12: staging and prod hold real datasets and checkpoints; dev may rely
# on the services' default encryption. Policies: rds-storage-encrypted, efs-encrypted, the
# SQS/Kinesis/DynamoDB/Secrets Manager/Redshift key policies (parameter requireCustomerKey).
CUSTOMER_MANAGED_KEY_REQUIRED: Mapping[str, bool] = MappingProxyType({"dev": False, "staging": True, "prod": True})

# Fewest days of automated RDS/Aurora backups (point-in-time restore window). Our rule, checked
# 2026-12: AWS's own default is 1 day (the API's when none is given); staging a week; prod two weeks.
RDS_BACKUP_RETENTION_MIN_DAYS: Mapping[str, int] = MappingProxyType({"dev": 1, "staging": 7, "prod": 14})
