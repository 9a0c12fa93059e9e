"""Entry point: builds the typer app from the command modules.

Each command module exposes `register(app)`; heavy imports (torch, pulumi_aws) happen inside
the commands so `mladmin --help` stays fast.
"""

from __future__ import annotations

import importlib

import typer

from mladmin import __version__
from mladmin.cli.helpformat import Group

COMMAND_MODULES = (
    "mladmin.cli.plan",
    "mladmin.cli.graph",
    "mladmin.cli.policy",
    "mladmin.cli.cost",
    "mladmin.cli.capacity",
    "mladmin.cli.diff",
    "mladmin.cli.model",
    "mladmin.cli.train",
    "mladmin.cli.eval",
    "mladmin.cli.serve",
    "mladmin.cli.drift",
    "mladmin.cli.launch",
)

app = typer.Typer(
    name="mladmin",
    help="Infrastructure as code for the ML admin: plan, check and run an LLM platform on AWS.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=Group,
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


# Modules that come with an optional extra: a command that needs one says how to install it.
EXTRA_FOR_MODULE = {
    **dict.fromkeys(("torch", "transformers", "tokenizers", "accelerate", "fastapi", "uvicorn",
                     "prometheus_client", "matplotlib", "boto3", "numpy", "tqdm"), "workloads"),
    "mlflow": "mlflow",
}


def run() -> None:
    try:
        app()
    except ModuleNotFoundError as exc:
        extra = EXTRA_FOR_MODULE.get((exc.name or "").split(".")[0])
        if extra is None:
            raise
        typer.echo(f"error: this command needs the '{extra}' extra (missing module '{exc.name}'): "
                   f"pip install -e '.[{extra}]'", err=True)
        raise SystemExit(2) from None


if __name__ == "__main__":
    run()
