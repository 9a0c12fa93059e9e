"""What the command modules share: consoles, error reporting, exit codes."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2

console = Console(emoji=False)
err_console = Console(stderr=True, emoji=False)


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print a message for people (no traceback) and exit."""
    for line in str(message).splitlines() or [""]:
        err_console.print(f"[bold red]error:[/] {line}", highlight=False, markup=True, soft_wrap=True) if line else None
    raise typer.Exit(code)


def load_plan(stack: str, config: Path | None, program: Path | None):
    """Plan a shipped stack or another program; engine errors become exit code 2."""
    from mladmin.engine import EngineError, plan_program, plan_stack

    try:
        if program is not None:
            return plan_program(program, stack=stack, config_file=config)
        return plan_stack(stack, config_file=config)
    except EngineError as exc:
        fail(str(exc))
