"""EKS managed add-ons pinned to versions, and the Pod Identity roles of the ones that call AWS."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.addon_policies import pod_identity_trust_policy
from components.node_pools import AWS_POLICY
from components.policy_documents import known_after, role_arn, to_json
from components.tags import Tags, child_opts

@dataclass(frozen=True)
class AddonRole:
    """A Pod Identity role for one add-on's service account, with the AWS managed policy made for it."""

    suffix: str          # role name <prefix>-eks-<suffix>
    service_account: str
    managed_policy: str  # path under arn:aws:iam::aws:policy/


# The add-ons that call AWS. AWS maintains these managed policies for exactly these controllers
# (ENI/IP management; EBS volume lifecycle), each on its own role, reachable only from its service account.
ADDON_ROLES: Mapping[str, AddonRole] = {
    "vpc-cni": AddonRole("vpc-cni", "aws-node", "AmazonEKS_CNI_Policy"),
    "aws-ebs-csi-driver": AddonRole("ebs-csi", "ebs-csi-controller-sa", "service-role/AmazonEBSCSIDriverPolicy"),
}
# Needed before any node joins (networking, Pod Identity for the CNI); the others need nodes to run on.
BEFORE_NODES = ("vpc-cni", "kube-proxy", "eks-pod-identity-agent")


class Addons:
    """The managed add-ons of ``cluster`` as children of ``parent``."""

    def __init__(self, parent: pulumi.Resource, name: str, *, cluster: aws.eks.Cluster, cluster_name: str,
                 cluster_arn: str, prefix: str, account_id: str, versions: Mapping[str, str], names: Sequence[str],
                 tags: Tags, nodes: Sequence[pulumi.Resource]):
        self.roles: dict[str, aws.iam.Role] = {}
        self.role_arns: dict[str, pulumi.Output[str]] = {}
        self.before_nodes: list[aws.eks.Addon] = []
        self.addons: dict[str, aws.eks.Addon] = {}
        for addon in names:
            associations = None
            role = ADDON_ROLES.get(addon)
            if role is not None:
                arn = self._role(parent, name, role, prefix, account_id, cluster_arn, tags)
                associations = [{"role_arn": arn, "service_account": role.service_account}]
            resource = aws.eks.Addon(
                f"{name}-{addon}",
                cluster_name=cluster.name,
                addon_name=addon,
                addon_version=versions[addon],
                pod_identity_associations=associations,
                resolve_conflicts_on_create="OVERWRITE",
                resolve_conflicts_on_update="PRESERVE",  # keep an operator's emergency change until reviewed
                tags=tags.merged({"Name": f"{cluster_name}-{addon}"}),
                opts=child_opts(parent, depends_on=None if addon in BEFORE_NODES else nodes),
            )
            self.addons[addon] = resource
            if addon in BEFORE_NODES:
                self.before_nodes.append(resource)

    def _role(self, parent: pulumi.Resource, name: str, role: AddonRole, prefix: str, account_id: str,
              cluster_arn: str, tags: Tags) -> pulumi.Output[str]:
        role_name = f"{prefix}-eks-{role.suffix}"
        resource = aws.iam.Role(
            f"{name}-{role.suffix}-role",
            name=role_name,
            description=f"EKS add-on service account {role.service_account} (Pod Identity)",
            assume_role_policy=to_json(pod_identity_trust_policy(account_id, cluster_arn)),
            tags=tags.merged({"Name": role_name}),
            opts=child_opts(parent),
        )
        attachment = aws.iam.RolePolicyAttachment(
            f"{name}-{role.suffix}-policy", role=resource.name, policy_arn=AWS_POLICY + role.managed_policy,
            opts=child_opts(parent),
        )
        self.roles[role.suffix] = resource
        arn = known_after(role_arn(account_id, role_name), resource, attachment)
        self.role_arns[role.suffix] = arn
        return arn
