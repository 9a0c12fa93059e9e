"""`mladmin graph STACK`: the architecture diagram as Mermaid, Graphviz DOT or SVG."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from rich.markup import escape

from mladmin.cli import output
from mladmin.cli.common import CONFIG_HELP, PROGRAM_HELP, READS_HELP, STACK_HELP, assume_created_option, fail, load_plan
from mladmin.cli.helpformat import Command

FORMATS = ("mermaid", "dot", "svg")
_BY_SUFFIX = {".mmd": "mermaid", ".mermaid": "mermaid", ".md": "mermaid", ".dot": "dot", ".gv": "dot", ".svg": "svg"}


def register(app: typer.Typer) -> None:
    @app.command("graph", cls=Command)
    def graph_command(
        stack: str = typer.Argument(..., metavar="STACK", help=STACK_HELP),
        output_file: Optional[Path] = typer.Option(
            None, "--output", "-o",
            help="Write to FILE (folders are created); the format follows the suffix "
                 "(.mmd/.md Mermaid, .dot/.gv DOT, .svg SVG) unless --format is given."),
        fmt: Optional[str] = typer.Option(None, "--format", "-f", help="mermaid | dot | svg (default: from -o, else mermaid)."),
        detail: str = typer.Option("resources", "--detail", help="resources (every resource) or components (one node each)."),
        config: Optional[Path] = typer.Option(None, "--config", help=CONFIG_HELP),
        program: Optional[Path] = typer.Option(None, "--program", help=PROGRAM_HELP),
        reads: Optional[Path] = typer.Option(None, "--reads", help=READS_HELP),
        assume_created: bool = assume_created_option(),
    ) -> None:
        """Draw the stack's architecture: components as groups, dependencies as edges."""
        from mladmin import graph

        if detail not in ("resources", "components"):
            fail(f"--detail: {detail!r} is not one of: resources, components")
        chosen = _format(fmt, output_file)
        if chosen == "svg" and not graph.dot_available():
            fail("SVG needs Graphviz's 'dot' (apt-get install graphviz); use --format dot or mermaid")
        if chosen == "svg" and output_file is None:
            fail("--format svg needs -o FILE")
        plan = load_plan(stack, config, program, assume_created, reads)
        if chosen == "mermaid":
            text = graph.to_mermaid(plan, detail)
            if output_file is not None and output_file.suffix.lower() == ".md":
                text = f"```mermaid\n{text}```\n"
        else:
            text = graph.to_dot(plan, detail)
        if output_file is None:
            typer.echo(text, nl=False)
            return
        output.write_file(output_file, graph.to_svg(text) if chosen == "svg" else text)
        output.line(f"{chosen} diagram of {escape(plan.stack)} ({output.count_phrase(plan.summary())}) "
                    f"written to {escape(str(output_file))}")


def _format(fmt: str | None, output_file: Path | None) -> str:
    """--format when given, else the -o suffix, else Mermaid; each error names what the user gave."""
    if fmt is not None:
        if fmt not in FORMATS:
            fail(f"--format: {fmt!r} is not one of: {', '.join(FORMATS)}")
        return fmt
    if output_file is None:
        return "mermaid"
    chosen = _BY_SUFFIX.get(output_file.suffix.lower())
    if chosen is None:
        fail(f"-o {output_file}: cannot tell the format from the suffix {output_file.suffix or '(none)'!r} "
             f"(use {', '.join(_BY_SUFFIX)}, or give --format {'|'.join(FORMATS)})")
    return chosen
