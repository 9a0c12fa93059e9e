"""Network settings: the VPC, its subnets, NAT gateways, flow logs and endpoints."""

from __future__ import annotations

import ipaddress
import math
from typing import Literal

from pydantic import Field, ValidationInfo, model_validator

from .aws_facts import DEFAULT_INTERFACE_ENDPOINTS, INTERFACE_ENDPOINT_SERVICES, default_zones, zone_problem
from .base import BucketName, Cidr, LogRetentionDays, SettingsModel, duplicates, hint, scope_of, show
from .errors import Problems
from .rules import LOG_RETENTION_MINIMA_TEXT as _MINIMA, PROD_MIN_AZS, log_retention_problem

NatGateways = Literal["single", "onePerAz", "none"]


class NetworkSettings(SettingsModel):
    """``mladmin:network``: one VPC over several availability zones."""

    vpc_cidr: Cidr = Field("10.0.0.0/16", description="IPv4 CIDR of the VPC, a /16 to /28. Default 10.0.0.0/16.")
    availability_zones: list[str] = Field(
        default_factory=list,
        description="Zones to spread subnets over, e.g. [us-east-1a, us-east-1b]. "
        "Default: the region's first 2 zones (3 in prod).",
    )
    private_subnet_cidrs: list[Cidr] = Field(
        default_factory=list,
        description="One private subnet per zone (nodes, endpoints, SageMaker). Default: carved from vpcCidr, "
        "together with publicSubnetCidrs: the first half of the VPC split into equal private subnets.",
    )
    public_subnet_cidrs: list[Cidr] = Field(
        default_factory=list,
        description="One public subnet per zone (load balancers, NAT). Default: carved from the second half "
        "of vpcCidr, each an eighth of a private subnet.",
    )
    nat_gateways: NatGateways = Field(
        "onePerAz",
        description="single: one NAT for all zones (cheap, one zone's outage cuts egress); onePerAz: HA; "
        "none: no internet egress (private endpoints only). Default onePerAz.",
    )
    flow_log_retention_days: LogRetentionDays = Field(
        90, description=f"Retention of the VPC flow log group, a CloudWatch Logs period. Default 90; at least {_MINIMA} days."
    )
    interface_endpoints: list[str] = Field(
        default_factory=lambda: list(DEFAULT_INTERFACE_ENDPOINTS),
        description="Interface endpoint services (com.amazonaws.<region>.<service>). "
        f"Default: {', '.join(DEFAULT_INTERFACE_ENDPOINTS)}. S3 always gets a gateway endpoint.",
    )
    s3_endpoint_extra_buckets: list[BucketName] = Field(
        default_factory=list,
        description="Buckets of other accounts that private workloads may read through the S3 gateway endpoint, "
        "whose policy otherwise allows only this account's buckets plus the AWS-owned ECR-layer and Amazon Linux "
        "repository buckets, e.g. jumpstart-cache-prod-us-east-1. Default none.",
    )

    @model_validator(mode="after")
    def _check(self, info: ValidationInfo) -> "NetworkSettings":
        scope = scope_of(info)
        problems = Problems()
        vpc = ipaddress.IPv4Network(self.vpc_cidr)
        if not 16 <= vpc.prefixlen <= 28:
            problems.add("vpcCidr", f"{show(self.vpc_cidr)} is not a valid VPC size (expected a prefix from /16 to /28)")

        vpc_ok = not problems
        zones_ok = self._check_zones(scope, problems)
        if vpc_ok:
            self._check_subnets(vpc, len(self.availability_zones) if zones_ok else None, problems)
        self._check_endpoints(problems)

        if scope.is_prod:
            if len(self.availability_zones) < PROD_MIN_AZS:
                problems.add(
                    "availabilityZones",
                    f"{show(self.availability_zones)} has {len(self.availability_zones)} zones "
                    f"(prod requires at least {PROD_MIN_AZS})",
                )
            if self.nat_gateways != "onePerAz":
                problems.add("natGateways", f"{show(self.nat_gateways)} is not allowed in prod (expected 'onePerAz')")
        retention = log_retention_problem(self.flow_log_retention_days, scope.environment)
        if retention:
            problems.add("flowLogRetentionDays", retention)
        problems.raise_if_any()
        return self

    def _check_zones(self, scope, problems: Problems) -> bool:
        """Derive the default zones, then check them; True when the zones are usable."""
        if not self.availability_zones:
            if scope.region:
                self.availability_zones = default_zones(scope.region, 3 if scope.is_prod else 2)
            elif not scope.provided:
                problems.add("availabilityZones", "missing (expected a list of zones; none can be derived without aws:region)")
            return bool(self.availability_zones)
        ok = True
        for index, zone in enumerate(self.availability_zones):
            problem = zone_problem(zone, scope.region) if scope.region else None
            if problem:
                problems.add(("availabilityZones", index), problem)
                ok = False
        for index, zone in duplicates(self.availability_zones):
            problems.add(("availabilityZones", index), f"{show(zone)} is listed twice (expected each zone once)")
            ok = False
        if len(self.availability_zones) < 2:
            problems.add(
                "availabilityZones",
                f"{show(self.availability_zones)} has {len(self.availability_zones)} zone "
                "(expected at least 2: EKS needs subnets in two zones)",
            )
            ok = False
        return ok

    def _check_subnets(self, vpc: ipaddress.IPv4Network, zones: int | None, problems: Problems) -> None:
        """Check (or carve) the subnets; ``zones`` is None when the zones are invalid."""
        if not self.private_subnet_cidrs and not self.public_subnet_cidrs:
            if zones is None:
                return
            carved = carve_subnets(vpc, zones)
            if carved is None:
                problems.add(
                    "vpcCidr",
                    f"{show(self.vpc_cidr)} is too small to carve subnets for {zones} zones "
                    "(expected a larger VPC, or privateSubnetCidrs and publicSubnetCidrs)",
                )
            else:
                self.private_subnet_cidrs, self.public_subnet_cidrs = carved
            return
        for key, given, other in (
            ("privateSubnetCidrs", self.private_subnet_cidrs, "publicSubnetCidrs"),
            ("publicSubnetCidrs", self.public_subnet_cidrs, "privateSubnetCidrs"),
        ):
            if not given:
                problems.add(key, f"missing while {other} is set (expected both, or neither to carve them from vpcCidr)")
            elif zones is not None and len(given) != zones:
                problems.add(
                    key,
                    f"{show(given)} has {len(given)} subnets for {zones} availabilityZones "
                    f"(expected one per zone: {zones})",
                )
        seen: list[tuple[str, ipaddress.IPv4Network]] = []
        for key, cidrs in (("privateSubnetCidrs", self.private_subnet_cidrs), ("publicSubnetCidrs", self.public_subnet_cidrs)):
            for index, cidr in enumerate(cidrs):
                subnet = ipaddress.IPv4Network(cidr)
                where = f"{key}[{index}]"
                if not subnet.subnet_of(vpc):
                    problems.add((key, index), f"{show(cidr)} is outside vpcCidr {vpc} (expected a subnet of it)")
                elif not 16 <= subnet.prefixlen <= 28:
                    problems.add((key, index), f"{show(cidr)} is not a valid subnet size (expected a prefix from /16 to /28)")
                for other_where, other in seen:
                    if subnet.overlaps(other):
                        problems.add((key, index), f"{show(cidr)} overlaps {other_where} {other} (expected disjoint subnets)")
                        break
                seen.append((where, subnet))

    def _check_endpoints(self, problems: Problems) -> None:
        for index, service in enumerate(self.interface_endpoints):
            if service == "s3":
                problems.add(
                    ("interfaceEndpoints", index),
                    "'s3' is served by the S3 gateway endpoint every VPC gets (remove it from interfaceEndpoints)",
                )
            elif service not in INTERFACE_ENDPOINT_SERVICES:
                problems.add(
                    ("interfaceEndpoints", index),
                    f"{show(service)} is not a known interface endpoint service"
                    f"{hint(service, INTERFACE_ENDPOINT_SERVICES) or ' (expected e.g. ecr.api, sts, logs)'}",
                )
        for index, service in duplicates(self.interface_endpoints):
            problems.add(("interfaceEndpoints", index), f"{show(service)} is listed twice (expected each service once)")


def carve_subnets(vpc: ipaddress.IPv4Network, zones: int) -> tuple[list[str], list[str]] | None:
    """Private subnets split the VPC's first half evenly (EKS pods take an IP each); public subnets
    come from the second half, each an eighth of a private one (at least a /28). None when the VPC
    is too small."""
    private_prefix = vpc.prefixlen + 1 + math.ceil(math.log2(zones))
    public_prefix = min(private_prefix + 3, 28)  # AWS subnets are /28 at the smallest
    if private_prefix > 28:
        return None
    first_half, second_half = vpc.subnets(prefixlen_diff=1)
    private = [str(net) for _, net in zip(range(zones), first_half.subnets(new_prefix=private_prefix))]
    public = [str(net) for _, net in zip(range(zones), second_half.subnets(new_prefix=public_prefix))]
    return private, public
