"""Pydantic validation errors turned into one plain line per problem.

    stacks/Pulumi.prod.yaml: mladmin:cluster.nodeGroups[1].maxSize: 0 is less than minSize 2
"""

from __future__ import annotations

import re
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from .base import hint, show
from .errors import Loc, RuleViolations

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def key_path(loc: Loc) -> str:
    """``('cluster', 'nodeGroups', 1, 'maxSize')`` → ``mladmin:cluster.nodeGroups[1].maxSize``."""
    parts = [part for part in loc if part != "[key]"]
    if not parts:
        return "mladmin"
    head, *rest = parts
    text = "aws:region" if head == "region" else f"mladmin:{head}"
    for part in rest:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _IDENTIFIER.match(part):
            text += f".{part}"
        else:
            text += f"[{show(part)}]"
    return text


def translate(
    error: ValidationError, root: type[BaseModel], source: str, skip: set[str] | frozenset[str] = frozenset()
) -> list[str]:
    """One ``<source>: <key path>: <message>`` line per problem in ``error``, except under the
    top-level keys in ``skip`` (already reported)."""
    lines = []
    for item in error.errors(include_url=False):
        loc = tuple(item["loc"])
        if loc and loc[0] in skip:
            continue
        cause = (item.get("ctx") or {}).get("error")
        if isinstance(cause, RuleViolations):
            lines.extend(f"{source}: {key_path(loc + sub)}: {message}" for sub, message in cause.problems)
        else:
            lines.append(f"{source}: {key_path(loc)}: {describe(item, root)}")
    return lines


def describe(item: dict[str, Any], root: type[BaseModel]) -> str:
    """The message for one pydantic error: the bad value, then what was expected."""
    kind, value, ctx = item["type"], item.get("input"), item.get("ctx") or {}
    loc = tuple(item["loc"])
    shown = show(value)
    if kind == "missing":
        field = _field_at(root, loc)
        example = f", e.g. {show(field.examples[0])}" if field and field.examples else ""
        return f"missing (required{example})"
    if kind == "extra_forbidden":
        parent = _model_at(root, loc[:-1])
        keys = _keys(parent) if parent else []
        name = str(loc[-1])
        suggestion = hint(name, keys)
        if not suggestion and keys:
            suggestion = f" (expected one of: {', '.join(keys)})"
        return f"unknown key{suggestion}"
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error", item["msg"])).removeprefix("Value error, ")
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"{shown} is not an integer{_quoted_number_hint(value)}"
    if kind in ("float_type", "float_parsing"):
        return f"{shown} is not a number{_quoted_number_hint(value)}"
    if kind in ("bool_type", "bool_parsing"):
        return f"{shown} is not a boolean (expected true or false)"
    if kind == "string_type":
        quote = " (quote it in YAML)" if isinstance(value, (int, float, bool)) else ""
        return f"{shown} is not a string{quote}"
    if kind in ("list_type", "tuple_type", "set_type"):
        return f"{shown} is not a list (expected a YAML list, e.g. [a, b])"
    if kind in ("dict_type", "model_type", "model_attributes_type", "dataclass_type"):
        model = _model_at(root, loc)
        keys = f" (expected a mapping with keys: {', '.join(_keys(model))})" if model else " (expected a mapping)"
        return f"{shown} is not a mapping{keys}"
    if kind == "literal_error":
        expected = str(ctx.get("expected", ""))
        # Literal choices come quoted when they are strings, bare when they are numbers ("1024, 2048 or 3072").
        choices = re.findall(r"'([^']*)'", expected) or [c.strip() for c in re.split(r",| or ", expected) if c.strip()]
        suggestion = hint(value, choices) if isinstance(value, str) else ""
        return f"{shown} is not one of {', '.join(choices)}{suggestion}"
    if kind == "greater_than_equal":
        return f"{shown} is less than the minimum {ctx['ge']}"
    if kind == "greater_than":
        return f"{shown} is too small (expected more than {ctx['gt']})"
    if kind == "less_than_equal":
        return f"{shown} is more than the maximum {ctx['le']}"
    if kind == "less_than":
        return f"{shown} is too large (expected less than {ctx['lt']})"
    if kind == "too_short":
        return f"{shown} has {ctx.get('actual_length', 0)} items (expected at least {ctx.get('min_length')})"
    if kind == "too_long":
        return f"{shown} has {ctx.get('actual_length', 0)} items (expected at most {ctx.get('max_length')})"
    if kind == "finite_number":
        return f"{shown} is not a finite number"
    return f"{shown}: {item['msg'][0].lower()}{item['msg'][1:]}"


def _quoted_number_hint(value: Any) -> str:
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+(\.\d+)?\s*", value):
        return " (write the number without quotes)"
    if isinstance(value, float) and value.is_integer():
        return " (expected a whole number)"
    return ""


def _keys(model: type[BaseModel]) -> list[str]:
    return [field.alias or name for name, field in model.model_fields.items()]


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated and Optional."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            options = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
            if len(options) != 1:
                return annotation
            annotation = options[0]
        else:
            return annotation


def _walk(root: type[BaseModel], loc: Loc) -> tuple[Any, FieldInfo | None]:
    """The type at ``loc`` (following models, lists and dicts) and the last field passed."""
    current: Any = root
    field: FieldInfo | None = None
    for part in loc:
        current = _unwrap(current)
        origin = typing.get_origin(current)
        if isinstance(current, type) and issubclass(current, BaseModel) and isinstance(part, str):
            match = next(
                (info for name, info in current.model_fields.items() if part in (info.alias, name)), None
            )
            if match is None:
                return None, None
            field, current = match, match.annotation
        elif origin in (list, tuple, set) and isinstance(part, int):
            current = typing.get_args(current)[0]
        elif origin is dict and isinstance(part, str):
            current = typing.get_args(current)[1]
        elif part == "[key]":
            continue
        else:
            return None, None
    return _unwrap(current), field


def _model_at(root: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    current, _ = _walk(root, loc)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _field_at(root: type[BaseModel], loc: Loc) -> FieldInfo | None:
    return _walk(root, loc)[1]
