"""Shared pieces of the settings models: the base config, the validation scope and value types."""

from __future__ import annotations

import difflib
import ipaddress
import json
import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationInfo
from pydantic.alias_generators import to_camel

from policies.facts.environments import ENVIRONMENTS

from .aws_facts import LOG_RETENTION_DAYS, REGIONS

Environment = Literal[ENVIRONMENTS]  # type: ignore[valid-type]


class SettingsModel(BaseModel):
    """Base of every settings model.

    YAML keys are camelCase aliases (``nodeGroups``); Python attributes are snake_case (``node_groups``).
    Strict: a string is never turned into a number or a boolean, unknown keys are errors.
    """

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        alias_generator=to_camel,
        validate_by_alias=True,
        validate_by_name=True,
    )


@dataclass(frozen=True)
class Scope:
    """What a section needs to know about its stack: passed as validation context by the loader.

    ``environment``/``region`` are None when the top-level value is itself invalid (that error is
    reported on its own key; rules that depend on it are skipped).
    """

    environment: str | None = None
    region: str | None = None
    provided: bool = True

    @property
    def is_prod(self) -> bool:
        return self.environment == "prod"


NO_SCOPE = Scope(provided=False)


def scope_of(info: ValidationInfo) -> Scope:
    context = info.context or {}
    scope = context.get("scope") if isinstance(context, dict) else None
    return scope if isinstance(scope, Scope) else NO_SCOPE


def show(value: Any, limit: int = 60) -> str:
    """A value as it would read in YAML: 'text', 3, true, null, [..]."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        text = repr(value)
    else:
        try:
            text = json.dumps(value, default=str)
        except (TypeError, ValueError):
            text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def closest(word: str, choices: list[str] | tuple[str, ...]) -> str | None:
    """The choice ``word`` was most likely meant to be; ignores case, '_' and '-' (node_groups → nodeGroups)."""
    folded = {_fold(choice): choice for choice in choices}
    if _fold(word) in folded:
        return folded[_fold(word)]
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    close = close or [folded[m] for m in difflib.get_close_matches(_fold(word), list(folded), n=1, cutoff=0.6)]
    return close[0] if close else None


def hint(word: str, choices: list[str] | tuple[str, ...]) -> str:
    """`` (did you mean 'x'?)`` or ``""``."""
    match = closest(word, choices)
    return f" (did you mean '{match}'?)" if match else ""


def _fold(word: str) -> str:
    return word.lower().replace("_", "").replace("-", "")


def _cidr(value: str) -> str:
    if "/" not in value:
        raise ValueError(f"{show(value)} is not a CIDR block (expected address/prefix, e.g. 10.0.0.0/16)")
    try:
        network = ipaddress.IPv4Network(value, strict=False)
    except ValueError:
        raise ValueError(f"{show(value)} is not a valid IPv4 CIDR block (expected e.g. 10.0.0.0/16)") from None
    if str(network) != value:
        raise ValueError(f"{show(value)} has host bits set (expected the network address, {network})")
    return value


def _log_retention(value: int) -> int:
    if value not in LOG_RETENTION_DAYS:
        nearest = min(LOG_RETENTION_DAYS, key=lambda allowed: (abs(allowed - value), -allowed))
        raise ValueError(
            f"{value} is not a retention period CloudWatch Logs accepts "
            f"(expected one of {', '.join(map(str, LOG_RETENTION_DAYS))}; nearest: {nearest})"
        )
    return value


_EMAIL = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError(f"{show(value)} is not an email address (expected e.g. ml-platform@example.com)")
    return value


_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")


def _name(value: str) -> str:
    if not _NAME.match(value) or len(value) > 40:
        raise ValueError(
            f"{show(value)} is not a valid name (expected lowercase letters, digits and '-', "
            "starting and ending with a letter or digit, at most 40 characters)"
        )
    return value


def _region(value: str) -> str:
    if value not in REGIONS:
        raise ValueError(f"{show(value)} is not an AWS region{hint(value, REGIONS) or ' (expected e.g. us-east-1)'}")
    return value


def _tag_value(value: str) -> str:
    if not value or len(value) > 256 or not re.match(r"^[\w .:/=+\-@]*$", value):
        raise ValueError(
            f"{show(value)} is not a valid tag value (expected 1-256 letters, digits, spaces and _ . : / = + - @)"
        )
    return value


_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def _bucket_name(value: str) -> str:
    if not _BUCKET_NAME.match(value) or ".." in value:
        raise ValueError(f"{show(value)} is not an S3 bucket name (expected 3-63 lower-case letters, digits, "
                         "dots and hyphens, e.g. jumpstart-cache-prod-us-east-1)")
    return value


Cidr = Annotated[str, AfterValidator(_cidr)]
BucketName = Annotated[str, AfterValidator(_bucket_name)]
LogRetentionDays = Annotated[int, AfterValidator(_log_retention)]
Email = Annotated[str, AfterValidator(_email)]
Name = Annotated[str, AfterValidator(_name)]
Region = Annotated[str, AfterValidator(_region)]
TagValue = Annotated[str, AfterValidator(_tag_value)]


def duplicates(values: list[Any]) -> list[tuple[int, Any]]:
    """(index, value) of every item that repeats an earlier one."""
    seen: set[Any] = set()
    repeated = []
    for index, value in enumerate(values):
        if value in seen:
            repeated.append((index, value))
        seen.add(value)
    return repeated
