"""The Helm charts installed on every cluster, pinned: one table, data only.

Bump a version here (and its ``checked`` note) to upgrade an add-on everywhere. Sources are the
charts' own repositories and release notes, checked on the date given. (The Cluster Autoscaler image
per Kubernetes version is a version fact: policies/facts/eks.py, handed in through the settings.)
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping


@dataclass(frozen=True)
class HelmChart:
    chart: str                  # chart name, or an oci:// reference (then ``repository`` is None)
    version: str                # exact chart version: never a range
    repository: str | None      # Helm repository URL
    namespace: str              # where the release lives
    checked: str                # when and where the version was read


CHARTS: Mapping[str, HelmChart] = MappingProxyType({
    # Device plugin only (no GPU operator): the EKS NVIDIA AMIs ship the driver and container toolkit.
    "nvidia-device-plugin": HelmChart(
        "nvidia-device-plugin", "0.18.2", "https://nvidia.github.io/k8s-device-plugin", "kube-system",
        "2026-12-02, NVIDIA/k8s-device-plugin releases (v0.18.2; chart kubeVersion >= 1.10, device plugin "
        "API v1beta1)"),
    "dcgm-exporter": HelmChart(
        "dcgm-exporter", "4.8.3", "https://nvidia.github.io/dcgm-exporter/helm-charts", "kube-system",
        "2026-12-02, DCGM Exporter release notes 4.6.0-4.8.3 (chart version = exporter version)"),
    "cluster-autoscaler": HelmChart(
        "cluster-autoscaler", "9.59.0", "https://kubernetes.github.io/autoscaler", "kube-system",
        "2026-12-02, kubernetes/autoscaler cluster-autoscaler-chart-9.59.0 (2026-07-21; no kubeVersion "
        "bound; grants the resource.k8s.io reads that autoscaler 1.35+ needs, which 9.52.1 lacks)"),
    "metrics-server": HelmChart(
        "metrics-server", "3.13.0", "https://kubernetes-sigs.github.io/metrics-server/", "kube-system",
        "2026-12-02, kubernetes-sigs/metrics-server metrics-server-helm-chart-3.13.0 (server 0.8: Kubernetes "
        "1.31+)"),
    "aws-load-balancer-controller": HelmChart(
        "aws-load-balancer-controller", "1.17.1", "https://aws.github.io/eks-charts", "kube-system",
        "2026-12-02, aws/eks-charts (chart 1.17.1 = controller v2.17.1; its README: Kubernetes 1.22+)"),
    "kueue": HelmChart(
        "oci://registry.k8s.io/kueue/charts/kueue", "0.19.2", None, "kueue-system",
        "2026-12-02, kubernetes-sigs/kueue charts/kueue/Chart.yaml (v0.19.2, 2026-08-20; README: e2e on "
        "Kubernetes 1.34-1.36)"),
})
