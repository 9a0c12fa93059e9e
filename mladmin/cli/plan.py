"""`mladmin plan STACK`: what a stack would create, computed offline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from mladmin.cli.common import CONFIG_HELP, PROGRAM_HELP, READS_HELP, STACK_HELP, console, load_plan



def register(app: typer.Typer) -> None:
    @app.command("plan")
    def plan_command(
        stack: str = typer.Argument(..., help=STACK_HELP),
        as_json: bool = typer.Option(False, "--json", help="Print the plan as JSON (schema: mladmin/engine/plan.py)."),
        config: Optional[Path] = typer.Option(None, "--config", help=CONFIG_HELP),
        program: Optional[Path] = typer.Option(None, "--program", help=PROGRAM_HELP),
        reads: Optional[Path] = typer.Option(None, "--reads", help=READS_HELP),
        output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the JSON plan to this file."),
    ) -> None:
        """Plan a stack offline: the tree of components and resources, counts per type, the policy verdict."""
        plan = load_plan(stack, config, program, reads)
        document = plan.to_json()
        verdict = _policy_verdict(plan)
        if verdict is not None:
            document["policy"] = verdict
        if output is not None:
            output.write_text(json.dumps(document, indent=2, default=str) + "\n")
        if as_json:
            typer.echo(json.dumps(document, indent=2, default=str))
            return
        _render(plan, verdict)
        if output is not None:
            console.print(f"plan written to {output}")


def _policy_verdict(plan) -> dict | None:
    """The policy pack's verdict on the plan, when the pack is installed."""
    try:
        from policies.runner import evaluate
    except ImportError:
        return None
    try:
        report = evaluate(plan)
    except Exception as exc:  # a bad policy config is reported by `mladmin policy`; keep the plan usable
        return {"error": str(exc)}
    return {"mandatory": report.mandatory_count, "advisory": report.advisory_count, "passed": report.passed}


def _render(plan, verdict: dict | None) -> None:
    root = next((r for r in plan.resources if r.parent is None), None)
    tree = Tree(f"[bold]{plan.project}[/] / [bold cyan]{plan.stack}[/]"
                + (f"  [dim]({plan.config_file})[/]" if plan.config_file else ""))
    nodes = {root.urn: tree} if root else {}
    for r in plan.resources:
        if r is root:
            continue
        parent_node = nodes.get(r.parent or "", tree)
        if r.is_component:
            nodes[r.urn] = parent_node.add(f"[bold magenta]{escape(r.name)}[/] [dim]{escape(r.type)}[/]")
        else:
            flags = " [yellow]protected[/]" if r.protect else ""
            nodes[r.urn] = parent_node.add(f"{escape(r.name)} [dim]{escape(r.type)}[/]{flags}")
    console.print(tree)

    table = Table(title="Resources by type", show_lines=False)
    table.add_column("type")
    table.add_column("count", justify="right")
    for type_, count in plan.count_by_type().items():
        table.add_row(type_, str(count))
    console.print(table)

    summary = plan.summary()
    line = (f"[bold]{summary['custom']}[/] resources in [bold]{summary['components']}[/] components "
            f"({len(plan.count_by_type())} types)")
    console.print(line)
    if verdict is not None:
        if "error" in verdict:
            console.print(f"policy: [red]not evaluated[/] ({verdict['error']})")
        else:
            colour = "green" if verdict["passed"] else "red"
            console.print(f"policy: [{colour}]{'pass' if verdict['passed'] else 'FAIL'}[/] — "
                          f"{verdict['mandatory']} mandatory, {verdict['advisory']} advisory findings")
