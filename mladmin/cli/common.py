"""What the command modules share: consoles, error reporting, exit codes."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

STACK_HELP = "Stack (environment) name: dev, staging, prod, or a stack of --program."
CONFIG_HELP = "Read settings from this stack config file instead of stacks/Pulumi.STACK.yaml."
PROGRAM_HELP = "Run another Pulumi Python program (a directory with Pulumi.yaml) instead of mladmin's stacks."
READS_HELP = ("Answer what the program reads from the world (Resource.get, StackReference, data sources) from this "
              "YAML/JSON file: resources by type and id, stacks by name, invokes by token.")

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2

console = Console(emoji=False)
err_console = Console(stderr=True, emoji=False)


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print a message for people (no traceback) and exit."""
    for line in str(message).splitlines():
        if line:
            err_console.print(f"[bold red]error:[/] {escape(line)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def load_plan(stack: str, config: Path | None, program: Path | None, reads: Path | None = None):
    """Plan a shipped stack or another program; engine errors become exit code 2."""
    from mladmin.engine import EngineError, plan_program, plan_stack

    try:
        if program is not None:
            return plan_program(program, stack=stack, config_file=config, reads_file=reads)
        return plan_stack(stack, config_file=config, reads_file=reads)
    except EngineError as exc:
        fail(str(exc))
