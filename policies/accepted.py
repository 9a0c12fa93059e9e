"""Advisory findings on the shipped stacks that are accepted, and why (listed in README.md).

A test checks that every advisory finding on dev, staging and prod matches an entry here, and that
every entry still matches a finding.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass


@dataclass(frozen=True)
class Accepted:
    stacks: tuple[str, ...]
    policy: str
    resource: str  # logical name glob
    reason: str

    @property
    def stacks_text(self) -> str:
        return ", ".join(self.stacks)

    def covers(self, stack: str, policy: str, resource_name: str) -> bool:
        return stack in self.stacks and policy == self.policy and fnmatch.fnmatchcase(resource_name, self.resource)


ACCEPTED_ADVISORIES: tuple[Accepted, ...] = ()
