"""Helpers the checks share: reading props, parsing policy documents, joining resources.

Props arrive as the engine sends them: camelCase keys, numbers as floats, booleans sometimes as
strings ("true"), JSON documents as strings or dicts, and any value may be absent.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any, Iterable, Iterator, Mapping, Sequence

from policies.facts.instance_types import ACCELERATOR_TAINT_KEYS

GPU_TAINT_KEY = ACCELERATOR_TAINT_KEYS["nvidia"]


def truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def is_sequence(value: Any) -> bool:
    """Lists, tuples, and the engine's list proxies; not strings."""
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def as_list(value: Any) -> list:
    if value is None:
        return []
    if is_sequence(value):
        return list(value)
    return [value]


def dig(props: Mapping[str, Any] | None, *path: str | int, default: Any = None) -> Any:
    """props["a"]["b"][0]... with `default` for anything missing along the way."""
    current: Any = props
    for key in path:
        if isinstance(key, int):
            if not is_sequence(current) or len(current) <= key:
                return default
            current = current[key]
        else:
            if not isinstance(current, Mapping) or key not in current:
                return default
            current = current[key]
    return default if current is None else current


def first(value: Any) -> Any:
    """Nested blocks are lists of one dict in some providers and plain dicts in others."""
    if is_sequence(value):
        return value[0] if len(value) else None
    return value


def name_of(urn: str) -> str:
    return urn.rsplit("::", 1)[-1] if urn else ""


def type_of(urn: str) -> str:
    if not urn or "::" not in urn:
        return ""
    qualified = urn.split("::")[2]
    return qualified.rsplit("$", 1)[-1]


# --- IAM-style policy documents ---------------------------------------------------------------


def parse_document(value: Any) -> dict | None:
    """A policy document given as a JSON string or a dict; None when absent or unparsable."""
    if value is None or value == "":
        return None
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return None
        return parsed if isinstance(parsed, dict) else None
    return None


def statements(document: Any) -> list[dict]:
    doc = parse_document(document)
    if not doc:
        return []
    return [s for s in as_list(doc.get("Statement")) if isinstance(s, Mapping)]


def principals(statement: Mapping[str, Any]) -> list[str]:
    """Every principal of a statement, flattened ("*" for the anonymous wildcard)."""
    principal = statement.get("Principal")
    if principal is None:
        return []
    if isinstance(principal, str):
        return [principal]
    found: list[str] = []
    if isinstance(principal, Mapping):
        for value in principal.values():
            found.extend(str(v) for v in as_list(value))
    return found


def condition_keys(statement: Mapping[str, Any]) -> dict[str, Any]:
    """Condition keys (lower-cased) -> values, whatever the operator."""
    keys: dict[str, Any] = {}
    condition = statement.get("Condition")
    if isinstance(condition, Mapping):
        for block in condition.values():
            if isinstance(block, Mapping):
                for key, value in block.items():
                    keys[str(key).lower()] = value
    return keys


def is_allow(statement: Mapping[str, Any]) -> bool:
    return statement.get("Effect", "Allow") == "Allow"


# --- joining resources in a stack -------------------------------------------------------------


class StackView:
    """Every resource of a stack, indexed for the joins stack policies need.

    Works on pulumi_policy `PolicyResource` objects, in the real engine and offline alike.
    """

    def __init__(self, resources: Sequence[Any]):
        self.resources = list(resources)
        self._by_type: dict[str, list[Any]] = defaultdict(list)
        self.by_urn: dict[str, Any] = {}
        for resource in self.resources:
            self._by_type[resource.resource_type].append(resource)
            self.by_urn[resource.urn] = resource
        self._identifiers: dict[str, set[str]] = {}
        self._indexes: dict[int, tuple[Sequence[Any], dict[str, list[Any]]]] = {}

    def of_type(self, *types: str) -> list[Any]:
        found: list[Any] = []
        for type_token in types:
            found.extend(self._by_type.get(type_token, ()))
        return found

    def of_type_cached(self, type_token: str) -> list[Any]:
        """The stack's own list for one type: the same object each call, so its index is reused."""
        return self._by_type.setdefault(type_token, [])

    def identifiers(self, resource: Any) -> set[str]:
        """The values other resources use to refer to `resource`: id, ARN, name, URN."""
        cached = self._identifiers.get(resource.urn)
        if cached is None:
            props = resource.props or {}
            cached = {str(props[k]) for k in ("id", "arn", "bucket", "name")
                      if isinstance(props.get(k), (str, int, float))}
            cached.add(resource.urn)
            cached.discard("")
            self._identifiers[resource.urn] = cached
        return cached

    def _index(self, targets: Sequence[Any]) -> dict[str, list[Any]]:
        """identifier -> targets, built once per target list (callers reuse their list)."""
        hit = self._indexes.get(id(targets))
        if hit is not None and hit[0] is targets:
            return hit[1]
        index: dict[str, list[Any]] = defaultdict(list)
        for target in targets:
            for identifier in self.identifiers(target):
                index[identifier].append(target)
        self._indexes[id(targets)] = (targets, index)
        return index

    def lookup(self, targets: Sequence[Any], value: Any) -> list[Any]:
        """The targets that `value` (an id, ARN, name or URN) names."""
        return list(self._index(targets).get(str(value), ())) if value is not None else []

    def referenced(self, child: Any, prop: str, targets: Sequence[Any]) -> list[Any]:
        """The targets that `child.props[prop]` refers to.

        Uses the engine's property dependencies when it sends them, else matches the value
        (an id, a name or an ARN, as mocks and real outputs give) against the targets' identifiers.
        """
        index = self._index(targets)
        found: dict[str, Any] = {}
        for dep in (getattr(child, "property_dependencies", None) or {}).get(prop, ()):
            for target in index.get(dep.urn, ()):
                found[target.urn] = target
        for value in as_list((child.props or {}).get(prop)):
            if value is not None:
                for target in index.get(str(value), ()):
                    found[target.urn] = target
        return list(found.values())

    def children_by_target(self, child_types: Sequence[str], prop: str, targets: Sequence[Any]) -> dict[str, list[Any]]:
        """target urn -> the children (of `child_types`) whose `prop` refers to it."""
        joined: dict[str, list[Any]] = defaultdict(list)
        for child in self.of_type(*child_types):
            for target in self.referenced(child, prop, targets):
                joined[target.urn].append(child)
        return joined


def props_of(resources: Iterable[Any]) -> Iterator[Mapping[str, Any]]:
    for resource in resources:
        yield resource.props or {}
