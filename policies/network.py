"""Network exposure: security groups, flow logs, private subnets, private endpoints, VPC-bound ML."""

from __future__ import annotations

from collections.abc import Mapping

from typing import Any, Iterator

from policies.spec import (
    STANDARD, STRICT, Context, Severity, Subject, cis_aws, cis_eks, nist, resource_policy, stack_policy,
)
from policies.sagemaker_endpoints import serverless_only_models
from policies.views import (
    StackView, as_list, depends_on, first, given, is_unknown, peek, present, require, truthy,
)

SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SG_INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer",
                  "aws:elb/loadBalancer:LoadBalancer")
VPC = "aws:ec2/vpc:Vpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
SUBNET = "aws:ec2/subnet:Subnet"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ROUTE = "aws:ec2/route:Route"
ROUTE_TABLE_ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
INTERNET_GATEWAY = "aws:ec2/internetGateway:InternetGateway"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
EKS_CLUSTER = "aws:eks/cluster:Cluster"
SAGEMAKER_MODEL = "aws:sagemaker/model:Model"
SAGEMAKER_DOMAIN = "aws:sagemaker/domain:Domain"

WORLD = {"0.0.0.0/0", "::/0"}
ADMIN_PORTS = {22: "SSH", 3389: "RDP"}
WEB_PORTS = {80, 443}


def _ingress_rules(resource: Any) -> list[dict]:
    """Normalised ingress rules of an SG or rule resource: protocol, from, to, cidrs."""
    props = resource.props if hasattr(resource, "props") else resource
    kind = getattr(resource, "resource_type", None) or getattr(resource, "type", "")
    if kind in (SECURITY_GROUP, DEFAULT_SG):
        inline = given(resource, "ingress") if hasattr(resource, "props") else props.get("ingress")
        require(inline)  # rules fed from other resources' outputs may yet open anything
        raw = [r for r in as_list(inline) if isinstance(r, Mapping)]
        return [{"protocol": str(r.get("protocol", "-1")), "from": r.get("fromPort"), "to": r.get("toPort"),
                 "cidrs": as_list(r.get("cidrBlocks")) + as_list(r.get("ipv6CidrBlocks"))} for r in raw]
    if kind == SG_RULE:
        if props.get("type") != "ingress":
            return []
        return [{"protocol": str(props.get("protocol", "-1")), "from": props.get("fromPort"),
                 "to": props.get("toPort"),
                 "cidrs": as_list(props.get("cidrBlocks")) + as_list(props.get("ipv6CidrBlocks"))}]
    if kind == SG_INGRESS_RULE:
        return [{"protocol": str(props.get("ipProtocol", "-1")), "from": props.get("fromPort"),
                 "to": props.get("toPort"), "cidrs": as_list(props.get("cidrIpv4")) + as_list(props.get("cidrIpv6"))}]
    return []


def _ports(rule: dict) -> tuple[int, int]:
    if rule["protocol"] in ("-1", "all") or rule["from"] is None:
        return 0, 65535
    low, high = int(float(rule["from"])), int(float(rule["to"] if rule["to"] is not None else rule["from"]))
    return (0, 65535) if (low, high) == (0, 0) and rule["protocol"] != "tcp" else (low, high)


def _describe(rule: dict) -> str:
    low, high = _ports(rule)
    ports = "all ports" if (low, high) == (0, 65535) else (f"port {low}" if low == high else f"ports {low}-{high}")
    return f"{ports} open to {', '.join(sorted(set(rule['cidrs']) & WORLD))}"


def _admin_exposure(rule: dict) -> list[str]:
    """The admin ports (as 'SSH (22)') a world-open rule reaches; [] when it is not world-open or reaches none."""
    if not set(rule["cidrs"]) & WORLD:
        return []
    low, high = _ports(rule)
    return [f"{name} ({port})" for port, name in ADMIN_PORTS.items() if low <= port <= high]


@resource_policy(
    id="sg-no-public-admin-ports", area="network", title="No SSH/RDP from the internet",
    description="No security group allows ingress from 0.0.0.0/0 or ::/0 to SSH (22) or RDP (3389). One finding "
                "per rule, naming every port the rule opens (an all-ports rule is one finding); such rules are not "
                "reported again by sg-no-public-ingress or ec2-default-sg-restricts-all.",
    severity=Severity.CRITICAL, enforcement=STRICT, types=(SECURITY_GROUP, SG_RULE, SG_INGRESS_RULE, DEFAULT_SG),
    remediation="Remove the rule; reach instances through SSM Session Manager or a bastion in a private subnet.",
    frameworks=[cis_aws("5.2"), cis_aws("5.3"), nist("SC-7"), nist("AC-17")],
)
def sg_no_public_admin_ports(resource: Subject, ctx: Context) -> Iterator[str]:
    for rule in _ingress_rules(resource):
        exposed = _admin_exposure(rule)
        if exposed:
            yield f"{' and '.join(exposed)} reachable from the internet: {_describe(rule)}"


@stack_policy(
    id="sg-no-public-ingress", area="network", title="No internet ingress except web on load balancers",
    description="Ingress from 0.0.0.0/0 or ::/0 is allowed only to ports 80/443 of security groups attached "
                "to load balancers. Rules that reach SSH or RDP are reported once, by sg-no-public-admin-ports.",
    types=(SECURITY_GROUP, SG_RULE, SG_INGRESS_RULE),
    severity=Severity.HIGH, enforcement=STRICT,
    remediation="Restrict the CIDR to known ranges, or put the service behind a load balancer whose security "
                "group alone accepts 80/443 from the internet.",
    frameworks=[cis_aws("5.2"), cis_aws("5.3"), nist("SC-7")],
)
def sg_no_public_ingress(stack: StackView, ctx: Context) -> Iterator[tuple[str, str]]:
    groups = stack.of_type(SECURITY_GROUP)
    on_load_balancer: set[str] = set()
    for lb in stack.of_type(*LOAD_BALANCERS):
        on_load_balancer.update(sg.urn for sg in stack.referenced(lb, "securityGroups", groups))
    candidates: list[tuple[Any, set[str]]] = [(sg, {sg.urn}) for sg in groups]
    for rule_resource in stack.of_type(SG_RULE, SG_INGRESS_RULE):
        owners = {sg.urn for sg in stack.referenced(rule_resource, "securityGroupId", groups)}
        candidates.append((rule_resource, owners))
    for resource, owners in candidates:
        for rule in _ingress_rules(resource):
            if not set(rule["cidrs"]) & WORLD or _admin_exposure(rule):
                continue
            low, high = _ports(rule)
            web_only = rule["protocol"] in ("tcp", "6") and low == high and low in WEB_PORTS
            if web_only and owners and owners <= on_load_balancer:
                continue
            where = "on a load balancer" if owners and owners <= on_load_balancer else "not on a load balancer"
            yield resource.urn, f"'{resource.name}': {_describe(rule)} ({where})"


@stack_policy(
    id="ec2-default-sg-restricts-all", area="network", title="Default security groups closed",
    description="Every VPC's default security group has no rules: the program manages it with an "
                "aws.ec2.DefaultSecurityGroup with empty ingress and egress (AWS creates it allowing all traffic "
                "from its members and all traffic out). World-open SSH/RDP rules on it are reported by "
                "sg-no-public-admin-ports.",
    types=(VPC, DEFAULT_SG),
    severity=Severity.MEDIUM, enforcement=STANDARD,
    remediation="Add an aws.ec2.DefaultSecurityGroup with vpc_id the VPC's and no ingress or egress rules; give "
                "workloads their own security groups.",
    frameworks=[cis_aws("5.4"), nist("SC-7")],
)
def ec2_default_sg_restricts_all(stack: StackView, ctx: Context) -> Iterator[tuple[str, str]]:
    vpcs = stack.of_type(VPC)
    managed = stack.children_by_target((DEFAULT_SG,), "vpcId", vpcs)
    for vpc in vpcs:
        if not managed.get(vpc.urn):
            yield vpc.urn, (f"VPC '{vpc.name}' leaves its default security group as AWS creates it (all traffic from "
                            "its members in, all traffic out): no aws.ec2.DefaultSecurityGroup manages it")
    for group in stack.of_type(DEFAULT_SG):
        ingress = [r for r in _ingress_rules(group) if not _admin_exposure(r)]
        egress = given(group, "egress")
        require(egress)
        counts = [f"{n} {direction} rule(s)" for direction, n in
                  (("ingress", len(ingress)), ("egress", len(as_list(egress)))) if n]
        if counts:
            yield group.urn, f"default security group '{group.name}' has {' and '.join(counts)}"


@stack_policy(
    id="vpc-flow-logs", area="network", title="VPC flow logs",
    description="Every VPC sends flow logs (all traffic) to CloudWatch Logs or S3.",
    types=(VPC,),
    severity=Severity.MEDIUM, enforcement=STANDARD,
    remediation="Add an aws.ec2.FlowLog with vpc_id, traffic_type 'ALL' and an encrypted log destination.",
    frameworks=[cis_aws("3.7"), nist("AU-2"), nist("SI-4")],
)
def vpc_flow_logs(stack: StackView, ctx: Context) -> Iterator[tuple[str, str]]:
    vpcs = stack.of_type(VPC)
    logged = stack.children_by_target((FLOW_LOG,), "vpcId", vpcs)
    for vpc in vpcs:
        if not logged.get(vpc.urn):
            yield vpc.urn, f"VPC '{vpc.name}' has no flow log"


def _public_subnets(stack: StackView) -> set[str]:
    """Subnets that launch with public IPs or route to an internet gateway. A route's gateway is an
    internet gateway of the stack by property dependency (its id is unknown in preview), or a known
    igw- id."""
    subnets = stack.of_type(SUBNET)
    gateways = stack.of_type_cached(INTERNET_GATEWAY)

    def to_internet(resource: Any, prop: str, *path: str | int) -> bool:
        value = given(resource, prop, *path)
        if value is None:
            return False
        if isinstance(value, str):
            return value.startswith("igw-") or bool(stack.lookup(gateways, value))
        return any(dep.resource_type == INTERNET_GATEWAY for dep in depends_on(resource, prop))

    tables = stack.of_type(ROUTE_TABLE)
    public_tables = {t.urn for t in tables
                     if any(to_internet(t, "routes", i, "gatewayId") for i in range(len(as_list(given(t, "routes")))))}
    for route in stack.of_type(ROUTE):
        if to_internet(route, "gatewayId"):
            public_tables.update(t.urn for t in stack.referenced(route, "routeTableId", tables))
    public = {s.urn for s in subnets if truthy(peek(s.props, "mapPublicIpOnLaunch"))}
    for association in stack.of_type(ROUTE_TABLE_ASSOCIATION):
        if {t.urn for t in stack.referenced(association, "routeTableId", tables)} & public_tables:
            public.update(s.urn for s in stack.referenced(association, "subnetId", subnets))
    return public


@stack_policy(
    id="eks-nodes-private-subnets", area="network", title="EKS nodes in private subnets",
    description="EKS node groups launch only into private subnets (no public IPs, no route to an internet gateway).",
    types=(NODE_GROUP,),
    severity=Severity.HIGH, enforcement=STRICT,
    remediation="Pass only the private subnet ids to the node group; reach the internet through NAT gateways.",
    frameworks=[cis_eks("5.4.3"), nist("SC-7")],
)
def eks_nodes_private_subnets(stack: StackView, ctx: Context) -> Iterator[tuple[str, str]]:
    public = _public_subnets(stack)
    subnets = stack.of_type(SUBNET)
    for group in stack.of_type(NODE_GROUP):
        exposed = [s.name for s in stack.referenced(group, "subnetIds", subnets) if s.urn in public]
        if exposed:
            yield group.urn, f"node group '{group.name}' uses public subnets: {', '.join(sorted(exposed))}"


@resource_policy(
    id="eks-endpoint-private", area="network", title="EKS API endpoint private",
    description="The EKS API endpoint is private in prod; elsewhere a public endpoint must be CIDR-restricted.",
    severity=Severity.HIGH, enforcement=STRICT, types=(EKS_CLUSTER,),
    remediation="Set vpc_config.endpoint_private_access=True and endpoint_public_access=False (prod), or "
                "public_access_cidrs to the office/VPN ranges (dev, staging).",
    frameworks=[cis_eks("5.4.1"), cis_eks("5.4.2"), nist("SC-7")],
)
def eks_endpoint_private(resource: Subject, ctx: Context) -> Iterator[str]:
    vpc_config = first(resource.props.get("vpcConfig")) or {}
    public = vpc_config.get("endpointPublicAccess")
    public = True if public is None else truthy(public)  # the AWS default is a public endpoint
    private = truthy(vpc_config.get("endpointPrivateAccess"))
    if ctx.environment == "prod":
        if public:
            yield "public endpoint enabled in prod"
        if not private:
            yield "private endpoint access is off in prod"
        return
    if not public and not private:
        yield "neither a private nor a public endpoint"
    cidrs = [str(c) for c in as_list(vpc_config.get("publicAccessCidrs"))]
    if public and (not cidrs or set(cidrs) & WORLD):
        yield "public endpoint open to the internet (set public_access_cidrs)"


@stack_policy(
    id="sagemaker-model-vpc", area="network", title="SageMaker models in a VPC",
    description="SageMaker models run inside the VPC (vpc_config with subnets and security groups). Models "
                "served only by serverless endpoint variants are skipped: AWS refuses a VPC config for them.",
    severity=Severity.HIGH, enforcement=STANDARD, types=(SAGEMAKER_MODEL,),
    remediation="Set vpc_config with the private subnet ids and the serving security group.",
    frameworks=[nist("SC-7")],
)
def sagemaker_model_vpc(stack: StackView, ctx: Context) -> Iterator[tuple[str | None, str]]:
    skipped = serverless_only_models(stack)
    for model in stack.of_type(SAGEMAKER_MODEL):
        vpc_config = given(model, "vpcConfig")
        if model.urn in skipped or is_unknown(vpc_config):  # fed by other resources: set, not yet known
            continue
        vpc_config = first(vpc_config) or {}
        if not present(vpc_config, "subnets") or not present(vpc_config, "securityGroupIds"):
            yield model.urn, "model has no VPC configuration"


@resource_policy(
    id="sagemaker-domain-vpc-only", area="network", title="SageMaker domains VPC-only",
    description="SageMaker Studio domains use VpcOnly network access (the AWS default is PublicInternetOnly).",
    severity=Severity.HIGH, enforcement=STANDARD, types=(SAGEMAKER_DOMAIN,),
    remediation="Set app_network_access_type='VpcOnly' with private subnet_ids and a vpc_id.",
    frameworks=[nist("SC-7")],
)
def sagemaker_domain_vpc_only(resource: Subject, ctx: Context) -> Iterator[str]:
    access = resource.props.get("appNetworkAccessType") or "PublicInternetOnly"
    if access != "VpcOnly":
        yield f"app network access type is {access}"
