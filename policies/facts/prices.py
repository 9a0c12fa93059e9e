"""AWS prices that `mladmin cost` estimates with: region us-east-1, USD, Linux on-demand, checked 2026-12-02.

Data only. Each row names its source:

- ``notes``: checked prices in the project's field notes (AWS price list via Karpenter's pricing file,
  2026-07-20; SageMaker real-time inference from AWS's published list).
- ``aws-ec2``: AWS's public EC2 on-demand price list (aws.amazon.com/ec2/pricing/on-demand, us-east-1,
  Linux); CPU families are priced per "large" unit because AWS prices every size of a CPU family in
  proportion to its vCPUs (nano 1/16, micro 1/8, small 1/4, medium 1/2 of a large; metal = the largest
  size in most families), so one rate per family gives every size exactly; the metal sizes that cost more are
  listed apart (``CPU_METAL_HOURLY``).
- ``karpenter``: the AWS price list as Karpenter generates it, aws/karpenter-provider-aws
  ``pkg/providers/pricing/zz_generated.pricing_aws.go`` at commit 1d92708 ("generated at 2026-07-20T13:44:30Z for
  us-east-1"), the same file the ``notes`` rows come from; checked 2026-12 for every accelerated EC2 row.
- ``fmbench``: SageMaker hosting prices as AWS's own samples list them, aws-samples/foundation-model-benchmarking-tool
  ``fmbench/configs/pricing_fallback.yml`` at commit 39ce6b9 (2025-04; its EC2 rows match the price list above).
- ``aws-sagemaker``: AWS's public SageMaker pricing page (real-time inference, us-east-1), not re-checked.
- ``aws-<service>``: that service's public pricing page, us-east-1.
- ``estimate``: no public on-demand rate was at hand (capacity-block-only types): scaled from the
  nearest listed type, the scaling stated in the row. Replace with the price list when it is published.

Rows tagged ``aws-*`` were written from AWS's public price lists without network access on the day of
checking; re-check them against the price list API (``aws pricing get-products``) when updating.

Issue 13 (capacity planning) extends this file: keep one row per instance type keyed by its name, and add
accelerator facts as new fields/tables keyed the same way, never a second price table.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

REGION = "us-east-1"
CHECKED = "2026-12-02"
HOURS_PER_MONTH = 730.0  # AWS's own convention in its pricing calculator
GIB_PER_TIB = 1024


@dataclass(frozen=True)
class Rate:
    """A price with its unit and where it comes from."""

    usd: float
    source: str


# EC2 CPU families: $/hour of the ``large`` size; other sizes scale by SIZE_UNITS (source: aws-ec2).
CPU_FAMILY_LARGE_HOURLY: Mapping[str, float] = MappingProxyType({
    "t2": 0.0928, "t3": 0.0832, "t3a": 0.0752, "t4g": 0.0672,
    "m5": 0.096, "m5a": 0.086, "m5n": 0.119, "m5d": 0.113, "m6i": 0.096, "m6a": 0.0864, "m6id": 0.11865,
    "m6g": 0.077, "m7i": 0.1008, "m7i-flex": 0.09576, "m7a": 0.11592, "m7g": 0.0816, "m8g": 0.08976,
    "c5": 0.085, "c5n": 0.108, "c6i": 0.085, "c6a": 0.0765, "c6g": 0.068, "c7i": 0.08925, "c7a": 0.10264,
    "c7g": 0.0725,
    "r5": 0.126, "r6i": 0.126, "r6a": 0.1134, "r7i": 0.1323, "r7g": 0.1071,
    "x2idn": 0.20841,
})

# Price of a size in "large" units (vCPU-proportional). A ``metal-48xl`` costs the 48xlarge; ``metal-24xl``
# sizes cost more than the 24xlarge and are listed in CPU_METAL_HOURLY.
SIZE_UNITS: Mapping[str, float] = MappingProxyType({
    "nano": 0.0625, "micro": 0.125, "small": 0.25, "medium": 0.5, "large": 1, "xlarge": 2, "2xlarge": 4,
    "4xlarge": 8, "8xlarge": 16, "9xlarge": 18, "12xlarge": 24, "16xlarge": 32, "18xlarge": 36,
    "24xlarge": 48, "32xlarge": 64, "48xlarge": 96, "metal-48xl": 96,
})

# A CPU family's ``metal`` size costs its largest size (large units) in these families (karpenter, checked 2026-12).
METAL_UNITS: Mapping[str, float] = MappingProxyType({
    "m5": 48, "m5n": 48, "m5d": 48, "m6i": 64, "m6a": 96, "m6id": 64, "m7g": 32,
    "c5": 48, "c5n": 36, "c6i": 64, "c6a": 96, "c7g": 32,
    "r5": 48, "r6i": 64, "r6a": 96, "r7g": 32, "x2idn": 64,
})

# Metal sizes that cost more than the family's largest size (6-10 % on these), from the price list (karpenter).
CPU_METAL_HOURLY: Mapping[str, float] = MappingProxyType({
    "m6g.metal": 2.6112, "c6g.metal": 2.3066, "m7i.metal-24xl": 5.32224, "c7i.metal-24xl": 4.7124,
    "r7i.metal-24xl": 6.98544, "m8g.metal-24xl": 4.73933,
})

_EC2, _SM, _NOTES, _KARP, _FMB = "aws-ec2", "aws-sagemaker", "notes", "karpenter", "fmbench"

# Two xlarge rows are in doubt: SageMaker prices ml.g5.xlarge at 1.4 x its EC2 rate (1.4084 = 1.4 x 1.006, fmbench)
# but the larger sizes at 1.25 x; these two were written at 1.25 x, and public code tables (not citable here) list
# ml.g6.xlarge 1.1267 and ml.g6e.xlarge 2.6054 (1.4 x). Re-check with the price list API before relying on them.
_SM_DOUBT = "aws-sagemaker, in doubt (see above)"

# Accelerated EC2 types and every SageMaker ml. type, one row each ($/hour).
INSTANCE_HOURLY: Mapping[str, Rate] = MappingProxyType({
    # NVIDIA T4 / T4G
    "g4dn.xlarge": Rate(0.526, _KARP), "g4dn.2xlarge": Rate(0.752, _KARP), "g4dn.4xlarge": Rate(1.204, _KARP),
    "g4dn.8xlarge": Rate(2.176, _KARP), "g4dn.12xlarge": Rate(3.912, _KARP), "g4dn.16xlarge": Rate(4.352, _KARP),
    "g4dn.metal": Rate(7.824, _KARP),
    "g5g.xlarge": Rate(0.42, _KARP), "g5g.2xlarge": Rate(0.556, _KARP), "g5g.4xlarge": Rate(0.828, _KARP),
    "g5g.8xlarge": Rate(1.372, _KARP), "g5g.16xlarge": Rate(2.744, _KARP), "g5g.metal": Rate(2.744, _KARP),
    # NVIDIA A10G
    "g5.xlarge": Rate(1.006, _NOTES), "g5.2xlarge": Rate(1.212, _NOTES), "g5.4xlarge": Rate(1.624, _KARP),
    "g5.8xlarge": Rate(2.448, _KARP), "g5.12xlarge": Rate(5.672, _NOTES), "g5.16xlarge": Rate(4.096, _KARP),
    "g5.24xlarge": Rate(8.144, _KARP), "g5.48xlarge": Rate(16.288, _NOTES),
    # NVIDIA L4
    "g6.xlarge": Rate(0.8048, _NOTES), "g6.2xlarge": Rate(0.9776, _KARP), "g6.4xlarge": Rate(1.3232, _KARP),
    "g6.8xlarge": Rate(2.0144, _KARP), "g6.12xlarge": Rate(4.6016, _NOTES), "g6.16xlarge": Rate(3.3968, _KARP),
    "g6.24xlarge": Rate(6.6752, _KARP), "g6.48xlarge": Rate(13.3504, _KARP),
    "gr6.4xlarge": Rate(1.5392, _KARP), "gr6.8xlarge": Rate(2.4464, _KARP),
    # NVIDIA L40S
    "g6e.xlarge": Rate(1.861, _NOTES), "g6e.2xlarge": Rate(2.24208, _KARP), "g6e.4xlarge": Rate(3.00424, _KARP),
    "g6e.8xlarge": Rate(4.52856, _KARP), "g6e.12xlarge": Rate(10.49264, _KARP),
    "g6e.16xlarge": Rate(7.57719, _KARP), "g6e.24xlarge": Rate(15.06559, _KARP), "g6e.48xlarge": Rate(30.13118, _KARP),
    # NVIDIA V100 / A100 / H100 / H200 / B200
    "p3.2xlarge": Rate(3.06, _KARP), "p3.8xlarge": Rate(12.24, _KARP), "p3.16xlarge": Rate(24.48, _KARP),
    "p3dn.24xlarge": Rate(31.212, _KARP),
    "p4d.24xlarge": Rate(21.96, _NOTES), "p4de.24xlarge": Rate(27.45, _NOTES),
    "p5.48xlarge": Rate(55.04, _NOTES),
    "p5.4xlarge": Rate(6.88, _KARP),
    "p5e.48xlarge": Rate(63.296, "estimate: p5en.48xlarge's rate (same eight H200s)"),
    "p5en.48xlarge": Rate(63.296, _KARP),
    "p6-b200.48xlarge": Rate(113.9328, _KARP),
    # AWS Trainium / Inferentia2
    "trn1.2xlarge": Rate(1.34375, _KARP), "trn1.32xlarge": Rate(21.50, _NOTES), "trn1n.32xlarge": Rate(24.78, _KARP),
    "trn2.48xlarge": Rate(44.7, "estimate: trn1n.32xlarge per Trainium device x 16 Trainium2 devices x 1.15"),
    "inf2.xlarge": Rate(0.7582, _NOTES), "inf2.8xlarge": Rate(1.96786, _KARP), "inf2.24xlarge": Rate(6.49063, _KARP),
    "inf2.48xlarge": Rate(12.98127, _KARP),
    # SageMaker real-time inference / hosting (ml.*): priced apart, AWS adds a managed-service premium.
    "ml.t2.medium": Rate(0.056, _SM), "ml.t2.large": Rate(0.111, _SM), "ml.t2.xlarge": Rate(0.223, _SM),
    "ml.t2.2xlarge": Rate(0.445, _SM),
    "ml.t3.medium": Rate(0.05, _SM), "ml.t3.large": Rate(0.10, _SM), "ml.t3.xlarge": Rate(0.20, _SM),
    "ml.t3.2xlarge": Rate(0.399, _SM),
    "ml.m5.large": Rate(0.115, _SM), "ml.m5.xlarge": Rate(0.23, _NOTES), "ml.m5.2xlarge": Rate(0.461, _SM),
    "ml.m5.4xlarge": Rate(0.922, _SM), "ml.m5.12xlarge": Rate(2.765, _SM), "ml.m5.24xlarge": Rate(5.53, _SM),
    "ml.c5.large": Rate(0.102, _SM), "ml.c5.xlarge": Rate(0.204, _FMB), "ml.c5.2xlarge": Rate(0.408, _FMB),
    "ml.c5.4xlarge": Rate(0.816, _FMB), "ml.c5.9xlarge": Rate(1.836, _SM), "ml.c5.18xlarge": Rate(3.672, _SM),
    "ml.r5.large": Rate(0.151, _SM), "ml.r5.xlarge": Rate(0.302, _SM), "ml.r5.2xlarge": Rate(0.605, _SM),
    "ml.r5.4xlarge": Rate(1.21, _SM), "ml.r5.12xlarge": Rate(3.629, _SM), "ml.r5.24xlarge": Rate(7.258, _SM),
    "ml.g4dn.xlarge": Rate(0.7364, _FMB), "ml.g4dn.2xlarge": Rate(0.94, _FMB), "ml.g4dn.12xlarge": Rate(4.89, _FMB),
    "ml.g5.xlarge": Rate(1.4084, _NOTES), "ml.g5.2xlarge": Rate(1.515, _NOTES), "ml.g5.4xlarge": Rate(2.03, _FMB),
    "ml.g5.8xlarge": Rate(3.06, _FMB), "ml.g5.12xlarge": Rate(7.09, _NOTES), "ml.g5.16xlarge": Rate(5.12, _SM),
    "ml.g5.24xlarge": Rate(10.18, _FMB), "ml.g5.48xlarge": Rate(20.36, _FMB),
    "ml.g6.xlarge": Rate(1.0064, _SM_DOUBT), "ml.g6.2xlarge": Rate(1.222, _FMB), "ml.g6.12xlarge": Rate(5.752, _FMB),
    "ml.g6.48xlarge": Rate(16.688, _FMB),
    "ml.g6e.xlarge": Rate(2.3262, _SM_DOUBT), "ml.g6e.12xlarge": Rate(13.1158, _SM),
    "ml.g6e.48xlarge": Rate(37.664, _SM),
    "ml.inf2.xlarge": Rate(0.99, _FMB), "ml.inf2.8xlarge": Rate(2.36, _FMB), "ml.inf2.24xlarge": Rate(7.79, _FMB),
    "ml.inf2.48xlarge": Rate(15.58, _FMB),
    "ml.p4d.24xlarge": Rate(37.688, _NOTES), "ml.p4de.24xlarge": Rate(47.11, _SM),
    "ml.p5.48xlarge": Rate(113.068, _NOTES),
})

# Spot nodes: on-demand rate x this factor. An assumption, not a price: spot prices move hourly; AWS's Spot
# Instance Advisor shows 50-90 % savings, and 65 % is the typical saving for the families above (a stack
# may set its own under mladmin:cost.spotPriceFactor).
SPOT_PRICE_FACTOR = 0.35

# Everything else, one row each; the unit is in the name.
EKS_CLUSTER_HOURLY = Rate(0.10, _NOTES)                       # a version in standard support
# A version in extended support (policies/facts/eks.py calendar): $0.60 in all, not on top of the 0.10
# (AWS Containers blog "Amazon EKS extended support for Kubernetes versions pricing", 2024; EKS pricing page).
EKS_CLUSTER_EXTENDED_SUPPORT_HOURLY = Rate(0.60, "aws-eks")
NAT_GATEWAY_HOURLY = Rate(0.045, _NOTES)
NAT_GATEWAY_PER_GB = Rate(0.045, _NOTES)                      # data processed
VPC_INTERFACE_ENDPOINT_HOURLY_PER_AZ = Rate(0.01, "aws-privatelink")  # gateway endpoints (S3, DynamoDB) are free
PUBLIC_IPV4_HOURLY = Rate(0.005, "aws-vpc")                   # every public IPv4 address (elastic IPs too), since 2024-02
EBS_GP3_PER_GB_MONTH = Rate(0.08, "aws-ebs")
EBS_GP2_PER_GB_MONTH = Rate(0.10, "aws-ebs")
S3_STANDARD_PER_GB_MONTH = Rate(0.023, _NOTES)
ECR_STORAGE_PER_GB_MONTH = Rate(0.10, "aws-ecr")
KMS_KEY_MONTHLY = Rate(1.00, "aws-kms")                       # per customer-managed key; requests not counted
CLOUDWATCH_LOGS_INGEST_PER_GB = Rate(0.50, _NOTES)
CLOUDWATCH_LOGS_STORAGE_PER_GB_MONTH = Rate(0.03, "aws-cloudwatch")
CLOUDWATCH_ALARM_MONTHLY = Rate(0.10, "aws-cloudwatch")        # standard-resolution metric alarm
CLOUDWATCH_DASHBOARD_MONTHLY = Rate(3.00, "aws-cloudwatch")    # beyond the free three
PROMETHEUS_PER_10M_SAMPLES = Rate(0.90, "aws-prometheus")      # ingestion, first 2 billion samples
GRAFANA_EDITOR_MONTHLY = Rate(9.00, "aws-grafana")             # per editor/admin user
SAGEMAKER_ML_STORAGE_PER_GB_MONTH = Rate(0.14, _SM)          # notebook and hosting ML storage volumes
SAGEMAKER_SERVERLESS_PER_GB_SECOND = Rate(0.00002, _SM)        # compute, per GB of memory configured
CLOUDTRAIL_DATA_EVENTS_PER_100K = Rate(0.10, "aws-cloudtrail")  # the first management-event trail is free

# FSx for Lustre, $/GB-month by deployment type and throughput per TiB (MB/s/TiB); source aws-fsx.
FSX_LUSTRE_PER_GB_MONTH: Mapping[tuple[str, int], Rate] = MappingProxyType({
    ("SCRATCH_1", 200): Rate(0.140, "aws-fsx"), ("SCRATCH_2", 200): Rate(0.140, "aws-fsx"),
    ("PERSISTENT_1", 50): Rate(0.145, "aws-fsx"), ("PERSISTENT_1", 100): Rate(0.210, "aws-fsx"),
    ("PERSISTENT_1", 200): Rate(0.290, "aws-fsx"),
    ("PERSISTENT_1", 12): Rate(0.025, "aws-fsx"), ("PERSISTENT_1", 40): Rate(0.083, "aws-fsx"),  # HDD
    ("PERSISTENT_2", 125): Rate(0.145, "aws-fsx"), ("PERSISTENT_2", 250): Rate(0.210, "aws-fsx"),
    ("PERSISTENT_2", 500): Rate(0.340, "aws-fsx"), ("PERSISTENT_2", 1000): Rate(0.600, "aws-fsx"),
})
FSX_SCRATCH_THROUGHPUT = 200  # scratch file systems have one fixed throughput per TiB

# What EKS launches when a managed node group names no instance type (EKS API, CreateNodegroup).
EKS_DEFAULT_NODE_INSTANCE_TYPE = "t3.medium"
EKS_DEFAULT_NODE_DISK_GIB = 20


def instance_hourly(instance_type: str) -> Rate | None:
    """The on-demand $/hour of an EC2 or SageMaker ``ml.`` type, or None when this table has no price."""
    rate = INSTANCE_HOURLY.get(instance_type)
    if rate is not None or instance_type.startswith("ml."):
        return rate
    if instance_type in CPU_METAL_HOURLY:
        return Rate(CPU_METAL_HOURLY[instance_type], _KARP)
    family, _, size = instance_type.partition(".")
    per_large = CPU_FAMILY_LARGE_HOURLY.get(family)
    if per_large is None:
        return None
    units = METAL_UNITS.get(family) if size == "metal" else SIZE_UNITS.get(size)
    return None if units is None else Rate(round(per_large * units, 6), "aws-ec2")
