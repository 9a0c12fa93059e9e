"""Argument checks shared by the components: each returns problem strings, never raises."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

ACCOUNT_ID = re.compile(r"^\d{12}$")
REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$")
# Lower-case DNS label: usable in bucket, alias, role and log-group names alike.
NAME_PREFIX = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")


def raise_if_problems(component: str, problems: list[str]) -> None:
    """Raise one ValueError listing every problem, or return when there are none."""
    if problems:
        lines = "\n".join(f"  - {p}" for p in problems)
        raise ValueError(f"invalid {component} arguments ({len(problems)} problems):\n{lines}")


def account_id(field: str, value: object) -> list[str]:
    if not isinstance(value, str) or not ACCOUNT_ID.match(value):
        return [f"{field}: {value!r} is not a 12-digit AWS account id"]
    return []


def region(field: str, value: object) -> list[str]:
    if not isinstance(value, str) or not REGION.match(value):
        return [f"{field}: {value!r} is not an AWS region name (e.g. us-east-1)"]
    return []


def name_prefix(field: str, value: object, max_length: int) -> list[str]:
    if not isinstance(value, str) or not NAME_PREFIX.match(value):
        return [
            f"{field}: {value!r} must be lower-case letters, digits and hyphens, "
            "starting and ending with a letter or digit"
        ]
    if len(value) > max_length:
        return [f"{field}: {value!r} is {len(value)} characters; at most {max_length} fit the names built from it"]
    return []


def int_range(field: str, value: object, low: int, high: int | None = None) -> list[str]:
    if isinstance(value, bool) or not isinstance(value, int):
        return [f"{field}: {value!r} must be an integer"]
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        return [f"{field}: {value} must be {bound}"]
    return []


def one_of(field: str, value: object, allowed: Iterable[object]) -> list[str]:
    allowed = list(allowed)
    if value not in allowed:
        return [f"{field}: {value!r} must be one of {', '.join(repr(a) for a in allowed)}"]
    return []


def ipv4_network(field: str, value: object) -> tuple[ipaddress.IPv4Network | None, list[str]]:
    try:
        network = ipaddress.IPv4Network(value, strict=True)  # type: ignore[arg-type]
    except (ValueError, TypeError) as exc:
        return None, [f"{field}: {value!r} is not a valid IPv4 CIDR block ({exc})"]
    return network, []


# CloudWatch Logs accepts only these retention periods (days).
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)


def log_retention(field: str, value: object) -> list[str]:
    if value not in LOG_RETENTION_DAYS or isinstance(value, bool):
        return [f"{field}: {value!r} is not a CloudWatch Logs retention period (one of {', '.join(map(str, LOG_RETENTION_DAYS))} days)"]
    return []
