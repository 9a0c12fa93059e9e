"""Helpers the checks share: reading props, parsing policy documents, joining resources.

Props arrive as the engine sends them: camelCase keys, numbers as floats, booleans sometimes as
strings ("true"), JSON documents as strings or dicts, and any value may be absent.

In `pulumi preview` any value the provider computes (ids, ARNs, outputs not given as inputs) is
unknown, and the engine's props proxy raises `UnknownValueError` when a check reads one: the
policy is then reported as not run. Joins therefore use what preview knows (property
dependencies, parents, URNs, known input values), and `peek` reads a value without tripping, so a
check can decide from what is known and call `require` only when its verdict hangs on the unknown.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any, Iterable, Iterator, Mapping, Sequence

from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE, UNKNOWN_ARRAY_VALUE, UNKNOWN_ASSET_VALUE, UNKNOWN_BOOLEAN_VALUE, UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE, UNKNOWN_STRING_VALUE, UnknownValueError,
)

from policies.facts.instance_types import ACCELERATOR_TAINT_KEYS

GPU_TAINT_KEY = ACCELERATOR_TAINT_KEYS["nvidia"]

_SENTINELS = frozenset({UNKNOWN_BOOLEAN_VALUE, UNKNOWN_NUMBER_VALUE, UNKNOWN_STRING_VALUE, UNKNOWN_ARRAY_VALUE,
                        UNKNOWN_ASSET_VALUE, UNKNOWN_ARCHIVE_VALUE, UNKNOWN_OBJECT_VALUE})


class Unknown:
    """A value `peek` could not read because preview does not know it yet (carries where it was)."""

    def __init__(self, sentinel: str, path: Sequence[str]):
        self.sentinel, self.path = sentinel, list(path)

    def error(self) -> UnknownValueError:
        return UnknownValueError(self.sentinel, self.path)

    def __bool__(self) -> bool:  # never mistaken for a present value
        return False

    def __repr__(self) -> str:
        return f"Unknown(.{'.'.join(self.path)})"


def is_unknown(value: Any) -> bool:
    return isinstance(value, Unknown) or (isinstance(value, str) and value in _SENTINELS)


def peek(props: Any, *path: str | int, default: Any = None) -> Any:
    """Like `dig`, but an unknown value along the way comes back as an `Unknown` instead of raising."""
    current: Any = props
    walked: list[str] = []
    for key in path:
        if isinstance(current, Unknown):
            return current
        walked.append(str(key))
        try:
            if isinstance(key, int):
                if not is_sequence(current) or len(current) <= key:
                    return default
                current = current[key]
            else:
                if not isinstance(current, Mapping) or key not in current:
                    return default
                current = current[key]
        except UnknownValueError as error:
            return Unknown(error.unknown_type_sentinel, error.props)
        if isinstance(current, str) and current in _SENTINELS:
            return Unknown(current, walked)
    return default if current is None else current


def require(*values: Any) -> None:
    """Raise the engine's UnknownValueError for the first unknown: the verdict depends on it."""
    for value in values:
        if isinstance(value, Unknown):
            raise value.error()
        if isinstance(value, str) and value in _SENTINELS:
            raise UnknownValueError(value, ["?"])


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
    """props["a"]["b"][0]... with `default` for anything missing along the way.

    On the engine's props (unknown-checking proxies), reaching a value unknown at preview raises
    UnknownValueError, so the policy is reported as not run; `peek` reads without raising.
    """
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


def present(props: Any, key: str) -> bool:
    """Whether a setting is given: a known, non-empty value, or one preview cannot know yet (an ARN
    or id of a resource created in the same update is set, even before it exists)."""
    value = peek(props, key)
    return isinstance(value, Unknown) or bool(value)


def known_items(value: Any) -> list[Any]:
    """The items of a list (or a lone value) with unknown ones as `Unknown`s, never raising."""
    if isinstance(value, Unknown) or value is None:
        return [] if value is None else [value]
    if is_sequence(value):
        return [peek(value, i) for i in range(len(value))]
    return [value]


def depends_on(resource: Any, prop: str) -> list[Any]:
    """The resources whose outputs feed `resource.props[prop]` (the engine's property dependencies)."""
    return list((getattr(resource, "property_dependencies", None) or {}).get(prop, ()))


def given(resource: Any, prop: str, *path: str | int) -> Any:
    """A stack resource's `prop` as the program gave it.

    Stack policies see a resource's outputs. In preview an output the provider computes is
    unknown; when the program fed nothing into it (no property dependency) it only mirrors
    separate resources or AWS defaults, so it reads as absent (None). An unknown the program did
    feed from other resources comes back as an `Unknown`, as does any unknown input of a resource
    policy's subject (inputs are unknown only when fed by other resources).
    """
    value = peek(resource.props or {}, prop, *path)
    fed = getattr(resource, "property_dependencies", None)  # None: a resource policy's subject (inputs)
    if isinstance(value, Unknown) and fed is not None and not fed.get(prop):
        return None
    return value


class StackView:
    """Every resource of a stack, indexed for the joins stack policies need.

    Works on pulumi_policy `PolicyResource` objects, in the real engine and offline alike. Joins use
    what `pulumi preview` knows: the engine's property dependencies and URNs first, then known
    values (an explicit bucket name, an id given as a literal); computed values are never read.
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
        """The known values other resources use to refer to `resource`: id, ARN, name, URN."""
        cached = self._identifiers.get(resource.urn)
        if cached is None:
            props = resource.props or {}
            cached = {str(value) for value in (peek(props, k) for k in ("id", "arn", "bucket", "name"))
                      if isinstance(value, (str, int, float)) and not is_unknown(value)}
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
        """The targets that a known `value` (an id, ARN, name or URN) names; unknown values name none."""
        if value is None or is_unknown(value):
            return []
        return list(self._index(targets).get(str(value), ()))

    def referenced(self, child: Any, prop: str, targets: Sequence[Any], *path: str | int) -> list[Any]:
        """The targets that `child.props[prop]` (or the value at `path` inside it) refers to.

        The engine's property dependencies say which resources feed `prop`; known values are also
        matched against the targets' known identifiers. An unknown value, when neither says which
        target it is, cannot be joined in preview: UnknownValueError, so the policy is reported as
        not run rather than judged on a guess.
        """
        index = self._index(targets)
        found: dict[str, Any] = {}
        for dep in depends_on(child, prop):
            for target in index.get(dep.urn, ()):
                found[target.urn] = target
        unknown: Unknown | None = None
        value = peek(child.props or {}, prop, *path)
        values = [peek(value, i) for i in range(len(value))] if is_sequence(value) else [value]
        for item in values:
            if is_unknown(item):
                unknown = unknown or (item if isinstance(item, Unknown) else Unknown(str(item), [prop, *map(str, path)]))
            elif item is not None:
                for target in index.get(str(item), ()):
                    found[target.urn] = target
        if unknown is not None and not found:
            raise unknown.error()
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
