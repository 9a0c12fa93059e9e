"""Shared tagging and child-option helpers for every mladmin component.

Every taggable resource carries the four governance tags below (the policy pack's required-tags
rule checks these exact keys); components merge them with a ``Name`` tag and any
resource-specific tags.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import pulumi

REQUIRED_TAG_KEYS = ("owner", "environment", "team", "cost-center")

# AWS tag limits: key <= 128, value <= 256 characters, letters, digits, spaces and + - = . _ : / @
_TAG_CHARS = re.compile(r"^[\w\s+\-=.:/@]*$")
_AWS_RESERVED_PREFIX = "aws:"


@dataclass(frozen=True)
class Tags:
    """The governance tags of one environment (optionally one team).

    ``extra`` holds further organisation-wide tags; they never override the four required keys.
    """

    owner: str
    environment: str
    team: str
    cost_center: str
    extra: Mapping[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, str]:
        tags = dict(self.extra)
        tags.update(
            {
                "owner": self.owner,
                "environment": self.environment,
                "team": self.team,
                "cost-center": self.cost_center,
            }
        )
        return tags

    def for_team(self, team: str) -> "Tags":
        """The same tags for another team (used by per-team resources)."""
        return replace(self, team=team)

    def merged(self, *more: Mapping[str, str] | None) -> dict[str, str]:
        """These tags plus resource-specific ones; the required keys always win."""
        tags: dict[str, str] = {}
        for extra in more:
            tags.update(extra or {})
        tags.update(self.as_dict())
        return tags

    def problems(self, field_name: str = "tags") -> list[str]:
        """Every problem with these tags, one message each (empty when valid)."""
        found: list[str] = []
        for key in ("owner", "environment", "team", "cost_center"):
            value = getattr(self, key)
            if not isinstance(value, str) or not value.strip():
                found.append(f"{field_name}.{key}: {value!r} must be a non-empty string")
            elif len(value) > 256 or not _TAG_CHARS.match(value):
                found.append(
                    f"{field_name}.{key}: {value!r} is not a valid AWS tag value "
                    "(at most 256 letters, digits, spaces and + - = . _ : / @)"
                )
        for key, value in dict(self.extra).items():
            if not isinstance(key, str) or not key or len(key) > 128 or not _TAG_CHARS.match(key):
                found.append(f"{field_name}.extra: key {key!r} is not a valid AWS tag key")
            elif key.lower().startswith(_AWS_RESERVED_PREFIX):
                found.append(f"{field_name}.extra: key {key!r} uses the reserved 'aws:' prefix")
            elif key in REQUIRED_TAG_KEYS:
                found.append(
                    f"{field_name}.extra: key {key!r} is a required tag; set it through its own field"
                )
            if not isinstance(value, str) or len(value) > 256 or not _TAG_CHARS.match(value):
                found.append(f"{field_name}.extra[{key!r}]: {value!r} is not a valid AWS tag value")
        return found


def child_opts(
    parent: pulumi.Resource,
    *,
    depends_on: Sequence[pulumi.Resource] | None = None,
    protect: bool = False,
    retain_on_delete: bool = False,
    delete_before_replace: bool | None = None,
) -> pulumi.ResourceOptions:
    """Options for a component's child: parented (so it inherits provider and aliases)."""
    return pulumi.ResourceOptions(
        parent=parent,
        depends_on=list(depends_on) if depends_on else None,
        protect=protect or None,
        retain_on_delete=retain_on_delete or None,
        delete_before_replace=delete_before_replace,
    )



def tags_problems(value: object, field_name: str = "tags") -> list[str]:
    """Problems with a component's ``tags`` argument (it must be a valid ``Tags``)."""
    if not isinstance(value, Tags):
        return [f"{field_name}: expected components.Tags, got {type(value).__name__}"]
    return value.problems(field_name)
