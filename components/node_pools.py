"""EKS managed node groups: one launch template each, EFA and placement for training pools, and the
Auto Scaling group tags Cluster Autoscaler needs to scale a pool up from zero."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.policy_documents import document, known_after, role_arn, to_json
from components.tags import Tags, child_opts

AWS_POLICY = "arn:aws:iam::aws:policy/"
# Nodes join the cluster and pull images, nothing more: the VPC CNI has its own role (Pod Identity),
# so the node role carries no AmazonEKS_CNI_Policy.
NODE_MANAGED_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly")
# The taint effects of the EKS API and their Kubernetes spelling (Cluster Autoscaler's node templates).
KUBERNETES_EFFECTS = {"NO_SCHEDULE": "NoSchedule", "NO_EXECUTE": "NoExecute", "PREFER_NO_SCHEDULE": "PreferNoSchedule"}
AUTOSCALER_TAG = "k8s.io/cluster-autoscaler"
ROOT_DEVICE = "/dev/xvda"  # the root volume of the Amazon Linux 2023 EKS AMIs


@dataclass(frozen=True)
class Taint:
    key: str
    value: str = ""
    effect: str = "NO_SCHEDULE"  # EKS API spelling


@dataclass(frozen=True)
class NodePoolArgs:
    """One managed node group. Accelerator pools always get ``<accelerator_resource>=true:NO_SCHEDULE``."""

    name: str                                   # node group name, unique in the cluster
    instance_types: Sequence[str]
    ami_type: str                               # EKS amiType, e.g. AL2023_x86_64_NVIDIA
    min_size: int
    max_size: int
    desired_size: int
    disk_size_gb: int                           # gp3 root volume, encrypted with the cluster key
    capacity_type: str = "ON_DEMAND"            # ON_DEMAND, SPOT or CAPACITY_BLOCK
    labels: Mapping[str, str] = field(default_factory=dict)
    taints: Sequence[Taint] = ()
    accelerator_resource: str | None = None     # e.g. nvidia.com/gpu; None for CPU pools
    accelerators_per_node: int = 0              # devices a node surely has (Cluster Autoscaler's template)
    efa_interfaces: int = 0                     # EFA interfaces per node; > 0 adds a cluster placement group
    capacity_reservation_id: str | None = None  # targeted ODCR or Capacity Block (cr-...)
    availability_zone: str | None = None        # one zone only; None: every zone (EFA pools: the first)

    @property
    def all_taints(self) -> list[Taint]:
        """The configured taints, with the accelerator taint first when a GPU pool lacks it."""
        taints = list(self.taints)
        if self.accelerator_resource and not any(
            t.key == self.accelerator_resource and t.effect == "NO_SCHEDULE" for t in taints
        ):
            taints.insert(0, Taint(self.accelerator_resource, "true", "NO_SCHEDULE"))
        return taints


def node_role(parent: pulumi.Resource, name: str, prefix: str, account_id: str, tags: Tags) -> pulumi.Output[str]:
    """The role every node instance runs as; its ARN, built from the chosen name (known in a preview)."""
    role_name = f"{prefix}-eks-node"
    role = aws.iam.Role(
        f"{name}-node-role",
        name=role_name,
        description="EKS nodes: join the cluster and pull images (no CNI policy: the VPC CNI uses Pod Identity)",
        # EC2 sends no aws:SourceAccount when it assumes an instance role: the service principal alone.
        assume_role_policy=to_json(document({"Sid": "Ec2Instances", "Effect": "Allow",
                                             "Principal": {"Service": "ec2.amazonaws.com"},
                                             "Action": "sts:AssumeRole"})),
        tags=tags.merged({"Name": role_name}),
        opts=child_opts(parent),
    )
    attachments = [
        aws.iam.RolePolicyAttachment(
            f"{name}-node-{policy}", role=role.name, policy_arn=AWS_POLICY + policy, opts=child_opts(parent)
        )
        for policy in NODE_MANAGED_POLICIES
    ]
    return known_after(role_arn(account_id, role_name), role, *attachments)


def autoscaler_tags(cluster_name: str, pool: NodePoolArgs) -> dict[str, str]:
    """What Cluster Autoscaler reads from an Auto Scaling group to discover it and, at zero nodes, to
    know what a new node would bring (labels, taints, GPUs)."""
    template = f"{AUTOSCALER_TAG}/node-template"
    tags = {f"{AUTOSCALER_TAG}/enabled": "true", f"{AUTOSCALER_TAG}/{cluster_name}": "owned"}
    tags |= {f"{template}/label/{key}": value for key, value in pool.labels.items()}
    tags |= {f"{template}/taint/{t.key}": f"{t.value}:{KUBERNETES_EFFECTS[t.effect]}" for t in pool.all_taints}
    if pool.accelerator_resource and pool.accelerators_per_node:
        tags[f"{template}/resources/{pool.accelerator_resource}"] = str(pool.accelerators_per_node)
    return tags


class NodePool:
    """The resources of one pool, created as children of ``parent`` (the Cluster component)."""

    def __init__(self, parent: pulumi.Resource, name: str, pool: NodePoolArgs, *, cluster: aws.eks.Cluster,
                 cluster_name: str, node_role_arn: pulumi.Input[str], subnet_ids: Sequence[pulumi.Input[str]],
                 cluster_key_arn: pulumi.Input[str], tags: Tags, depends_on: Sequence[pulumi.Resource] = ()):
        base = f"{name}-{pool.name}"
        self.args = pool
        pool_tags = tags.merged({"Name": f"{cluster_name}-{pool.name}", "node-group": pool.name})
        self.placement_group = None
        if pool.efa_interfaces:
            # EFA traffic between nodes needs them close: one cluster placement group per pool.
            self.placement_group = aws.ec2.PlacementGroup(
                f"{base}-placement", name=f"{cluster_name}-{pool.name}", strategy="cluster", tags=pool_tags,
                opts=child_opts(parent),
            )
        self.launch_template = aws.ec2.LaunchTemplate(
            f"{base}-lt",
            name=f"{cluster_name}-{pool.name}",
            description=f"{pool.name} nodes of {cluster_name}: IMDSv2, encrypted gp3 root",
            update_default_version=True,
            metadata_options={
                "http_endpoint": "enabled",
                "http_tokens": "required",
                # 2: containers on the host network (and the Pod Identity agent) reach IMDS; pods in
                # their own network namespace are one hop further and do not.
                "http_put_response_hop_limit": 2,
            },
            block_device_mappings=[{
                "device_name": ROOT_DEVICE,
                "ebs": {"volume_size": pool.disk_size_gb, "volume_type": "gp3", "encrypted": "true",
                        "kms_key_id": cluster_key_arn, "delete_on_termination": "true"},
            }],
            network_interfaces=self._efa_interfaces(cluster) if pool.efa_interfaces else None,
            placement={"group_name": self.placement_group.name} if self.placement_group else None,
            capacity_reservation_specification=(
                {"capacity_reservation_target": {"capacity_reservation_id": pool.capacity_reservation_id}}
                if pool.capacity_reservation_id else None
            ),
            instance_market_options={"market_type": "capacity-block"} if pool.capacity_type == "CAPACITY_BLOCK" else None,
            tag_specifications=[{"resource_type": kind, "tags": pool_tags} for kind in ("instance", "volume")],
            tags=pool_tags,
            opts=child_opts(parent),
        )
        self.node_group = aws.eks.NodeGroup(
            base,
            cluster_name=cluster.name,
            node_group_name=pool.name,
            node_role_arn=node_role_arn,
            subnet_ids=list(subnet_ids),
            instance_types=list(pool.instance_types),
            ami_type=pool.ami_type,
            capacity_type=pool.capacity_type,
            scaling_config={"min_size": pool.min_size, "desired_size": pool.desired_size, "max_size": pool.max_size},
            update_config={"max_unavailable_percentage": 33},
            labels=dict(pool.labels),
            taints=[{"key": t.key, "value": t.value, "effect": t.effect} for t in pool.all_taints],
            launch_template={"id": self.launch_template.id,
                             "version": self.launch_template.latest_version.apply(str)},
            tags=pool_tags,
            # Cluster Autoscaler moves the desired size; a later `pulumi up` must not move it back.
            opts=pulumi.ResourceOptions.merge(child_opts(parent, depends_on=depends_on),
                                              pulumi.ResourceOptions(ignore_changes=["scalingConfig.desiredSize"])),
        )
        # EKS tags the node group, not its Auto Scaling group: the autoscaler's tags go on the group itself.
        group_name = self.node_group.resources.apply(lambda resources: resources[0].autoscaling_groups[0].name)
        self.autoscaling_tags = [
            aws.autoscaling.Tag(
                f"{base}-asg-{index}",
                autoscaling_group_name=group_name,
                tag={"key": key, "value": value, "propagate_at_launch": False},
                opts=child_opts(parent),
            )
            for index, (key, value) in enumerate(sorted(autoscaler_tags(cluster_name, pool).items()))
        ]

    def _efa_interfaces(self, cluster: aws.eks.Cluster) -> list[dict]:
        """One EFA interface per network card; the first is the primary interface (device 0)."""
        security_group = cluster.vpc_config.cluster_security_group_id
        return [
            {"device_index": 0 if card == 0 else 1, "network_card_index": card, "interface_type": "efa",
             "delete_on_termination": "true", "security_groups": [security_group]}
            for card in range(self.args.efa_interfaces)
        ]

    def describe(self) -> dict:
        """The pool as workloads see it: name, labels, taints (Kubernetes spelling), accelerators."""
        pool = self.args
        return {
            "name": pool.name,
            "labels": dict(pool.labels),
            "taints": [{"key": t.key, "value": t.value, "effect": KUBERNETES_EFFECTS[t.effect]} for t in pool.all_taints],
            "acceleratorResource": pool.accelerator_resource,
            "acceleratorsPerNode": pool.accelerators_per_node,
            "instanceTypes": list(pool.instance_types),
            "capacityType": pool.capacity_type,
        }
