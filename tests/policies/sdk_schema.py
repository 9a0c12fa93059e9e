"""What the installed provider SDKs accept: resource type tokens and the camelCase property paths of
each resource's inputs and outputs, read from pulumi-aws / pulumi-kubernetes themselves.

Tokens come from a scan of the SDK sources (each resource class passes its token to
`super().__init__`); property names and nested types come from the SDK classes through Pulumi's own
translation tables (`pulumi._types`), the ones the runtime uses to turn `availability_zone=` into
`availabilityZone` on the wire. Everything is computed once per process and cached.
"""

from __future__ import annotations

import collections.abc
import importlib
import importlib.util
import re
import sys
import typing
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pulumi._types as pulumi_types

PACKAGES = {"aws": "pulumi_aws", "kubernetes": "pulumi_kubernetes"}
_TOKEN = re.compile(r"super\((\w+), __self__\)\.__init__\(\s*'((?:aws|kubernetes):[^']+)'")
LIST = "[]"  # a path segment: any element of a list
UNIVERSAL = frozenset({"id", "urn"})  # every resource has them, though no SDK class declares them
# Outputs the provider's Check adds to the inputs the engine (and a resource policy) sees:
# pulumi-aws computes tagsAll from tags and the provider's default tags.
CHECKED_INPUTS = frozenset({"tagsAll"})
PROVIDER_INPUTS = frozenset({"version", "pluginDownloadURL"})  # the engine's own inputs to every provider


@dataclass
class Shape:
    """What a property may hold. `fields` for objects, `item` for lists and maps; several kinds for unions."""

    kinds: set[str] = field(default_factory=set)  # "object", "list", "map", "scalar", "any"
    fields: dict[str, "Shape"] = field(default_factory=dict)
    item: "Shape | None" = None
    _lazy: list = field(default_factory=list, repr=False)  # (kind, python type) resolved on first use

    def resolve(self) -> "Shape":
        while self._lazy:
            kind, typ = self._lazy.pop()
            if kind == "fields":
                for name, sub in _fields_of(typ).items():
                    self.fields.setdefault(name, Shape())._lazy.append(("type", sub))
            else:
                _add_type(self, typ)
        return self


def _fields_of(cls: type) -> dict[str, typing.Any]:
    if pulumi_types.is_input_type(cls):
        return pulumi_types.input_type_types(cls)
    return pulumi_types.output_type_types(cls)


def _add_type(shape: Shape, typ: typing.Any) -> None:
    typ = pulumi_types.unwrap_type(typ)
    origin = typing.get_origin(typ)
    if origin is typing.Union:
        for member in typing.get_args(typ):
            if member is type(None) or typing.get_origin(member) is collections.abc.Awaitable:
                continue
            if isinstance(member, type) and member.__name__ == "Output":
                continue
            _add_type(shape, member)
        return
    if origin in (collections.abc.Sequence, list, tuple, collections.abc.Iterable):
        shape.kinds.add("list")
        shape.item = shape.item or Shape()
        args = typing.get_args(typ)
        if args:
            shape.item._lazy.append(("type", args[0]))
        return
    if origin in (collections.abc.Mapping, dict):
        shape.kinds.add("map")
        shape.item = shape.item or Shape()
        args = typing.get_args(typ)
        if len(args) == 2:
            shape.item._lazy.append(("type", args[1]))
        return
    if origin is typing.Literal:
        shape.kinds.add("scalar")
        return
    if isinstance(typ, type) and (pulumi_types.is_input_type(typ) or pulumi_types.is_output_type(typ)):
        shape.kinds.add("object")
        shape._lazy.append(("fields", typ))
        return
    if typ in (str, int, float, bool) or (isinstance(typ, type) and issubclass(typ, (str, int, float))):
        shape.kinds.add("scalar")  # enums are str subclasses
        return
    shape.kinds.add("any")  # Any, JSON, archives, assets: nothing to check below


@dataclass(frozen=True)
class ResourceSchema:
    token: str
    inputs: Shape
    outputs: Shape


def _package_root(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"{package} is not installed")
    return Path(list(spec.submodule_search_locations)[0])


@lru_cache(maxsize=1)
def token_index() -> dict[str, tuple[str, str, str]]:
    """type token -> (package, file module, class name), for every resource of both SDKs."""
    index: dict[str, tuple[str, str, str]] = {}
    for package in PACKAGES.values():
        root = _package_root(package)
        for source in root.rglob("*.py"):
            if source.name.startswith("_") or source.name == "outputs.py":
                continue
            # The package that exports the class (importing the file's own module first breaks the
            # SDK's lazy module loading).
            exporter = ".".join((package, *source.relative_to(root).parent.parts))
            module = f"{exporter}.{source.stem}"
            for match in _TOKEN.finditer(source.read_text(encoding="utf-8")):
                index.setdefault(match.group(2), (exporter, module, match.group(1)))
    return index


def provider_token(token: str) -> tuple[str, str, str] | None:
    """`pulumi:providers:aws` -> the SDK's Provider class."""
    if token.startswith("pulumi:providers:") and token.rsplit(":", 1)[-1] in PACKAGES:
        package = PACKAGES[token.rsplit(":", 1)[-1]]
        return package, f"{package}.provider", "Provider"
    return None


def known_token(token: str) -> bool:
    return token in token_index() or provider_token(token) is not None


@lru_cache(maxsize=None)
def schema(token: str) -> ResourceSchema | None:
    """The input and output shapes of one resource type; None for a token neither SDK defines."""
    located = token_index().get(token) or provider_token(token)
    if located is None:
        return None
    exporter, file_module, class_name = located
    resource_cls = getattr(importlib.import_module(exporter), class_name)  # loads the lazy package
    # The file's own Args class, named <Class>InitArgs where a nested input type took <Class>Args.
    module = sys.modules[file_module]
    args_cls = getattr(module, f"{class_name}InitArgs", None) or getattr(module, f"{class_name}Args")
    inputs = Shape(kinds={"object"})
    inputs._lazy.append(("fields", args_cls))
    outputs = Shape(kinds={"object"})
    for name, typ in pulumi_types.resource_types(resource_cls).items():
        outputs.fields.setdefault(name, Shape())._lazy.append(("type", typ))
    return ResourceSchema(token, inputs, outputs)


def path_problem(shape: Shape, path: tuple[str, ...]) -> str | None:
    """None when `path` (keys and LIST segments) can exist under `shape`, else what breaks."""
    current = shape.resolve()
    for depth, segment in enumerate(path):
        where = ".".join(path[:depth]) or "(top)"
        if "any" in current.kinds:
            return None
        if segment == LIST:
            if "list" not in current.kinds:
                return f"{where} is not a list"
            current = current.item.resolve()
        elif "object" in current.kinds and segment in current.fields:
            current = current.fields[segment].resolve()
        elif "map" in current.kinds:
            current = current.item.resolve()
        elif depth == 0 and segment in UNIVERSAL:
            return None
        elif "object" in current.kinds:
            close = [f for f in current.fields if f.lower().startswith(segment.lower()[:4])]
            hint = f" (did you mean {', '.join(sorted(close)[:3])}?)" if close else ""
            return f"no property '{segment}' under {where}{hint}"
        else:
            return f"{where} holds a {'/'.join(sorted(current.kinds)) or 'value'}, not '{segment}'"
    return None


def input_problem(token: str, path: tuple[str, ...]) -> str | None:
    found = schema(token)
    if found is None:
        return f"unknown resource type {token}"
    if provider_token(token) and len(path) == 1 and path[0] in PROVIDER_INPUTS:
        return None
    problem = path_problem(found.inputs, path)
    if problem and path and path[0] in CHECKED_INPUTS and path_problem(found.outputs, path) is None:
        return None
    return problem


def state_problem(token: str, path: tuple[str, ...]) -> str | None:
    """A stack policy sees inputs and outputs: the path may be either."""
    found = schema(token)
    if found is None:
        return f"unknown resource type {token}"
    as_input = path_problem(found.inputs, path)
    if as_input is None:
        return None
    return None if path_problem(found.outputs, path) is None else as_input


def paths_of(value: typing.Any, prefix: tuple[str, ...] = ()) -> typing.Iterator[tuple[str, ...]]:
    """Every leaf path of a plain value, as the checks would walk it (lists as LIST segments)."""
    if isinstance(value, collections.abc.Mapping):
        if not value:
            yield prefix
        for key, sub in value.items():
            yield from paths_of(sub, prefix + (str(key),))
    elif isinstance(value, (list, tuple)):
        if not value:
            yield prefix
        for sub in value:
            yield from paths_of(sub, prefix + (LIST,))
    else:
        yield prefix
