"""AWS facts the settings are validated against (checked 2026-07; extend as AWS launches).

Facts the policy pack judges by too (Kubernetes versions, EKS log types, instance types, per-environment
minima) live in ``policies.facts``.
"""

from __future__ import annotations

import re

from components import validation

# Commercial, GovCloud and China partitions.
REGIONS: tuple[str, ...] = (
    "us-east-1", "us-east-2", "us-west-1", "us-west-2",
    "ca-central-1", "ca-west-1", "mx-central-1", "sa-east-1",
    "eu-central-1", "eu-central-2", "eu-west-1", "eu-west-2", "eu-west-3",
    "eu-south-1", "eu-south-2", "eu-north-1",
    "il-central-1", "me-south-1", "me-central-1", "af-south-1",
    "ap-east-1", "ap-east-2", "ap-south-1", "ap-south-2",
    "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
    "ap-southeast-5", "ap-southeast-7",
    "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
    "us-gov-east-1", "us-gov-west-1", "cn-north-1", "cn-northwest-1",
)

# Zone letters where they are the same for every account. Other regions: any letter.
ZONE_LETTERS: dict[str, str] = {
    "us-east-1": "abcdef",
    "us-east-2": "abc",
    "us-west-2": "abcd",
    "eu-west-1": "abc",
    "eu-central-1": "abc",
    "ap-northeast-1": "acd",
}

# The only values CloudWatch Logs accepts for a log group's retention (one list, kept with the components).
LOG_RETENTION_DAYS: tuple[int, ...] = validation.LOG_RETENTION_DAYS

# VPC interface endpoint services a private ML platform commonly needs
# (com.amazonaws.<region>.<service>). S3 is reached through the gateway endpoint.
INTERFACE_ENDPOINT_SERVICES: tuple[str, ...] = (
    "ecr.api", "ecr.dkr", "sts", "logs", "monitoring", "events",
    "sagemaker.api", "sagemaker.runtime", "sagemaker.featurestore-runtime", "notebook", "studio",
    "ec2", "ec2messages", "ssm", "ssmmessages", "kms", "secretsmanager",
    "elasticloadbalancing", "autoscaling", "eks", "eks-auth", "xray",
    "athena", "glue", "bedrock", "bedrock-runtime", "sqs", "sns", "elasticfilesystem", "fsx",
)
DEFAULT_INTERFACE_ENDPOINTS: tuple[str, ...] = (
    "ecr.api", "ecr.dkr", "sts", "logs", "sagemaker.api", "sagemaker.runtime",
)

# The version a cluster gets when the stack pins none (one of policies.facts.eks.SUPPORTED_KUBERNETES_VERSIONS).
DEFAULT_KUBERNETES_VERSION = "1.33"

_AZ_RE = re.compile(r"^(?P<region>[a-z]{2}(-gov)?-[a-z]+-\d)(?P<letter>[a-z])$")


def zone_problem(zone: str, region: str) -> str | None:
    """Why ``zone`` is not an availability zone of ``region``, or None when it is."""
    match = _AZ_RE.match(zone)
    if not match:
        return f"'{zone}' is not an availability zone name (expected e.g. {region}a)"
    if match["region"] != region:
        return f"'{zone}' is not in region {region} (expected a zone such as {region}a)"
    letters = ZONE_LETTERS.get(region)
    if letters and match["letter"] not in letters:
        names = ", ".join(region + letter for letter in letters)
        return f"'{zone}' does not exist (zones of {region}: {names})"
    return None


def default_zones(region: str, count: int) -> list[str]:
    """The first ``count`` zones of ``region``."""
    letters = ZONE_LETTERS.get(region, "abcdef")
    return [region + letter for letter in letters[:count]]
