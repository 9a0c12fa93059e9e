"""EC2 instance families: sizes, architecture and accelerators per instance, local instance store.

SageMaker ``ml.<type>`` instances have the hardware of the EC2 ``<type>``. A type that is not here
is unknown to the settings (rejected at plan time) and uncounted by the GPU budget (reported).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal, Mapping

Accelerator = Literal["nvidia", "neuron"]
Arch = Literal["x86_64", "arm64"]

SAGEMAKER_PREFIX = "ml."


@dataclass(frozen=True)
class InstanceFamily:
    name: str
    arch: Arch
    sizes: Mapping[str, int]  # size -> accelerator devices per instance (0 for CPU families)
    accelerator: Accelerator | None = None
    device: str | None = None  # e.g. "NVIDIA A10G"
    device_memory_mib: int = 0  # per device, as EC2 reports it (a "24 GB" A10G is 22,888 MiB = 22.35 GiB)

    @property
    def device_memory_gib(self) -> float:
        return self.device_memory_mib / 1024


def _cpu(name: str, sizes: str, arch: Arch = "x86_64") -> InstanceFamily:
    return InstanceFamily(name, arch, MappingProxyType({size: 0 for size in sizes.split()}))


def _acc(
    name: str, sizes: dict[str, int], accelerator: Accelerator, device: str, memory_mib: int, arch: Arch = "x86_64",
) -> InstanceFamily:
    return InstanceFamily(name, arch, MappingProxyType(sizes), accelerator, device, memory_mib)


_STD = "large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge"
_BURST = "nano micro small medium large xlarge 2xlarge"
_G = {"xlarge": 1, "2xlarge": 1, "4xlarge": 1, "8xlarge": 1, "12xlarge": 4, "16xlarge": 1, "24xlarge": 4, "48xlarge": 8}

# Source: the EC2 instance type pages ("Amazon EC2 instance types": general purpose, compute and memory
# optimized, accelerated computing, with the GPU/accelerator count per size), checked 2026-07; the
# accelerated rows re-checked 2026-12.
FAMILIES: Mapping[str, InstanceFamily] = MappingProxyType({family.name: family for family in (
    # General purpose, compute and memory optimised (system pools, CPU workloads).
    _cpu("t2", _BURST), _cpu("t3", _BURST), _cpu("t3a", _BURST), _cpu("t4g", _BURST, "arm64"),
    _cpu("m5", _STD + " metal"), _cpu("m5a", _STD), _cpu("m5n", _STD + " metal"), _cpu("m5d", _STD + " metal"),
    _cpu("m6i", _STD + " 32xlarge metal"), _cpu("m6a", _STD + " 32xlarge 48xlarge metal"),
    _cpu("m6id", _STD + " 32xlarge metal"),
    _cpu("m6g", "medium " + _STD.replace(" 24xlarge", "") + " metal", "arm64"),
    _cpu("m7i", _STD + " 48xlarge metal-24xl metal-48xl"),
    _cpu("m7i-flex", "large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge"),
    _cpu("m7a", "medium " + _STD + " 32xlarge 48xlarge metal-48xl"),
    _cpu("m7g", "medium " + _STD.replace(" 24xlarge", "") + " metal", "arm64"),
    _cpu("m8g", "medium " + _STD + " 48xlarge metal-24xl metal-48xl", "arm64"),
    _cpu("c5", "large xlarge 2xlarge 4xlarge 9xlarge 12xlarge 18xlarge 24xlarge metal"),
    _cpu("c5n", "large xlarge 2xlarge 4xlarge 9xlarge 18xlarge metal"),
    _cpu("c6i", _STD + " 32xlarge metal"), _cpu("c6a", _STD + " 32xlarge 48xlarge metal"),
    _cpu("c6g", "medium " + _STD.replace(" 24xlarge", "") + " metal", "arm64"),
    _cpu("c7i", _STD + " 48xlarge metal-24xl metal-48xl"), _cpu("c7a", "medium " + _STD + " 32xlarge 48xlarge metal-48xl"),
    _cpu("c7g", "medium " + _STD.replace(" 24xlarge", "") + " metal", "arm64"),
    _cpu("r5", _STD + " metal"), _cpu("r6i", _STD + " 32xlarge metal"), _cpu("r6a", _STD + " 32xlarge 48xlarge metal"),
    _cpu("r7i", _STD + " 48xlarge metal-24xl metal-48xl"),
    _cpu("r7g", "medium " + _STD.replace(" 24xlarge", "") + " metal", "arm64"),
    _cpu("x2idn", "16xlarge 24xlarge 32xlarge metal"),
    # NVIDIA GPUs. Memory per GPU in MiB: EC2 DescribeInstanceTypes GpuInfo.Gpus[].MemoryInfo.SizeInMiB, as
    # aws/karpenter-provider-aws website/content/en/docs/reference/instance-types.md@1d92708 lists it
    # (label karpenter.k8s.aws/instance-gpu-memory), checked 2026-12.
    _acc("g4dn", {"xlarge": 1, "2xlarge": 1, "4xlarge": 1, "8xlarge": 1, "12xlarge": 4, "16xlarge": 1, "metal": 8},
         "nvidia", "NVIDIA T4", 16384),
    _acc("g5", dict(_G), "nvidia", "NVIDIA A10G", 22888),
    _acc("g5g", {"xlarge": 1, "2xlarge": 1, "4xlarge": 1, "8xlarge": 1, "16xlarge": 2, "metal": 2},
         "nvidia", "NVIDIA T4G", 16384, "arm64"),
    _acc("g6", dict(_G), "nvidia", "NVIDIA L4", 22888),
    _acc("gr6", {"4xlarge": 1, "8xlarge": 1}, "nvidia", "NVIDIA L4", 22888),
    _acc("g6e", dict(_G), "nvidia", "NVIDIA L40S", 45776),
    _acc("p3", {"2xlarge": 1, "8xlarge": 4, "16xlarge": 8}, "nvidia", "NVIDIA V100", 16384),
    _acc("p3dn", {"24xlarge": 8}, "nvidia", "NVIDIA V100", 32768),
    _acc("p4d", {"24xlarge": 8}, "nvidia", "NVIDIA A100", 40960),
    _acc("p4de", {"24xlarge": 8}, "nvidia", "NVIDIA A100", 81920),
    _acc("p5", {"4xlarge": 1, "48xlarge": 8}, "nvidia", "NVIDIA H100", 81920),
    _acc("p5e", {"48xlarge": 8}, "nvidia", "NVIDIA H200", 144384),
    _acc("p5en", {"48xlarge": 8}, "nvidia", "NVIDIA H200", 144384),
    _acc("p6-b200", {"48xlarge": 8}, "nvidia", "NVIDIA B200", 183359),
    # AWS Neuron accelerators (Trainium for training, Inferentia for inference), Neuron devices per size. Memory per
    # device: the AWS Neuron architecture pages' 32 GB (Trainium, Inferentia2) and 96 GB (Trainium2) HBM, taken as
    # GiB (EC2's listing above gives no accelerator memory for Neuron types), checked 2026-12.
    _acc("trn1", {"2xlarge": 1, "32xlarge": 16}, "neuron", "AWS Trainium", 32768),
    _acc("trn1n", {"32xlarge": 16}, "neuron", "AWS Trainium", 32768),
    _acc("trn2", {"48xlarge": 16}, "neuron", "AWS Trainium2", 98304),
    _acc("inf2", {"xlarge": 1, "8xlarge": 1, "24xlarge": 6, "48xlarge": 12}, "neuron", "AWS Inferentia2", 32768),
)})

# Family-name prefixes of accelerated instances, to recognise a type that FAMILIES does not list yet
# (p<digit>…, g4…, g5…, gr6, trn…, inf…, dl…): the GPU policies report those as uncounted.
ACCELERATED_FAMILY_PREFIXES: tuple[str, ...] = ("g4", "g5", "g6", "gr6", "trn", "inf", "dl")

# Families with local NVMe instance storage: SageMaker rejects a volume KMS key for them and relies on
# the instance store's hardware encryption (SageMaker Developer Guide, "Protect data at rest using
# encryption" / instance storage volumes, checked 2026-07). p6-b200, trn2 and x2idn added 2026-12: local NVMe per
# karpenter-provider-aws's instance-type reference @1d92708 (label karpenter.k8s.aws/instance-local-nvme).
INSTANCE_STORE_FAMILIES: frozenset[str] = frozenset({
    "g4dn", "g5", "g6", "g6e", "gr6", "p3dn", "p4d", "p4de", "p5", "p5e", "p5en", "p6-b200",
    "trn1", "trn1n", "trn2", "m5d", "c5d", "r5d", "m6id", "c6id", "r6id", "x2idn",
})

# The node taint (and Kubernetes extended resource) of each accelerator kind's device plugin:
# NVIDIA device plugin and the AWS Neuron device plugin (EKS User Guide, "Use AWS Inferentia/Trainium
# instances", checked 2026-12).
ACCELERATOR_TAINT_KEYS: Mapping[str, str] = MappingProxyType(
    {"nvidia": "nvidia.com/gpu", "neuron": "aws.amazon.com/neuron"}
)


def ec2_type(instance_type: str) -> str:
    """The EC2 type behind a SageMaker ``ml.`` type (other names unchanged)."""
    return instance_type[len(SAGEMAKER_PREFIX):] if instance_type.startswith(SAGEMAKER_PREFIX) else instance_type


def family_of(instance_type: str) -> InstanceFamily | None:
    """The listed family of an EC2 or ``ml.`` type whose size is listed too, else None."""
    family_name, _, size = ec2_type(instance_type).partition(".")
    family = FAMILIES.get(family_name)
    return family if family is not None and size in family.sizes else None


def accelerators_per_instance(instance_type: str) -> int:
    """GPUs (or Neuron devices) of one instance of a listed type; 0 for CPU and unlisted types."""
    family = family_of(instance_type)
    return family.sizes[ec2_type(instance_type).partition(".")[2]] if family is not None else 0

# EFA-capable training types and their network cards (one EFA interface per card): pools of these get
# EFA interfaces and a cluster placement group (EC2 User Guide, "Elastic Fabric Adapter", supported
# instance types and "Network cards", checked 2026-12).
EFA_NETWORK_CARDS: Mapping[str, int] = MappingProxyType({
    "p4d.24xlarge": 4, "p4de.24xlarge": 4, "p5.48xlarge": 32, "p5e.48xlarge": 32, "p5en.48xlarge": 16,
    "trn1.32xlarge": 8, "trn1n.32xlarge": 16,
})


Interconnect = Literal["NVLink", "PCIe", "NeuronLink"]


@dataclass(frozen=True)
class AcceleratorSpec:
    """Per-device figures of an accelerated family that capacity planning needs beyond ``InstanceFamily``
    (which already holds the device name, devices per size and memory per device)."""

    memory_bandwidth_gbs: float  # GB/s per device (10^9 bytes/s), HBM/GDDR peak
    interconnect: Interconnect   # what tensor-parallel all-reduces between the devices of one instance run over
    interconnect_gbs: float  # GB/s per device, both directions together, as the datasheet quotes it
    source: str
    cores_per_device: int = 1  # NeuronCores per Neuron device (the unit Neuron's tensor-parallel degree counts)


_T4 = "from memory of the NVIDIA T4 datasheet (320 GB/s GDDR6; PCIe Gen3 x16 32 GB/s)"
_A10G = ("from memory of the NVIDIA A10 datasheet and the EC2 G5 page (A10G: 600 GB/s GDDR6; "
         "PCIe Gen4 x16 64 GB/s; no NVLink on G5)")
_L4 = "from memory of the NVIDIA L4 datasheet (300 GB/s GDDR6; PCIe Gen4 x16 64 GB/s)"
_L40S = "from memory of the NVIDIA L40S datasheet (864 GB/s GDDR6; PCIe Gen4 x16 64 GB/s, no NVLink)"
# AWS Neuron documentation, checked 2026-12 through the project's search index. The docs quote the same figure as
# GB/s on one page and GiB/s on another; it is taken as GB/s (the smaller). They do not say whether the NeuronLink
# figure counts one direction or both: like the NVIDIA datasheets, it is taken as both (the cautious reading).
_NEURON_V2 = ("awsdocs-neuron.readthedocs-hosted.com {page}: 2 NeuronCore-v2 per chip, 32 GiB HBM at 820 GB/s per "
              "chip (Trainium/Inferentia2 architecture pages); NeuronLink-v2 {link} per chip{where}")
_TRN1 = _NEURON_V2.format(page="trn1-arch.html", link="{gbs} GiB/s", where=" on {size} (Trn1/Trn1n architecture "
                          "table; trn1.2xlarge has one chip, no NeuronLink)")

# Keyed like FAMILIES (family name); every accelerated family there has a row (tests/capacity/test_facts.py).
ACCELERATOR_SPECS: Mapping[str, AcceleratorSpec] = MappingProxyType({
    "g4dn": AcceleratorSpec(320, "PCIe", 32, _T4),
    "g5g": AcceleratorSpec(320, "PCIe", 32, _T4 + "; T4G as the EC2 G5g page"),
    "g5": AcceleratorSpec(600, "PCIe", 64, _A10G),
    "g6": AcceleratorSpec(300, "PCIe", 64, _L4),
    "gr6": AcceleratorSpec(300, "PCIe", 64, _L4),
    "g6e": AcceleratorSpec(864, "PCIe", 64, _L40S),
    "p3": AcceleratorSpec(900, "NVLink", 300,
                          "from memory of the NVIDIA V100 SXM2 datasheet (900 GB/s HBM2; NVLink 300 GB/s)"),
    "p3dn": AcceleratorSpec(900, "NVLink", 300,
                            "from memory of the NVIDIA V100 SXM2 32 GB datasheet (900 GB/s; NVLink 300 GB/s)"),
    "p4d": AcceleratorSpec(1555, "NVLink", 600,
                           "from memory of the NVIDIA A100 datasheet (40 GB SXM: 1,555 GB/s; NVLink 600 GB/s)"),
    "p4de": AcceleratorSpec(2039, "NVLink", 600,
                            "from memory of the NVIDIA A100 datasheet (80 GB SXM: 2,039 GB/s; NVLink 600 GB/s)"),
    "p5": AcceleratorSpec(3350, "NVLink", 900,
                          "from memory of the NVIDIA H100 datasheet (SXM5: 3.35 TB/s HBM3; NVLink 900 GB/s)"),
    "p5e": AcceleratorSpec(4800, "NVLink", 900,
                           "from memory of the NVIDIA H200 datasheet (SXM: 4.8 TB/s HBM3e; NVLink 900 GB/s)"),
    "p5en": AcceleratorSpec(4800, "NVLink", 900,
                            "from memory of the NVIDIA H200 datasheet (SXM: 4.8 TB/s HBM3e; NVLink 900 GB/s)"),
    "p6-b200": AcceleratorSpec(8000, "NVLink", 1800, "from memory of the NVIDIA B200 / HGX B200 datasheet (8 TB/s "
                               "HBM3e; NVLink 5 1.8 TB/s)"),
    "trn1": AcceleratorSpec(820, "NeuronLink", 384, _TRN1.format(gbs=384, size="trn1.32xlarge"), cores_per_device=2),
    "trn1n": AcceleratorSpec(820, "NeuronLink", 768, _TRN1.format(gbs=768, size="trn1n.32xlarge"),
                             cores_per_device=2),
    "trn2": AcceleratorSpec(2900, "NeuronLink", 1280, (
        "awsdocs-neuron.readthedocs-hosted.com trainium2.html (Trainium2 architecture): 8 NeuronCore-v3 per chip, "
        "96 GiB at 2.9 TB/s per chip, NeuronLink-v3 1.28 TB/s per chip"), cores_per_device=8),
    "inf2": AcceleratorSpec(820, "NeuronLink", 192, _NEURON_V2.format(
        page="inf2-arch.html", link="192 GiB/s", where=" on inf2.24xlarge and inf2.48xlarge (Inf2 architecture "
        "table; inf2.xlarge and inf2.8xlarge have one chip, no NeuronLink)"), cores_per_device=2),
})


@dataclass(frozen=True)
class AllReduceLatency:
    """The fixed cost of one small all-reduce among the devices of one instance (α of the ring model in
    mladmin/capacity/__init__.py formula 6): launch, synchronisation and one hop per device, whatever the size."""

    microseconds: float
    source: str


# Assumptions, not datasheet figures: of the order NCCL's and Neuron's small all-reduces are measured at.
ALL_REDUCE_LATENCY: Mapping[Interconnect, AllReduceLatency] = MappingProxyType({
    "NVLink": AllReduceLatency(10, "assumption: NCCL small-message all-reduce within one NVLink/NVSwitch node is "
                                   "measured at a few to ~10 us (about 6 us between two H100s with NVLS and CUDA "
                                   "graphs, github.com/NVIDIA/nccl/issues/1259), more with more GPUs"),
    "PCIe": AllReduceLatency(30, "assumption: NCCL over PCIe with no NVLink takes tens of us for the smallest "
                                 "all-reduce (about 42 us for 8 bytes across eight PCIe GPUs, "
                                 "github.com/NVIDIA/nccl/issues/1530); taken a little lower for up to 8 GPUs"),
    "NeuronLink": AllReduceLatency(10, "assumption: no measured figure found; taken as NVLink's, since Neuron runs "
                                       "collectives on dedicated CC-cores over direct chip-to-chip links "
                                       "(Neuron docs, 'Neuron Collective Communication')"),
})


def accelerator_spec(instance_type: str) -> AcceleratorSpec | None:
    """The accelerator figures of an EC2 or ``ml.`` accelerated type whose size is listed, else None."""
    family = family_of(instance_type)
    return ACCELERATOR_SPECS.get(family.name) if family is not None and family.accelerator is not None else None
