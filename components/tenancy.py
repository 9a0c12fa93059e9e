"""Team tenancy on the cluster: per team a namespace ``team-<name>`` fenced by Pod Security Admission
``restricted``, a ResourceQuota and a LimitRange, a default-deny NetworkPolicy, a Kueue queue with the
team's GPU quota in a shared cohort, and a service account that acts as the team's AWS role through
EKS Pod Identity.

Kueue: one ResourceFlavor covers CPU, memory and GPUs; each team's ClusterQueue nominally owns its
quota and, being in one cohort with the others, borrows what idle teams leave unused (and gets it
back by preemption when the owner needs it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components import validation as check
from components.tags import Tags, tags_problems

GPU_RESOURCE = "nvidia.com/gpu"
KUEUE_API = "kueue.x-k8s.io/v1beta2"
KUEUE_QUEUE_LABEL = "kueue.x-k8s.io/queue-name"
LOCAL_QUEUE = "default"                 # every team namespace's LocalQueue
SERVICE_ACCOUNT = "workloads"           # every team namespace's service account for AWS access
PSA_LEVEL = "restricted"


def namespace_name(team: str) -> str:
    return f"team-{team}"


def cluster_queue_name(team: str) -> str:
    return f"team-{team}"


@dataclass(frozen=True)
class TenantArgs:
    name: str
    owner: str                          # e-mail, labelled on the namespace
    role_arn: pulumi.Input[str]         # the team's AWS role (Teams.role_arns[name])
    gpu_quota: int                      # accelerators the namespace may request at once
    cpu_quota: int                      # cores (requests)
    memory_quota_gib: int               # GiB (requests and limits)


@dataclass(frozen=True)
class FsxVolume:
    """An FSx for Lustre file system, mounted in each team namespace as the claim ``fsx`` (FSx CSI driver)."""

    file_system_id: pulumi.Input[str]
    dns_name: pulumi.Input[str]
    mount_name: pulumi.Input[str]
    capacity_gib: int = 1200


FSX_CLAIM = "fsx"


@dataclass(frozen=True)
class TenancyArgs:
    cluster_name: pulumi.Input[str]     # Cluster.name
    kubernetes_version: str             # pins the Pod Security Admission version, e.g. "1.36"
    tags: Tags                          # the platform's tags; AWS resources get team=<name>
    provider: k8s.Provider
    tenants: Sequence[TenantArgs] = field(default_factory=tuple)
    fsx: FsxVolume | None = None        # the cluster's FSx, statically provisioned per team
    cohort: str = "mladmin"             # Kueue cohort the team queues borrow within
    # Per-container defaults of the LimitRange, for pods that do not say.
    default_request: dict[str, str] = field(default_factory=lambda: {"cpu": "250m", "memory": "512Mi"})
    default_limit: dict[str, str] = field(default_factory=lambda: {"cpu": "1", "memory": "1Gi"})


class Tenancy(pulumi.ComponentResource):
    def __init__(self, name: str, args: TenancyArgs, opts: pulumi.ResourceOptions | None = None):
        check.raise_if_problems("Tenancy", validate(args))
        super().__init__("mladmin:cluster:Tenancy", name, None, opts)
        self._args = args
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.provider)
        self.flavor = k8s.apiextensions.CustomResource(
            f"{name}-flavor", api_version=KUEUE_API, kind="ResourceFlavor",
            metadata={"name": "default"}, spec={}, opts=k8s_opts)
        self.namespaces: dict[str, k8s.core.v1.Namespace] = {}
        self.service_accounts: dict[str, k8s.core.v1.ServiceAccount] = {}
        self.local_queues: dict[str, k8s.apiextensions.CustomResource] = {}
        for tenant in args.tenants:
            self._tenant(f"{name}-{tenant.name}", tenant)
        self.register_outputs({"namespaces": {t: ns.metadata.name for t, ns in self.namespaces.items()}})

    def _tenant(self, name: str, tenant: TenantArgs) -> None:
        args = self._args
        ns_name = namespace_name(tenant.name)
        labels = {"mladmin.io/team": tenant.name}
        psa_version = f"v{args.kubernetes_version}"
        psa = {f"pod-security.kubernetes.io/{mode}{suffix}": value
               for mode in ("enforce", "audit", "warn")
               for suffix, value in (("", PSA_LEVEL), ("-version", psa_version))}
        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata={"name": ns_name, "labels": {**labels, **psa},
                      "annotations": {"mladmin.io/owner": tenant.owner}},
            opts=pulumi.ResourceOptions(parent=self, provider=args.provider))
        self.namespaces[tenant.name] = namespace
        opts = pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=[namespace])
        meta = lambda object_name: {"name": object_name, "namespace": ns_name, "labels": labels}  # noqa: E731

        memory = f"{tenant.memory_quota_gib}Gi"
        k8s.core.v1.ResourceQuota(f"{name}-quota", metadata=meta("team-quota"), spec={"hard": {
            "requests.cpu": str(tenant.cpu_quota), "requests.memory": memory, "limits.memory": memory,
            f"requests.{GPU_RESOURCE}": str(tenant.gpu_quota),
        }}, opts=opts)
        k8s.core.v1.LimitRange(f"{name}-limits", metadata=meta("container-defaults"), spec={"limits": [
            {"type": "Container", "defaultRequest": dict(args.default_request), "default": dict(args.default_limit)},
        ]}, opts=opts)
        self._network_policies(name, meta, opts)

        cluster_queue = k8s.apiextensions.CustomResource(
            f"{name}-cluster-queue", api_version=KUEUE_API, kind="ClusterQueue",
            metadata={"name": cluster_queue_name(tenant.name), "labels": labels},
            spec={
                "cohortName": args.cohort,
                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": ns_name}},
                "queueingStrategy": "BestEffortFIFO",
                "resourceGroups": [{
                    "coveredResources": ["cpu", "memory", GPU_RESOURCE],
                    "flavors": [{"name": "default", "resources": [
                        {"name": "cpu", "nominalQuota": str(tenant.cpu_quota)},
                        {"name": "memory", "nominalQuota": memory},
                        {"name": GPU_RESOURCE, "nominalQuota": str(tenant.gpu_quota)},
                    ]}],
                }],
                # Borrowed quota is given back: a team's own jobs preempt borrowers in the cohort.
                "preemption": {"reclaimWithinCohort": "Any", "withinClusterQueue": "LowerPriority"},
            },
            opts=pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=[self.flavor]))
        self.local_queues[tenant.name] = k8s.apiextensions.CustomResource(
            f"{name}-local-queue", api_version=KUEUE_API, kind="LocalQueue",
            metadata=meta(LOCAL_QUEUE), spec={"clusterQueue": cluster_queue_name(tenant.name)},
            opts=pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=[namespace, cluster_queue]))

        if args.fsx is not None:
            self._fsx_claim(name, tenant.name, meta, opts)
        account = k8s.core.v1.ServiceAccount(
            f"{name}-service-account", metadata=meta(SERVICE_ACCOUNT),
            automount_service_account_token=False, opts=opts)
        self.service_accounts[tenant.name] = account
        aws.eks.PodIdentityAssociation(
            f"{name}-pod-identity", cluster_name=args.cluster_name, namespace=ns_name,
            service_account=SERVICE_ACCOUNT, role_arn=tenant.role_arn,
            tags=args.tags.for_team(tenant.name).merged({"Name": f"{ns_name}-{SERVICE_ACCOUNT}"}),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[account]))

    def _fsx_claim(self, name: str, team: str, meta, opts: pulumi.ResourceOptions) -> None:
        fsx, ns_name = self._args.fsx, namespace_name(team)
        size = f"{fsx.capacity_gib}Gi"
        volume = k8s.core.v1.PersistentVolume(f"{name}-fsx-volume", metadata={
            "name": f"fsx-{ns_name}", "labels": {"mladmin.io/team": team}}, spec={
            "capacity": {"storage": size}, "accessModes": ["ReadWriteMany"], "volumeMode": "Filesystem",
            "persistentVolumeReclaimPolicy": "Retain", "storageClassName": "",
            "claimRef": {"namespace": ns_name, "name": FSX_CLAIM},
            "mountOptions": ["flock"],
            "csi": {"driver": "fsx.csi.aws.com", "volumeHandle": fsx.file_system_id,
                    "volumeAttributes": {"dnsname": fsx.dns_name, "mountname": fsx.mount_name}},
        }, opts=pulumi.ResourceOptions(parent=self, provider=self._args.provider))
        k8s.core.v1.PersistentVolumeClaim(f"{name}-fsx-claim", metadata=meta(FSX_CLAIM), spec={
            "accessModes": ["ReadWriteMany"], "storageClassName": "", "volumeName": f"fsx-{ns_name}",
            "resources": {"requests": {"storage": size}},
        }, opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[volume])))

    def _network_policies(self, name: str, meta, opts: pulumi.ResourceOptions) -> None:
        everything = {}
        k8s.networking.v1.NetworkPolicy(f"{name}-default-deny", metadata=meta("default-deny"), spec={
            "podSelector": everything, "policyTypes": ["Ingress", "Egress"]}, opts=opts)
        k8s.networking.v1.NetworkPolicy(f"{name}-allow-namespace", metadata=meta("allow-same-namespace"), spec={
            "podSelector": everything, "policyTypes": ["Ingress", "Egress"],
            "ingress": [{"from": [{"podSelector": everything}]}],
            "egress": [{"to": [{"podSelector": everything}]}],
        }, opts=opts)
        k8s.networking.v1.NetworkPolicy(f"{name}-allow-dns", metadata=meta("allow-dns"), spec={
            "podSelector": everything, "policyTypes": ["Egress"],
            "egress": [{"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
                        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}],
        }, opts=opts)
        # AWS APIs (S3 through the gateway endpoint, ECR, STS, interface endpoints) over HTTPS, and the
        # EKS Pod Identity agent on the node's link-local address for the team role's credentials.
        k8s.networking.v1.NetworkPolicy(f"{name}-allow-aws", metadata=meta("allow-aws-apis"), spec={
            "podSelector": everything, "policyTypes": ["Egress"],
            "egress": [{"ports": [{"protocol": "TCP", "port": 443}]},
                       {"to": [{"ipBlock": {"cidr": "169.254.170.23/32"}}], "ports": [{"protocol": "TCP", "port": 80}]}],
        }, opts=opts)


def validate(args: TenancyArgs) -> list[str]:
    problems = tags_problems(args.tags)
    names = [tenant.name for tenant in args.tenants]
    for duplicate in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"tenants: {duplicate!r} appears more than once")
    for i, tenant in enumerate(args.tenants):
        # Namespace names are DNS labels: at most 63 characters.
        problems += check.name_prefix(f"tenants[{i}].name", tenant.name, max_length=63 - len("team-"))
        for key in ("gpu_quota", "cpu_quota", "memory_quota_gib"):
            value = getattr(tenant, key)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                problems.append(f"tenants[{i}].{key}: {value!r} is not a whole number >= 0")
    if not isinstance(args.provider, k8s.Provider):
        problems.append(f"provider: expected a pulumi_kubernetes.Provider, got {type(args.provider).__name__}")
    return problems
