"""EC2 and SageMaker instance types the settings accept (the table lives in policies.facts.instance_types).

A node group or endpoint naming a type that is not there is rejected, so a typo such as
``g5.huge`` fails at plan time instead of at ``pulumi up``.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from policies.facts.instance_types import FAMILIES, Accelerator, InstanceFamily

__all__ = ["FAMILIES", "Accelerator", "InstanceFamily", "InstanceSpec", "UnknownInstanceType", "lookup", "lookup_sagemaker"]


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
