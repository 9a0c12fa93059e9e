"""Compose the GPU cluster from the cluster settings and the platform it stands on."""

from __future__ import annotations

from typing import Any

from components.cluster import Cluster, ClusterArgs
from components.cluster_workloads import NODE_GROUP_LABEL
from components.fsx import FsxArgs
from components.node_pools import NodePoolArgs, Taint
from policies.facts.eks import EKS_ADDON_VERSIONS, EKS_AMI_TYPES
from policies.facts.instance_types import ACCELERATOR_TAINT_KEYS
from stacks.platform import FSX_REPOSITORIES, Platform
from stacks.settings import Settings
from stacks.settings.cluster import NodeGroupSettings


def node_pool(group: NodeGroupSettings) -> NodePoolArgs:
    accelerator = group.accelerator
    return NodePoolArgs(
        name=group.name,
        instance_types=list(group.instance_types),
        ami_type=EKS_AMI_TYPES[(accelerator, group.arch)],
        min_size=group.min_size,
        max_size=group.max_size,
        desired_size=group.desired_size if group.desired_size is not None else group.min_size,
        disk_size_gb=group.disk_size_gb,
        capacity_type=group.capacity_type,
        labels={**group.labels, NODE_GROUP_LABEL: group.name},  # workloads and add-ons select their pool by it
        taints=[Taint(t.key, t.value, t.effect) for t in group.taints],
        accelerator_resource=ACCELERATOR_TAINT_KEYS[accelerator] if accelerator else None,
        accelerators_per_node=group.accelerators_per_node,
        efa_interfaces=group.efa_interfaces,
        capacity_reservation_id=group.capacity_reservation_id,
        availability_zone=group.availability_zone,
    )


def build_cluster(settings: Settings, platform: Platform) -> Cluster:
    config = settings.cluster
    fsx = None
    if config.fsx.enabled:
        buckets = platform.storage.bucket_names
        fsx = FsxArgs(
            storage_capacity_gib=config.fsx.storage_capacity_gib,
            throughput_per_tib=config.fsx.throughput_per_tib,
            repositories={purpose: (buckets[purpose], export) for purpose, export in FSX_REPOSITORIES.items()},
        )
    cluster = Cluster("cluster", ClusterArgs(
        prefix=settings.prefix,
        account_id=platform.account_id,
        region=settings.region,
        tags=platform.tags,
        kubernetes_version=config.kubernetes_version,
        addon_versions=dict(EKS_ADDON_VERSIONS[config.kubernetes_version]),
        vpc_id=platform.network.vpc_id,
        vpc_cidr=settings.network.vpc_cidr,
        availability_zones=list(settings.network.availability_zones),
        private_subnet_ids=list(platform.network.private_subnet_ids),
        cluster_key_arn=platform.kms.cluster_key_arn,
        logs_key_arn=platform.kms.logs_key_arn,
        data_key_arn=platform.kms.data_key_arn,
        system_pool=node_pool(config.system_nodes),
        node_pools=[node_pool(group) for group in config.node_groups],
        log_types=list(config.enabled_log_types),
        log_retention_days=settings.monitoring.log_retention_days,
        endpoint_public_access=config.endpoint_public_access,
        public_access_cidrs=list(config.public_access_cidrs),
        deletion_protection=config.deletion_protection,
        team_role_arns=dict(platform.teams.role_arns),
        fsx=fsx,
    ))
    return cluster


def cluster_outputs(cluster: Cluster) -> dict[str, Any]:
    return {
        "clusterName": cluster.name,
        "clusterEndpoint": cluster.endpoint,
        "clusterOidcIssuerUrl": cluster.oidc_issuer_url,
        "clusterSecurityGroupId": cluster.cluster_security_group_id,
        "clusterAdminRoleArn": cluster.admin_role_arn,
        "gpuNodeGroups": cluster.gpu_node_groups,
        "fsxDnsName": cluster.fsx.dns_name if cluster.fsx else None,
    }
