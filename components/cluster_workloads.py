"""Training jobs and model servers on the cluster, in a team's namespace, hardened for PSA ``restricted``.

Training: an Indexed Job of ``nodes`` pods (one per node), each running ``torchrun --no-python mladmin
train`` over its GPUs; the pods find each other through a headless Service (rendezvous at index 0).
Data and the base model are read from the team's datasets prefix and checkpoints written to its
checkpoints prefix, both on FSx for Lustre (linked to the S3 buckets). A spot reclaim or a SIGTERM
(the trainer saves a checkpoint and exits 143) does not count against ``backoffLimit``: the Job
replaces the pod and the trainer resumes from the last checkpoint. Kueue admits the Job (it is
created suspended) when the team's queue has the GPUs.

Serving: Deployment + ClusterIP Service (+ an internal NLB when asked) + HPA + PDB, probes on
``GET /ping`` port 8080 with a startup probe long enough to load a large model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.tenancy import KUEUE_QUEUE_LABEL, LOCAL_QUEUE, SERVICE_ACCOUNT, namespace_name
from policies.capacity_fit import ARCHITECTURE_ANNOTATION, DEFAULT_DTYPE, DTYPE_ANNOTATION, HEADROOM_ANNOTATION

GPU = "nvidia.com/gpu"
NODE_GROUP_LABEL = "mladmin.io/node-group"   # every node group's nodes carry their group's name
SERVING_PORT = 8080
PING_PATH = "/ping"
RENDEZVOUS_PORT = 29500
IMAGE_USER = 1000                            # the mladmin user of workloads/Dockerfile.*
FSX_MOUNT = "/fsx"
# Where FSx's data repository associations put the buckets (Cluster's FSx): <path>/teams/<team>/...
FSX_DATASETS_PATH = "datasets"
FSX_CHECKPOINTS_PATH = "checkpoints"
SKIP_AWAIT = {"pulumi.com/skipAwait": "true"}  # `pulumi up` does not wait for a training run to end


def pod_security(fs_group: bool = True) -> dict[str, Any]:
    context = {"runAsNonRoot": True, "runAsUser": IMAGE_USER, "runAsGroup": IMAGE_USER,
               "seccompProfile": {"type": "RuntimeDefault"}}
    return {**context, "fsGroup": IMAGE_USER} if fs_group else context


CONTAINER_SECURITY = {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "privileged": False,
                      "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]}}


def resources(cpu: int, memory_gib: int, gpus: int) -> dict[str, dict[str, str]]:
    """Requests equal to limits (Guaranteed QoS); GPUs are allocated by limit and requested alike."""
    amounts = {"cpu": str(cpu), "memory": f"{memory_gib}Gi"}
    if gpus:
        amounts[GPU] = str(gpus)
    return {"requests": dict(amounts), "limits": dict(amounts)}


def placement(node_group: str, tolerations: Sequence[Mapping[str, str]]) -> dict[str, Any]:
    """On the named node group only, tolerating its taints (the GPU taint, a spot taint, ...)."""
    return {"nodeSelector": {NODE_GROUP_LABEL: node_group},
            **({"tolerations": [dict(t) for t in tolerations]} if tolerations else {})}


def image_reference(repository_url: pulumi.Input[str], tag: str | None, digest: str | None) -> pulumi.Output[str]:
    return pulumi.Output.concat(repository_url, f"@{digest}" if digest else f":{tag}")


@dataclass(frozen=True)
class TrainingJobArgs:
    team: str
    image: pulumi.Input[str]                    # <repository URL>:<tag> or @sha256:...
    node_group: str
    model: str                                  # under the team's datasets prefix on FSx
    data: str                                   # likewise
    fsx_claim: str                              # PersistentVolumeClaim of FSx in the team namespace
    provider: k8s.Provider
    nodes: int = 1
    gpus_per_node: int = 1
    cpu: int = 8
    memory_gib: int = 64
    max_steps: int = 1000
    save_every: int = 100
    backoff_limit: int = 6
    tolerations: Sequence[Mapping[str, str]] = ()  # the node group's taints, tolerated
    depends_on: Sequence[pulumi.Resource] = ()  # the team's namespace, queue and service account


class TrainingJob(pulumi.ComponentResource):
    def __init__(self, name: str, args: TrainingJobArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mladmin:workloads:TrainingJob", name, None, opts)
        namespace = namespace_name(args.team)
        labels = {"mladmin.io/team": args.team, "mladmin.io/training-job": name}
        child = pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=list(args.depends_on))
        self.service = k8s.core.v1.Service(f"{name}-rendezvous", metadata={
            "name": name, "namespace": namespace, "labels": labels,
        }, spec={"clusterIP": "None", "selector": labels, "publishNotReadyAddresses": True,
                 "ports": [{"name": "rendezvous", "port": RENDEZVOUS_PORT}]}, opts=child)
        team_dir = f"teams/{args.team}"
        checkpoints = f"{FSX_MOUNT}/checkpoints"
        torchrun = [
            "torchrun", f"--nnodes={args.nodes}", f"--nproc-per-node={args.gpus_per_node}",
            "--rdzv-backend=c10d", f"--rdzv-endpoint={name}-0.{name}:{RENDEZVOUS_PORT}", f"--rdzv-id={name}",
            "--no-python", "mladmin", "train",
            "--model", f"{FSX_MOUNT}/datasets/{args.model}", "--data", f"{FSX_MOUNT}/datasets/{args.data}",
            "--output-dir", checkpoints, "--max-steps", str(args.max_steps), "--save-every", str(args.save_every),
        ]
        self.job = k8s.batch.v1.Job(f"{name}-job", metadata={
            "name": name, "namespace": namespace, "annotations": SKIP_AWAIT,
            "labels": {**labels, KUEUE_QUEUE_LABEL: LOCAL_QUEUE},
        }, spec={
            "suspend": True,                      # Kueue starts it when the team's queue admits it
            "completionMode": "Indexed", "completions": args.nodes, "parallelism": args.nodes,
            "backoffLimit": args.backoff_limit,
            # Reclaimed nodes and checkpoint-then-exit do not use up retries: the rerun resumes.
            "podFailurePolicy": {"rules": [
                {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]},
                {"action": "Ignore", "onExitCodes": {"containerName": "train", "operator": "In", "values": [143]}},
                {"action": "FailJob", "onExitCodes": {"containerName": "train", "operator": "In", "values": [2]}},
            ]},
            "template": {"metadata": {"labels": labels}, "spec": {
                "subdomain": name,
                "restartPolicy": "Never",
                "serviceAccountName": SERVICE_ACCOUNT,
                "terminationGracePeriodSeconds": 120,   # time to write the SIGTERM checkpoint
                "securityContext": pod_security(),
                **placement(args.node_group, args.tolerations),
                "containers": [{
                    "name": "train", "image": args.image, "command": torchrun[:1], "args": torchrun[1:],
                    "env": [{"name": "HF_HUB_OFFLINE", "value": "1"}, {"name": "TMPDIR", "value": "/tmp"}],
                    "ports": [{"name": "rendezvous", "containerPort": RENDEZVOUS_PORT}],
                    "resources": resources(args.cpu, args.memory_gib, args.gpus_per_node),
                    "securityContext": CONTAINER_SECURITY,
                    "volumeMounts": [
                        {"name": "fsx", "mountPath": f"{FSX_MOUNT}/datasets", "readOnly": True,
                         "subPath": f"{FSX_DATASETS_PATH}/{team_dir}"},
                        {"name": "fsx", "mountPath": checkpoints, "subPath": f"{FSX_CHECKPOINTS_PATH}/{team_dir}/{name}"},
                        {"name": "tmp", "mountPath": "/tmp"},
                        {"name": "shm", "mountPath": "/dev/shm"},   # NCCL and data loader workers
                    ],
                }],
                "volumes": [
                    {"name": "fsx", "persistentVolumeClaim": {"claimName": args.fsx_claim}},
                    {"name": "tmp", "emptyDir": {}},
                    {"name": "shm", "emptyDir": {"medium": "Memory", "sizeLimit": f"{max(1, args.memory_gib // 4)}Gi"}},
                ],
            }},
        }, opts=pulumi.ResourceOptions(parent=self, provider=args.provider,
                                       depends_on=[*args.depends_on, self.service]))
        self.register_outputs({})


@dataclass(frozen=True)
class ModelServerArgs:
    team: str
    image: pulumi.Input[str]
    node_group: str
    provider: k8s.Provider
    allowed_cidr: str                           # who may reach port 8080 past the default deny (the VPC)
    gpus: int = 1
    cpu: int = 4
    memory_gib: int = 16
    min_replicas: int = 2
    max_replicas: int = 4
    target_cpu_percent: int = 70
    model: str | None = None                    # under the team's checkpoints prefix on FSx; None: in the image
    fsx_claim: str | None = None
    startup_seconds: int = 900
    internal_load_balancer: bool = False
    tolerations: Sequence[Mapping[str, str]] = ()  # the node group's taints, tolerated
    depends_on: Sequence[pulumi.Resource] = ()
    extra_labels: Mapping[str, str] = field(default_factory=dict)
    # Annotated on the Deployment (ARCHITECTURE_ANNOTATION, HEADROOM_ANNOTATION) so policy k8s-model-fits-gpus can
    # size the catalogue model against the GPUs a replica gets on its node group's instance types.
    architecture: str | None = None
    dtype: str = DEFAULT_DTYPE                  # of the served checkpoint's weights
    capacity_headroom_percent: int | None = None


def capacity_annotations(args: ModelServerArgs) -> dict[str, str]:
    annotations = {ARCHITECTURE_ANNOTATION: args.architecture} if args.architecture else {}
    if args.architecture and args.dtype != DEFAULT_DTYPE:
        annotations[DTYPE_ANNOTATION] = args.dtype
    if args.architecture and args.capacity_headroom_percent is not None:
        annotations[HEADROOM_ANNOTATION] = str(args.capacity_headroom_percent)
    return annotations


class ModelServer(pulumi.ComponentResource):
    def __init__(self, name: str, args: ModelServerArgs, opts: pulumi.ResourceOptions | None = None):
        if args.model and not args.fsx_claim:
            raise ValueError(f"ModelServer {name!r}: model {args.model!r} is on FSx but no fsx_claim was given")
        super().__init__("mladmin:workloads:ModelServer", name, None, opts)
        namespace = namespace_name(args.team)
        labels = {"mladmin.io/team": args.team, "mladmin.io/model-server": name, **args.extra_labels}
        child = pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=list(args.depends_on))
        meta = {"name": name, "namespace": namespace, "labels": labels}
        probe = {"httpGet": {"path": PING_PATH, "port": SERVING_PORT}, "periodSeconds": 10, "timeoutSeconds": 5}
        mounts = [{"name": "tmp", "mountPath": "/tmp"}]
        volumes: list[dict[str, Any]] = [{"name": "tmp", "emptyDir": {}}]
        if args.model:
            mounts.append({"name": "fsx", "mountPath": "/opt/ml/model", "readOnly": True,
                           "subPath": f"{FSX_CHECKPOINTS_PATH}/teams/{args.team}/{args.model}"})
            volumes.append({"name": "fsx", "persistentVolumeClaim": {"claimName": args.fsx_claim, "readOnly": True}})
        annotations = capacity_annotations(args)
        self.deployment = k8s.apps.v1.Deployment(f"{name}-deployment", metadata={
            **meta, **({"annotations": annotations} if annotations else {})}, spec={
            "replicas": args.min_replicas,
            "selector": {"matchLabels": labels},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
            "template": {"metadata": {"labels": labels}, "spec": {
                "serviceAccountName": SERVICE_ACCOUNT,
                "automountServiceAccountToken": False,
                "securityContext": pod_security(),
                **placement(args.node_group, args.tolerations),
                "containers": [{
                    "name": "serve", "image": args.image, "args": ["serve"],
                    "ports": [{"name": "http", "containerPort": SERVING_PORT}],
                    "env": [{"name": "SM_MODEL_DIR", "value": "/opt/ml/model"}],
                    "resources": resources(args.cpu, args.memory_gib, args.gpus),
                    "securityContext": CONTAINER_SECURITY,
                    "startupProbe": {**probe, "failureThreshold": max(1, args.startup_seconds // 10)},
                    "readinessProbe": {**probe, "failureThreshold": 3},
                    "livenessProbe": {**probe, "periodSeconds": 20, "failureThreshold": 3},
                    "volumeMounts": mounts,
                }],
                "volumes": volumes,
            }},
        }, opts=child)
        service_spec = {"selector": labels, "ports": [{"name": "http", "port": SERVING_PORT, "targetPort": "http"}]}
        self.service = k8s.core.v1.Service(f"{name}-service", metadata=meta,
                                           spec={"type": "ClusterIP", **service_spec}, opts=child)
        if args.internal_load_balancer:
            k8s.core.v1.Service(f"{name}-nlb", metadata={**meta, "name": f"{name}-nlb", "annotations": {
                "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
                "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
            }}, spec={"type": "LoadBalancer", "loadBalancerClass": "service.k8s.aws/nlb", **service_spec}, opts=child)
        k8s.autoscaling.v2.HorizontalPodAutoscaler(f"{name}-hpa", metadata=meta, spec={
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicas": args.min_replicas, "maxReplicas": args.max_replicas,
            "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                "type": "Utilization", "averageUtilization": args.target_cpu_percent}}}],
        }, opts=child)
        k8s.policy.v1.PodDisruptionBudget(f"{name}-pdb", metadata=meta, spec={
            "selector": {"matchLabels": labels}, "maxUnavailable": 1}, opts=child)
        k8s.networking.v1.NetworkPolicy(f"{name}-allow-http", metadata={**meta, "name": f"allow-{name}-http"}, spec={
            "podSelector": {"matchLabels": labels}, "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"ipBlock": {"cidr": args.allowed_cidr}}],
                         "ports": [{"protocol": "TCP", "port": SERVING_PORT}]}],
        }, opts=child)
        self.register_outputs({})
