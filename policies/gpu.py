"""GPU governance: which accelerated instance types an environment may use, and how many GPUs
it may hold at full scale-out.

Accelerators per instance type (NVIDIA GPUs; Trainium/Inferentia Neuron devices for trn/inf),
from the AWS EC2 accelerated-computing instance pages, checked 2026-07. SageMaker `ml.` types
have the same hardware as the EC2 type without the prefix.
"""

from __future__ import annotations

from collections.abc import Mapping

from typing import Any, Iterator

from policies.spec import STANDARD, STRICT, Context, Params, Severity, Subject, nist, resource_policy, stack_policy
from policies.views import StackView, Unknown, as_list, depends_on, dig, first, peek, require

ACCELERATORS: dict[str, int] = {
    # NVIDIA T4
    "g4dn.xlarge": 1, "g4dn.2xlarge": 1, "g4dn.4xlarge": 1, "g4dn.8xlarge": 1, "g4dn.16xlarge": 1,
    "g4dn.12xlarge": 4, "g4dn.metal": 8,
    # NVIDIA A10G
    "g5.xlarge": 1, "g5.2xlarge": 1, "g5.4xlarge": 1, "g5.8xlarge": 1, "g5.16xlarge": 1,
    "g5.12xlarge": 4, "g5.24xlarge": 4, "g5.48xlarge": 8,
    # NVIDIA L4
    "g6.xlarge": 1, "g6.2xlarge": 1, "g6.4xlarge": 1, "g6.8xlarge": 1, "g6.16xlarge": 1,
    "g6.12xlarge": 4, "g6.24xlarge": 4, "g6.48xlarge": 8,
    # NVIDIA L40S
    "g6e.xlarge": 1, "g6e.2xlarge": 1, "g6e.4xlarge": 1, "g6e.8xlarge": 1, "g6e.16xlarge": 1,
    "g6e.12xlarge": 4, "g6e.24xlarge": 4, "g6e.48xlarge": 8,
    # NVIDIA V100 / A100 / H100 / H200 / B200
    "p3.2xlarge": 1, "p3.8xlarge": 4, "p3.16xlarge": 8, "p3dn.24xlarge": 8,
    "p4d.24xlarge": 8, "p4de.24xlarge": 8,
    "p5.4xlarge": 1, "p5.48xlarge": 8, "p5e.48xlarge": 8, "p5en.48xlarge": 8,
    "p6-b200.48xlarge": 8,
    # AWS Trainium / Inferentia2 (Neuron devices)
    "trn1.2xlarge": 1, "trn1.32xlarge": 16, "trn1n.32xlarge": 16, "trn2.48xlarge": 16,
    "inf2.xlarge": 1, "inf2.8xlarge": 1, "inf2.24xlarge": 6, "inf2.48xlarge": 12,
}
ACCELERATED_FAMILIES = ("p", "g4", "g5", "g6", "gr6", "trn", "inf", "dl")

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
INSTANCE = "aws:ec2/instance:Instance"
ENDPOINT_CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
ENDPOINT = "aws:sagemaker/endpoint:Endpoint"
NOTEBOOK = "aws:sagemaker/notebookInstance:NotebookInstance"
TRAINING_JOB = "aws:sagemaker/trainingJob:TrainingJob"
SCALING_TARGET = "aws:appautoscaling/target:Target"


def _ec2_type(instance_type: str) -> str:
    return instance_type[3:] if instance_type.startswith("ml.") else instance_type


def is_accelerated(instance_type: str) -> bool:
    family = _ec2_type(str(instance_type)).split(".", 1)[0]
    return _ec2_type(str(instance_type)) in ACCELERATORS or (
        family[:1] == "p" and family[1:2].isdigit()
    ) or family.startswith(ACCELERATED_FAMILIES[1:])


def accelerators_of(instance_type: str) -> int:
    """GPUs (or Neuron devices) of one instance; 0 for CPU types."""
    return ACCELERATORS.get(_ec2_type(str(instance_type)), 0)


def instance_types_of(resource_type: str, props: Any) -> list[str]:
    """Every instance type a resource asks for."""
    if resource_type == NODE_GROUP:
        return [str(t) for t in as_list(props.get("instanceTypes"))]
    if resource_type in (LAUNCH_TEMPLATE, INSTANCE, NOTEBOOK):
        return [str(props["instanceType"])] if props.get("instanceType") else []
    if resource_type == ENDPOINT_CONFIG:
        variants = as_list(props.get("productionVariants")) + as_list(props.get("shadowProductionVariants"))
        return [str(v["instanceType"]) for v in variants if isinstance(v, Mapping) and v.get("instanceType")]
    if resource_type == TRAINING_JOB:
        config = first(props.get("resourceConfig")) or {}
        return [str(config["instanceType"])] if config.get("instanceType") else []
    return []


DEV_TYPES = ["g5.xlarge", "g5.2xlarge", "g6.xlarge", "g6.2xlarge", "g6e.xlarge", "inf2.xlarge",
             "ml.g5.xlarge", "ml.g5.2xlarge", "ml.g6.xlarge", "ml.g6.2xlarge", "ml.inf2.xlarge"]
STAGING_TYPES = DEV_TYPES + ["g5.12xlarge", "g6.12xlarge", "g6e.12xlarge", "inf2.8xlarge",
                             "ml.g5.12xlarge", "ml.g6.12xlarge", "ml.g6e.12xlarge"]
PROD_TYPES = STAGING_TYPES + ["g5.48xlarge", "g6e.48xlarge", "p4d.24xlarge", "p4de.24xlarge", "p5.48xlarge",
                              "trn1.32xlarge", "inf2.48xlarge",
                              "ml.g5.48xlarge", "ml.p4d.24xlarge", "ml.p5.48xlarge", "ml.inf2.48xlarge"]


class AllowlistParams(Params):
    allowed_instance_types: list[str]


@resource_policy(
    id="gpu-instance-type-allowlist", area="gpu", title="GPU instance types allowed per environment",
    description="Node groups, launch templates, instances, SageMaker endpoints, notebooks and training jobs use "
                "only the accelerated instance types allowed in their environment.",
    severity=Severity.HIGH, enforcement=STRICT,
    types=(NODE_GROUP, LAUNCH_TEMPLATE, INSTANCE, ENDPOINT_CONFIG, NOTEBOOK, TRAINING_JOB),
    remediation="Use an allowed type (policy parameter allowedInstanceTypes), or extend the list for this stack "
                "under mladmin:policy.parameters with the capacity team's approval.",
    frameworks=[nist("CM-7"), nist("SA-9")],
    params=AllowlistParams,
    param_defaults={"dev": {"allowed_instance_types": DEV_TYPES}, "staging": {"allowed_instance_types": STAGING_TYPES},
                    "prod": {"allowed_instance_types": PROD_TYPES}},
)
def gpu_instance_type_allowlist(resource: Subject, ctx: Context) -> Iterator[str]:
    allowed = set(ctx.params.allowed_instance_types)
    for instance_type in instance_types_of(resource.type, resource.props):
        if is_accelerated(instance_type) and instance_type not in allowed:
            yield f"accelerated instance type {instance_type} is not allowed in {ctx.environment}"


class BudgetParams(Params):
    max_gpus: int


def _endpoint_capacity(stack: StackView, config: Any) -> dict[str, float]:
    """variant name -> the most instances it can reach (autoscaling max, else initial count)."""
    counts = {str(v.get("variantName")): float(v.get("initialInstanceCount") or 1)
              for v in as_list(config.props.get("productionVariants")) if isinstance(v, Mapping)}
    endpoints = [e for e in stack.of_type(ENDPOINT) if stack.referenced(e, "endpointConfigName", [config])]
    endpoint_names = {str(peek(e.props, "name") or e.name) for e in endpoints}
    endpoint_urns = {e.urn for e in endpoints}
    for target in stack.of_type(SCALING_TARGET):
        resource_id = peek(target.props, "resourceId", default="")
        if isinstance(resource_id, Unknown):  # "endpoint/<name>/variant/<variant>" built from an unknown
            if any(dep.urn in endpoint_urns for dep in depends_on(target, "resourceId")):
                require(resource_id)
            continue
        parts = str(resource_id).split("/")
        if len(parts) == 4 and parts[0] == "endpoint" and parts[1] in endpoint_names and parts[3] in counts:
            counts[parts[3]] = max(counts[parts[3]], float(target.props.get("maxCapacity") or 0))
    return counts


def gpu_demand(stack: StackView) -> list[tuple[Any, str, int]]:
    """(resource, instance type, GPUs at full scale-out) for everything that holds accelerators."""
    from policies.eks import node_group_instance_types

    demand: list[tuple[Any, str, int]] = []
    for group in stack.of_type(NODE_GROUP):
        types = node_group_instance_types(stack, group)
        biggest = max(types, key=accelerators_of)
        size = float(dig(first(group.props.get("scalingConfig")) or {}, "maxSize", default=0))
        demand.append((group, biggest, int(size) * accelerators_of(biggest)))
    for config in stack.of_type(ENDPOINT_CONFIG):
        capacity = _endpoint_capacity(stack, config)
        for variant in as_list(config.props.get("productionVariants")):
            if isinstance(variant, Mapping) and variant.get("instanceType"):
                count = capacity.get(str(variant.get("variantName")), 1)
                demand.append((config, variant["instanceType"], int(count) * accelerators_of(variant["instanceType"])))
    for notebook in stack.of_type(NOTEBOOK, INSTANCE):
        for instance_type in instance_types_of(notebook.resource_type, notebook.props):
            demand.append((notebook, instance_type, accelerators_of(instance_type)))
    for job in stack.of_type(TRAINING_JOB):
        config = first(job.props.get("resourceConfig")) or {}
        for instance_type in instance_types_of(TRAINING_JOB, job.props):
            demand.append((job, instance_type, int(float(config.get("instanceCount") or 1)) * accelerators_of(instance_type)))
    return [d for d in demand if d[2] > 0]


@stack_policy(
    id="gpu-budget", area="gpu", title="GPU budget per environment",
    description="The GPUs a stack can hold at full scale-out (node groups at max size, endpoints at their "
                "autoscaling maximum, notebooks, training jobs) stay within the environment's budget.",
    types=(NODE_GROUP, LAUNCH_TEMPLATE, INSTANCE, ENDPOINT_CONFIG, NOTEBOOK, TRAINING_JOB),
    severity=Severity.HIGH, enforcement=STANDARD,
    remediation="Lower node-group max sizes or endpoint autoscaling maxima, use smaller GPU types, or raise "
                "maxGpus for this stack under mladmin:policy.parameters with the capacity team's approval.",
    frameworks=[nist("SA-2"), nist("CM-7")],
    params=BudgetParams,
    param_defaults={"dev": {"max_gpus": 8}, "staging": {"max_gpus": 32}, "prod": {"max_gpus": 256}},
)
def gpu_budget(stack: StackView, ctx: Context) -> Iterator[tuple[str | None, str]]:
    uncounted = sorted({t for r in stack.of_type(NODE_GROUP, LAUNCH_TEMPLATE, INSTANCE, ENDPOINT_CONFIG, NOTEBOOK,
                                                 TRAINING_JOB)
                        for t in instance_types_of(r.resource_type, r.props)
                        if is_accelerated(t) and not accelerators_of(t)})
    if uncounted:
        yield None, f"GPU count unknown for {', '.join(uncounted)}: the budget cannot be checked (add them to the table)"
    demand = gpu_demand(stack)
    total = sum(d[2] for d in demand)
    if total > ctx.params.max_gpus:
        top = sorted(demand, key=lambda d: -d[2])[:5]
        detail = "; ".join(f"{r.name}: {n} GPUs ({t})" for r, t, n in top)
        yield None, f"{total} GPUs at full scale-out exceed the {ctx.environment} budget of {ctx.params.max_gpus} ({detail})"

