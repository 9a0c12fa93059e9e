"""Pricing rules: one function per resource type, reading the properties that decide its price.

A rule returns ``Price(low, high, basis)`` in USD per month (``low`` at the minimum size, ``high`` at the
maximum), None when the resource costs nothing by itself, or raises UnpricedError naming what the price
table lacks. Rules read inputs as given to the provider; a value unknown in a preview is an error only
where the price depends on it (an instance type), otherwise the documented default applies.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, Callable

from pulumi.runtime.rpc import UNKNOWN

from mladmin.engine import Plan, PlanResource
from policies.facts import prices as P
from policies.facts.eks import EXTENDED_SUPPORT_KUBERNETES_VERSIONS
from stacks.settings import CostSettings

HOURS = P.HOURS_PER_MONTH
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"


class UnpricedError(ValueError):
    """Something this resource needs has no price (message names it)."""


@dataclass(frozen=True)
class Price:
    low: float
    high: float
    basis: str


def fixed(monthly: float, basis: str) -> Price:
    return Price(monthly, monthly, basis)


@dataclass
class Context:
    plan: Plan
    assumptions: CostSettings

    @cached_property
    def by_urn(self) -> dict[str, PlanResource]:
        return {r.urn: r for r in self.plan.resources}

    def feeding(self, resource: PlanResource, prop: str, type_token: str) -> PlanResource | None:
        """The resource of ``type_token`` whose output feeds ``resource``'s input ``prop``."""
        for urn in resource.property_dependencies.get(prop, []):
            source = self.by_urn.get(urn)
            if source is not None and source.type == type_token:
                return source
        return None

    def hourly(self, instance_type: Any, resource: PlanResource) -> float:
        if not known(instance_type) or not isinstance(instance_type, str):
            raise UnpricedError("instance type is unknown until apply (expected it given as an input)")
        rate = P.instance_hourly(instance_type)
        if rate is None:
            raise UnpricedError(f"instance type '{instance_type}' has no price in policies/facts/prices.py "
                                "(add its on-demand rate with its source)")
        return rate.usd


def known(value: Any) -> bool:
    return value is not None and value != UNKNOWN


def number(value: Any, default: float) -> float:
    return float(value) if known(value) and isinstance(value, (int, float)) and not isinstance(value, bool) else default


def money(value: float) -> str:
    """Dollars: cents for amounts, every significant digit for rates below a dollar ($0.045)."""
    return f"${value:,.2f}" if value >= 1 or value == 0 else f"${value:.4g}"


# --- compute -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NodeGroupShape:
    instance_types: list[str]   # every listed type (each must be priced); priced at the first
    min_nodes: float
    max_nodes: float
    template: PlanResource | None

    @property
    def priced_type(self) -> str:
        return self.instance_types[0]  # on-demand launches in the listed order (EKS "prioritized")


def node_group_shape(resource: PlanResource, ctx: Context) -> NodeGroupShape:
    """The instance types and node counts a node group is priced at (showback splits the same figures)."""
    inputs = resource.inputs
    template = ctx.feeding(resource, "launchTemplate", "aws:ec2/launchTemplate:LaunchTemplate")
    types = inputs.get("instanceTypes")
    if known(types) and types:
        names = list(types)
    elif template is not None and known(template.inputs.get("instanceType")):
        names = [template.inputs["instanceType"]]
    elif template is None and not known(types) and "instanceTypes" in inputs:
        raise UnpricedError("instanceTypes is unknown until apply (expected it given as an input)")
    else:
        names = [P.EKS_DEFAULT_NODE_INSTANCE_TYPE]  # what EKS launches when none is named
    scaling = inputs.get("scalingConfig") or {}
    return NodeGroupShape(names, number(scaling.get("minSize"), 0), number(scaling.get("maxSize"), 1), template)


def node_group(resource: PlanResource, ctx: Context) -> Price:
    inputs = resource.inputs
    shape = node_group_shape(resource, ctx)
    rates = [ctx.hourly(name, resource) for name in shape.instance_types]  # every listed type must be priced
    hourly, first = rates[0], shape.priced_type
    spot = inputs.get("capacityType") == "SPOT"
    if spot:
        hourly *= ctx.assumptions.spot_price_factor
    low, high = shape.min_nodes, shape.max_nodes
    disk = number(inputs.get("diskSize"), 0) or _template_disk(shape.template) or P.EKS_DEFAULT_NODE_DISK_GIB
    per_node = hourly * HOURS + disk * P.EBS_GP3_PER_GB_MONTH.usd
    kind = f"spot x {ctx.assumptions.spot_price_factor:g}" if spot else "on-demand"
    return Price(low * per_node, high * per_node,
                 f"{low:g}-{high:g} x {first} {kind} ({money(hourly)}/h) + {disk:g} GiB gp3 each")


def _template_disk(template: PlanResource | None) -> float:
    if template is None:
        return 0
    for mapping in template.inputs.get("blockDeviceMappings") or []:
        ebs = mapping.get("ebs") if isinstance(mapping, dict) else None
        if isinstance(ebs, dict):
            return number(ebs.get("volumeSize"), 0)
    return 0


def instance(resource: PlanResource, ctx: Context) -> Price:
    hourly = ctx.hourly(resource.inputs.get("instanceType"), resource)
    root = resource.inputs.get("rootBlockDevice") or {}
    disk = number(root.get("volumeSize"), 8) if isinstance(root, dict) else 8
    monthly = hourly * HOURS + disk * P.EBS_GP3_PER_GB_MONTH.usd
    return fixed(monthly, f"{resource.inputs['instanceType']} on-demand ({money(hourly)}/h) + {disk:g} GiB")


def eks_cluster(resource: PlanResource, ctx: Context) -> Price:
    # No version: EKS creates the cluster on its default, which is in standard support.
    version = resource.inputs.get("version")
    if known(version) and str(version) in EXTENDED_SUPPORT_KUBERNETES_VERSIONS:
        rate = P.EKS_CLUSTER_EXTENDED_SUPPORT_HOURLY.usd
        return fixed(rate * HOURS, f"control plane {money(rate)}/h (Kubernetes {version} in extended support)")
    return fixed(P.EKS_CLUSTER_HOURLY.usd * HOURS, f"control plane {money(P.EKS_CLUSTER_HOURLY.usd)}/h")


def ebs_volume(resource: PlanResource, ctx: Context) -> Price:
    size = number(resource.inputs.get("size"), 0)
    rate = P.EBS_GP2_PER_GB_MONTH if resource.inputs.get("type") == "gp2" else P.EBS_GP3_PER_GB_MONTH
    return fixed(size * rate.usd, f"{size:g} GiB x {money(rate.usd)}/GB-month")


# --- network -----------------------------------------------------------------------------------------


def nat_gateway(resource: PlanResource, ctx: Context) -> Price:
    gb = ctx.assumptions.nat_gb_per_month
    monthly = P.NAT_GATEWAY_HOURLY.usd * HOURS + gb * P.NAT_GATEWAY_PER_GB.usd
    return fixed(monthly, f"{money(P.NAT_GATEWAY_HOURLY.usd)}/h + {gb:g} GB (assumed) x {money(P.NAT_GATEWAY_PER_GB.usd)}/GB")


def elastic_ip(resource: PlanResource, ctx: Context) -> Price:
    return fixed(P.PUBLIC_IPV4_HOURLY.usd * HOURS, f"public IPv4 {money(P.PUBLIC_IPV4_HOURLY.usd)}/h")


def vpc_endpoint(resource: PlanResource, ctx: Context) -> Price | None:
    if resource.inputs.get("vpcEndpointType", "Gateway") != "Interface":
        return None  # gateway endpoints (S3, DynamoDB) are free
    subnets = resource.inputs.get("subnetIds")
    zones = len(subnets) if isinstance(subnets, list) and subnets else 1
    rate = P.VPC_INTERFACE_ENDPOINT_HOURLY_PER_AZ.usd
    return fixed(rate * HOURS * zones, f"interface endpoint in {zones} zone(s) x {money(rate)}/h")


# --- storage -----------------------------------------------------------------------------------------


def bucket(resource: PlanResource, ctx: Context) -> Price:
    gb = ctx.assumptions.s3_gb_per_bucket
    return fixed(gb * P.S3_STANDARD_PER_GB_MONTH.usd, f"{gb:g} GB (assumed) x {money(P.S3_STANDARD_PER_GB_MONTH.usd)}/GB-month")


def ecr_repository(resource: PlanResource, ctx: Context) -> Price:
    gb = ctx.assumptions.ecr_gb_per_repository
    return fixed(gb * P.ECR_STORAGE_PER_GB_MONTH.usd, f"{gb:g} GB of images (assumed)")


def kms_key(resource: PlanResource, ctx: Context) -> Price:
    return fixed(P.KMS_KEY_MONTHLY.usd, "customer-managed key")


def fsx_lustre(resource: PlanResource, ctx: Context) -> Price:
    inputs = resource.inputs
    deployment = inputs.get("deploymentType") if known(inputs.get("deploymentType")) else "SCRATCH_1"
    if str(deployment).startswith("SCRATCH"):
        throughput = P.FSX_SCRATCH_THROUGHPUT
    else:
        throughput = int(number(inputs.get("perUnitStorageThroughput"), 0))
    rate = P.FSX_LUSTRE_PER_GB_MONTH.get((str(deployment), throughput))
    if rate is None:
        raise UnpricedError(f"FSx for Lustre {deployment} at {throughput} MB/s/TiB has no price in "
                            "policies/facts/prices.py (FSX_LUSTRE_PER_GB_MONTH)")
    capacity = number(inputs.get("storageCapacity"), 1200)
    return fixed(capacity * rate.usd, f"{capacity:g} GiB {deployment} {throughput} MB/s/TiB x {money(rate.usd)}/GB-month")


# --- observability -----------------------------------------------------------------------------------


def log_group(resource: PlanResource, ctx: Context) -> Price:
    gb = ctx.assumptions.log_gb_per_group_month
    retention = number(resource.inputs.get("retentionInDays"), 0) or 365  # never-expire: a year's worth
    stored = gb * min(retention, 365) / 30.4
    monthly = gb * P.CLOUDWATCH_LOGS_INGEST_PER_GB.usd + stored * P.CLOUDWATCH_LOGS_STORAGE_PER_GB_MONTH.usd
    return fixed(monthly, f"{gb:g} GB/month ingested (assumed), {stored:.1f} GB kept ({retention:g} days)")


def metric_alarm(resource: PlanResource, ctx: Context) -> Price:
    return fixed(P.CLOUDWATCH_ALARM_MONTHLY.usd, "metric alarm")


def dashboard(resource: PlanResource, ctx: Context) -> Price:
    return fixed(P.CLOUDWATCH_DASHBOARD_MONTHLY.usd, "dashboard")


def prometheus(resource: PlanResource, ctx: Context) -> Price:
    samples = ctx.assumptions.prometheus_samples_per_month
    return fixed(samples / 1e7 * P.PROMETHEUS_PER_10M_SAMPLES.usd, f"{samples:,.0f} samples/month (assumed)")


def grafana(resource: PlanResource, ctx: Context) -> Price:
    editors = ctx.assumptions.grafana_editors
    return fixed(editors * P.GRAFANA_EDITOR_MONTHLY.usd, f"{editors} editor(s) (assumed)")


# --- SageMaker ---------------------------------------------------------------------------------------

ENDPOINT_CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
SCALING_TARGET = "aws:appautoscaling/target:Target"


def endpoint(resource: PlanResource, ctx: Context) -> Price:
    """An endpoint runs its configuration's variants: instance-hours, or serverless by assumed requests."""
    config = ctx.feeding(resource, "endpointConfigName", ENDPOINT_CONFIG) or _config_named(
        ctx, resource.inputs.get("endpointConfigName"))
    if config is None:
        raise UnpricedError("its endpoint configuration is not in the plan (expected an "
                            f"{ENDPOINT_CONFIG} feeding endpointConfigName)")
    low = high = 0.0
    parts = []
    for variant in config.inputs.get("productionVariants") or []:
        serverless = variant.get("serverlessConfig")
        if isinstance(serverless, dict) and serverless:
            a = ctx.assumptions
            memory_gb = number(serverless.get("memorySizeInMb"), 1024) / 1024
            monthly = a.serverless_requests_per_month * a.serverless_seconds_per_request * memory_gb \
                * P.SAGEMAKER_SERVERLESS_PER_GB_SECOND.usd
            low, high = low + monthly, high + monthly
            parts.append(f"serverless {memory_gb:g} GB x {a.serverless_requests_per_month:,.0f} requests x "
                         f"{a.serverless_seconds_per_request:g} s (assumed)")
            continue
        hourly = ctx.hourly(variant.get("instanceType"), resource)
        count = number(variant.get("initialInstanceCount"), 1)
        maximum = _autoscaling_max(ctx, resource, variant.get("variantName")) or count
        low += count * hourly * HOURS
        high += maximum * hourly * HOURS
        parts.append(f"{count:g}-{maximum:g} x {variant.get('instanceType')} ({money(hourly)}/h)")
    return Price(low, high, "; ".join(parts) or "no production variants")


def notebook(resource: PlanResource, ctx: Context) -> Price:
    """A notebook instance runs until stopped: priced as always on, with its ML storage volume."""
    hourly = ctx.hourly(resource.inputs.get("instanceType"), resource)
    volume = number(resource.inputs.get("volumeSize"), 5)
    return fixed(hourly * HOURS + volume * P.SAGEMAKER_ML_STORAGE_PER_GB_MONTH.usd,
                 f"{resource.inputs['instanceType']} always on ({money(hourly)}/h) + {volume:g} GB")


def _config_named(ctx: Context, name: Any) -> PlanResource | None:
    if not known(name):
        return None
    for candidate in ctx.plan.of_type(ENDPOINT_CONFIG):
        if candidate.inputs.get("name") == name or candidate.outputs.get("name") == name:
            return candidate
    return None


def _autoscaling_max(ctx: Context, endpoint_resource: PlanResource, variant: Any) -> float | None:
    names = {endpoint_resource.inputs.get("name"), endpoint_resource.outputs.get("name")} - {None, UNKNOWN}
    for target in ctx.plan.of_type(SCALING_TARGET):
        resource_id = target.inputs.get("resourceId")
        feeds = endpoint_resource.urn in target.property_dependencies.get("resourceId", [])
        if not isinstance(resource_id, str) or not resource_id.startswith("endpoint/"):
            continue
        _, _, rest = resource_id.partition("/")
        endpoint_name, _, variant_part = rest.partition("/variant/")
        if (feeds or endpoint_name in names) and (not known(variant) or variant_part in (variant, UNKNOWN)):
            return number(target.inputs.get("maxCapacity"), 0) or None
    return None


PRICERS: dict[str, Callable[[PlanResource, Context], Price | None]] = {
    "aws:eks/cluster:Cluster": eks_cluster,
    NODE_GROUP: node_group,
    "aws:ec2/instance:Instance": instance,
    "aws:ebs/volume:Volume": ebs_volume,
    "aws:ec2/natGateway:NatGateway": nat_gateway,
    "aws:ec2/eip:Eip": elastic_ip,
    "aws:ec2/vpcEndpoint:VpcEndpoint": vpc_endpoint,
    "aws:s3/bucket:Bucket": bucket,
    "aws:s3/bucketV2:BucketV2": bucket,
    "aws:ecr/repository:Repository": ecr_repository,
    "aws:kms/key:Key": kms_key,
    "aws:fsx/lustreFileSystem:LustreFileSystem": fsx_lustre,
    "aws:cloudwatch/logGroup:LogGroup": log_group,
    "aws:cloudwatch/metricAlarm:MetricAlarm": metric_alarm,
    "aws:cloudwatch/dashboard:Dashboard": dashboard,
    "aws:amp/workspace:Workspace": prometheus,
    "aws:grafana/workspace:Workspace": grafana,
    "aws:sagemaker/endpoint:Endpoint": endpoint,
    "aws:sagemaker/notebookInstance:NotebookInstance": notebook,
}
