"""Amazon EKS: the Kubernetes versions a cluster may run, and the control-plane log types."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Mapping


@dataclass(frozen=True)
class KubernetesRelease:
    """One Kubernetes minor version on EKS: standard support for 14 months, then extended for 12."""

    version: str
    eks_release: date
    end_of_standard: date
    end_of_extended: date


# The EKS Kubernetes release calendar. Source: Amazon EKS User Guide, "Understand the Kubernetes
# version lifecycle on EKS" (release calendar table), checked 2026-12, except where a row says otherwise.
KUBERNETES_RELEASES: tuple[KubernetesRelease, ...] = (
    KubernetesRelease("1.30", date(2024, 5, 23), date(2025, 7, 23), date(2026, 7, 23)),
    KubernetesRelease("1.31", date(2024, 9, 26), date(2025, 11, 26), date(2026, 11, 26)),
    KubernetesRelease("1.32", date(2025, 1, 23), date(2026, 3, 23), date(2027, 3, 23)),
    KubernetesRelease("1.33", date(2025, 5, 29), date(2026, 7, 29), date(2027, 7, 29)),
    KubernetesRelease("1.34", date(2025, 10, 2), date(2026, 12, 2), date(2027, 12, 2)),
    # 1.35: endoflife.date/amazon-eks (mirrors the EKS calendar), checked 2026-12.
    KubernetesRelease("1.35", date(2026, 1, 28), date(2027, 3, 27), date(2028, 3, 27)),
    # 1.36: listed in the EKS "Kubernetes versions standard support" release notes (checked 2026-12);
    # release date from a 2026-08 EKS upgrade write-up, support ends by the 14 + 12 month rule. The end of
    # standard support (2027-08-02) is also what `aws eks describe-cluster-versions` reported in 2026-09
    # (awslabs/awsome-distributed-ai, architectures/amazon-eks compatibility matrix).
    KubernetesRelease("1.36", date(2026, 6, 2), date(2027, 8, 2), date(2028, 8, 2)),
)

# The day the calendar above was last checked: versions are judged as of this date, so a plan
# gives the same verdict tomorrow. Move it (and add rows) when the calendar is re-checked.
CALENDAR_CHECKED = date(2026, 12, 2)

# Versions EKS offers for clusters on that day: in standard or extended support. EKS creates and
# runs clusters on both (extended costs more per cluster hour); past extended support it upgrades
# the control plane by itself, so a pinned version there would be a plan that AWS overrides.
SUPPORTED_KUBERNETES_VERSIONS: tuple[str, ...] = tuple(
    release.version for release in KUBERNETES_RELEASES
    if release.eks_release <= CALENDAR_CHECKED < release.end_of_extended
)
# Of those, the ones still in standard support (no extended-support charge), and the ones in extended
# support (billed at the extended rate, policies/facts/prices.py).
STANDARD_SUPPORT_KUBERNETES_VERSIONS: tuple[str, ...] = tuple(
    release.version for release in KUBERNETES_RELEASES
    if release.eks_release <= CALENDAR_CHECKED < release.end_of_standard
)
EXTENDED_SUPPORT_KUBERNETES_VERSIONS: tuple[str, ...] = tuple(
    version for version in SUPPORTED_KUBERNETES_VERSIONS if version not in STANDARD_SUPPORT_KUBERNETES_VERSIONS
)
RELEASES_BY_VERSION: Mapping[str, KubernetesRelease] = MappingProxyType(
    {release.version: release for release in KUBERNETES_RELEASES}
)

# Control-plane log types (EKS API `logging.clusterLogging[].types`; EKS User Guide, "Send
# control plane logs to CloudWatch Logs", checked 2026-12).
EKS_LOG_TYPES: tuple[str, ...] = ("api", "audit", "authenticator", "controllerManager", "scheduler")

# The log types each environment must enable (our rule): who called the API, what it did, and who
# signed in; prod keeps all five for incident analysis.
EKS_REQUIRED_LOG_TYPES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"dev": EKS_LOG_TYPES[:3], "staging": EKS_LOG_TYPES[:3], "prod": EKS_LOG_TYPES}
)

# EKS managed add-ons pinned per Kubernetes version: one row per version a cluster may run here.
# A supported version without a row is refused by the settings (no add-on would be pinned for it).
# Source: `aws eks describe-addon-versions --kubernetes-version <v>` defaults as recorded in public EKS
# configurations, checked 2026-12. aws-fsx-csi-driver: not confirmed against the API here; re-check
# it with describe-addon-versions before the first `pulumi up` of a stack with FSx.
# 1.36 (checked 2026-12-02): vpc-cni, coredns, kube-proxy and eks-pod-identity-agent are the versions a
# 1.36 cluster resolved to on 2026-09-16 (awslabs/awsome-distributed-ai, architectures/amazon-eks
# compatibility matrix, us-west-2 deploy with AMI release 1.36.3-20260911); the EKS User Guide's tables
# list the same lines for 1.36 (managing-coredns: v1.14.3, managing-kube-proxy: v1.36.0, ja_jp .md pages).
# aws-ebs-csi-driver v1.63.1-eksbuild.1 is pinned for an EKS 1.36 cluster in a public Terraform
# configuration; the driver's v1.63.1 README (2026-07-27) supports every EKS version, extended included.
def _addons(vpc_cni: str, coredns: str, kube_proxy: str, ebs_csi: str, pod_identity: str) -> Mapping[str, str]:
    return MappingProxyType({
        "vpc-cni": vpc_cni, "coredns": coredns, "kube-proxy": kube_proxy, "aws-ebs-csi-driver": ebs_csi,
        "eks-pod-identity-agent": pod_identity, "aws-fsx-csi-driver": "v1.5.0-eksbuild.1",
    })


EKS_ADDON_VERSIONS: Mapping[str, Mapping[str, str]] = MappingProxyType({
    "1.32": _addons("v1.19.2-eksbuild.5", "v1.11.4-eksbuild.2", "v1.32.0-eksbuild.2", "v1.39.0-eksbuild.1",
                    "v1.3.5-eksbuild.2"),
    "1.33": _addons("v1.19.5-eksbuild.1", "v1.12.1-eksbuild.2", "v1.33.0-eksbuild.2", "v1.48.0-eksbuild.1",
                    "v1.3.8-eksbuild.2"),
    "1.34": _addons("v1.20.4-eksbuild.2", "v1.12.3-eksbuild.1", "v1.34.0-eksbuild.2", "v1.54.0-eksbuild.1",
                    "v1.3.10-eksbuild.2"),
    "1.35": _addons("v1.21.1-eksbuild.3", "v1.13.2-eksbuild.1", "v1.35.0-eksbuild.2", "v1.54.0-eksbuild.1",
                    "v1.3.10-eksbuild.2"),
    "1.36": _addons("v1.22.4-eksbuild.3", "v1.14.3-eksbuild.16", "v1.36.0-eksbuild.21", "v1.63.1-eksbuild.1",
                    "v1.3.10-eksbuild.3"),
})

# EKS managed node group AMI types (EKS API `amiType`) by accelerator kind and architecture:
# Amazon Linux 2023, with the NVIDIA driver and container toolkit for GPU pools and the Neuron
# driver for Trainium/Inferentia (EKS User Guide, "Create a managed node group", AMI types, checked 2026-12).
# AL2023_x86_64_NVIDIA on 1.36: release 1.36.3-20260911 ran GPU nodes of a 1.36 cluster on 2026-09-16
# (awslabs/awsome-distributed-ai, architectures/amazon-eks compatibility matrix).
EKS_AMI_TYPES: Mapping[tuple[str | None, str], str] = MappingProxyType({
    (None, "x86_64"): "AL2023_x86_64_STANDARD",
    (None, "arm64"): "AL2023_ARM_64_STANDARD",
    ("nvidia", "x86_64"): "AL2023_x86_64_NVIDIA",
    ("nvidia", "arm64"): "AL2023_ARM_64_NVIDIA",
    ("neuron", "x86_64"): "AL2023_x86_64_NEURON",
})

# Cluster Autoscaler must match the cluster's Kubernetes minor version (its compatibility rule): the
# image tag per version, overriding the chart's default. Source: kubernetes/kops PR 17640 (its
# per-minor image table), checked 2026-12-02; 1.35 and 1.36: kubernetes/autoscaler release tags
# cluster-autoscaler-1.35.2 (2026-07-22) and cluster-autoscaler-1.36.1 (2026-07-22, built against
# k8s.io/kubernetes v1.36.2), checked 2026-12-02. From 1.35 on the autoscaler always reads DRA objects
# (resource.k8s.io), which needs cluster-autoscaler chart 9.54.0 or later (components/charts.py). A
# cluster version without a row is refused by the ClusterAddons component until its tag is added here.
CLUSTER_AUTOSCALER_IMAGE_TAGS: Mapping[str, str] = MappingProxyType({
    "1.30": "v1.30.6",
    "1.31": "v1.31.4",
    "1.32": "v1.32.3",
    "1.33": "v1.33.1",
    "1.34": "v1.34.0",
    "1.35": "v1.35.2",
    "1.36": "v1.36.1",
})
