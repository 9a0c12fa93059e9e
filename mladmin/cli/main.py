"""Entry point: builds the typer app from the command modules.

Each command module exposes `register(app)`; heavy imports (torch, pulumi_aws) happen inside
the commands so `mladmin --help` stays fast.
"""

from __future__ import annotations

import importlib

import typer

from mladmin import __version__

COMMAND_MODULES = (
    "mladmin.cli.plan",
    "mladmin.cli.graph",
    "mladmin.cli.policy",
    "mladmin.cli.model",
    "mladmin.cli.train",
    "mladmin.cli.eval",
    "mladmin.cli.serve",
    "mladmin.cli.drift",
)

app = typer.Typer(
    name="mladmin",
    help="Infrastructure as code for the ML admin: plan, check and run an LLM platform on AWS.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mladmin {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Infrastructure as code for the ML admin."""


for _name in COMMAND_MODULES:
    try:
        _module = importlib.import_module(_name)
    except ModuleNotFoundError as exc:  # a command group not built yet
        if exc.name != _name:
            raise
        continue
    _module.register(app)


def run() -> None:
    app()


if __name__ == "__main__":
    run()
