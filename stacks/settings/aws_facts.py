"""AWS facts the settings are validated against (checked 2026-07; extend as AWS launches).

Facts the policy pack judges by too (Kubernetes versions, EKS log types, instance types, per-environment
minima) live in ``policies.facts``.
"""

from __future__ import annotations

import re

from components import validation
from policies.facts.regions import AVAILABILITY_ZONES, LETTERS_VARY_BY_ACCOUNT, UNCONFIRMED

# Commercial, GovCloud and China partitions: the regions of the zone table (policies.facts.regions).
REGIONS: tuple[str, ...] = tuple(AVAILABILITY_ZONES)

# Zone letters where they are the same for every account (the zone table lives in policies.facts.regions,
# which the offline engine also answers get_availability_zones from). Other regions: any letter.
ZONE_LETTERS: dict[str, str] = {
    region: "".join(sorted(zones)) for region, zones in AVAILABILITY_ZONES.items()
    if region not in LETTERS_VARY_BY_ACCOUNT | UNCONFIRMED
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
DEFAULT_KUBERNETES_VERSION = "1.36"

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
    letters = "".join(sorted(AVAILABILITY_ZONES.get(region, {}))) or "abcdef"
    return [region + letter for letter in letters[:count]]
