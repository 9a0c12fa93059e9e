"""The GitHub Actions workflows: valid YAML, CI runs the README's test command, and every `mladmin`
command they run exists with the options they give it."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest
import typer
import yaml

from mladmin.cli.main import app

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
_MLADMIN = re.compile(r"(?:^|[\s;&|(])(?:\S*/)?mladmin\s+([^\n;&|]*)")
_EXPRESSION = re.compile(r"\$\{\{[^}]*\}\}")


def _runs(workflow: Path) -> list[str]:
    document = yaml.safe_load(workflow.read_text())
    return [step["run"] for job in document["jobs"].values() for step in job.get("steps", []) if "run" in step]


def _invocations() -> list[tuple[str, list[str]]]:
    found = []
    for workflow in WORKFLOWS:
        for script in _runs(workflow):
            for match in _MLADMIN.finditer(script):
                words = shlex.split(_EXPRESSION.sub("VALUE", match.group(1)))
                found.append((f"{workflow.name}: mladmin {' '.join(words)}", words))
    return found


def test_the_workflows_are_there_and_parse():
    assert {w.name for w in WORKFLOWS} >= {"ci.yml", "preview.yml", "deploy.yml"}
    for workflow in WORKFLOWS:
        document = yaml.safe_load(workflow.read_text())
        assert document["jobs"] and True in document  # PyYAML reads the `on:` key as True


def test_ci_runs_the_readme_test_command_exactly():
    readme = (ROOT / "README.md").read_text()
    command = re.search(r"Run the tests.*?```bash\n(.*?)\n```", readme, re.S).group(1).strip()
    assert command in _runs(ROOT / ".github" / "workflows" / "ci.yml")


def test_preview_comments_the_diff_of_every_stack_against_the_merge_base():
    scripts = "\n".join(_runs(ROOT / ".github" / "workflows" / "preview.yml"))
    assert "git merge-base" in scripts and "mladmin diff --all-stacks --base \"$base\" --format markdown" in scripts


INVOCATIONS = _invocations()


@pytest.mark.parametrize("label, words", INVOCATIONS, ids=[label for label, _ in INVOCATIONS])
def test_every_mladmin_command_in_the_workflows_exists_with_its_options(label, words):
    group = typer.main.get_command(app)
    with click.Context(group) as context:
        command = group.get_command(context, words[0])
        assert command is not None, f"{label}: no command '{words[0]}'"
        command.make_context(words[0], list(words[1:]), parent=context)  # raises UsageError on a bad option


def test_the_workflows_run_mladmin():
    assert len(INVOCATIONS) >= 4
