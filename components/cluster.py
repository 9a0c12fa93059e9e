"""The EKS cluster: a private control plane, access entries, managed add-ons, node pools and FSx.

People reach Kubernetes through EKS access entries (authentication mode API, never the aws-auth
ConfigMap); add-ons that call AWS through EKS Pod Identity roles.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components import validation as check
from components.eks_addons import Addons
from components.fsx import FsxArgs, LustreStorage
from components.node_pools import AWS_POLICY, NodePool, NodePoolArgs, node_role
from components.policy_documents import document, known_after, role_arn, service_trust_policy, statement, to_json
from components.tags import Tags, child_opts, tags_problems
from components.teams import IDENTITY_CENTER_ROLE_PATTERNS

ACCESS_POLICY = "arn:aws:eks::aws:cluster-access-policy/"
ADMIN_ACCESS_POLICY = "AmazonEKSClusterAdminPolicy"
TEAM_ACCESS_POLICY = "AmazonEKSEditPolicy"
CORE_ADDONS = ("vpc-cni", "kube-proxy", "eks-pod-identity-agent", "coredns", "aws-ebs-csi-driver")
FSX_ADDON = "aws-fsx-csi-driver"


def team_namespace(team: str) -> str:
    """The Kubernetes namespace of a team (created by the tenancy side): ``team-<name>``."""
    return f"team-{team}"


@dataclass(frozen=True)
class ClusterArgs:
    """One EKS cluster. Subnet ids are the private subnets, in the order of ``availability_zones``."""

    prefix: str                                   # cluster <prefix>-eks, roles <prefix>-eks-*
    account_id: str
    region: str
    tags: Tags
    kubernetes_version: str
    addon_versions: Mapping[str, str]             # add-on name -> pinned version (policies.facts.eks)
    vpc_id: pulumi.Input[str]
    vpc_cidr: str                                 # security-group rules never reach beyond it
    availability_zones: Sequence[str]
    private_subnet_ids: Sequence[pulumi.Input[str]]
    cluster_key_arn: pulumi.Input[str]            # secrets envelope encryption and node volumes
    logs_key_arn: pulumi.Input[str]               # control-plane log group
    system_pool: NodePoolArgs
    log_types: Sequence[str]                      # control-plane log types (EKS spelling)
    node_pools: Sequence[NodePoolArgs] = ()
    log_retention_days: int = 365
    endpoint_public_access: bool = False          # private by default
    public_access_cidrs: Sequence[str] = ()       # required when the endpoint is public
    deletion_protection: bool = True
    team_role_arns: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)  # team -> role ARN
    admin_team: str = "platform"                  # Identity Center sessions tagged team=<this> may administer
    fsx: FsxArgs | None = None                    # FSx for Lustre (None: none)
    data_key_arn: pulumi.Input[str] | None = None  # FSx encryption (required with fsx)


class Cluster(pulumi.ComponentResource):
    def __init__(self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None):
        check.raise_if_problems("Cluster", validate(args))
        super().__init__("mladmin:cluster:Cluster", name, None, opts)
        prefix, acct, region = args.prefix, args.account_id, args.region
        self.cluster_name = f"{prefix}-eks"
        self.cluster_arn = f"arn:aws:eks:{region}:{acct}:cluster/{self.cluster_name}"
        tags = self._tags = args.tags

        cluster_role_arn = self._cluster_role(name, args)
        # EKS writes to /aws/eks/<cluster>/cluster; made first, so retention and KMS apply from the start.
        group_name = f"/aws/eks/{self.cluster_name}/cluster"
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-control-plane-logs", name=group_name, retention_in_days=args.log_retention_days,
            kms_key_id=args.logs_key_arn, tags=tags.merged({"Name": group_name}), opts=child_opts(self),
        )
        sg_name = f"{self.cluster_name}-control-plane"
        self.control_plane_security_group = aws.ec2.SecurityGroup(
            f"{name}-control-plane-sg",
            name=sg_name,
            vpc_id=args.vpc_id,
            description=f"{self.cluster_name} control plane: the API from inside the VPC only",
            ingress=[{"description": "Kubernetes API from the VPC", "protocol": "tcp", "from_port": 443,
                      "to_port": 443, "cidr_blocks": [args.vpc_cidr]}],
            egress=[{"description": "kubelets and webhooks in the VPC", "protocol": "-1", "from_port": 0,
                     "to_port": 0, "cidr_blocks": [args.vpc_cidr]}],
            tags=tags.merged({"Name": sg_name}),
            opts=child_opts(self),
        )
        public = args.endpoint_public_access
        self.cluster = aws.eks.Cluster(
            f"{name}-eks",
            name=self.cluster_name,
            version=args.kubernetes_version,
            role_arn=cluster_role_arn,
            vpc_config={
                "subnet_ids": list(args.private_subnet_ids),
                "security_group_ids": [self.control_plane_security_group.id],
                "endpoint_private_access": True,
                "endpoint_public_access": public,
                "public_access_cidrs": list(args.public_access_cidrs) if public else None,
            },
            # The deploying identity keeps an admin entry so this program can reach the API it creates.
            access_config={"authentication_mode": "API", "bootstrap_cluster_creator_admin_permissions": True},
            encryption_config={"resources": ["secrets"], "provider": {"key_arn": args.cluster_key_arn}},
            enabled_cluster_log_types=list(args.log_types),
            deletion_protection=args.deletion_protection,
            bootstrap_self_managed_addons=False,  # the managed add-ons below, at pinned versions, instead
            # A pinned version stays pinned: with STANDARD, EKS upgrades the control plane by itself when
            # standard support ends, behind the program's back. EXTENDED costs more only once the version
            # is in extended support (policy eks-supported-version tracks the calendar).
            upgrade_policy={"support_type": "EXTENDED"},
            tags=tags.merged({"Name": self.cluster_name}),
            opts=child_opts(self, depends_on=[self.log_group]),
        )

        self._access_entries(name, args)
        nodes_role_arn = node_role(self, name, prefix, acct, tags)
        addon_names = [*CORE_ADDONS, *([FSX_ADDON] if args.fsx else [])]
        self.system_pool: NodePool | None = None
        self.pools: list[NodePool] = []
        # Add-ons that nodes need come first; those that run on nodes wait for the system pool.
        early = Addons(self, name, cluster=self.cluster, cluster_name=self.cluster_name, cluster_arn=self.cluster_arn,
                       prefix=prefix, account_id=acct, versions=args.addon_versions,
                       names=[a for a in addon_names if a in ("vpc-cni", "kube-proxy", "eks-pod-identity-agent")],
                       tags=tags, nodes=())
        pool_options = dict(cluster=self.cluster, cluster_name=self.cluster_name, node_role_arn=nodes_role_arn,
                            cluster_key_arn=args.cluster_key_arn, tags=tags, depends_on=early.before_nodes)
        self.system_pool = NodePool(self, name, args.system_pool, subnet_ids=self._subnets(args, args.system_pool),
                                    **pool_options)
        self.pools = [NodePool(self, name, pool, subnet_ids=self._subnets(args, pool), **pool_options)
                      for pool in args.node_pools]
        late = Addons(self, name, cluster=self.cluster, cluster_name=self.cluster_name, cluster_arn=self.cluster_arn,
                      prefix=prefix, account_id=acct, versions=args.addon_versions,
                      names=[a for a in addon_names if a not in early.addons], tags=tags,
                      nodes=[self.system_pool.node_group])
        self.addons = {**early.addons, **late.addons}
        self.addon_role_arns = {**early.role_arns, **late.role_arns}

        self.fsx: LustreStorage | None = None
        if args.fsx is not None:
            self.fsx = LustreStorage(self, name, args.fsx, prefix=prefix, vpc_id=args.vpc_id, vpc_cidr=args.vpc_cidr,
                                     subnet_id=args.private_subnet_ids[0], kms_key_arn=args.data_key_arn, tags=tags)

        self.name = self.cluster.name
        self.endpoint = self.cluster.endpoint
        self.oidc_issuer_url = self.cluster.identities.apply(lambda ids: ids[0].oidcs[0].issuer)
        self.cluster_security_group_id = self.cluster.vpc_config.cluster_security_group_id
        self.kubeconfig = self._kubeconfig(region)
        self.provider = k8s.Provider(
            f"{name}-k8s", kubeconfig=self.kubeconfig,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.system_pool.node_group]),
        )
        self.gpu_node_groups = [pool.describe() for pool in self.pools if pool.args.accelerator_resource]
        self.node_groups = [pool.describe() for pool in [self.system_pool, *self.pools]]
        self.register_outputs({
            "name": self.name,
            "endpoint": self.endpoint,
            "oidc_issuer_url": self.oidc_issuer_url,
            "cluster_security_group_id": self.cluster_security_group_id,
            "kubeconfig": pulumi.Output.secret(self.kubeconfig),
            "gpu_node_groups": self.gpu_node_groups,
            "admin_role_arn": self.admin_role_arn,
            "fsx_dns_name": self.fsx.dns_name if self.fsx else None,
            "fsx_mount_name": self.fsx.mount_name if self.fsx else None,
        })

    def _cluster_role(self, name: str, args: ClusterArgs) -> pulumi.Output[str]:
        role_name = f"{args.prefix}-eks-cluster"
        role = aws.iam.Role(
            f"{name}-cluster-role", name=role_name,
            description="EKS control plane of the platform cluster",
            assume_role_policy=to_json(service_trust_policy("eks.amazonaws.com", args.account_id)),
            tags=args.tags.merged({"Name": role_name}), opts=child_opts(self),
        )
        attachment = aws.iam.RolePolicyAttachment(
            f"{name}-cluster-policy", role=role.name, policy_arn=AWS_POLICY + "AmazonEKSClusterPolicy",
            opts=child_opts(self),
        )
        return known_after(role_arn(args.account_id, role_name), role, attachment)

    def _access_entries(self, name: str, args: ClusterArgs) -> None:
        """Cluster admin for the platform admin role; edit rights in its own namespace for each team role."""
        admin_name = f"{args.prefix}-platform-admin"
        patterns = [p.format(account=args.account_id) for p in IDENTITY_CENTER_ROLE_PATTERNS]
        self.admin_role = aws.iam.Role(
            f"{name}-admin-role", name=admin_name,
            description=f"Platform administrators of {self.cluster_name} (Kubernetes cluster admin)",
            assume_role_policy=to_json(document({
                "Sid": "PlatformAdministrators", "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{args.account_id}:root"},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
                "Condition": {"ArnLike": {"aws:PrincipalArn": patterns},
                              "StringEquals": {"aws:PrincipalAccount": args.account_id,
                                               "aws:PrincipalTag/team": args.admin_team}},
            })),
            max_session_duration=3600,
            tags=args.tags.merged({"Name": admin_name}), opts=child_opts(self),
        )
        aws.iam.RolePolicy(
            f"{name}-admin-policy", role=self.admin_role.id,
            policy=to_json(document(statement("ReachThisCluster", ["eks:DescribeCluster", "eks:AccessKubernetesApi"],
                                              [self.cluster_arn]))),
            opts=child_opts(self),
        )
        self.admin_role_arn = known_after(role_arn(args.account_id, admin_name), self.admin_role)
        self.access_entries = {"platform-admin": self._grant(name, "platform-admin", self.admin_role_arn,
                                                             ADMIN_ACCESS_POLICY, None)}
        for team, arn in args.team_role_arns.items():
            self.access_entries[team] = self._grant(name, f"team-{team}", arn, TEAM_ACCESS_POLICY,
                                                    [team_namespace(team)])

    def _grant(self, name: str, who: str, principal: pulumi.Input[str], policy: str,
               namespaces: list[str] | None) -> aws.eks.AccessEntry:
        entry = aws.eks.AccessEntry(
            f"{name}-access-{who}", cluster_name=self.cluster.name, principal_arn=principal, type="STANDARD",
            tags=self._tags.merged({"Name": f"{self.cluster_name}-{who}"}), opts=child_opts(self),
        )
        scope = {"type": "namespace", "namespaces": namespaces} if namespaces else {"type": "cluster"}
        aws.eks.AccessPolicyAssociation(
            f"{name}-access-{who}-policy", cluster_name=self.cluster.name, principal_arn=entry.principal_arn,
            policy_arn=ACCESS_POLICY + policy, access_scope=scope, opts=child_opts(self),
        )
        return entry

    @staticmethod
    def _subnets(args: ClusterArgs, pool: NodePoolArgs) -> list[pulumi.Input[str]]:
        """Every private subnet, or the pool's one zone (EFA pools: the first zone unless one is given)."""
        zone = pool.availability_zone or (args.availability_zones[0] if pool.efa_interfaces else None)
        if zone is None:
            return list(args.private_subnet_ids)
        return [args.private_subnet_ids[list(args.availability_zones).index(zone)]]

    def _kubeconfig(self, region: str) -> pulumi.Output[str]:
        """A kubeconfig whose credentials come from `aws eks get-token` (the caller's AWS identity)."""
        def build(values: list) -> dict:
            cluster_name, endpoint, authority = values
            return {
                "apiVersion": "v1", "kind": "Config", "current-context": cluster_name,
                "clusters": [{"name": cluster_name,
                              "cluster": {"server": endpoint, "certificate-authority-data": authority}}],
                "contexts": [{"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}],
                "users": [{"name": cluster_name, "user": {"exec": {
                    "apiVersion": "client.authentication.k8s.io/v1beta1", "command": "aws",
                    "args": ["eks", "get-token", "--cluster-name", cluster_name, "--region", region,
                             "--output", "json"],
                    "interactiveMode": "Never"}}}],
            }

        config = pulumi.Output.all(self.cluster.name, self.cluster.endpoint,
                                   self.cluster.certificate_authority.data).apply(build)
        return pulumi.Output.json_dumps(config)


def validate(args: ClusterArgs) -> list[str]:
    problems = check.name_prefix("prefix", args.prefix, max_length=36)
    problems += check.account_id("account_id", args.account_id)
    problems += check.region("region", args.region)
    problems += tags_problems(args.tags)
    problems += check.log_retention("log_retention_days", args.log_retention_days)
    problems += check.ipv4_network("vpc_cidr", args.vpc_cidr)[1]
    zones = list(args.availability_zones)
    if len(zones) != len(list(args.private_subnet_ids)):
        problems.append(f"private_subnet_ids: {len(list(args.private_subnet_ids))} given for {len(zones)} zones "
                        "(expected one per zone, in order)")
    if args.endpoint_public_access and not args.public_access_cidrs:
        problems.append("public_access_cidrs: required when endpoint_public_access is true "
                        "(AWS would open the API to 0.0.0.0/0)")
    for i, cidr in enumerate(args.public_access_cidrs):
        net, found = check.ipv4_network(f"public_access_cidrs[{i}]", cidr)
        problems += found
        if net is not None and net.prefixlen == 0:
            problems.append(f"public_access_cidrs[{i}]: {cidr} opens the API to the internet")
    missing = [a for a in (*CORE_ADDONS, *([FSX_ADDON] if args.fsx else [])) if a not in args.addon_versions]
    if missing:
        problems.append(f"addon_versions: no version pinned for {', '.join(missing)}")
    if args.fsx is not None and args.data_key_arn is None:
        problems.append("data_key_arn: required with fsx (the file system is encrypted with it)")
    pools = [args.system_pool, *args.node_pools]
    names = [p.name for p in pools]
    for duplicate in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"node_pools: {duplicate!r} is used by more than one pool")
    for pool in pools:
        if pool.availability_zone is not None and pool.availability_zone not in zones:
            problems.append(f"node_pools[{pool.name}].availability_zone: {pool.availability_zone!r} is not one of {zones}")
        if not pool.min_size <= pool.desired_size <= pool.max_size or pool.max_size < 1:
            problems.append(f"node_pools[{pool.name}]: sizes {pool.min_size} <= {pool.desired_size} <= "
                            f"{pool.max_size} (and max >= 1) expected")
    return problems
