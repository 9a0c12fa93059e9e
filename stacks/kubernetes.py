"""What runs on the cluster: add-ons, team tenancy and the declared workloads.

``build_cluster_workloads(settings, platform, cluster)`` takes the cluster through its contract only:
``cluster.name`` (Output[str]), ``cluster.provider`` (a pulumi_kubernetes.Provider) and, when FSx is on,
``cluster.fsx`` (``file_system`` (an aws.fsx.LustreFileSystem), ``dns_name``, ``mount_name``), whose
data repository associations link ``/datasets`` and ``/checkpoints`` to those buckets.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.addon_policies import cluster_arn
from components.cluster_addons import ClusterAddons, ClusterAddonsArgs
from components.cluster_workloads import (
    NODE_GROUP_LABEL,
    ModelServer,
    ModelServerArgs,
    TrainingJob,
    TrainingJobArgs,
    image_reference,
)
from components.policy_documents import known_after
from components.tags import Tags
from components.tenancy import FSX_CLAIM, FsxVolume, Tenancy, TenancyArgs, TenantArgs
from stacks.settings import Settings
from stacks.settings.workloads import ImageSettings

SYSTEM_NODE_SELECTOR_LABEL = NODE_GROUP_LABEL
KUBERNETES_EFFECTS = {"NO_SCHEDULE": "NoSchedule", "NO_EXECUTE": "NoExecute", "PREFER_NO_SCHEDULE": "PreferNoSchedule"}


def tolerations(settings: Settings, node_group: str) -> list[dict[str, str]]:
    """Tolerations of every taint of the named node group (its pods were sent there on purpose)."""
    (group,) = [g for g in settings.cluster.node_groups if g.name == node_group]
    return [{"key": t.key, "operator": "Equal", "value": t.value, "effect": KUBERNETES_EFFECTS[t.effect]}
            for t in group.taints]


@dataclass
class ClusterWorkloads:
    addons: ClusterAddons
    tenancy: Tenancy
    training: dict[str, TrainingJob] = field(default_factory=dict)
    serving: dict[str, ModelServer] = field(default_factory=dict)


def cluster_name(settings: Settings) -> str:
    return f"{settings.prefix}-eks"


def team_pod_identity_cluster_arn(settings: Settings, account_id: str) -> str:
    """The cluster whose Pod Identity may assume the team roles (TeamsArgs.pod_identity_cluster_arn)."""
    return cluster_arn(settings.region, account_id, cluster_name(settings))


def repository_url(settings: Settings, account_id: str, repository: str) -> str:
    """Known at preview (built from the names Storage chooses), so image policies run there."""
    return f"{account_id}.dkr.ecr.{settings.region}.amazonaws.com/{settings.prefix}/{repository}"


def build_cluster_workloads(settings: Settings, platform: Any, cluster: Any) -> ClusterWorkloads:
    account_id = getattr(platform, "account_id", None) or aws.get_caller_identity().account_id
    tags = Tags(owner=settings.owner, environment=settings.environment, team="platform",
                cost_center=settings.cost_center)
    version = settings.cluster.kubernetes_version
    provider = cluster.provider
    after_cluster = pulumi.ResourceOptions(depends_on=[cluster]) if isinstance(cluster, pulumi.Resource) else None

    addons = ClusterAddons("cluster-addons", ClusterAddonsArgs(
        prefix=settings.prefix, account_id=account_id, region=settings.region, tags=tags,
        cluster_name=cluster.name, cluster_name_string=cluster_name(settings),
        cluster_autoscaler_image_tag=settings.cluster.cluster_autoscaler_image_tag,
        vpc_id=platform.network.vpc_id, provider=provider,
        system_node_selector={SYSTEM_NODE_SELECTOR_LABEL: settings.cluster.system_nodes.name},
        gpu_instance_types=[name for group in settings.cluster.gpu_node_groups if group.accelerator == "nvidia"
                            for name in group.instance_types],
    ), opts=after_cluster)

    fsx = getattr(cluster, "fsx", None)
    tenancy = Tenancy("tenancy", TenancyArgs(
        cluster_name=cluster.name, kubernetes_version=version, tags=tags, provider=provider,
        fsx=FsxVolume(fsx.file_system.id, fsx.dns_name, fsx.mount_name) if fsx is not None else None,
        tenants=[TenantArgs(name=team.name, owner=team.owner, role_arn=platform.teams.role_arns[team.name],
                            gpu_quota=team.gpu_quota, cpu_quota=team.cpu_cores, memory_quota_gib=team.memory_gib)
                 for team in settings.teams],
    ), opts=pulumi.ResourceOptions(depends_on=[addons]))  # Kueue's CRDs come with its release

    built = ClusterWorkloads(addons=addons, tenancy=tenancy)
    repositories = getattr(platform.storage, "repositories", {})

    def image(pinned: ImageSettings) -> pulumi.Output[str]:
        url = repository_url(settings, account_id, pinned.repository)
        if pinned.repository in repositories:
            url = known_after(url, repositories[pinned.repository])
        return image_reference(url, pinned.tag, pinned.digest)

    def team_resources(team: str) -> list[pulumi.Resource]:
        return [tenancy.namespaces[team], tenancy.local_queues[team], tenancy.service_accounts[team]]

    # Checked here until the cluster settings carry the FSx switch (then: in the settings model).
    source = os.environ.get("MLADMIN_CONFIG_SOURCE") or f"stacks/Pulumi.{pulumi.get_stack()}.yaml"
    problems = []
    for index, job in enumerate(settings.workloads.training):
        if fsx is None:
            problems.append(f"{source}: mladmin:workloads.training[{index}]: {job.name!r} reads its data from FSx, which "
                            "this stack's cluster does not have (expected FSx on in mladmin:cluster)")
            continue
        built.training[f"{job.team}/{job.name}"] = TrainingJob(job.name, TrainingJobArgs(
            team=job.team, image=image(job.image), node_group=job.node_group, model=job.model, data=job.data,
            fsx_claim=FSX_CLAIM, provider=provider, nodes=job.nodes, gpus_per_node=job.gpus_per_node,
            cpu=job.cpu, memory_gib=job.memory_gib, max_steps=job.max_steps, save_every=job.save_every,
            backoff_limit=job.backoff_limit, tolerations=tolerations(settings, job.node_group),
            depends_on=team_resources(job.team),
        ))
    for index, server in enumerate(settings.workloads.serving):
        if server.model and fsx is None:
            problems.append(f"{source}: mladmin:workloads.serving[{index}].model: {server.model!r} is on FSx, which this "
                            "stack's cluster does not have (expected FSx on, or no model: the image carries it)")
            continue
        built.serving[f"{server.team}/{server.name}"] = ModelServer(server.name, ModelServerArgs(
            team=server.team, image=image(server.image), node_group=server.node_group, provider=provider,
            allowed_cidr=settings.network.vpc_cidr, gpus=server.gpus, cpu=server.cpu,
            memory_gib=server.memory_gib, min_replicas=server.replicas.min, max_replicas=server.replicas.max,
            target_cpu_percent=server.target_cpu_percent, model=server.model,
            fsx_claim=FSX_CLAIM if server.model else None, startup_seconds=server.startup_seconds,
            internal_load_balancer=server.internal_load_balancer, tolerations=tolerations(settings, server.node_group),
            architecture=server.architecture,
            dtype=server.dtype,
            capacity_headroom_percent=settings.workloads.capacity_headroom_percent,
            depends_on=team_resources(server.team),
        ))
    if problems:
        raise pulumi.RunError("\n".join(problems))
    return built
