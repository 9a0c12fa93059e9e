"""Reading a stack's config into Settings: from a dict, a stack file, or the Pulumi runtime.

``settings_from_pulumi`` is the only function in mladmin that touches Pulumi config.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .aws_facts import REGIONS
from .base import ENVIRONMENTS, Scope, closest, hint, show
from .errors import SettingsError
from .messages import translate
from .model import Settings

PROJECT = "mladmin"
# Keys of the Settings model that live in the mladmin namespace (region comes from aws:region).
MLADMIN_KEYS: tuple[str, ...] = tuple(
    field.alias or name for name, field in Settings.model_fields.items() if name != "region"
)
_STRUCTURED = {"network", "storage", "cluster", "sagemaker", "monitoring", "budgets", "cost", "teams", "policy"}
# Top-level keys of a Pulumi stack file.
STACK_FILE_KEYS = ("config", "secretsprovider", "encryptedkey", "encryptionsalt", "environment")
_REPO_ROOT = Path(__file__).resolve().parents[2]


def load_settings(config: dict[str, Any], *, source: str, stack: str) -> Settings:
    """Validate a raw Pulumi config mapping (``{"aws:region": ..., "mladmin:network": ...}``).

    Values may be native (from YAML) or JSON strings (as the Pulumi runtime passes structured values).
    Raises SettingsError listing every problem, one ``<source>: <key path>: <message>`` line each.
    """
    problems: list[str] = []
    data: dict[str, Any] = {}
    failed: set[str] = set()  # keys already reported: their pydantic errors would repeat them
    if not isinstance(config, dict):
        raise SettingsError([f"{source}: config: {show(config)} is not a mapping (expected key: value pairs)"])
    for raw_key, value in config.items():
        key = str(raw_key)
        namespace, colon, name = key.partition(":")
        if not colon:  # Pulumi puts keys without a namespace in the project's
            namespace, name = PROJECT, key
        name = name.removeprefix("config:")  # legacy <ns>:config:<key> spelling
        full = f"{namespace}:{name}"
        if namespace == PROJECT:
            if name not in MLADMIN_KEYS:
                full_names = {key: f"{PROJECT}:{key}" for key in MLADMIN_KEYS} | {"region": "aws:region"}
                match = closest(name, list(full_names))
                suggestion = f" (did you mean '{full_names[match]}'?)" if match else _expected_keys()
                problems.append(f"{source}: {full}: unknown key{suggestion}")
                continue
            if name in data:
                problems.append(f"{source}: {full}: given twice (as '{name}' and '{full}'; expected once)")
                continue
            decoded, problem = _decode(name, value)
            if problem:
                problems.append(f"{source}: {full}{problem}")
                failed.add(name)
                continue
            data[name] = decoded
        elif namespace == "aws":
            if name == "region":
                decoded, problem = _decode("region", value)
                if problem:
                    problems.append(f"{source}: aws:region{problem}")
                    failed.add("region")
                else:
                    data["region"] = decoded
            # Other aws:* keys configure the provider (profile, assumeRole, ...), not mladmin.
        elif hint(namespace, [PROJECT]):
            problems.append(f"{source}: {full}: unknown namespace '{namespace}' (did you mean '{PROJECT}:{name}'?)")

    environment = data.get("environment")
    if "environment" not in data and "environment" not in failed and stack in ENVIRONMENTS:
        data["environment"] = environment = stack  # documented default: the stack's name
    if stack in ENVIRONMENTS and environment in ENVIRONMENTS and environment != stack:
        problems.append(
            f"{source}: {PROJECT}:environment: {show(environment)} does not match stack '{stack}' "
            f"(expected '{stack}': a stack named after an environment gets that environment's rules)"
        )
        environment = stack
    scope = Scope(
        environment=environment if environment in ENVIRONMENTS else None,
        region=data.get("region") if data.get("region") in REGIONS else None,
    )
    for section in _STRUCTURED - set(data):
        data[section] = [] if section == "teams" else {}

    try:
        settings = Settings.model_validate(data, by_alias=True, by_name=False, context={"scope": scope})
    except ValidationError as error:
        problems.extend(translate(error, Settings, source, skip=failed))
        raise SettingsError(problems) from None
    if problems:
        raise SettingsError(problems)
    return settings


def _expected_keys() -> str:
    return f" (expected one of: {', '.join(f'{PROJECT}:{k}' for k in MLADMIN_KEYS)}, aws:region)"


def _decode(name: str, value: Any) -> tuple[Any, str | None]:
    """A config value as the model expects it, or a problem: ``<sub path>: <message>`` or ``: <message>``."""
    secret = _secure_path(value)
    if secret is not None:
        return None, f"{secret}: encrypted value (secure:) cannot be used here (expected plain text: " \
            "mladmin settings are not secrets; keep secrets in AWS Secrets Manager)"
    if name in _STRUCTURED:
        if isinstance(value, str):
            try:
                return json.loads(value), None
            except json.JSONDecodeError as error:
                kind = "a list of teams" if name == "teams" else f"a mapping of {name} settings"
                return None, f": {show(value)} is not valid JSON ({error.msg}; expected {kind})"
        return value, None
    # Scalars: Pulumi hands every plain value to the program as a string.
    if isinstance(value, bool):
        return ("true" if value else "false"), None
    if isinstance(value, (int, float)):
        return str(value), None
    return value, None


def _secure_path(value: Any, path: str = "") -> str | None:
    """Where a ``{secure: ...}`` value sits inside ``value`` (``.a[0]``; '' for the value itself), or None."""
    if isinstance(value, dict):
        if set(value) == {"secure"} and isinstance(value["secure"], str):
            return path
        for key, item in value.items():
            found = _secure_path(item, f"{path}.{key}")
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _secure_path(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None


def load_settings_file(path: Path, stack: str) -> Settings:
    """Validate a Pulumi stack file (``config:`` mapping). Raises SettingsError, never a traceback."""
    path = Path(path)
    source = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SettingsError([f"{source}: file not found (expected a Pulumi stack file)"]) from None
    except IsADirectoryError:
        raise SettingsError([f"{source}: is a directory (expected a Pulumi stack file)"]) from None
    except UnicodeDecodeError:
        raise SettingsError([f"{source}: not UTF-8 text (expected a YAML stack file)"]) from None
    except OSError as error:
        raise SettingsError([f"{source}: cannot be read ({error.strerror})"]) from None

    loader = _StrictLoader(text)
    try:
        document = loader.get_single_data()
    except yaml.YAMLError as error:
        raise SettingsError([f"{source}: {_yaml_problem(error)}"]) from None
    finally:
        loader.dispose()
    problems = [f"{source}: {duplicate}" for duplicate in loader.duplicates]

    if document is None:
        raise SettingsError(problems + [f"{source}: empty file (expected a mapping with a 'config:' key)"])
    if not isinstance(document, dict):
        raise SettingsError(
            problems + [f"{source}: top level is {_kind(document)} (expected a mapping with a 'config:' key)"]
        )
    for key in document:
        if isinstance(key, str) and ":" in key:
            problems.append(f"{source}: {key}: config key at the top level (expected it indented under 'config:')")
        elif key not in STACK_FILE_KEYS:
            suggestion = hint(str(key), STACK_FILE_KEYS) or f" (expected one of: {', '.join(STACK_FILE_KEYS)})"
            problems.append(f"{source}: {key}: unknown top-level key{suggestion}")
    if "config" not in document:
        raise SettingsError(
            problems + [f"{source}: config: missing (a Pulumi stack file keeps its settings under 'config:')"]
        )
    config = document["config"] or {}
    if not isinstance(config, dict):
        raise SettingsError(problems + [f"{source}: config: {show(config)} is not a mapping (expected key: value pairs)"])
    try:
        settings = load_settings(config, source=source, stack=stack)
    except SettingsError as error:
        raise SettingsError(problems + error.problems) from None
    if problems:
        raise SettingsError(problems)
    return settings


def settings_from_pulumi(stack: str) -> Settings:
    """Settings of the running Pulumi program (``pulumi up``/``preview`` or the offline engine).

    Reads every ``mladmin:*`` key through ``pulumi.Config`` plus ``aws:region``. Problems name
    ``stacks/Pulumi.<stack>.yaml``, or ``$MLADMIN_CONFIG_SOURCE`` when a runner loaded another file.
    """
    import pulumi
    from pulumi.runtime import config as runtime_config

    keys = set(runtime_config.CONFIG.get()) | set(runtime_config.get_config_env())
    keys |= {f"{PROJECT}:{name}" for name in MLADMIN_KEYS} | {"aws:region"}
    config: dict[str, Any] = {}
    for key in sorted(keys):
        namespace, _, name = key.partition(":")
        if namespace == "aws" and name != "region":
            continue
        value = pulumi.Config(namespace).get(name)
        if value is not None:
            config[key] = value
    source = os.environ.get("MLADMIN_CONFIG_SOURCE") or f"stacks/Pulumi.{stack}.yaml"
    return load_settings(config, source=source, stack=stack)


def display_path(path: Path) -> str:
    """``path`` relative to the repository (or the working directory) when inside it."""
    resolved = path.resolve()
    for base in (_REPO_ROOT, Path.cwd().resolve()):
        if resolved.is_relative_to(base):
            return resolved.relative_to(base).as_posix()
    return str(path)


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"the text {show(value)}"
    return f"the value {show(value)}"


def _yaml_problem(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    return f"{where}invalid YAML ({problem})"


class _StrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml: ~10x faster on big files
    """SafeLoader that records duplicate keys instead of silently keeping the last one."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[str] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            try:
                key = self.construct_object(key_node, deep=True)
                hash(key)
            except (TypeError, yaml.constructor.ConstructorError):
                continue
            line = key_node.start_mark.line + 1
            if key in seen:
                self.duplicates.append(
                    f"line {line}: duplicate key {show(key)} (first on line {seen[key]}; expected each key once)"
                )
            else:
                seen[key] = line
        return super().construct_mapping(node, deep=deep)
