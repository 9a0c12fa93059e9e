"""Kubernetes workloads (pulumi-kubernetes resources): pod security, resources, images, exposure."""

from __future__ import annotations

from collections.abc import Mapping

from typing import Any, Iterator

from policies.capacity_fit import (ARCHITECTURE_ANNOTATION, CHECK_CONTEXT, DEFAULT_HEADROOM_PERCENT, DTYPE_ANNOTATION,
                                   HEADROOM_ANNOTATION, RUNTIME_OVERHEAD, dtype_from, headroom_from, one_sequence_fit)
from policies.eks import NODE_GROUP, node_group_instance_types
from policies.facts.instance_types import accelerators_per_instance, family_of
from policies.facts.models import CATALOGUE
from policies.spec import (
    PROD_ONLY, STANDARD, STRICT, Context, Severity, Subject, cis_eks, nist, pss, resource_policy, stack_policy,
)
from policies.views import GPU_TAINT_KEY, StackView, Unknown, as_list, depends_on, dig, is_unknown, peek, truthy

POD = "kubernetes:core/v1:Pod"
POD_TEMPLATE = "kubernetes:core/v1:PodTemplate"
REPLICATION_CONTROLLER = "kubernetes:core/v1:ReplicationController"
TEMPLATED = ("kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet", "kubernetes:apps/v1:DaemonSet",
             "kubernetes:apps/v1:ReplicaSet", "kubernetes:batch/v1:Job", REPLICATION_CONTROLLER)
CRON_JOB = "kubernetes:batch/v1:CronJob"
WORKLOADS = (POD, POD_TEMPLATE, CRON_JOB) + TEMPLATED
SERVICE = "kubernetes:core/v1:Service"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
NAMESPACE = "kubernetes:core/v1:Namespace"
RESOURCE_QUOTA = "kubernetes:core/v1:ResourceQuota"
GPU_QUOTA_KEY = f"requests.{GPU_TAINT_KEY}"

INTERNAL_SCHEME = "service.beta.kubernetes.io/aws-load-balancer-scheme"
INTERNAL_LEGACY = "service.beta.kubernetes.io/aws-load-balancer-internal"
ALB_SCHEME = "alb.ingress.kubernetes.io/scheme"


def pod_spec(resource: Subject) -> dict:
    return _pod_spec_of(resource.type, resource.props)


def _pod_spec_of(resource_type: str, props: Any) -> dict:
    if resource_type == POD:
        spec = props.get("spec")
    elif resource_type == POD_TEMPLATE:
        spec = dig(props, "template", "spec")
    elif resource_type == CRON_JOB:
        spec = dig(props, "spec", "jobTemplate", "spec", "template", "spec")
    else:
        spec = dig(props, "spec", "template", "spec")
    return spec if isinstance(spec, Mapping) else {}


def containers(spec: dict) -> list[dict]:
    found = []
    for key in ("initContainers", "containers", "ephemeralContainers"):
        found.extend(c for c in as_list(spec.get(key)) if isinstance(c, Mapping))
    return found


def _label(container: dict) -> str:
    return f"container '{container.get('name', '?')}'"


def _workload_policy(**meta: Any):
    return resource_policy(types=WORKLOADS, **meta)


@_workload_policy(
    id="k8s-no-privileged", area="kubernetes", title="No privileged containers",
    description="Containers do not run privileged.",
    severity=Severity.CRITICAL, enforcement=STRICT,
    remediation="Remove securityContext.privileged; grant specific capabilities if truly needed.",
    frameworks=[cis_eks("4.2.1"), pss("baseline:privileged-containers")],
)
def k8s_no_privileged(resource: Subject, ctx: Context) -> Iterator[str]:
    for container in containers(pod_spec(resource)):
        if truthy(dig(container, "securityContext", "privileged")):
            yield f"{_label(container)} is privileged"


@_workload_policy(
    id="k8s-no-host-namespaces", area="kubernetes", title="No host network, PID or IPC",
    description="Pods do not share the node's network, PID or IPC namespace.",
    severity=Severity.HIGH, enforcement=STRICT,
    remediation="Remove hostNetwork, hostPID and hostIPC from the pod spec.",
    frameworks=[cis_eks("4.2.2"), cis_eks("4.2.3"), cis_eks("4.2.4"), pss("baseline:host-namespaces")],
)
def k8s_no_host_namespaces(resource: Subject, ctx: Context) -> Iterator[str]:
    spec = pod_spec(resource)
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if truthy(spec.get(key)):
            yield f"pod sets {key}"


@_workload_policy(
    id="k8s-no-host-path", area="kubernetes", title="No hostPath volumes",
    description="Pods mount no hostPath volumes.",
    severity=Severity.HIGH, enforcement=STRICT,
    remediation="Use emptyDir, a PersistentVolumeClaim or a CSI volume instead of hostPath.",
    frameworks=[pss("baseline:hostpath-volumes"), nist("AC-6")],
)
def k8s_no_host_path(resource: Subject, ctx: Context) -> Iterator[str]:
    for volume in as_list(pod_spec(resource).get("volumes")):
        if isinstance(volume, Mapping) and volume.get("hostPath"):
            yield f"volume '{volume.get('name', '?')}' mounts host path {dig(volume, 'hostPath', 'path', default='?')}"


@_workload_policy(
    id="k8s-no-privilege-escalation", area="kubernetes", title="No privilege escalation",
    description="Containers set allowPrivilegeEscalation: false (Kubernetes allows it by default).",
    severity=Severity.HIGH, enforcement=STANDARD,
    remediation="Set securityContext.allowPrivilegeEscalation=false on every container.",
    frameworks=[cis_eks("4.2.5"), pss("restricted:privilege-escalation")],
)
def k8s_no_privilege_escalation(resource: Subject, ctx: Context) -> Iterator[str]:
    for container in containers(pod_spec(resource)):
        value = dig(container, "securityContext", "allowPrivilegeEscalation")
        if value is None or truthy(value):
            yield f"{_label(container)} may escalate privileges"


@_workload_policy(
    id="k8s-run-as-non-root", area="kubernetes", title="Run as non-root",
    description="Containers run as a non-root user (runAsNonRoot, or a non-zero runAsUser).",
    severity=Severity.HIGH, enforcement=STANDARD,
    remediation="Set securityContext.runAsNonRoot=true and runAsUser to the image's non-root UID.",
    frameworks=[cis_eks("4.2.6"), pss("restricted:running-as-non-root")],
)
def k8s_run_as_non_root(resource: Subject, ctx: Context) -> Iterator[str]:
    spec = pod_spec(resource)
    pod_context = spec.get("securityContext") or {}
    for container in containers(spec):
        context = {**pod_context, **(container.get("securityContext") or {})}
        user = context.get("runAsUser")
        if user is not None and float(user) == 0:
            yield f"{_label(container)} runs as UID 0"
        elif not truthy(context.get("runAsNonRoot")) and user is None:
            yield f"{_label(container)} may run as root (set runAsNonRoot)"


@_workload_policy(
    id="k8s-resource-limits", area="kubernetes", title="CPU and memory limits",
    description="Containers set CPU and memory limits.",
    severity=Severity.MEDIUM, enforcement=STANDARD,
    remediation="Set resources.limits.cpu and resources.limits.memory (and matching requests).",
    frameworks=[nist("SC-6")],
)
def k8s_resource_limits(resource: Subject, ctx: Context) -> Iterator[str]:
    for container in containers(pod_spec(resource)):
        limits = dig(container, "resources", "limits") or {}
        missing = [k for k in ("cpu", "memory") if not limits.get(k)]
        if missing:
            yield f"{_label(container)} has no {' or '.join(missing)} limit"


@_workload_policy(
    id="k8s-gpu-limits", area="kubernetes", title="GPU limits where GPUs are requested",
    description="Containers that request nvidia.com/gpu set the same number as a limit, and pods that tolerate "
                "the GPU taint ask for GPUs.",
    severity=Severity.MEDIUM, enforcement=STANDARD,
    remediation="Set resources.limits['nvidia.com/gpu'] (GPUs are allocated by limit), equal to any request.",
    frameworks=[nist("SC-6")],
)
def k8s_gpu_limits(resource: Subject, ctx: Context) -> Iterator[str]:
    spec = pod_spec(resource)
    wants_gpu = False
    for container in containers(spec):
        requested = dig(container, "resources", "requests", GPU_TAINT_KEY)
        limited = dig(container, "resources", "limits", GPU_TAINT_KEY)
        wants_gpu = wants_gpu or bool(requested) or bool(limited)
        if requested and str(requested) != str(limited):
            yield f"{_label(container)} requests {requested} GPU(s) with limit {limited}"
    tolerates = any(isinstance(t, Mapping) and t.get("key") == GPU_TAINT_KEY for t in as_list(spec.get("tolerations")))
    if tolerates and not wants_gpu:
        yield "pod tolerates the GPU taint but sets no GPU limit"


def image_problem(image: str) -> str | None:
    if "@sha256:" in image:
        return None
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return "has no tag"
    if last.rsplit(":", 1)[1] == "latest":
        return "uses :latest"
    return None


@_workload_policy(
    id="k8s-image-pinned", area="kubernetes", title="Images pinned",
    description="Container images name a tag other than latest, or a digest.",
    severity=Severity.MEDIUM, enforcement=STANDARD,
    remediation="Reference an immutable tag (e.g. the git SHA) or a @sha256 digest.",
    frameworks=[nist("CM-2"), nist("SI-7")],
)
def k8s_image_pinned(resource: Subject, ctx: Context) -> Iterator[str]:
    for container in containers(pod_spec(resource)):
        problem = image_problem(str(container.get("image") or ""))
        if problem:
            yield f"{_label(container)} image '{container.get('image')}' {problem}"


@resource_policy(
    id="k8s-no-public-load-balancer-prod", area="kubernetes", title="No internet-facing load balancers in prod",
    description="In prod, LoadBalancer services and ALB ingresses are internal.",
    severity=Severity.HIGH, enforcement=PROD_ONLY, types=(SERVICE, INGRESS),
    remediation="Annotate the service with service.beta.kubernetes.io/aws-load-balancer-scheme: internal (ALB "
                "ingress: alb.ingress.kubernetes.io/scheme: internal); publish through the API gateway/WAF.",
    frameworks=[cis_eks("5.4.5"), nist("SC-7")],
)
def k8s_no_public_load_balancer_prod(resource: Subject, ctx: Context) -> Iterator[str]:
    annotations = dig(resource.props, "metadata", "annotations") or {}
    if resource.type == INGRESS:
        if annotations.get(ALB_SCHEME) == "internet-facing":
            yield "ingress is internet-facing"
        return
    if dig(resource.props, "spec", "type") != "LoadBalancer":
        return
    internal = annotations.get(INTERNAL_SCHEME) == "internal" or truthy(annotations.get(INTERNAL_LEGACY))
    if not internal:
        yield "LoadBalancer service is internet-facing (no internal scheme annotation)"


def _namespaces_of(quota: Any, namespaces: dict[str, Any], by_name: dict[str, Any]) -> list[Any]:
    """The stack's namespaces a quota lives in: by the engine's dependencies, else by its known name."""
    found = [namespaces[dep.urn] for dep in depends_on(quota, "metadata") if dep.urn in namespaces]
    name = peek(quota.props or {}, "metadata", "namespace")
    if not found and is_unknown(name):
        raise (name if isinstance(name, Unknown) else Unknown(str(name), ["metadata", "namespace"])).error()
    if not found and isinstance(name, str) and name in by_name:
        found = [by_name[name]]
    return found


@stack_policy(
    id="k8s-namespace-quota", area="kubernetes", title="Namespaces capped by a quota, GPUs included",
    description="Every namespace the stack creates holds a ResourceQuota that caps requests.nvidia.com/gpu (0 for "
                "a namespace that gets no GPUs), so no tenant takes more accelerators than its share.",
    types=(NAMESPACE, RESOURCE_QUOTA),
    severity=Severity.MEDIUM, enforcement=STANDARD,
    remediation="Add a ResourceQuota in the namespace with spec.hard['requests.nvidia.com/gpu'] set to the team's "
                "GPU quota (plus requests.cpu and requests.memory).",
    frameworks=[nist("SC-6")],
)
def k8s_namespace_quota(stack: StackView, ctx: Context) -> Iterator[tuple[str, str]]:
    namespaces = {ns.urn: ns for ns in stack.of_type(NAMESPACE)}
    by_name = {name: ns for ns in namespaces.values()
               if isinstance(name := peek(ns.props or {}, "metadata", "name"), str)}
    quotas: dict[str, list[Any]] = {urn: [] for urn in namespaces}
    for quota in stack.of_type(RESOURCE_QUOTA):
        for namespace in _namespaces_of(quota, namespaces, by_name):
            quotas[namespace.urn].append(quota)
    for urn, namespace in namespaces.items():
        label = f"namespace '{namespace.name}'"
        if not quotas[urn]:
            yield urn, f"{label} has no ResourceQuota"
        elif not any(peek(q.props or {}, "spec", "hard", GPU_QUOTA_KEY) is not None for q in quotas[urn]):
            yield urn, f"{label} has a ResourceQuota that does not cap {GPU_QUOTA_KEY}"


PSA_ENFORCE = "pod-security.kubernetes.io/enforce"
PSA_ENFORCED_LEVELS = ("baseline", "restricted")


@resource_policy(
    id="k8s-namespace-pod-security", area="kubernetes", title="Namespaces enforce Pod Security",
    description="Every namespace the stack creates enforces a Pod Security Admission level (baseline or restricted) "
                "through its pod-security.kubernetes.io/enforce label.",
    severity=Severity.MEDIUM, enforcement=STANDARD, types=(NAMESPACE,),
    remediation="Label the namespace pod-security.kubernetes.io/enforce: restricted (and audit/warn likewise).",
    frameworks=[pss("restricted"), nist("CM-7")],
)
def k8s_namespace_pod_security(resource: Subject, ctx: Context) -> Iterator[str]:
    level = dig(resource.props, "metadata", "labels", PSA_ENFORCE)
    if level not in PSA_ENFORCED_LEVELS:
        yield (f"namespace enforces no Pod Security level ({PSA_ENFORCE} is {level!r}; expected "
               f"{' or '.join(PSA_ENFORCED_LEVELS)})")


def _pod_gpus(spec: Mapping) -> int:
    """GPUs a pod holds: its containers' nvidia.com/gpu limits (GPUs are allocated by limit)."""
    total = 0
    for container in as_list(spec.get("containers")):
        limit = dig(container, "resources", "limits", GPU_TAINT_KEY) if isinstance(container, Mapping) else None
        try:
            total += int(str(limit)) if limit is not None else 0
        except ValueError:
            continue
    return total


def _selects(selector: Mapping, group: Any) -> bool:
    labels = dig(group.props or {}, "labels") or {}
    return all(isinstance(labels, Mapping) and labels.get(key) == value for key, value in selector.items())


@stack_policy(
    id="k8s-model-fits-gpus", area="kubernetes", title="Served model fits the GPUs of its pods",
    description=f"A workload annotated {ARCHITECTURE_ANNOTATION} with a model of the catalogue (policies/facts/models.py) "
                f"holds its weights (bf16 unless annotation {DTYPE_ANNOTATION} says otherwise) and one "
                f"{CHECK_CONTEXT:,}-token sequence's KV cache in the nvidia.com/gpu its pod asks for, less {RUNTIME_OVERHEAD:.0%} for "
                "the runtime and the configured headroom (annotation "
                f"{HEADROOM_ANNOTATION}, default {DEFAULT_HEADROOM_PERCENT}%), on every instance type of the EKS node groups "
                "its nodeSelector matches. Models outside the catalogue are not checked.",
    types=WORKLOADS + (NODE_GROUP,),
    severity=Severity.HIGH, enforcement=STANDARD,
    remediation="Give each replica more GPUs (gpus), run it on a node group with larger GPUs (mladmin capacity MODEL "
                "ranks them), or lower mladmin:workloads.capacityHeadroomPercent.",
    frameworks=[nist("CP-2(2)"), nist("SC-6")],
)
def k8s_model_fits_gpus(stack: StackView, ctx: Context) -> Iterator[tuple[str, str]]:
    groups = stack.of_type(NODE_GROUP)
    for workload in stack.of_type(*WORKLOADS):
        annotations = dig(workload.props or {}, "metadata", "annotations") or {}
        model = CATALOGUE.get(str(annotations.get(ARCHITECTURE_ANNOTATION) or "").lower())
        if model is None:
            continue
        spec = _pod_spec_of(workload.resource_type, workload.props or {})
        gpus = _pod_gpus(spec)
        if not gpus:
            yield workload.urn, f"serves {model.name} but its pods ask for no {GPU_TAINT_KEY}"
            continue
        headroom = headroom_from(annotations.get(HEADROOM_ANNOTATION))
        dtype = dtype_from(annotations.get(DTYPE_ANNOTATION))
        selector = spec.get("nodeSelector") or {}
        for group in (g for g in groups if _selects(selector, g)):
            for instance_type in node_group_instance_types(stack, group):
                node_gpus = accelerators_per_instance(instance_type)
                if family_of(instance_type) is not None and node_gpus and gpus > node_gpus:
                    yield workload.urn, (f"node group '{group.name}': pods ask for {gpus} {GPU_TAINT_KEY}, more than a "
                                         f"{instance_type} node has ({node_gpus}): they never schedule there")
                    continue
                fit = one_sequence_fit(model, instance_type, headroom, devices=gpus, dtype=dtype)
                problem = fit.problem() if fit is not None else None
                if problem is not None:
                    yield workload.urn, f"node group '{group.name}': {problem}"
