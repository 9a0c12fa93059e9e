"""`mladmin graph STACK`: the architecture diagram as Mermaid, Graphviz DOT or SVG."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from mladmin.cli.common import CONFIG_HELP, PROGRAM_HELP, READS_HELP, STACK_HELP, console, fail, load_plan

_BY_SUFFIX = {".mmd": "mermaid", ".mermaid": "mermaid", ".md": "mermaid", ".dot": "dot", ".gv": "dot", ".svg": "svg"}


def register(app: typer.Typer) -> None:
    @app.command("graph")
    def graph_command(
        stack: str = typer.Argument(..., help=STACK_HELP),
        output: Optional[Path] = typer.Option(
            None, "--output", "-o",
            help="Write to FILE; the format follows the suffix (.mmd/.md Mermaid, .dot/.gv DOT, .svg SVG)."),
        fmt: Optional[str] = typer.Option(None, "--format", "-f", help="mermaid | dot | svg (default: from -o, else mermaid)."),
        detail: str = typer.Option("resources", "--detail", help="resources (every resource) or components (one node each)."),
        config: Optional[Path] = typer.Option(None, "--config", help=CONFIG_HELP),
        program: Optional[Path] = typer.Option(None, "--program", help=PROGRAM_HELP),
        reads: Optional[Path] = typer.Option(None, "--reads", help=READS_HELP),
    ) -> None:
        """Draw the stack's architecture: components as groups, dependencies as edges."""
        from mladmin import graph

        if detail not in ("resources", "components"):
            fail(f"--detail: {detail!r} is not one of: resources, components")
        chosen = fmt or (_BY_SUFFIX.get(output.suffix.lower()) if output else "mermaid")
        if chosen not in ("mermaid", "dot", "svg"):
            fail(f"--format: {chosen or output.suffix!r} is not one of: mermaid, dot, svg")
        if chosen == "svg" and not graph.dot_available():
            fail("SVG needs Graphviz's 'dot' (apt-get install graphviz); use --format dot or mermaid")
        if chosen == "svg" and output is None:
            fail("--format svg needs -o FILE")
        plan = load_plan(stack, config, program, reads)
        if chosen == "mermaid":
            text = graph.to_mermaid(plan, detail)
            if output is not None and output.suffix.lower() == ".md":
                text = f"```mermaid\n{text}```\n"
        else:
            text = graph.to_dot(plan, detail)
        if output is None:
            typer.echo(text, nl=False)
            return
        if chosen == "svg":
            output.write_bytes(graph.to_svg(text))
        else:
            output.write_text(text)
        console.print(f"{chosen} diagram of {plan.stack} ({len(plan.resources)} resources) written to {output}")
