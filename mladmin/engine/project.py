"""Finding a Pulumi project on disk and reading a stack's config file."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError, ProgramError

SECURE_PLACEHOLDER = "[secret]"
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Project:
    name: str
    root: Path          # directory holding Pulumi.yaml
    main: Path          # directory whose __main__.py is the program
    config_dir: Path    # where Pulumi.<stack>.yaml files live
    virtualenv: Path | None = None  # runtime.options.virtualenv, resolved against root

    def stack_file(self, stack: str) -> Path:
        return self.config_dir / f"Pulumi.{stack}.yaml"

    def stacks(self) -> list[str]:
        return sorted(p.name[len("Pulumi."):-len(".yaml")] for p in self.config_dir.glob("Pulumi.*.yaml"))


def load_project(root: Path) -> Project:
    manifest = root / "Pulumi.yaml"
    if not manifest.is_file():
        raise ProgramError(f"{root}: no Pulumi.yaml here (expected a Pulumi project directory)")
    try:
        data = yaml.safe_load(manifest.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ProgramError(f"{manifest}: not valid YAML: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        raise ProgramError(f"{manifest}: name: expected the project name as a string")
    runtime = data.get("runtime")
    runtime_name = runtime.get("name") if isinstance(runtime, dict) else runtime
    if runtime_name != "python":
        raise ProgramError(f"{manifest}: runtime: {runtime_name!r} is not supported offline (expected python)")
    main = (root / data.get("main", ".")).resolve()
    if not (main / "__main__.py").is_file():
        raise ProgramError(f"{manifest}: main: {main} has no __main__.py")
    config_dir = (root / data.get("stackConfigDir", ".")).resolve()
    options = runtime.get("options") if isinstance(runtime, dict) else None
    virtualenv = options.get("virtualenv") if isinstance(options, dict) else None
    if virtualenv is not None and not isinstance(virtualenv, str):
        raise ProgramError(f"{manifest}: runtime.options.virtualenv: expected a directory path as a string")
    return Project(name=data["name"], root=root.resolve(), main=main, config_dir=config_dir,
                   virtualenv=(root / virtualenv).resolve() if virtualenv else None)


def load_yaml_file(path: Path, what: str = "YAML") -> Any:
    """A YAML (or JSON) file's content; a syntax error is a ConfigError naming the file, line and column."""
    try:
        return yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_FAST_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise ConfigError([f"{path}: not valid {what}{where}: {getattr(exc, 'problem', exc)}"],
                          source=str(path)) from None


def read_stack_config(path: Path, project: str) -> tuple[dict[str, Any], list[str]]:
    """Return (config with native values keyed "namespace:key", secret keys) from a stack file."""
    if not path.is_file():
        raise ConfigError([f"{path}: file not found"], source=str(path))
    data = load_yaml_file(path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError([f"{path}: expected a mapping with a 'config:' key, found {type(data).__name__}"],
                          source=str(path))
    config = data.get("config") or {}
    if not isinstance(config, dict):
        raise ConfigError([f"{path}: config: expected a mapping of 'namespace:key' to values"], source=str(path))
    values: dict[str, Any] = {}
    secrets: list[str] = []
    for key, value in config.items():
        full_key = str(key) if ":" in str(key) else f"{project}:{key}"
        if isinstance(value, dict) and set(value) == {"secure"}:
            secrets.append(full_key)
            value = SECURE_PLACEHOLDER
        values[full_key] = value
    return values, secrets


def as_runtime_config(values: dict[str, Any]) -> dict[str, str]:
    """Pulumi hands config to programs as strings; structured values as JSON."""
    out: dict[str, str] = {}
    for key, value in values.items():
        if isinstance(value, str):
            out[key] = value
        elif isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, (int, float)):
            out[key] = str(value)
        else:
            out[key] = json.dumps(value, default=str)
    return out
