"""`mladmin diff STACK --base REF`: what a change does to a stack, for the reviewer of a pull request."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from mladmin.cli import output
from mladmin.cli.common import CONFIG_HELP, EXIT_OK, PROGRAM_HELP, assume_created_option, fail
from mladmin.cli.helpformat import Command


class DiffFormat(str, Enum):
    text = "text"
    markdown = "markdown"
    json = "json"


def register(app: typer.Typer) -> None:
    @app.command("diff", cls=Command)
    def diff_command(
        stack: Optional[str] = typer.Argument(None, metavar="STACK", help="Stack to compare (or --all-stacks)."),
        base: str = typer.Option(..., "--base", help="Git ref to compare against, e.g. origin/main or HEAD~1."),
        output_format: DiffFormat = typer.Option(DiffFormat.text, "--format", help="text, markdown (one "
                                                 "pull-request comment for every stack) or json."),
        all_stacks: bool = typer.Option(False, "--all-stacks", help="Compare every stack with a config file."),
        config: Optional[Path] = typer.Option(None, "--config", help=CONFIG_HELP),
        program: Optional[Path] = typer.Option(None, "--program", help=PROGRAM_HELP),
        output_file: Optional[Path] = typer.Option(None, "--output", "-o", help="Also write the result to this file "
                                                   "(folders are created)."),
        assume_created: bool = assume_created_option(),
    ) -> None:
        """Plan STACK at git ref --base and in the working tree: resources added, removed, changed and REPLACED,
        policy findings new and fixed, monthly cost before and after."""
        from mladmin.diff import diff_stacks, stack_names
        from mladmin.diff.render import markdown, text_lines
        from mladmin.engine import EngineError

        if all_stacks == (stack is not None):
            fail("give a STACK or --all-stacks (exactly one)")
        if all_stacks and config is not None:
            fail("--config FILE is one stack's config: give STACK with it, not --all-stacks")
        try:
            stacks = stack_names(program) if all_stacks else [stack]
            diffs = diff_stacks(stacks, base, program=program, config=config, preview=not assume_created)
        except EngineError as error:
            fail(str(error))
        if output_format is DiffFormat.json:
            text = json.dumps({"base": base, "stacks": [d.to_json() for d in diffs]}, indent=2, default=str)
        elif output_format is DiffFormat.markdown:
            text = markdown(diffs, base)
        else:
            text = "\n".join(line for d in diffs for line in text_lines(d, base))
        if output_file is not None:
            output.write_file(output_file, text + "\n")
        if output_format is DiffFormat.text:
            for d in diffs:
                for line in text_lines(d, base):
                    colour = "red" if line.startswith("!!") else "green" if line.startswith("+") else \
                        "yellow" if line.startswith(("-", "~")) else None
                    output.line(f"[{colour}]{escape(line)}[/]" if colour else escape(line))
        else:
            typer.echo(text)
        raise typer.Exit(EXIT_OK)
