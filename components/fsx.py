"""FSx for Lustre for training data at GPU speed, linked to S3 buckets by data repository associations."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.tags import Tags, child_opts

# Lustre's ports: 988 for the file system, 1018-1023 for LNet (FSx for Lustre User Guide, "File system
# access control with Amazon VPC").
LUSTRE_PORTS = ((988, 988), (1018, 1023))
IMPORT_EVENTS = ["NEW", "CHANGED", "DELETED"]


@dataclass(frozen=True)
class FsxArgs:
    """A PERSISTENT_2 file system; each entry of ``repositories`` links /<path> to a bucket."""

    storage_capacity_gib: int = 1200             # 1200 or a multiple of 2400
    throughput_per_tib: int = 250                # MB/s per TiB: 125, 250, 500, 1000
    # file-system path (e.g. "datasets") -> (bucket name, export changes back to S3?)
    repositories: Mapping[str, tuple[pulumi.Input[str], bool]] = field(default_factory=dict)


class LustreStorage:
    """Children of ``parent``: the file system, its security group and one association per repository."""

    def __init__(self, parent: pulumi.Resource, name: str, args: FsxArgs, *, prefix: str, vpc_id: pulumi.Input[str],
                 vpc_cidr: str, subnet_id: pulumi.Input[str], kms_key_arn: pulumi.Input[str], tags: Tags):
        sg_name = f"{prefix}-fsx-lustre"
        lustre = [{"description": f"Lustre {low}-{high} within the VPC", "protocol": "tcp", "from_port": low,
                   "to_port": high, "cidr_blocks": [vpc_cidr]} for low, high in LUSTRE_PORTS]
        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-fsx-sg",
            name=sg_name,
            vpc_id=vpc_id,
            description="FSx for Lustre: Lustre traffic with clients inside the VPC only",
            ingress=lustre,
            egress=lustre,  # file servers talk to each other and answer clients; nothing leaves the VPC
            tags=tags.merged({"Name": sg_name}),
            opts=child_opts(parent),
        )
        self.file_system = aws.fsx.LustreFileSystem(
            f"{name}-fsx",
            deployment_type="PERSISTENT_2",
            storage_type="SSD",
            storage_capacity=args.storage_capacity_gib,
            per_unit_storage_throughput=args.throughput_per_tib,
            file_system_type_version="2.15",
            data_compression_type="LZ4",
            subnet_ids=subnet_id,  # one zone: a Lustre file system lives in one subnet (pulumi-aws 7: a string)
            security_group_ids=[self.security_group.id],
            kms_key_id=kms_key_arn,
            copy_tags_to_backups=True,
            tags=tags.merged({"Name": f"{prefix}-lustre"}),
            opts=child_opts(parent),
        )
        # FSx reads and writes the linked buckets as its per-file-system S3-access role, which holds no
        # KMS permission: on SSE-KMS buckets the key policy must grant it (KmsArgs.fsx_linked_bucket_arns).
        self.associations = {
            path: aws.fsx.DataRepositoryAssociation(
                f"{name}-fsx-{path}",
                file_system_id=self.file_system.id,
                file_system_path=f"/{path}",
                data_repository_path=pulumi.Output.concat("s3://", bucket, "/"),
                batch_import_meta_data_on_create=True,
                s3={"auto_import_policy": {"events": IMPORT_EVENTS},
                    **({"auto_export_policy": {"events": IMPORT_EVENTS}} if export else {})},
                tags=tags.merged({"Name": f"{prefix}-lustre-{path}"}),
                opts=child_opts(parent),
            )
            for path, (bucket, export) in args.repositories.items()
        }
        self.dns_name = self.file_system.dns_name
        self.mount_name = self.file_system.mount_name
