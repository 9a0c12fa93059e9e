"""Cluster settings: the EKS control plane, its system nodes and the CPU/GPU node groups."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from policies.facts.eks import (
    CLUSTER_AUTOSCALER_IMAGE_TAGS,
    EKS_ADDON_VERSIONS,
    EKS_LOG_TYPES,
    EKS_REQUIRED_LOG_TYPES,
    SUPPORTED_KUBERNETES_VERSIONS,
)
from policies.facts.instance_types import ACCELERATOR_TAINT_KEYS, EFA_NETWORK_CARDS

from .aws_facts import DEFAULT_KUBERNETES_VERSION
from .base import Cidr, Name, SettingsModel, duplicates, scope_of, show
from .errors import Problems
from .instance_types import InstanceSpec, UnknownInstanceType, lookup
from .rules import PROD_MIN_SYSTEM_NODES

CapacityType = Literal["ON_DEMAND", "SPOT", "CAPACITY_BLOCK"]
FsxThroughput = Literal[125, 250, 500, 1000]
_CAPACITY_RESERVATION_ID = re.compile(r"^cr-[0-9a-f]{8,17}$")
TaintEffect = Literal["NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE"]
EksLogType = Literal[EKS_LOG_TYPES]  # type: ignore[valid-type]

_LABEL_NAME = r"([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)"
_LABEL_KEY = re.compile(rf"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?{_LABEL_NAME}$")
_LABEL_VALUE = re.compile(rf"^{_LABEL_NAME}?$")


def _label_key(value: str) -> str:
    if not _LABEL_KEY.match(value) or len(value.partition("/")[0]) > 253:
        raise ValueError(
            f"{show(value)} is not a Kubernetes label key (expected [prefix/]name, name at most 63 letters, "
            "digits, '-', '_' or '.', e.g. mladmin.io/team)"
        )
    return value


def _label_value(value: str) -> str:
    if not _LABEL_VALUE.match(value):
        raise ValueError(
            f"{show(value)} is not a Kubernetes label value (expected at most 63 letters, digits, '-', '_' or '.', "
            "starting and ending with a letter or digit)"
        )
    return value


def _instance_type(value: str) -> str:
    try:
        lookup(value)
    except UnknownInstanceType as error:
        raise ValueError(str(error)) from None
    return value


LabelKey = Annotated[str, AfterValidator(_label_key)]
LabelValue = Annotated[str, AfterValidator(_label_value)]
InstanceType = Annotated[str, AfterValidator(_instance_type)]


class TaintSettings(SettingsModel):
    """A Kubernetes taint on every node of a group (EKS API spelling of the effect)."""

    key: LabelKey = Field(examples=["nvidia.com/gpu"], description="Taint key, e.g. nvidia.com/gpu.")
    value: LabelValue = Field("", description="Taint value. Default empty.")
    effect: TaintEffect = Field("NO_SCHEDULE", description="NO_SCHEDULE, NO_EXECUTE or PREFER_NO_SCHEDULE. Default NO_SCHEDULE.")


class NodeGroupSettings(SettingsModel):
    """One EKS managed node group."""

    name: Name = Field(examples=["gpu-a10g"], description="Node group name, unique in the cluster, e.g. gpu-a10g.")
    instance_types: list[InstanceType] = Field(
        min_length=1, examples=[["g5.xlarge"]], description="EC2 instance types, e.g. [g5.xlarge, g5.2xlarge]; one architecture and kind."
    )
    capacity_type: CapacityType = Field(
        "ON_DEMAND",
        description="ON_DEMAND, SPOT, or CAPACITY_BLOCK (an EC2 Capacity Block for ML; needs "
        "capacityReservationId). Default ON_DEMAND.",
    )
    capacity_reservation_id: str | None = Field(
        None,
        examples=["cr-0123456789abcdef0"],
        description="On-demand capacity reservation or Capacity Block the pool launches into (cr-...). Default none.",
    )
    availability_zone: str | None = Field(
        None,
        examples=["us-east-1a"],
        description="Keep the pool in one zone of mladmin:network.availabilityZones. Default: every zone; EFA "
        "pools (p4d, p5, p5e, p5en, trn1) the first zone, as their cluster placement group needs.",
    )
    min_size: int = Field(0, ge=0, description="Fewest nodes. Default 0.")
    desired_size: int | None = Field(
        None, ge=0, description="Nodes at creation (the autoscaler moves it later). Default: minSize."
    )
    max_size: int = Field(3, ge=0, description="Most nodes, at least 1. Default 3.")
    disk_size_gb: int = Field(100, ge=20, le=16384, description="Root volume size in GiB (encrypted). Default 100.")
    gpu: bool = Field(
        False,
        description="An accelerator pool (NVIDIA GPU, Trainium or Inferentia). Default: derived from "
        "instanceTypes; when given it must match them.",
    )
    labels: dict[LabelKey, LabelValue] = Field(default_factory=dict, description="Kubernetes node labels. Default none.")
    taints: list[TaintSettings] = Field(
        default_factory=list,
        max_length=50,
        description="Kubernetes taints. Default: none for CPU pools; accelerator pools get "
        "nvidia.com/gpu=true:NO_SCHEDULE (aws.amazon.com/neuron for Neuron types) so only pods that "
        "request accelerators land there.",
    )

    @model_validator(mode="before")
    @classmethod
    def _derive_gpu_and_taints(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        types = data.get("instanceTypes", data.get("instance_types"))
        specs = _known_specs(types)
        if specs is None:
            return data
        kinds = {spec.accelerator for spec in specs}
        data = dict(data)
        if "gpu" not in data and len(kinds) == 1:
            data["gpu"] = kinds != {None}
        accelerator = next(iter(kinds)) if len(kinds) == 1 else None
        if "taints" not in data and data.get("gpu") is True and accelerator:
            data["taints"] = [{"key": ACCELERATOR_TAINT_KEYS[accelerator], "value": "true", "effect": "NO_SCHEDULE"}]
        return data

    @model_validator(mode="after")
    def _check(self) -> "NodeGroupSettings":
        problems = Problems()
        if self.desired_size is None:
            self.desired_size = self.min_size
        if self.max_size < self.min_size:
            problems.add("maxSize", f"{self.max_size} is less than minSize {self.min_size}")
        elif self.max_size < 1:
            problems.add("maxSize", f"{self.max_size} is less than 1 (EKS node groups need maxSize >= 1)")
        elif self.desired_size < self.min_size:
            problems.add("desiredSize", f"{self.desired_size} is less than minSize {self.min_size}")
        elif self.desired_size > self.max_size:
            problems.add("desiredSize", f"{self.desired_size} is more than maxSize {self.max_size}")
        self._check_instance_types(problems)
        self._check_capacity(problems)
        for index, taint in duplicates([(taint.key, taint.effect) for taint in self.taints]):
            problems.add(("taints", index), f"{show(taint[0])} with effect {taint[1]} is listed twice")
        problems.raise_if_any()
        return self

    def _check_instance_types(self, problems: Problems) -> None:
        specs = [lookup(name) for name in self.instance_types]
        for index, name in duplicates(self.instance_types):
            problems.add(("instanceTypes", index), f"{show(name)} is listed twice")
        for index, spec in enumerate(specs):
            if self.gpu and spec.accelerator is None:
                problems.add(
                    ("instanceTypes", index),
                    f"{show(spec.name)} is not a GPU instance type (a gpu: true pool expects accelerator "
                    "types, e.g. g5.xlarge, g6e.xlarge, p5.48xlarge, trn1.32xlarge)",
                )
            elif not self.gpu and spec.accelerator is not None:
                problems.add(
                    ("instanceTypes", index),
                    f"{show(spec.name)} is a GPU instance type ({spec.family.device}) in a pool with gpu: false "
                    "(expected a CPU type, or gpu: true)",
                )
        if len({spec.accelerator for spec in specs} - {None}) > 1:
            problems.add(
                "instanceTypes",
                f"{show(self.instance_types)} mixes NVIDIA and Neuron accelerators (expected one kind per pool)",
            )
        if len({spec.arch for spec in specs}) > 1:
            arches = ", ".join(f"{spec.name} is {spec.arch}" for spec in specs)
            problems.add(
                "instanceTypes", f"{show(self.instance_types)} mixes architectures ({arches}; expected one AMI architecture)"
            )

    def _check_capacity(self, problems: Problems) -> None:
        reservation = self.capacity_reservation_id
        if reservation is not None and not _CAPACITY_RESERVATION_ID.match(reservation):
            problems.add("capacityReservationId",
                         f"{show(reservation)} is not a capacity reservation id (expected cr- and 8 or 17 hex digits)")
        if self.capacity_type == "CAPACITY_BLOCK" and reservation is None:
            problems.add("capacityReservationId",
                         "missing while capacityType is CAPACITY_BLOCK (expected the Capacity Block's cr-... id)")
        if self.capacity_type == "SPOT" and reservation is not None:
            problems.add("capacityReservationId",
                         f"{show(reservation)} cannot be used by a SPOT pool (expected ON_DEMAND or CAPACITY_BLOCK)")
        cards = {EFA_NETWORK_CARDS.get(name, 0) for name in self.instance_types}
        if len(cards) > 1:
            problems.add("instanceTypes",
                         f"{show(self.instance_types)} mixes EFA network layouts (expected types with the same EFA "
                         "interface count, e.g. only p4d.24xlarge or only p5.48xlarge)")

    @property
    def efa_interfaces(self) -> int:
        """EFA interfaces per node (one per network card) for EFA training types, else 0."""
        return max(EFA_NETWORK_CARDS.get(name, 0) for name in self.instance_types)

    @property
    def specs(self) -> list[InstanceSpec]:
        return [lookup(name) for name in self.instance_types]

    @property
    def accelerator(self) -> str | None:
        """``nvidia``, ``neuron`` or None for a CPU pool."""
        return self.specs[0].accelerator if self.gpu else None

    @property
    def accelerators_per_node(self) -> int:
        """Accelerator devices a node of this group surely has (the smallest of its types)."""
        return min(spec.accelerators for spec in self.specs) if self.gpu else 0

    @property
    def arch(self) -> str:
        return self.specs[0].arch


def _known_specs(types: Any) -> list[InstanceSpec] | None:
    if not isinstance(types, list) or not types or not all(isinstance(name, str) for name in types):
        return None
    try:
        return [lookup(name) for name in types]
    except UnknownInstanceType:
        return None


class SystemNodesSettings(NodeGroupSettings):
    """The node group for cluster add-ons (CoreDNS, autoscaler, device plugins): CPU only."""

    name: Name = Field("system", description="Node group name. Default system.")
    instance_types: list[InstanceType] = Field(
        default_factory=lambda: ["m6i.large"], min_length=1, description="CPU instance types. Default [m6i.large]."
    )
    min_size: int = Field(2, ge=0, description="Fewest nodes. Default 2 (prod requires >= 2).")
    max_size: int = Field(4, ge=0, description="Most nodes, at least 1. Default 4.")
    disk_size_gb: int = Field(50, ge=20, le=16384, description="Root volume size in GiB. Default 50.")


class FsxSettings(SettingsModel):
    """An FSx for Lustre file system linked to the datasets and checkpoints buckets."""

    enabled: bool | None = Field(None, description="Create the file system. Default: true in prod, false elsewhere.")
    storage_capacity_gib: int = Field(
        1200, ge=1200, description="Capacity in GiB: 1200, or a multiple of 2400 (PERSISTENT_2). Default 1200."
    )
    throughput_per_tib: FsxThroughput = Field(
        250, description="MB/s per TiB of storage: 125, 250, 500 or 1000. Default 250."
    )

    @field_validator("storage_capacity_gib")
    @classmethod
    def _capacity_step(cls, value: int) -> int:
        if value != 1200 and value % 2400:
            raise ValueError(f"{value} is not a PERSISTENT_2 capacity (expected 1200 or a multiple of 2400 GiB)")
        return value

    @model_validator(mode="after")
    def _default_by_environment(self, info: ValidationInfo) -> "FsxSettings":
        if self.enabled is None:
            self.enabled = scope_of(info).is_prod
        return self


class ClusterSettings(SettingsModel):
    """``mladmin:cluster``: one EKS cluster for training, evaluation and serving."""

    kubernetes_version: str = Field(
        DEFAULT_KUBERNETES_VERSION,
        description=f"EKS Kubernetes version, quoted: one of {', '.join(SUPPORTED_KUBERNETES_VERSIONS)}. "
        f"Default {DEFAULT_KUBERNETES_VERSION}.",
    )
    endpoint_public_access: bool = Field(
        False, description="Expose the Kubernetes API endpoint publicly. Default false (private only)."
    )
    public_access_cidrs: list[Cidr] = Field(
        default_factory=list,
        description="CIDRs allowed to reach a public endpoint; required when endpointPublicAccess is true. Default none.",
    )
    deletion_protection: bool = Field(
        True, description="EKS deletion protection. Default true; prod requires it."
    )
    enabled_log_types: list[EksLogType] = Field(
        default_factory=lambda: list(EKS_REQUIRED_LOG_TYPES["dev"]),
        description=f"Control plane logs sent to CloudWatch ({', '.join(EKS_LOG_TYPES)}). "
        "Default [api, audit, authenticator]; prod requires all five.",
    )
    system_nodes: SystemNodesSettings = Field(
        default_factory=SystemNodesSettings,
        description="Node group for cluster add-ons. Default: 2-4 on-demand m6i.large.",
    )
    node_groups: list[NodeGroupSettings] = Field(
        default_factory=list, description="Workload node groups (CPU and GPU pools). Default none."
    )
    fsx: FsxSettings = Field(
        default_factory=dict, validate_default=True,
        description="FSx for Lustre for training data. Default: on in prod (1200 GiB, 250 MB/s/TiB), off elsewhere.",
    )

    @field_validator("kubernetes_version", mode="before")
    @classmethod
    def _version_is_quoted(cls, value: Any) -> Any:
        if isinstance(value, float):
            raise ValueError(
                f"{value!r} is a number (expected a quoted version string such as \"{DEFAULT_KUBERNETES_VERSION}\": "
                "YAML reads 1.30 as 1.3)"
            )
        return value

    @field_validator("kubernetes_version")
    @classmethod
    def _version_supported(cls, value: str) -> str:
        if value not in SUPPORTED_KUBERNETES_VERSIONS:
            raise ValueError(
                f"{show(value)} is not a supported EKS version (expected one of {', '.join(SUPPORTED_KUBERNETES_VERSIONS)})"
            )
        if value not in EKS_ADDON_VERSIONS:
            raise ValueError(
                f"{show(value)} has no pinned EKS add-on versions (expected one of {', '.join(EKS_ADDON_VERSIONS)}, "
                "or a row for it in policies/facts/eks.py EKS_ADDON_VERSIONS)"
            )
        return value

    @model_validator(mode="after")
    def _check(self, info: ValidationInfo) -> "ClusterSettings":
        scope = scope_of(info)
        problems = Problems()
        if self.endpoint_public_access and not self.public_access_cidrs:
            problems.add(
                "publicAccessCidrs",
                "missing while endpointPublicAccess is true (expected the CIDRs allowed to reach the API, "
                "e.g. [203.0.113.0/24]; without them AWS opens it to 0.0.0.0/0)",
            )
        if self.public_access_cidrs and not self.endpoint_public_access:
            problems.add(
                "publicAccessCidrs",
                f"{show(self.public_access_cidrs)} has no effect while endpointPublicAccess is false "
                "(expected no publicAccessCidrs, or endpointPublicAccess: true)",
            )
        if self.system_nodes.gpu:
            problems.add(
                ("systemNodes", "gpu"),
                "true is not allowed (system nodes run cluster add-ons; expected CPU instance types)",
            )
        names = [self.system_nodes.name] + [group.name for group in self.node_groups]
        for index, name in duplicates(names):
            problems.add(("nodeGroups", index - 1, "name"), f"{show(name)} is already used by another node group")
        for index, log_type in duplicates(self.enabled_log_types):
            problems.add(("enabledLogTypes", index), f"{show(log_type)} is listed twice")
        required = EKS_REQUIRED_LOG_TYPES.get(scope.environment or "", ())
        missing = [log_type for log_type in required if log_type not in self.enabled_log_types]
        if missing:
            problems.add(
                "enabledLogTypes",
                f"{show(self.enabled_log_types)} lacks {', '.join(missing)} (expected at least "
                f"{', '.join(required)} in {scope.environment}, as policy eks-control-plane-logging requires)",
            )
        if scope.is_prod:
            self._check_prod(problems)
        problems.raise_if_any()
        return self

    def _check_prod(self, problems: Problems) -> None:
        if not self.deletion_protection:
            problems.add("deletionProtection", "false is not allowed in prod (expected true)")
        if self.system_nodes.capacity_type != "ON_DEMAND":
            problems.add(
                ("systemNodes", "capacityType"),
                f"{show(self.system_nodes.capacity_type)} is not allowed in prod (expected 'ON_DEMAND': "
                "a spot reclaim would take the cluster add-ons down)",
            )
        if self.system_nodes.availability_zone is not None:
            problems.add(
                ("systemNodes", "availabilityZone"),
                f"{show(self.system_nodes.availability_zone)} is not allowed in prod (system nodes span every zone)",
            )
        if self.system_nodes.min_size < PROD_MIN_SYSTEM_NODES:
            problems.add(
                ("systemNodes", "minSize"),
                f"{self.system_nodes.min_size} is below the prod minimum of {PROD_MIN_SYSTEM_NODES} (one node per zone failure)",
            )
        for index, cidr in enumerate(self.public_access_cidrs):
            if cidr.endswith("/0"):
                problems.add(
                    ("publicAccessCidrs", index),
                    f"{show(cidr)} opens the Kubernetes API to the internet (prod expects specific CIDRs)",
                )

    @property
    def all_node_groups(self) -> list[NodeGroupSettings]:
        """The system node group followed by the workload node groups."""
        return [self.system_nodes, *self.node_groups]

    @property
    def cluster_autoscaler_image_tag(self) -> str | None:
        """The Cluster Autoscaler image for this Kubernetes version (None: none pinned yet)."""
        return CLUSTER_AUTOSCALER_IMAGE_TAGS.get(self.kubernetes_version)

    @property
    def gpu_node_groups(self) -> list[NodeGroupSettings]:
        return [group for group in self.node_groups if group.gpu]

    @property
    def max_accelerators(self) -> int:
        """Accelerator devices the GPU pools can hold at their maxSize."""
        return sum(group.max_size * group.accelerators_per_node for group in self.gpu_node_groups)
