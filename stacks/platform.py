"""Compose one environment from its settings: keys, network, storage, IAM, team access, monitoring, budgets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.budgets import Budgets
from components.iam import Iam, IamArgs
from components.kms import Kms, KmsArgs
from components.monitoring import Monitoring
from components.network import Network, NetworkArgs
from components.bucket import bucket_arn
from components.storage import Storage, StorageArgs, bucket_name
from components.tags import Tags
from components.teams import TeamArgs, Teams, TeamsArgs
from stacks.kubernetes import cluster_name, team_pod_identity_cluster_arn
from stacks.observability import build_budgets, build_monitoring, logs_bucket_statements
from stacks.settings import Settings

__all__ = ["FSX_REPOSITORIES", "Platform", "build_platform", "cluster_name"]

# Data buckets FSx for Lustre links (where FSx is on), and whether changes on the file system are
# exported back: datasets are read on the cluster; checkpoints written there go back to S3.
FSX_REPOSITORIES = {"datasets": False, "checkpoints": True}


@dataclass
class Platform:
    kms: Kms
    network: Network
    storage: Storage
    iam: Iam
    teams: Teams
    account_id: str = ""
    tags: Tags | None = None
    monitoring: Monitoring | None = None
    budgets: Budgets | None = None

    def outputs(self) -> dict[str, Any]:
        return {
            "vpcId": self.network.vpc_id,
            "privateSubnetIds": self.network.private_subnet_ids,
            "buckets": self.storage.bucket_names,
            "repositories": self.storage.repository_urls,
            "sagemakerRoleArn": self.iam.sagemaker_role_arn,
            "teamBoundaryArn": self.iam.permissions_boundary_arn,
            "teamRoleArns": self.teams.role_arns,
            "teamJobRoleArns": self.teams.job_role_arns,
            "dataKeyArn": self.kms.data_key_arn,
            **({"alertTopicArn": self.monitoring.topic_arn} if self.monitoring else {}),
        }


def _team_args(settings: Settings, name: str, owner: str) -> TeamArgs:
    """A team's role allows what the team's jobs in the stack file need (those run as the team role)."""
    jobs = [job for job in settings.sagemaker.training_jobs if job.team == name and job.role == "team"]
    return TeamArgs(name=name, owner=owner,
                    jobs_without_network_isolation=any(not job.network_isolation for job in jobs),
                    jobs_without_traffic_encryption=any(not job.encrypt_inter_container_traffic for job in jobs))


def build_platform(settings: Settings) -> Platform:
    account_id = aws.get_caller_identity().account_id
    region = settings.region
    prefix = settings.prefix
    tags = Tags(owner=settings.owner, environment=settings.environment, team="platform",
                cost_center=settings.cost_center)

    fsx_buckets = ([bucket_arn(bucket_name(prefix, purpose, account_id, region)) for purpose in FSX_REPOSITORIES]
                   if settings.cluster.fsx.enabled else [])
    kms = Kms("kms", KmsArgs(prefix=prefix, account_id=account_id, region=region, tags=tags,
                             protect=settings.storage.protect,
                             # EKS node groups boot from volumes encrypted with the cluster key.
                             grant_autoscaling_service_role=True,
                             fsx_linked_bucket_arns=fsx_buckets))

    net = settings.network
    network = Network("network", NetworkArgs(
        prefix=prefix,
        cidr_block=net.vpc_cidr,
        availability_zones=list(net.availability_zones),
        account_id=account_id,
        region=region,
        logs_key_arn=kms.logs_key_arn,
        tags=tags,
        nat_gateways=net.nat_gateways,
        private_subnet_cidrs=list(net.private_subnet_cidrs),
        public_subnet_cidrs=list(net.public_subnet_cidrs),
        cluster_name=cluster_name(settings),
        flow_log_retention_days=net.flow_log_retention_days,
        interface_endpoints=list(net.interface_endpoints),
        s3_endpoint_extra_buckets=list(net.s3_endpoint_extra_buckets),
    ))

    store = settings.storage
    storage = Storage("storage", StorageArgs(
        prefix=prefix,
        account_id=account_id,
        region=region,
        data_key_arn=kms.data_key_arn,
        tags=tags,
        replication_region=store.replication_region,
        protect=store.protect,
        force_destroy=store.force_destroy,
        dataset_tiering_days=store.dataset_tiering_days,
        checkpoint_noncurrent_version_days=store.checkpoint_noncurrent_version_days,
        access_log_retention_days=store.access_log_retention_days,
        abort_incomplete_upload_days=store.abort_incomplete_upload_days,
        logs_bucket_statements=logs_bucket_statements(settings, account_id),
    ))

    iam = Iam("iam", IamArgs(
        prefix=prefix,
        account_id=account_id,
        region=region,
        tags=tags,
        data_key_alias=kms.data_alias_name,
        read_bucket_arns=[storage.bucket_arns["datasets"]],
        write_bucket_arns=[storage.bucket_arns["models"], storage.bucket_arns["checkpoints"]],
        repository_arns=list(storage.repository_arns.values()),
        # Endpoints capture requests and responses under the datasets bucket's platform/capture/.
        capture_object_arns=[pulumi.Output.concat(storage.bucket_arns["datasets"], "/platform/capture/*")],
        vpc_mode=True,
        extra_regions=[store.replication_region] if store.replication_region else [],
    ))

    teams = Teams("teams", TeamsArgs(
        prefix=prefix,
        account_id=account_id,
        region=region,
        tags=tags,
        boundary_arn=iam.permissions_boundary_arn,
        data_key_alias=kms.data_alias_name,
        bucket_arns=dict(storage.bucket_arns),
        repository_arns=list(storage.repository_arns.values()),
        teams=[_team_args(settings, team.name, team.owner) for team in settings.teams],
        pod_identity_cluster_arn=team_pod_identity_cluster_arn(settings, account_id),
    ))
    platform = Platform(kms=kms, network=network, storage=storage, iam=iam, teams=teams, account_id=account_id, tags=tags)
    platform.monitoring = build_monitoring(settings, platform, account_id, tags)
    platform.budgets = build_budgets(settings, platform.monitoring, tags)
    return platform
