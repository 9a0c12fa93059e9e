"""The settings of the stack a SageMaker command acts on (the same file `mladmin plan` reads)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from stacks.settings import Settings, SettingsError, load_settings_file
from stacks.settings.loader import display_path

from mladmin.sagemaker.errors import SageMakerCommandError


@dataclass(frozen=True)
class Stack:
    name: str
    settings: Settings
    source: str          # the stack file as messages name it, e.g. stacks/Pulumi.dev.yaml
    config_file: Path | None


def load_stack(name: str, config_file: Path | None = None) -> Stack:
    from mladmin.engine import stacks_project

    project = stacks_project()
    path = Path(config_file) if config_file else project.stack_file(name)
    if config_file is None and not path.is_file():
        known = ", ".join(project.stacks()) or "none"
        raise SageMakerCommandError(f"unknown stack {name!r} (expected one of {known}, or --config FILE)")
    try:
        settings = load_settings_file(path, name)
    except SettingsError as exc:
        raise SageMakerCommandError(str(exc)) from None
    return Stack(name, settings, display_path(path), config_file)
