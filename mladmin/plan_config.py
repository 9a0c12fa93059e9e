"""Reading a plan's stack config leniently, for the checks that run beside the settings (capacity, showback):
a section or entry the settings would reject is left out here, because the settings report it (one line, exit 2)."""

from __future__ import annotations

import json
from typing import Any, Mapping, TypeVar

from pydantic import BaseModel, ValidationError

Model = TypeVar("Model", bound=BaseModel)


def config_value(config: Mapping[str, Any], key: str) -> Any:
    """``config[key]`` as the program reads it: Pulumi passes structured values as JSON text; None when unreadable."""
    raw = config.get(key)
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return None
    return raw


def config_section(config: Mapping[str, Any], key: str) -> dict:
    """A mapping section such as ``mladmin:workloads``; empty when absent or not a mapping."""
    section = config_value(config, key)
    return section if isinstance(section, dict) else {}


def valid_entries(raw: Any, model: type[Model]) -> list[Model]:
    """The entries of a config list that ``model`` accepts (by their YAML names)."""
    found = []
    for entry in raw if isinstance(raw, list) else []:
        try:
            found.append(model.model_validate(entry, by_alias=True, by_name=False))
        except ValidationError:
            continue
    return found
