"""Help as a person at a terminal reads it: flags without a `<bool>` placeholder, arguments as
`STACK` in usage lines, not `{stack}`."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from mladmin.cli import helpformat
from mladmin.cli.main import app


@pytest.fixture
def terminal(monkeypatch):
    """Rich help panels, as in an interactive terminal."""
    monkeypatch.setattr(helpformat, "interactive", lambda: True)
    monkeypatch.setattr(helpformat.console, "_width", 100)


@pytest.mark.parametrize("command, usage", [
    (["plan"], "mladmin plan [OPTIONS] STACK"),
    (["graph"], "mladmin graph [OPTIONS] STACK"),
    (["policy"], "mladmin policy [OPTIONS] [STACK]"),
    (["model", "tiny"], "mladmin model tiny [OPTIONS] DIR"),
])
def test_rich_help_names_arguments_in_capitals(terminal, command, usage):
    result = CliRunner(env={"COLUMNS": "100"}).invoke(app, [*command, "--help"])
    assert result.exit_code == 0 and "╭─" in result.output  # the rich panels
    assert usage in result.output and "{" not in result.output.split("\n\n")[0]


@pytest.mark.parametrize("command", [["plan"], ["policy"], ["serve"], ["drift"], ["model", "tiny"], []])
def test_rich_help_shows_no_bool_placeholder_for_flags(terminal, command):
    result = CliRunner(env={"COLUMNS": "100"}).invoke(app, [*command, "--help"])
    assert result.exit_code == 0 and "╭─" in result.output
    assert "<bool>" not in result.output, result.output


def test_a_narrow_terminal_gets_plain_help_with_env_vars_whole(monkeypatch):
    monkeypatch.setattr(helpformat, "interactive", lambda: True)
    monkeypatch.setattr(helpformat.console, "_width", 80)
    result = CliRunner(env={"COLUMNS": "80"}).invoke(app, ["serve", "--help"])
    assert "╭─" not in result.output and "SAGEMAKER_BIND_TO_PORT" in result.output and "…" not in result.output


def test_piped_help_is_plain_click_help():
    result = CliRunner(env={"COLUMNS": "80"}).invoke(app, ["serve", "--help"])
    assert "╭─" not in result.output and "SAGEMAKER_BIND_TO_PORT" in result.output


def test_ci_means_plain_output_even_at_a_terminal(monkeypatch):
    from mladmin.cli import output

    monkeypatch.setattr("sys.stdout.isatty", lambda: True, raising=False)
    monkeypatch.setenv("CI", "true")
    assert output.interactive() is False
    monkeypatch.delenv("CI")
    assert output.interactive() is True
