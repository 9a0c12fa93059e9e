"""The platform VPC: private and public subnets over N AZs, NAT, flow logs and private endpoints."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_aws as aws

from components import validation as check
from components.policy_documents import document, known_after, service_trust_policy, statement, to_json
from components.tags import Tags, child_opts, tags_problems

BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")

NatMode = Literal["single", "onePerAz", "none"]
NAT_MODES = ("single", "onePerAz", "none")

# Interface endpoints that let private workloads pull images, assume roles, ship logs and call
# SageMaker without a route to the internet.
DEFAULT_INTERFACE_ENDPOINTS = ("ecr.api", "ecr.dkr", "sts", "logs", "sagemaker.api", "sagemaker.runtime")
MAX_DERIVED_AZS = 6
# Every subnet's tier tag: "private" or "public". IAM conditions pick the private ones by it (their ids
# are unknown in a preview).
TIER_TAG = "tier"


@dataclass(frozen=True)
class NetworkArgs:
    """One VPC. Subnet CIDRs are derived from ``cidr_block`` unless given explicitly."""

    prefix: str                                      # account-unique names: flow-log group /aws/vpc/flow-logs/<prefix>
    cidr_block: str                                  # e.g. "10.40.0.0/16" (a /16 to /28)
    availability_zones: Sequence[str]                # e.g. ("us-east-1a", "us-east-1b"); 1 to 6
    account_id: str                                  # scopes the flow-log role's trust
    region: str                                      # endpoint service names, log-group ARNs
    logs_key_arn: pulumi.Input[str]                  # KMS key of the flow-log group (Kms.logs_key_arn)
    tags: Tags
    nat_gateways: NatMode = "onePerAz"               # "single": one shared NAT (cheap); "none": no egress
    private_subnet_cidrs: Sequence[str] = ()         # one per AZ; default: the first N eighths of the VPC
    public_subnet_cidrs: Sequence[str] = ()          # one per AZ; default: /(n+6) blocks of the last eighth
    cluster_name: str | None = None                  # adds kubernetes.io/cluster/<name>=shared subnet tags
    flow_log_retention_days: int = 365               # a CloudWatch Logs retention period
    interface_endpoints: Sequence[str] = DEFAULT_INTERFACE_ENDPOINTS  # service suffixes after com.amazonaws.<region>.
    # The S3 gateway endpoint only reaches this account's buckets plus the AWS-owned ones private
    # nodes need (ECR image layers, Amazon Linux repositories); list any other bucket names here,
    # e.g. "jumpstart-cache-prod-us-east-1". Stops data leaving for someone else's bucket.
    s3_endpoint_extra_buckets: Sequence[str] = ()


def derive_subnets(cidr_block: str, zones: int) -> tuple[list[str], list[str]]:
    """Large private subnets (an eighth of the VPC each) and small public ones from the last eighth."""
    vpc = ipaddress.IPv4Network(cidr_block)
    eighths = list(vpc.subnets(prefixlen_diff=3))
    private = [str(n) for n in eighths[:zones]]
    public = [str(n) for n in list(eighths[-1].subnets(prefixlen_diff=3))[:zones]]
    return private, public


class Network(pulumi.ComponentResource):
    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        check.raise_if_problems("Network", validate(args))
        super().__init__("mladmin:network:Network", name, None, opts)
        self._name, self._args = name, args
        zones = list(args.availability_zones)
        private_cidrs, public_cidrs = subnet_cidrs(args)

        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.cidr_block,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags=self._tags(f"{name}-vpc"),
            opts=child_opts(self),
        )
        # Adopt the default security group and strip its rules, so nothing can use it by accident.
        self.default_security_group = aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=self.vpc.id,
            tags=self._tags(f"{name}-default-do-not-use"),
            opts=child_opts(self),
        )

        cluster_tag = {f"kubernetes.io/cluster/{args.cluster_name}": "shared"} if args.cluster_name else {}
        self.public_subnets = [
            self._subnet(f"public-{i}", zone, cidr, {"kubernetes.io/role/elb": "1", TIER_TAG: "public", **cluster_tag})
            for i, (zone, cidr) in enumerate(zip(zones, public_cidrs))
        ]
        self.private_subnets = [
            self._subnet(
                f"private-{i}", zone, cidr, {"kubernetes.io/role/internal-elb": "1", TIER_TAG: "private", **cluster_tag}
            )
            for i, (zone, cidr) in enumerate(zip(zones, private_cidrs))
        ]

        self.internet_gateway = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=self.vpc.id, tags=self._tags(f"{name}-igw"), opts=child_opts(self)
        )
        self.public_route_table = aws.ec2.RouteTable(
            f"{name}-public-rt", vpc_id=self.vpc.id, tags=self._tags(f"{name}-public"), opts=child_opts(self)
        )
        aws.ec2.Route(
            f"{name}-public-default",
            route_table_id=self.public_route_table.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=self.internet_gateway.id,
            opts=child_opts(self),
        )
        for i, subnet in enumerate(self.public_subnets):
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{i}-rta",
                subnet_id=subnet.id,
                route_table_id=self.public_route_table.id,
                opts=child_opts(self),
            )

        self.nat_gateways = self._nat_gateways(zones)
        self.private_route_tables = []
        for i, subnet in enumerate(self.private_subnets):
            table = aws.ec2.RouteTable(
                f"{name}-private-{i}-rt", vpc_id=self.vpc.id, tags=self._tags(f"{name}-private-{zones[i]}"),
                opts=child_opts(self),
            )
            if self.nat_gateways:
                nat = self.nat_gateways[i] if len(self.nat_gateways) > 1 else self.nat_gateways[0]
                aws.ec2.Route(
                    f"{name}-private-{i}-default",
                    route_table_id=table.id,
                    destination_cidr_block="0.0.0.0/0",
                    nat_gateway_id=nat.id,
                    opts=child_opts(self),
                )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{i}-rta", subnet_id=subnet.id, route_table_id=table.id, opts=child_opts(self)
            )
            self.private_route_tables.append(table)

        self._flow_logs()
        self._endpoints()

        self.vpc_id = self.vpc.id
        self.vpc_cidr_block = args.cidr_block
        self.private_subnet_ids = [s.id for s in self.private_subnets]
        self.public_subnet_ids = [s.id for s in self.public_subnets]
        self.private_route_table_ids = [t.id for t in self.private_route_tables]
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "private_subnet_ids": self.private_subnet_ids,
                "public_subnet_ids": self.public_subnet_ids,
                "endpoint_security_group_id": self.endpoint_security_group.id,
                "flow_log_group_name": self.flow_log_group.name,
                "nat_gateway_ids": [n.id for n in self.nat_gateways],
            }
        )

    def _tags(self, name_tag: str, extra: dict[str, str] | None = None) -> dict[str, str]:
        return self._args.tags.merged({"Name": name_tag}, extra)

    def _subnet(self, suffix: str, zone: str, cidr: str, extra_tags: dict[str, str]) -> aws.ec2.Subnet:
        return aws.ec2.Subnet(
            f"{self._name}-{suffix}",
            vpc_id=self.vpc.id,
            availability_zone=zone,
            cidr_block=cidr,
            map_public_ip_on_launch=False,  # load balancers get public IPs; instances never do
            tags=self._tags(f"{self._name}-{suffix}-{zone}", extra_tags),
            opts=child_opts(self),
        )

    def _nat_gateways(self, zones: list[str]) -> list[aws.ec2.NatGateway]:
        count = {"none": 0, "single": 1, "onePerAz": len(zones)}[self._args.nat_gateways]
        gateways = []
        for i in range(count):
            eip = aws.ec2.Eip(
                f"{self._name}-nat-{i}-eip", domain="vpc", tags=self._tags(f"{self._name}-nat-{zones[i]}"),
                opts=child_opts(self, depends_on=[self.internet_gateway]),
            )
            gateways.append(
                aws.ec2.NatGateway(
                    f"{self._name}-nat-{i}",
                    allocation_id=eip.allocation_id,
                    subnet_id=self.public_subnets[i].id,
                    connectivity_type="public",
                    tags=self._tags(f"{self._name}-nat-{zones[i]}"),
                    opts=child_opts(self, depends_on=[self.internet_gateway]),
                )
            )
        return gateways

    def _flow_logs(self) -> None:
        name, args = self._name, self._args
        # Log group names are unique per account and region: the stack's prefix, not the resource
        # name (the same in every stack), keeps a second stack in the account from colliding.
        group_name = f"/aws/vpc/flow-logs/{args.prefix}"
        self.flow_log_group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=group_name,
            retention_in_days=args.flow_log_retention_days,
            kms_key_id=args.logs_key_arn,
            tags=self._tags(group_name),
            opts=child_opts(self),
        )
        self.flow_log_role = aws.iam.Role(
            f"{name}-flow-logs-role",
            description=f"VPC flow log delivery for {name}",
            assume_role_policy=to_json(
                service_trust_policy(
                    "vpc-flow-logs.amazonaws.com",
                    args.account_id,
                    source_arns=[f"arn:aws:ec2:{args.region}:{args.account_id}:vpc-flow-log/*"],
                )
            ),
            tags=self._tags(f"{name}-flow-logs"),
            opts=child_opts(self),
        )
        # Built from the name chosen here: known in a preview (LogGroup.arn has no ":*" suffix).
        group_arn = known_after(
            f"arn:aws:logs:{args.region}:{args.account_id}:log-group:{group_name}", self.flow_log_group
        )
        aws.iam.RolePolicy(
            f"{name}-flow-logs-delivery",
            role=self.flow_log_role.id,
            policy=to_json(
                document(
                    statement(
                        "DeliverToThisLogGroupOnly",
                        ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                        [group_arn, pulumi.Output.concat(group_arn, ":log-stream:*")],
                    ),
                    statement(
                        "FindThisLogGroup",
                        ["logs:DescribeLogGroups"],
                        [f"arn:aws:logs:{args.region}:{args.account_id}:log-group:*"],
                    ),
                )
            ),
            opts=child_opts(self),
        )
        self.flow_log = aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=group_arn,
            iam_role_arn=self.flow_log_role.arn,
            max_aggregation_interval=60,
            tags=self._tags(f"{name}-flow-log"),
            opts=child_opts(self),
        )

    def _endpoints(self) -> None:
        name, args = self._name, self._args
        self.s3_endpoint = aws.ec2.VpcEndpoint(
            f"{name}-s3",
            vpc_id=self.vpc.id,
            service_name=f"com.amazonaws.{args.region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[t.id for t in self.private_route_tables],
            policy=to_json(s3_endpoint_policy(args)),
            tags=self._tags(f"{name}-s3"),
            opts=child_opts(self),
        )
        self.endpoint_security_group = aws.ec2.SecurityGroup(
            f"{name}-endpoints-sg",
            vpc_id=self.vpc.id,
            description=f"HTTPS from inside {name} to the AWS interface endpoints",
            ingress=[
                {
                    "description": "HTTPS from the VPC",
                    "protocol": "tcp",
                    "from_port": 443,
                    "to_port": 443,
                    "cidr_blocks": [args.cidr_block],
                }
            ],
            egress=[],  # endpoints only answer; they open no connections
            tags=self._tags(f"{name}-endpoints"),
            opts=child_opts(self),
        )
        self.interface_endpoints = {
            service: aws.ec2.VpcEndpoint(
                f"{name}-{service.replace('.', '-')}",
                vpc_id=self.vpc.id,
                service_name=f"com.amazonaws.{args.region}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=[s.id for s in self.private_subnets],
                security_group_ids=[self.endpoint_security_group.id],
                tags=self._tags(f"{name}-{service}"),
                opts=child_opts(self),
            )
            for service in args.interface_endpoints
        }


def s3_endpoint_policy(args: NetworkArgs) -> dict:
    """A data perimeter on the S3 gateway endpoint: this account's buckets, and read-only access to
    the AWS-owned buckets that ECR pulls and Amazon Linux updates come from."""
    aws_owned = [
        f"arn:aws:s3:::prod-{args.region}-starport-layer-bucket/*",
        f"arn:aws:s3:::al2023-repos-{args.region}-de612dc2/*",
        f"arn:aws:s3:::amazonlinux-2-repos-{args.region}/*",
    ]
    statements = [
        {"Sid": "BucketsOfThisAccount", "Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*",
         "Condition": {"StringEquals": {"aws:ResourceAccount": args.account_id}}},
        {"Sid": "AwsOwnedPackageAndImageBuckets", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
         "Resource": aws_owned},
    ]
    if args.s3_endpoint_extra_buckets:
        extra = [f"arn:aws:s3:::{bucket}{suffix}" for bucket in args.s3_endpoint_extra_buckets for suffix in ("", "/*")]
        statements.append({"Sid": "ReadListedBuckets", "Effect": "Allow", "Principal": "*",
                           "Action": ["s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation"], "Resource": extra})
    return document(*statements)


def subnet_cidrs(args: NetworkArgs) -> tuple[list[str], list[str]]:
    derived_private, derived_public = derive_subnets(args.cidr_block, len(args.availability_zones))
    return (
        list(args.private_subnet_cidrs) or derived_private,
        list(args.public_subnet_cidrs) or derived_public,
    )


def validate(args: NetworkArgs) -> list[str]:
    problems = check.name_prefix("prefix", args.prefix, max_length=200)
    vpc, found = check.ipv4_network("cidr_block", args.cidr_block)
    problems += found
    if vpc is not None and not 16 <= vpc.prefixlen <= 28:
        problems.append(f"cidr_block: {args.cidr_block!r} must be between a /16 and a /28 (AWS VPC limits)")
        vpc = None
    zones = list(args.availability_zones) if not isinstance(args.availability_zones, str) else []
    if not 1 <= len(zones) <= MAX_DERIVED_AZS:
        problems.append(f"availability_zones: {len(zones)} given; 1 to {MAX_DERIVED_AZS} expected")
    if len(set(zones)) != len(zones):
        problems.append(f"availability_zones: {zones} repeats a zone")
    for i, zone in enumerate(zones):
        if not isinstance(zone, str) or not isinstance(args.region, str) or not zone.startswith(args.region):
            problems.append(f"availability_zones[{i}]: {zone!r} is not a zone of region {args.region!r}")
    problems += check.account_id("account_id", args.account_id)
    problems += check.region("region", args.region)
    problems += check.one_of("nat_gateways", args.nat_gateways, NAT_MODES)
    problems += check.log_retention("flow_log_retention_days", args.flow_log_retention_days)
    if args.cluster_name is not None and not check.NAME_PREFIX.match(str(args.cluster_name)):
        problems.append(f"cluster_name: {args.cluster_name!r} must be lower-case letters, digits and hyphens")
    for i, service in enumerate(args.interface_endpoints):
        if not isinstance(service, str) or not service or " " in service or service == "s3":
            problems.append(
                f"interface_endpoints[{i}]: {service!r} must be a service suffix such as 'ecr.api' "
                "(S3 always gets a gateway endpoint)"
            )
    for i, bucket in enumerate(args.s3_endpoint_extra_buckets):
        if not isinstance(bucket, str) or not BUCKET_NAME.match(bucket):
            problems.append(f"s3_endpoint_extra_buckets[{i}]: {bucket!r} is not an S3 bucket name")
    problems += tags_problems(args.tags)
    if vpc is not None and zones:
        problems += _subnet_problems(args, vpc, len(zones))
    return problems


def _subnet_problems(args: NetworkArgs, vpc: ipaddress.IPv4Network, zones: int) -> list[str]:
    problems: list[str] = []
    subnets: list[tuple[str, ipaddress.IPv4Network]] = []
    for field_name in ("private_subnet_cidrs", "public_subnet_cidrs"):
        given = list(getattr(args, field_name))
        if not given:
            continue
        if len(given) != zones:
            problems.append(f"{field_name}: {len(given)} CIDRs for {zones} availability zones; one per zone expected")
        for i, cidr in enumerate(given):
            net, found = check.ipv4_network(f"{field_name}[{i}]", cidr)
            problems += found
            if net is None:
                continue
            if not net.subnet_of(vpc):
                problems.append(f"{field_name}[{i}]: {cidr} is outside the VPC {vpc}")
            elif net.prefixlen > 28:
                problems.append(f"{field_name}[{i}]: {cidr} is smaller than a /28, the smallest AWS subnet")
            subnets.append((f"{field_name}[{i}]", net))
    if not args.private_subnet_cidrs or not args.public_subnet_cidrs:
        # Derived public subnets are a /(n+6): a /22 VPC is the smallest that leaves them a /28.
        if vpc.prefixlen + 6 > 28:
            problems.append(
                f"cidr_block: {vpc} is too small to derive subnets (a /22 or larger is needed); "
                "give private_subnet_cidrs and public_subnet_cidrs explicitly"
            )
            return problems
        private, public = derive_subnets(str(vpc), min(zones, MAX_DERIVED_AZS))
        derived = [] if args.private_subnet_cidrs else private
        derived_public = [] if args.public_subnet_cidrs else public
        subnets += [(f"derived private subnet {c}", ipaddress.IPv4Network(c)) for c in derived]
        subnets += [(f"derived public subnet {c}", ipaddress.IPv4Network(c)) for c in derived_public]
    for i, (label_a, a) in enumerate(subnets):
        for label_b, b in subnets[i + 1 :]:
            if a.overlaps(b):
                problems.append(f"{label_b}: {b} overlaps {label_a} {a}")
    return problems
