"""Known EC2 instance families and sizes (checked 2026-07 against the EC2 instance type pages).

A node group or endpoint naming a type that is not here is rejected, so a typo such as
``g5.huge`` fails at plan time instead of at ``pulumi up``. Add families here as AWS launches them.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal, Mapping

Accelerator = Literal["nvidia", "neuron"]


@dataclass(frozen=True)
class InstanceFamily:
    name: str
    arch: Literal["x86_64", "arm64"]
    sizes: Mapping[str, int]  # size -> accelerator devices per instance (0 for CPU families)
    accelerator: Accelerator | None = None
    device: str | None = None  # e.g. "NVIDIA A10G"
    device_memory_gib: int = 0


@dataclass(frozen=True)
class InstanceSpec:
    """One instance type, e.g. ``g5.12xlarge``."""

    name: str
    family: InstanceFamily
    size: str

    @property
    def accelerators(self) -> int:
        return self.family.sizes[self.size]

    @property
    def accelerator(self) -> Accelerator | None:
        return self.family.accelerator

    @property
    def arch(self) -> str:
        return self.family.arch


def _cpu(name: str, sizes: str, arch: Literal["x86_64", "arm64"] = "x86_64") -> InstanceFamily:
    return InstanceFamily(name, arch, MappingProxyType({size: 0 for size in sizes.split()}))


def _acc(
    name: str, sizes: dict[str, int], accelerator: Accelerator, device: str, memory_gib: int,
    arch: Literal["x86_64", "arm64"] = "x86_64",
) -> InstanceFamily:
    return InstanceFamily(name, arch, MappingProxyType(sizes), accelerator, device, memory_gib)


_STD = "large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge"
_BURST = "nano micro small medium large xlarge 2xlarge"
_G = {"xlarge": 1, "2xlarge": 1, "4xlarge": 1, "8xlarge": 1, "12xlarge": 4, "16xlarge": 1, "24xlarge": 4, "48xlarge": 8}

_FAMILIES: tuple[InstanceFamily, ...] = (
    # General purpose, compute and memory optimised (system pools, CPU workloads).
    _cpu("t2", _BURST), _cpu("t3", _BURST), _cpu("t3a", _BURST), _cpu("t4g", _BURST, "arm64"),
    _cpu("m5", _STD + " metal"), _cpu("m5a", _STD), _cpu("m5n", _STD + " metal"), _cpu("m5d", _STD + " metal"),
    _cpu("m6i", _STD + " 32xlarge metal"), _cpu("m6a", _STD + " 32xlarge 48xlarge metal"),
    _cpu("m6id", _STD + " 32xlarge metal"),
    _cpu("m6g", "medium " + _STD.replace(" 24xlarge", "") + " metal", "arm64"),
    _cpu("m7i", _STD + " 48xlarge metal-24xl metal-48xl"), _cpu("m7i-flex", "large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge"),
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
    # NVIDIA GPUs.
    _acc("g4dn", {"xlarge": 1, "2xlarge": 1, "4xlarge": 1, "8xlarge": 1, "12xlarge": 4, "16xlarge": 1, "metal": 8},
         "nvidia", "NVIDIA T4", 16),
    _acc("g5", dict(_G), "nvidia", "NVIDIA A10G", 24),
    _acc("g5g", {"xlarge": 1, "2xlarge": 1, "4xlarge": 1, "8xlarge": 1, "16xlarge": 2, "metal": 2},
         "nvidia", "NVIDIA T4G", 16, "arm64"),
    _acc("g6", dict(_G), "nvidia", "NVIDIA L4", 24),
    _acc("gr6", {"4xlarge": 1, "8xlarge": 1}, "nvidia", "NVIDIA L4", 24),
    _acc("g6e", dict(_G), "nvidia", "NVIDIA L40S", 48),
    _acc("p3", {"2xlarge": 1, "8xlarge": 4, "16xlarge": 8}, "nvidia", "NVIDIA V100", 16),
    _acc("p3dn", {"24xlarge": 8}, "nvidia", "NVIDIA V100", 32),
    _acc("p4d", {"24xlarge": 8}, "nvidia", "NVIDIA A100", 40),
    _acc("p4de", {"24xlarge": 8}, "nvidia", "NVIDIA A100", 80),
    _acc("p5", {"4xlarge": 1, "48xlarge": 8}, "nvidia", "NVIDIA H100", 80),
    _acc("p5e", {"48xlarge": 8}, "nvidia", "NVIDIA H200", 141),
    _acc("p5en", {"48xlarge": 8}, "nvidia", "NVIDIA H200", 141),
    _acc("p6-b200", {"48xlarge": 8}, "nvidia", "NVIDIA B200", 179),
    # AWS Neuron accelerators (Trainium for training, Inferentia for inference).
    _acc("trn1", {"2xlarge": 1, "32xlarge": 16}, "neuron", "AWS Trainium", 32),
    _acc("trn1n", {"32xlarge": 16}, "neuron", "AWS Trainium", 32),
    _acc("trn2", {"48xlarge": 16}, "neuron", "AWS Trainium2", 96),
    _acc("inf2", {"xlarge": 1, "8xlarge": 1, "24xlarge": 6, "48xlarge": 12}, "neuron", "AWS Inferentia2", 32),
)

FAMILIES: Mapping[str, InstanceFamily] = MappingProxyType({family.name: family for family in _FAMILIES})


class UnknownInstanceType(ValueError):
    """The message names the type and what was expected."""


def lookup(instance_type: str) -> InstanceSpec:
    """The spec of an EC2 instance type such as ``g5.xlarge``; raises UnknownInstanceType."""
    if instance_type.startswith("ml."):
        raise UnknownInstanceType(
            f"'{instance_type}' is a SageMaker instance type (expected an EC2 type, e.g. {instance_type[3:]})"
        )
    family_name, dot, size = instance_type.partition(".")
    if not dot or not size or "." in size:
        raise UnknownInstanceType(
            f"'{instance_type}' is not an instance type (expected <family>.<size>, e.g. m6i.large)"
        )
    family = FAMILIES.get(family_name)
    if family is None:
        hint = difflib.get_close_matches(family_name, list(FAMILIES), n=1)
        suffix = f"; did you mean '{hint[0]}.{size}'?" if hint else ""
        raise UnknownInstanceType(f"unknown instance type '{instance_type}' (no instance family '{family_name}'{suffix})")
    if size not in family.sizes:
        raise UnknownInstanceType(
            f"unknown instance type '{instance_type}' ({family_name} sizes: {', '.join(family.sizes)})"
        )
    return InstanceSpec(instance_type, family, size)


def lookup_sagemaker(instance_type: str) -> InstanceSpec:
    """The spec behind a SageMaker ``ml.*`` instance type; raises UnknownInstanceType."""
    if not instance_type.startswith("ml."):
        raise UnknownInstanceType(
            f"'{instance_type}' is not a SageMaker instance type (expected an ml. type, e.g. ml.{instance_type})"
            if instance_type.count(".") == 1
            else f"'{instance_type}' is not a SageMaker instance type (expected an ml. type, e.g. ml.g5.xlarge)"
        )
    try:
        return lookup(instance_type[3:])
    except UnknownInstanceType as error:
        raise UnknownInstanceType(str(error).replace(f"'{instance_type[3:]}'", f"'{instance_type}'", 1)) from None
