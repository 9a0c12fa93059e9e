"""The cluster's add-ons as Helm releases (versions in ``components.charts``), and the AWS roles of
the ones that call AWS, bound to their service accounts by EKS Pod Identity.

- NVIDIA device plugin: advertises ``nvidia.com/gpu`` on GPU nodes (driver from the NVIDIA AMI).
- DCGM exporter: GPU metrics on every GPU node.
- Cluster Autoscaler: scales the managed node groups, from zero for GPU pools (EKS tags the groups;
  the node-template tags for labels, taints and GPU count come from the ``Cluster`` component).
- metrics-server: CPU/memory metrics for HorizontalPodAutoscalers.
- AWS Load Balancer Controller: internal NLBs for services that ask for one.
- Kueue: quota-aware admission of batch jobs (team ClusterQueues in ``components.tenancy``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components import validation as check
from components.addon_policies import (
    cluster_arn,
    cluster_autoscaler_policy,
    load_balancer_controller_policy,
    pod_identity_trust_policy,
)
from components.charts import CHARTS, HelmChart
from components.policy_documents import Document, known_after, role_arn, to_json
from components.tags import Tags, tags_problems

GPU_TAINT = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}


def gpu_node_affinity(instance_types: Sequence[str]) -> dict:
    """Nodes of the NVIDIA instance types. (The charts' default affinity needs Node Feature Discovery
    labels, which EKS nodes do not carry; the instance-type label is on every node.)"""
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": "node.kubernetes.io/instance-type", "operator": "In",
                               "values": sorted(set(instance_types))}]}]}}}

# Role names <prefix>-eks-<suffix>, like the Cluster component's managed add-on roles.
ROLE_SUFFIXES = {"cluster-autoscaler": "eks-cluster-autoscaler", "aws-load-balancer-controller": "eks-lb-controller"}


@dataclass(frozen=True)
class ClusterAddonsArgs:
    prefix: str                                  # role names: <prefix>-eks-<add-on>
    account_id: str
    region: str
    tags: Tags
    cluster_name: pulumi.Input[str]              # Cluster.name; must equal cluster_name_string
    cluster_name_string: str                     # the same name, known now (IAM conditions, ARNs)
    # The Cluster Autoscaler image tag matching the cluster's Kubernetes minor version (its rule),
    # e.g. "v1.36.1"; None when no tag is pinned for that version (refused).
    cluster_autoscaler_image_tag: str | None
    vpc_id: pulumi.Input[str]                    # for the load balancer controller (no IMDS lookup)
    provider: k8s.Provider
    # Node labels of the system node group: controllers run there, away from GPU nodes.
    system_node_selector: Mapping[str, str] | None = None
    # Instance types of the NVIDIA GPU node groups: the device plugin and DCGM exporter run on them
    # (none: those two are not installed).
    gpu_instance_types: Sequence[str] = ()


class ClusterAddons(pulumi.ComponentResource):
    def __init__(self, name: str, args: ClusterAddonsArgs, opts: pulumi.ResourceOptions | None = None):
        check.raise_if_problems("ClusterAddons", validate(args))
        super().__init__("mladmin:cluster:ClusterAddons", name, None, opts)
        self._name, self._args = name, args
        cluster = args.cluster_name_string
        arn = cluster_arn(args.region, args.account_id, cluster)
        self.roles: dict[str, aws.iam.Role] = {}
        self.role_arns: dict[str, pulumi.Output[str]] = {}
        self.releases: dict[str, k8s.helm.v3.Release] = {}
        placement = {"nodeSelector": dict(args.system_node_selector)} if args.system_node_selector else {}

        autoscaler_binding = self._aws_role("cluster-autoscaler", "cluster-autoscaler", arn,
                                            cluster_autoscaler_policy(args.region, args.account_id, cluster))
        self._release("cluster-autoscaler", {
            "cloudProvider": "aws",
            "awsRegion": args.region,
            "autoDiscovery": {"clusterName": args.cluster_name},
            "image": {"tag": args.cluster_autoscaler_image_tag},
            "rbac": {"serviceAccount": {"create": True, "name": "cluster-autoscaler"}},
            # least-waste: the cheapest pool that fits; GPU pools are never chosen for CPU pods (taint).
            "extraArgs": {"expander": "least-waste", "balance-similar-node-groups": True,
                          "skip-nodes-with-system-pods": False},
            **placement,
        }, depends_on=[autoscaler_binding])

        controller_binding = self._aws_role("aws-load-balancer-controller", "aws-load-balancer-controller", arn,
                                            load_balancer_controller_policy(args.region, args.account_id, cluster))
        self._release("aws-load-balancer-controller", {
            "clusterName": args.cluster_name,
            "region": args.region,
            "vpcId": args.vpc_id,
            "serviceAccount": {"create": True, "name": "aws-load-balancer-controller"},
            "replicaCount": 2,
            **placement,
        }, depends_on=[controller_binding])

        self._release("metrics-server", {"replicas": 2, **placement})
        if args.gpu_instance_types:
            on_gpus = {"tolerations": [GPU_TAINT], "affinity": gpu_node_affinity(args.gpu_instance_types)}
            self._release("nvidia-device-plugin", on_gpus)
            self._release("dcgm-exporter", {**on_gpus, "serviceMonitor": {"enabled": False}})
        self._release("kueue", {"controllerManager": {"replicas": 2, **placement}}, create_namespace=True)
        self.register_outputs({"role_arns": self.role_arns})

    def _aws_role(self, addon: str, service_account: str, cluster_arn_: str,
                  policy: Document) -> aws.eks.PodIdentityAssociation:
        args, name = self._args, f"{self._name}-{addon}"
        role_name = f"{args.prefix}-{ROLE_SUFFIXES[addon]}"
        tags = args.tags.merged({"Name": role_name, "addon": addon})
        role = aws.iam.Role(name, name=role_name, description=f"EKS add-on {addon} of {args.cluster_name_string}",
                            assume_role_policy=to_json(pod_identity_trust_policy(args.account_id, cluster_arn_)),
                            max_session_duration=3600, tags=tags, opts=pulumi.ResourceOptions(parent=self))
        aws.iam.RolePolicy(f"{name}-policy", role=role.id, policy=to_json(policy),
                           opts=pulumi.ResourceOptions(parent=self))
        self.roles[addon] = role
        self.role_arns[addon] = known_after(role_arn(args.account_id, role_name), role)
        return aws.eks.PodIdentityAssociation(
            f"{name}-pod-identity", cluster_name=args.cluster_name, namespace=CHARTS[addon].namespace,
            service_account=service_account, role_arn=self.role_arns[addon], tags=tags,
            opts=pulumi.ResourceOptions(parent=self))

    def _release(self, addon: str, values: Mapping[str, Any], *, create_namespace: bool = False,
                 depends_on: list[pulumi.Resource] | None = None) -> k8s.helm.v3.Release:
        chart: HelmChart = CHARTS[addon]
        release = k8s.helm.v3.Release(
            f"{self._name}-{addon}",
            name=addon,
            chart=chart.chart,
            version=chart.version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=chart.repository) if chart.repository else None,
            namespace=chart.namespace,
            create_namespace=create_namespace or None,
            values=dict(values),
            atomic=True,            # a failed upgrade rolls back
            cleanup_on_fail=True,
            max_history=10,
            timeout=600,
            opts=pulumi.ResourceOptions(parent=self, provider=self._args.provider, depends_on=depends_on),
        )
        self.releases[addon] = release
        return release


def validate(args: ClusterAddonsArgs) -> list[str]:
    problems = check.name_prefix("prefix", args.prefix, max_length=64 - len("-eks-cluster-autoscaler"))
    problems += check.account_id("account_id", args.account_id)
    problems += check.region("region", args.region)
    problems += tags_problems(args.tags)
    if not args.cluster_autoscaler_image_tag:
        problems.append("cluster_autoscaler_image_tag: none is pinned for the cluster's Kubernetes version (add "
                        "it to policies/facts/eks.py CLUSTER_AUTOSCALER_IMAGE_TAGS)")
    if not isinstance(args.provider, k8s.Provider):
        problems.append(f"provider: expected a pulumi_kubernetes.Provider, got {type(args.provider).__name__}")
    return problems
