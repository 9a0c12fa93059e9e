"""GPU governance: which accelerated instance types an environment may use, and how many GPUs
it may hold at full scale-out.

Accelerators per instance type (NVIDIA GPUs; Trainium/Inferentia Neuron devices for trn/inf) and the
per-environment allowlists come from policies.facts, which the stack settings read too. SageMaker
`ml.` types have the same hardware as the EC2 type without the prefix.
"""

from __future__ import annotations

from collections.abc import Mapping

from typing import Any, Iterator

from policies.facts.environments import GPU_BUDGET, GPU_INSTANCE_TYPES_ALLOWED
from policies.facts.instance_types import ACCELERATED_FAMILY_PREFIXES, FAMILIES, accelerators_per_instance, ec2_type
from policies.spec import STANDARD, STRICT, Context, Params, Severity, Subject, nist, resource_policy, stack_policy
from policies.views import StackView, as_list, dig, first

# Accelerators per accelerated instance type, from the one table in policies.facts.instance_types.
ACCELERATORS: dict[str, int] = {
    f"{family.name}.{size}": count
    for family in FAMILIES.values() if family.accelerator for size, count in family.sizes.items()
}

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
INSTANCE = "aws:ec2/instance:Instance"
ENDPOINT_CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
ENDPOINT = "aws:sagemaker/endpoint:Endpoint"
NOTEBOOK = "aws:sagemaker/notebookInstance:NotebookInstance"
TRAINING_JOB = "aws:sagemaker/trainingJob:TrainingJob"
SCALING_TARGET = "aws:appautoscaling/target:Target"


def is_accelerated(instance_type: str) -> bool:
    family = ec2_type(str(instance_type)).split(".", 1)[0]
    return ec2_type(str(instance_type)) in ACCELERATORS or (
        family[:1] == "p" and family[1:2].isdigit()
    ) or family.startswith(ACCELERATED_FAMILY_PREFIXES)


def accelerators_of(instance_type: str) -> int:
    """GPUs (or Neuron devices) of one instance; 0 for CPU types."""
    return accelerators_per_instance(str(instance_type))


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
    param_defaults={env: {"allowed_instance_types": list(types)} for env, types in GPU_INSTANCE_TYPES_ALLOWED.items()},
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
    endpoint_names = {str(e.props.get("name") or e.name) for e in stack.of_type(ENDPOINT)
                      if stack.referenced(e, "endpointConfigName", [config])}
    for target in stack.of_type(SCALING_TARGET):
        parts = str(target.props.get("resourceId", "")).split("/")
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
    severity=Severity.HIGH, enforcement=STANDARD,
    remediation="Lower node-group max sizes or endpoint autoscaling maxima, use smaller GPU types, or raise "
                "maxGpus for this stack under mladmin:policy.parameters with the capacity team's approval.",
    frameworks=[nist("SA-2"), nist("CM-7")],
    params=BudgetParams,
    param_defaults={env: {"max_gpus": budget} for env, budget in GPU_BUDGET.items()},
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

