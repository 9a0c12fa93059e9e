"""EKS control plane and node groups."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from typing import Any, Iterator

from pydantic import Field

from policies.facts import prices
from policies.facts.eks import (
    CALENDAR_CHECKED, EKS_REQUIRED_LOG_TYPES, EXTENDED_SUPPORT_KUBERNETES_VERSIONS, RELEASES_BY_VERSION,
    STANDARD_SUPPORT_KUBERNETES_VERSIONS, SUPPORTED_KUBERNETES_VERSIONS,
)
from policies.facts.instance_types import ACCELERATOR_TAINT_KEYS, family_of
from policies.spec import (
    ADVISORY, STANDARD, STRICT, Context, Params, Severity, Subject, cis_aws, cis_eks, nist, resource_policy,
    stack_policy,
)
from policies.views import StackView, as_list, first, given, is_sequence, is_unknown, peek, present, require, truthy

EKS_CLUSTER = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
INSTANCE = "aws:ec2/instance:Instance"
EBS_DEFAULT_ENCRYPTION = "aws:ebs/encryptionByDefault:EncryptionByDefault"


@resource_policy(
    id="eks-secrets-encryption", area="eks", title="EKS secrets envelope encryption",
    description="EKS clusters encrypt Kubernetes secrets with a customer-managed KMS key.",
    severity=Severity.HIGH, enforcement=STRICT, types=(EKS_CLUSTER,),
    remediation="Set encryption_config={resources: ['secrets'], provider: {key_arn: <cluster KMS key>}}.",
    frameworks=[cis_eks("5.3.1"), nist("SC-28"), nist("SC-12")],
)
def eks_secrets_encryption(resource: Subject, ctx: Context) -> Iterator[str]:
    config = first(resource.props.get("encryptionConfig")) or {}
    if "secrets" not in as_list(config.get("resources")) or not present(first(config.get("provider")) or {}, "keyArn"):
        yield "Kubernetes secrets are not envelope-encrypted with a KMS key"


class LoggingParams(Params):
    required_log_types: list[str]


@resource_policy(
    id="eks-control-plane-logging", area="eks", title="EKS control-plane logging",
    description="EKS clusters send the API server, audit and authenticator logs to CloudWatch.",
    severity=Severity.MEDIUM, enforcement=STANDARD, types=(EKS_CLUSTER,),
    remediation="Set enabled_cluster_log_types to include api, audit and authenticator (prod: all five).",
    frameworks=[cis_eks("2.1.1"), nist("AU-2"), nist("AU-12")],
    params=LoggingParams,
    param_defaults={env: {"required_log_types": list(types)} for env, types in EKS_REQUIRED_LOG_TYPES.items()},
)
def eks_control_plane_logging(resource: Subject, ctx: Context) -> Iterator[str]:
    enabled = set(as_list(resource.props.get("enabledClusterLogTypes")))
    missing = [t for t in ctx.params.required_log_types if t not in enabled]
    if missing:
        yield f"control-plane log types not enabled: {', '.join(missing)}"


class VersionParams(Params):
    supported_versions: list[str] = list(SUPPORTED_KUBERNETES_VERSIONS)


@resource_policy(
    id="eks-supported-version", area="eks", title="EKS supported Kubernetes version",
    description="EKS clusters pin a Kubernetes version that EKS still supports (standard or extended support).",
    severity=Severity.MEDIUM, enforcement=STANDARD, types=(EKS_CLUSTER,),
    remediation="Set version to one of the supported versions (policy parameter supportedVersions) and plan "
                "upgrades before the end of standard support.",
    frameworks=[nist("SI-2"), nist("SA-22")],
    params=VersionParams,
)
def eks_supported_version(resource: Subject, ctx: Context) -> Iterator[str]:
    version = resource.props.get("version")
    if version is None:
        yield "Kubernetes version is not pinned (AWS would pick one, and upgrades would be unplanned)"
    elif str(version) not in ctx.params.supported_versions:
        yield f"Kubernetes {version} is not supported (supported: {', '.join(ctx.params.supported_versions)})"


# What staying on a version past its standard support adds to one cluster's bill each month.
EXTENDED_SUPPORT_PREMIUM_MONTHLY = (
    prices.EKS_CLUSTER_EXTENDED_SUPPORT_HOURLY.usd - prices.EKS_CLUSTER_HOURLY.usd) * prices.HOURS_PER_MONTH
_PREMIUM = (f"${EXTENDED_SUPPORT_PREMIUM_MONTHLY:,.2f} more a month per cluster "
            f"(${prices.EKS_CLUSTER_EXTENDED_SUPPORT_HOURLY.usd:.2f}/h instead of ${prices.EKS_CLUSTER_HOURLY.usd:.2f}/h)")


@resource_policy(
    id="eks-version-standard-support", area="eks", title="EKS version in standard support",
    description="EKS clusters pin a Kubernetes version still in EKS standard support (calendar in "
                f"policies/facts/eks.py, as of {CALENDAR_CHECKED.isoformat()}): a version in extended support "
                f"costs {_PREMIUM}. Clusters that must stay on one set this policy advisory.",
    severity=Severity.MEDIUM, enforcement=STANDARD, types=(EKS_CLUSTER,),
    remediation="Upgrade version to one in standard support (newest: "
                f"{STANDARD_SUPPORT_KUBERNETES_VERSIONS[-1]}), one minor version at a time, with the add-ons "
                "pinned for it.",
    frameworks=[nist("SI-2"), nist("SA-22")],
)
def eks_version_standard_support(resource: Subject, ctx: Context) -> Iterator[str]:
    version = resource.props.get("version")
    if version is not None and str(version) in EXTENDED_SUPPORT_KUBERNETES_VERSIONS:
        ended = RELEASES_BY_VERSION[str(version)].end_of_standard
        yield (f"Kubernetes {version} left EKS standard support on {ended.isoformat()}: "
               f"extended support costs {_PREMIUM}")


class SupportEndingParams(Params):
    days_ahead: int = Field(60, ge=1)
    as_of: date | None = Field(None, description="The day to count from; default: the day the pack runs.")


@resource_policy(
    id="eks-standard-support-ending", area="eks", title="EKS standard support ending soon",
    description="Warns when the Kubernetes version an EKS cluster pins leaves EKS standard support within "
                "daysAhead days (default 60) of the day the pack runs (asOf to pin it), while there is time to "
                "upgrade before the extended-support charge starts.",
    severity=Severity.LOW, enforcement=ADVISORY, types=(EKS_CLUSTER,),
    remediation="Plan the upgrade to the next minor version (test the add-ons pinned for it in "
                "policies/facts/eks.py) before the end of standard support.",
    frameworks=[nist("SI-2"), nist("SA-22")],
    params=SupportEndingParams,
)
def eks_standard_support_ending(resource: Subject, ctx: Context) -> Iterator[str]:
    version = resource.props.get("version")
    release = RELEASES_BY_VERSION.get(str(version)) if version is not None else None
    today = ctx.params.as_of or date.today()
    if release is None or not today < release.end_of_standard:  # out of standard support: eks-version-standard-support
        return
    ends = release.end_of_standard
    days = (ends - today).days
    if days <= ctx.params.days_ahead:
        yield (f"Kubernetes {version} leaves EKS standard support on {ends.isoformat()}, in {days} days: "
               f"after that extended support costs {_PREMIUM}")


@resource_policy(
    id="ec2-imdsv2-required", area="eks", title="IMDSv2 required",
    description="Launch templates and instances require IMDSv2 tokens, with a hop limit of at most 2.",
    severity=Severity.HIGH, enforcement=STRICT, types=(LAUNCH_TEMPLATE, INSTANCE),
    remediation="Set metadata_options={http_tokens: 'required', http_put_response_hop_limit: 2, "
                "http_endpoint: 'enabled'}.",
    frameworks=[cis_aws("5.6"), nist("AC-3"), nist("SC-7")],
)
def ec2_imdsv2_required(resource: Subject, ctx: Context) -> Iterator[str]:
    options = first(resource.props.get("metadataOptions")) or {}
    if options.get("httpEndpoint") == "disabled":
        return
    if options.get("httpTokens") != "required":
        yield f"IMDSv2 not required (httpTokens={options.get('httpTokens', 'optional')})"
    hops = options.get("httpPutResponseHopLimit")
    if hops is not None and float(hops) > 2:
        yield f"metadata hop limit {int(float(hops))} lets containers reach the node's credentials"


def _launch_template_of(stack: StackView, group: Any) -> Any | None:
    """The node group's launch template: by property dependency (its id is unknown in preview), else by
    a known id or name."""
    spec = first(peek(group.props, "launchTemplate"))
    if spec is None:
        return None
    templates = stack.of_type_cached(LAUNCH_TEMPLATE)
    path = (0,) if is_sequence(peek(group.props, "launchTemplate")) else ()
    found = stack.referenced(group, "launchTemplate", templates, *path, "id") \
        or stack.referenced(group, "launchTemplate", templates, *path, "name")
    return found[0] if found else None


def node_group_instance_types(stack: StackView, group: Any) -> list[str]:
    types = [str(t) for t in as_list(given(group, "instanceTypes"))]  # computed by EKS when not given
    template = _launch_template_of(stack, group)
    if template is not None and template.props.get("instanceType"):
        types.append(str(template.props["instanceType"]))
    return types or ["t3.medium"]  # the EKS default


@stack_policy(
    id="eks-gpu-nodes-tainted", area="eks", title="GPU node pools tainted",
    description="EKS node groups with accelerators carry their device plugin's NoSchedule taint (nvidia.com/gpu, "
                "aws.amazon.com/neuron for Trainium/Inferentia), so only pods that ask for accelerators land on them.",
    types=(NODE_GROUP,),
    severity=Severity.MEDIUM, enforcement=STANDARD,
    remediation="Add taints=[{key: 'nvidia.com/gpu' (or 'aws.amazon.com/neuron'), value: 'true', "
                "effect: 'NO_SCHEDULE'}] to the node group.",
    frameworks=[nist("CM-6")],
)
def eks_gpu_nodes_tainted(stack: StackView, ctx: Context) -> Iterator[tuple[str, str]]:
    for group in stack.of_type(NODE_GROUP):
        types = node_group_instance_types(stack, group)
        kinds = {family.accelerator for family in map(family_of, types) if family is not None and family.accelerator}
        ami = str(given(group, "amiType") or "").upper()  # computed by EKS when not given
        if not kinds and ("GPU" in ami or "NVIDIA" in ami):
            kinds = {"nvidia"}
        taints = [t for t in as_list(group.props.get("taints")) if isinstance(t, Mapping)]
        for kind in sorted(kinds):
            key = ACCELERATOR_TAINT_KEYS[kind]
            if not any(t.get("key") == key and t.get("effect") == "NO_SCHEDULE" for t in taints):
                yield group.urn, f"GPU node group '{group.name}' ({', '.join(types)}) has no {key} NoSchedule taint"


@stack_policy(
    id="eks-node-volumes-encrypted", area="eks", title="EKS node volumes encrypted",
    description="EKS node groups boot from encrypted volumes: an encrypted launch-template block device, or "
                "account-wide EBS encryption by default.",
    types=(NODE_GROUP,),
    severity=Severity.HIGH, enforcement=STRICT,
    remediation="Give the node group a launch template whose block_device_mappings set ebs.encrypted \"true\" "
                "with the data KMS key, or enable aws.ebs.EncryptionByDefault.",
    frameworks=[cis_aws("2.2.1"), nist("SC-28")],
)
def eks_node_volumes_encrypted(stack: StackView, ctx: Context) -> Iterator[tuple[str, str]]:
    if any(truthy(r.props.get("enabled", True)) for r in stack.of_type(EBS_DEFAULT_ENCRYPTION)):
        return
    for group in stack.of_type(NODE_GROUP):
        template = _launch_template_of(stack, group)
        mappings = [first(m.get("ebs")) for m in as_list(template.props.get("blockDeviceMappings"))
                    if isinstance(m, Mapping)] if template is not None else []
        if not mappings or not all(isinstance(e, Mapping) and truthy(e.get("encrypted")) for e in mappings):
            how = "its launch template" if template is not None else "no launch template"
            yield group.urn, f"node group '{group.name}' volumes are not encrypted ({how}, no EBS encryption by default)"


@resource_policy(
    id="eks-node-no-remote-access", area="eks", title="No SSH to EKS nodes",
    description="EKS node groups do not open SSH remote access.",
    severity=Severity.MEDIUM, enforcement=STANDARD, types=(NODE_GROUP,),
    remediation="Remove remote_access; use SSM Session Manager for node access.",
    frameworks=[cis_eks("5.4.3"), nist("AC-17")],
)
def eks_node_no_remote_access(resource: Subject, ctx: Context) -> Iterator[str]:
    access = first(resource.props.get("remoteAccess"))
    if isinstance(access, Mapping) and (present(access, "ec2SshKey") or present(access, "sourceSecurityGroupIds")):
        yield "SSH remote access is configured"


@resource_policy(
    id="eks-access-entries-only", area="eks", title="EKS access through access entries only",
    description="EKS clusters authenticate with access entries only (authentication mode API), never the aws-auth "
                "ConfigMap, whose edits grant cluster access outside IAM and CloudTrail.",
    severity=Severity.HIGH, enforcement=STANDARD, types=(EKS_CLUSTER,),
    remediation="Set access_config={authentication_mode: 'API'} and grant access with aws.eks.AccessEntry and "
                "aws.eks.AccessPolicyAssociation (namespace-scoped for teams).",
    frameworks=[nist("AC-2"), nist("AC-3"), nist("AU-12")],
)
def eks_access_entries_only(resource: Subject, ctx: Context) -> Iterator[str]:
    mode = (first(resource.props.get("accessConfig")) or {}).get("authenticationMode")
    if mode != "API":
        yield f"authentication mode {mode or 'CONFIG_MAP (the AWS default)'} lets the aws-auth ConfigMap grant access"


AUTOSCALING_TAG = "aws:autoscaling/tag:Tag"
AUTOSCALER_GPU_TEMPLATE = "k8s.io/cluster-autoscaler/node-template/resources/"


@stack_policy(
    id="eks-gpu-pool-scale-from-zero", area="eks", title="Empty GPU pools can scale up",
    description="A GPU node group that may shrink to zero nodes (minSize 0) carries Cluster Autoscaler's "
                "node-template resource tag on its Auto Scaling group: with no node to look at, the autoscaler "
                "learns the pool's GPUs from that tag, or never starts a node for a pending GPU pod.",
    types=(NODE_GROUP, AUTOSCALING_TAG),
    severity=Severity.MEDIUM, enforcement=ADVISORY,
    remediation="Add aws.autoscaling.Tag resources on the node group's resources[0].autoscaling_groups[0].name with "
                "k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/gpu = <GPUs per node> (and the "
                "label/taint templates); or scale GPU pools with Karpenter NodePools instead.",
    frameworks=[nist("CP-2"), nist("SC-5")],
)
def eks_gpu_pool_scale_from_zero(stack: StackView, ctx: Context) -> Iterator[tuple[str, str]]:
    groups = stack.of_type_cached(NODE_GROUP)
    announced: dict[str, set[str]] = {}  # node group urn -> tag keys on its Auto Scaling group
    for tag in stack.of_type(AUTOSCALING_TAG):
        for target in stack.referenced(tag, "autoscalingGroupName", groups):
            key = peek(tag.props, "tag", "key")
            require(key)
            announced.setdefault(target.urn, set()).add(str(key))
    for group in groups:
        minimum = peek(group.props, "scalingConfig", "minSize")
        if is_unknown(minimum) or minimum is None or float(minimum) > 0:
            continue
        kinds = {family.accelerator for family in map(family_of, node_group_instance_types(stack, group))
                 if family is not None and family.accelerator}
        if not kinds:
            continue
        for kind in sorted(kinds):
            key = AUTOSCALER_GPU_TEMPLATE + ACCELERATOR_TAINT_KEYS[kind]
            if key not in announced.get(group.urn, set()):
                yield group.urn, f"GPU node group '{group.name}' scales to zero but its Auto Scaling group has no {key} tag"
