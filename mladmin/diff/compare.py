"""What changes between two plans of one stack: resources added, removed, changed and replaced.

Resources are matched by URN. Inputs are compared as the provider receives them (``tagsAll`` is left out:
it is the default tags plus ``tags``, so a tag change shows once). Both plans must be in the same mode:
in a preview, a value the provider computes is unknown on both sides and compares equal; a known value that
becomes unknown is shown as ``(computed)`` (and counts as a replacement when the property forces one,
as ``pulumi preview`` would warn). Values under secret-looking keys are masked. JSON documents held in
string inputs (IAM, key and bucket policies) are compared key by key, statements by their ``Sid``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from pulumi.runtime.rpc import UNKNOWN

from mladmin.engine import Plan, PlanResource

from .replacements import replacing

COMPUTED = "(computed)"
MASK = "***"
IGNORED_INPUTS = frozenset({"tagsAll", "__defaults"})
_SECRET_KEY = re.compile(r"password|secret|token|private_?key|privatekey|credential|masterUserPassword", re.I)


@dataclass(frozen=True)
class KeyChange:
    path: str
    old: str
    new: str
    forces_replacement: bool = False


@dataclass(frozen=True)
class ResourceChange:
    urn: str
    type: str
    name: str
    changes: tuple[KeyChange, ...]

    @property
    def replaced(self) -> bool:
        return any(change.forces_replacement for change in self.changes)


@dataclass
class StackDiff:
    stack: str
    base_existed: bool
    added: list[PlanResource] = field(default_factory=list)
    removed: list[PlanResource] = field(default_factory=list)
    changed: list[ResourceChange] = field(default_factory=list)
    findings_new: list[str] = field(default_factory=list)
    findings_fixed: list[str] = field(default_factory=list)
    cost_before: float | None = None
    cost_after: float | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def replaced(self) -> list[ResourceChange]:
        return [change for change in self.changed if change.replaced]

    @property
    def updated(self) -> list[ResourceChange]:
        return [change for change in self.changed if not change.replaced]

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.findings_new or self.findings_fixed)

    def summary(self) -> str:
        replaced = len(self.replaced)
        return (f"{len(self.added)} to add, {len(self.updated)} to change, {replaced} to REPLACE, "
                f"{len(self.removed)} to remove")

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "base_existed": self.base_existed,
            "added": [{"urn": r.urn, "type": r.type, "name": r.name} for r in self.added],
            "removed": [{"urn": r.urn, "type": r.type, "name": r.name} for r in self.removed],
            "changed": [{"urn": c.urn, "type": c.type, "name": c.name, "replaced": c.replaced,
                         "changes": [change.__dict__ for change in c.changes]} for c in self.changed],
            "policy": {"new": self.findings_new, "fixed": self.findings_fixed},
            "cost": {"before": self.cost_before, "after": self.cost_after},
            "notes": self.notes,
        }


def compare(stack: str, base: Plan | None, head: Plan) -> StackDiff:
    """The difference from ``base`` (None: the stack did not exist, so everything is added) to ``head``."""
    diff = StackDiff(stack, base_existed=base is not None)
    before = {r.urn: r for r in base.custom_resources} if base is not None else {}
    after = {r.urn: r for r in head.custom_resources}
    diff.added = [r for urn, r in after.items() if urn not in before]
    diff.removed = [r for urn, r in before.items() if urn not in after]
    for urn, new in after.items():
        old = before.get(urn)
        if old is None:
            continue
        changes = tuple(_changes(new.type, _inputs(old), _inputs(new)))
        if changes:
            diff.changed.append(ResourceChange(urn, new.type, new.name, changes))
    return diff


def _inputs(resource: PlanResource) -> dict[str, Any]:
    return {key: value for key, value in resource.inputs.items() if key not in IGNORED_INPUTS}


def _changes(type_token: str, old: Any, new: Any, path: str = ""):
    old, new = _document(old), _document(new)
    if _keyed_list(old) and _keyed_list(new):  # policy statements: compared by Sid
        old, new = ({f"[{item['Sid']}]": item for item in value} for value in (old, new))
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new)):
            joined = f"{path}{key}" if key.startswith("[") else f"{path}.{key}" if path else key
            yield from _changes(type_token, old.get(key), new.get(key), joined)
        return
    if old == new:
        return
    secret = bool(_SECRET_KEY.search(path))
    yield KeyChange(path, _show(old, secret), _show(new, secret), replacing(type_token, path) is not None)


def _document(value: Any) -> Any:
    """A JSON document held in a string input (IAM, bucket and key policies), parsed so its keys compare."""
    if isinstance(value, str) and value[:1] in "{[" and value != UNKNOWN:
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _keyed_list(value: Any) -> bool:
    sids = [item.get("Sid") for item in value] if isinstance(value, list) and all(isinstance(i, dict) for i in value) else []
    return bool(sids) and all(isinstance(sid, str) and sid for sid in sids) and len(set(sids)) == len(sids)


def _show(value: Any, secret: bool, limit: int = 160) -> str:
    if value is None:
        return "(none)"
    if value == UNKNOWN:
        return COMPUTED
    if secret:
        return MASK
    text = json.dumps(value, sort_keys=True, default=str).replace(UNKNOWN, COMPUTED)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"
