"""Encryption at rest outside S3: EBS volumes, launch templates, ECR repositories, KMS keys."""

from __future__ import annotations

from collections.abc import Mapping

from typing import Iterator

from policies.spec import (
    STANDARD, STRICT, Context, Severity, Subject, cis_aws, cis_eks, nist, resource_policy,
)
from policies.statements import public_statements
from policies.keys import customer_key
from policies.views import as_list, dig, first, peek, present, require, truthy

VOLUME = "aws:ebs/volume:Volume"
INSTANCE = "aws:ec2/instance:Instance"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
ECR_REPOSITORY = "aws:ecr/repository:Repository"
KMS_KEY = "aws:kms/key:Key"
KMS_KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy"
# Key types that carry their own key policy (external key material, multi-Region replicas).
OTHER_KMS_KEYS = ("aws:kms/externalKey:ExternalKey", "aws:kms/replicaKey:ReplicaKey",
                  "aws:kms/replicaExternalKey:ReplicaExternalKey")


@resource_policy(
    id="ebs-volume-encrypted", area="encryption", title="EBS volumes encrypted",
    description="EBS volumes and instance block devices are encrypted.",
    severity=Severity.HIGH, enforcement=STRICT, types=(VOLUME, INSTANCE),
    remediation="Set encrypted=True (and kms_key_id to a customer-managed key) on the volume, and on the "
                "instance's root_block_device and ebs_block_devices.",
    frameworks=[cis_aws("2.2.1"), nist("SC-28")],
)
def ebs_volume_encrypted(resource: Subject, ctx: Context) -> Iterator[str]:
    if resource.type == VOLUME:
        if not truthy(resource.props.get("encrypted")):
            yield "volume is not encrypted"
        return
    root = first(resource.props.get("rootBlockDevice"))
    if not isinstance(root, Mapping) or not truthy(root.get("encrypted")):
        yield "root block device is not encrypted"
    for device in as_list(resource.props.get("ebsBlockDevices")):
        if isinstance(device, Mapping) and not truthy(device.get("encrypted")):
            yield f"EBS block device {device.get('deviceName', '?')} is not encrypted"


@resource_policy(
    id="launch-template-volume-encrypted", area="encryption", title="Launch template volumes encrypted",
    description="Every EBS block-device mapping in a launch template is encrypted.",
    severity=Severity.HIGH, enforcement=STRICT, types=(LAUNCH_TEMPLATE,),
    remediation="Set block_device_mappings[].ebs.encrypted to \"true\" with a customer-managed kms_key_id.",
    frameworks=[cis_aws("2.2.1"), cis_eks("5.3.1"), nist("SC-28")],
)
def launch_template_volume_encrypted(resource: Subject, ctx: Context) -> Iterator[str]:
    for mapping in as_list(resource.props.get("blockDeviceMappings")):
        if not isinstance(mapping, Mapping) or mapping.get("noDevice"):
            continue
        ebs = first(mapping.get("ebs"))
        if isinstance(ebs, Mapping) and not truthy(ebs.get("encrypted")):
            yield f"block device {mapping.get('deviceName', '?')} is not encrypted"


@resource_policy(
    id="ecr-scan-on-push", area="encryption", title="ECR scan on push",
    description="ECR repositories scan images for vulnerabilities on push.",
    severity=Severity.MEDIUM, enforcement=STANDARD, types=(ECR_REPOSITORY,),
    remediation="Set image_scanning_configuration.scan_on_push=True.",
    frameworks=[cis_eks("5.1.1"), nist("RA-5")],
)
def ecr_scan_on_push(resource: Subject, ctx: Context) -> Iterator[str]:
    if not truthy(dig(first(resource.props.get("imageScanningConfiguration")) or {}, "scanOnPush")):
        yield "images are not scanned on push"


@resource_policy(
    id="ecr-immutable-tags", area="encryption", title="ECR immutable tags",
    description="ECR repositories make image tags immutable, so a deployed tag cannot be replaced.",
    severity=Severity.MEDIUM, enforcement=STANDARD, types=(ECR_REPOSITORY,),
    remediation="Set image_tag_mutability='IMMUTABLE' (the AWS default is MUTABLE).",
    frameworks=[nist("CM-14"), nist("SI-7")],
)
def ecr_immutable_tags(resource: Subject, ctx: Context) -> Iterator[str]:
    mutability = resource.props.get("imageTagMutability") or "MUTABLE"
    if not str(mutability).startswith("IMMUTABLE"):
        yield f"image tags are {mutability}"


@resource_policy(
    id="ecr-kms", area="encryption", title="ECR encrypted with KMS",
    description="ECR repositories encrypt images with a KMS key.",
    severity=Severity.MEDIUM, enforcement=STANDARD, types=(ECR_REPOSITORY,),
    remediation="Set encryption_configurations=[{encryption_type: 'KMS', kms_key: <key ARN>}].",
    frameworks=[nist("SC-28")],
)
def ecr_kms(resource: Subject, ctx: Context) -> Iterator[str]:
    types = [dig(c, "encryptionType") for c in as_list(resource.props.get("encryptionConfigurations"))]
    if not any(str(t).startswith("KMS") for t in types if t):
        yield "repository is encrypted with AES256 (the default), not KMS"


@resource_policy(
    id="kms-key-rotation", area="encryption", title="KMS key rotation",
    description="Symmetric customer-managed KMS keys rotate automatically.",
    severity=Severity.MEDIUM, enforcement=STANDARD, types=(KMS_KEY,),
    remediation="Set enable_key_rotation=True (optionally rotation_period_in_days).",
    frameworks=[cis_aws("3.6"), nist("SC-12")],
)
def kms_key_rotation(resource: Subject, ctx: Context) -> Iterator[str]:
    spec = resource.props.get("customerMasterKeySpec") or "SYMMETRIC_DEFAULT"
    usage = resource.props.get("keyUsage") or "ENCRYPT_DECRYPT"
    if spec == "SYMMETRIC_DEFAULT" and usage == "ENCRYPT_DECRYPT" and not truthy(resource.props.get("enableKeyRotation")):
        yield "automatic key rotation is off"


@resource_policy(
    id="kms-key-policy-no-wildcard-principal", area="encryption", title="KMS key policy principals",
    description="KMS key policies never allow the '*' principal unless a condition limits the caller "
                "(kms:CallerAccount, aws:PrincipalOrgID, ...); kms:ViaService alone does not.",
    severity=Severity.CRITICAL, enforcement=STRICT, types=(KMS_KEY, KMS_KEY_POLICY) + OTHER_KMS_KEYS,
    remediation="Grant the account root (arn:aws:iam::<account>:root) and named roles or service principals; "
                "if '*' is needed, restrict it with kms:CallerAccount and kms:ViaService conditions.",
    frameworks=[nist("AC-3"), nist("AC-6"), nist("SC-12")],
)
def kms_key_policy_no_wildcard_principal(resource: Subject, ctx: Context) -> Iterator[str]:
    yield from public_statements(resource.props.get("policy"))


FSX_LUSTRE = "aws:fsx/lustreFileSystem:LustreFileSystem"


@resource_policy(
    id="fsx-lustre-kms", area="encryption", title="FSx for Lustre on a customer-managed key",
    description="FSx for Lustre file systems are persistent and encrypted with a customer-managed KMS key (scratch "
                "file systems only take an AWS-owned key and lose data when a server fails).",
    severity=Severity.HIGH, enforcement=STANDARD, types=(FSX_LUSTRE,),
    remediation="Set deployment_type='PERSISTENT_2' and kms_key_id to the data KMS key.",
    frameworks=[nist("SC-28"), nist("SC-12")],
)
def fsx_lustre_kms(resource: Subject, ctx: Context) -> Iterator[str]:
    deployment = peek(resource.props, "deploymentType")
    require(deployment)
    deployment = str(deployment or "SCRATCH_1")  # the AWS default
    if deployment.startswith("SCRATCH"):
        yield f"{deployment} file system: encrypted only with an AWS-owned key"
    elif not customer_key(resource.props, "kmsKeyId"):
        yield "no customer-managed KMS key (kms_key_id): FSx uses its AWS-managed key"
