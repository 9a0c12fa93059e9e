"""The outputs a provider computes, as the SDK declares them, and what the engine answers for them.

A provider's Python SDK declares every output of a resource as a `@pulumi.getter` property typed
`Output[T]`; a property typed `Output[Optional[T]]` is only ever what the program gave, any other
one the provider fills in (ids, ARNs, endpoints, defaults). In a preview those are unknown until
the resource exists; after `pulumi up` they hold real values. `preview_state` and `created_state`
build the state the engine returns for a new resource in each mode, so user code never receives
`None` for a value the provider computes.
"""

from __future__ import annotations

import functools
import sys
import typing
from pathlib import Path
from typing import Any

from pulumi.runtime import rpc
from pulumi.runtime.rpc import UNKNOWN

from .identifiers import Identity, digest, kebab

# Known before the resource exists: auto-names are chosen at preview, the region comes from the
# provider, tagsAll from tags + the provider's defaultTags; Kubernetes names live in metadata.
KNOWN_AT_PREVIEW = frozenset({"tagsAll", "region", "metadata", "apiVersion", "kind"})


@functools.cache
def computed_outputs(type_: str) -> dict[str, Any]:
    """Output property name (camelCase) -> its value type, for every output the provider computes."""
    cls = _resource_class(type_)
    if cls is None:
        return {}
    from pulumi._types import _py_properties

    computed: dict[str, Any] = {}
    for _, pulumi_name, prop in _py_properties(cls):
        annotation = getattr(prop.fget, "__annotations__", {}).get("return")
        inner = typing.get_args(annotation)[0] if typing.get_args(annotation) else None
        if inner is None or _is_optional(inner):
            continue
        computed[pulumi_name] = inner
    return computed


def _resource_class(type_: str) -> type | None:
    """The SDK class for a type token, found through the package's registered resource modules."""
    parts = type_.split(":")
    if len(parts) != 3:
        return None
    package, module, class_token = parts
    registered = rpc.get_resource_module(package, module, "")
    info = getattr(registered, "mod_info", None)
    if not isinstance(info, dict) or type_ not in info.get("classes", {}):
        return None
    python_module = sys.modules.get(info["fqn"])
    return getattr(python_module, info["classes"][type_], None) if python_module else None


def _is_optional(annotation: Any) -> bool:
    return typing.get_origin(annotation) is typing.Union and type(None) in typing.get_args(annotation)


def preview_state(type_: str, inputs: dict[str, Any], known: dict[str, Any], name_field: str | None,
                  where: Identity) -> dict[str, Any]:
    """Inputs, what is known before creation (the physical name, region, tagsAll), the rest unknown."""
    state = dict(inputs)
    for key, value in known.items():
        if key == name_field or key in KNOWN_AT_PREVIEW:
            state[key] = value
    for key in computed_outputs(type_):
        if key not in state:
            state[key] = _known_at_preview(key, where)
    return state


def _known_at_preview(key: str, where: Identity) -> Any:
    if key == "tagsAll":
        return {}
    if key == "region":
        return where.region
    return UNKNOWN


def created_state(type_: str, logical: str, urn: str, inputs: dict[str, Any], known: dict[str, Any],
                  where: Identity) -> dict[str, Any]:
    """Inputs, the engine's believable values, and a plausible value for every other computed output
    (ARNs, ids, endpoints by their names; an empty string, list or object otherwise)."""
    state = dict(inputs) | known
    for key, annotation in computed_outputs(type_).items():
        if key not in state:
            state[key] = _plausible(type_, key, annotation, logical, urn, state, where)
    return state


def _plausible(type_: str, prop: str, annotation: Any, logical: str, urn: str, state: dict[str, Any],
               where: Identity) -> Any:
    origin = typing.get_origin(annotation)
    if annotation is bool:
        return False
    if annotation in (int, float):
        return 1
    if origin is typing.Literal:
        return typing.get_args(annotation)[0]
    if origin in (list, tuple, typing.Sequence, _abc_sequence()):
        args = typing.get_args(annotation)
        if args and args[0] is str:
            return [_plausible_string(type_, prop.rstrip("s"), logical, urn, state, where)]
        return []
    if annotation is str:
        return _plausible_string(type_, prop, logical, urn, state, where)
    return {}  # a mapping or a nested output type: an empty object, never None


@functools.cache
def _abc_sequence() -> Any:
    import collections.abc

    return collections.abc.Sequence


def _plausible_string(type_: str, prop: str, logical: str, urn: str, state: dict[str, Any], where: Identity) -> str:
    service = type_.split(":")[1].split("/")[0] if ":" in type_ else "resource"
    name = str(state.get("name") or logical)
    lowered = prop.lower()
    if prop in ("ownerId", "accountId", "registryId"):
        return where.account
    if prop == "region":
        return where.region
    if lowered.endswith("arn"):
        kind = kebab(prop[:-3]) if len(prop) > 3 else kebab(type_.rsplit(":", 1)[-1])
        return f"arn:{where.partition}:{service}:{where.region}:{where.account}:{kind}/{name}"
    if any(word in lowered for word in ("url", "uri", "endpoint")):
        return f"https://{name}.{service}.{where.region}.amazonaws.com"
    if lowered.endswith(("domainname", "dnsname", "hostname", "host")):
        return f"{name}.{service}.{where.region}.amazonaws.com"
    if lowered.endswith("id"):
        stem = kebab(prop[:-2]) if len(prop) > 2 else service
        return f"{stem}-0{digest(urn + prop, 16)}"
    return ""  # a setting AWS defaults (a description, an ACL, a policy): empty, but a string


def as_plan_value(value: Any) -> Any:
    """A value deserialized with `keep_unknowns=True`, as plain JSON the way `pulumi preview --json`
    prints it: an unknown as the sentinel string, an asset or archive as its signature object."""
    from pulumi.asset import Archive, Asset
    from pulumi.output import Unknown

    if isinstance(value, Unknown):
        return UNKNOWN
    if isinstance(value, dict):
        return {k: as_plan_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_plan_value(v) for v in value]
    if isinstance(value, (Asset, Archive)):
        return _asset_json(value)
    return value


def _asset_json(value: Any) -> dict[str, Any]:
    from pulumi.asset import Asset

    signature = rpc._special_asset_sig if isinstance(value, Asset) else rpc._special_archive_sig
    document: dict[str, Any] = {rpc._special_sig_key: signature}
    for attribute in ("path", "text", "uri"):
        if isinstance(getattr(value, attribute, None), str):
            document[attribute] = getattr(value, attribute)
    if isinstance(getattr(value, "assets", None), dict):
        document["assets"] = {k: _asset_json(v) for k, v in value.assets.items()}
    return document


def missing_files(value: Any) -> list[str]:
    """Paths of file assets and archives that do not exist (relative ones from the program's
    directory, the working directory of a run): the engine hashes them during a preview."""
    if isinstance(value, dict):
        path = value.get("path") if value.get(rpc._special_sig_key) in (rpc._special_asset_sig,
                                                                           rpc._special_archive_sig) else None
        if isinstance(path, str):
            return [] if Path(path).exists() else [path]
        return [p for v in value.values() for p in missing_files(v)]
    if isinstance(value, list):
        return [p for v in value for p in missing_files(v)]
    return []


def count_unknowns(value: Any) -> int:
    if isinstance(value, str):
        return int(value == UNKNOWN)
    if isinstance(value, dict):
        return sum(count_unknowns(v) for v in value.values())
    if isinstance(value, list):
        return sum(count_unknowns(v) for v in value)
    return 0
