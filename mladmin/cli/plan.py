"""`mladmin plan STACK`: what a stack would create, computed offline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape
from rich.tree import Tree

from mladmin.cli import output
from mladmin.cli.common import (CONFIG_HELP, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, PROGRAM_HELP, READS_HELP, STACK_HELP,
                                assume_created_option, load_plan)
from mladmin.cli.helpformat import Command


def register(app: typer.Typer) -> None:
    @app.command("plan", cls=Command)
    def plan_command(
        stack: str = typer.Argument(..., metavar="STACK", help=STACK_HELP),
        as_json: bool = typer.Option(False, "--json", help="Print the plan as JSON (schema: mladmin/engine/plan.py)."),
        config: Optional[Path] = typer.Option(None, "--config", help=CONFIG_HELP),
        program: Optional[Path] = typer.Option(None, "--program", help=PROGRAM_HELP),
        reads: Optional[Path] = typer.Option(None, "--reads", help=READS_HELP),
        output_file: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the JSON plan to this file (folders are created)."),
        assume_created: bool = assume_created_option(),
    ) -> None:
        """Plan a stack offline: the tree of components and resources, counts per type, the policy verdict."""
        plan = load_plan(stack, config, program, assume_created, reads)
        document = plan.to_json()
        verdict = _policy_verdict(plan)
        if verdict is not None:
            document["policy"] = verdict
        capacity = _capacity_findings(plan)
        document["capacity"] = capacity
        if output_file is not None:
            output.write_file(output_file, json.dumps(document, indent=2, default=str) + "\n")
        if as_json:
            typer.echo(json.dumps(document, indent=2, default=str))
        else:
            _render(plan, verdict)
            _cost_line(plan)
            for finding in capacity:
                output.line(f"[red]capacity:[/] {escape(finding)}")
            if output_file is not None:
                output.line(f"plan written to {escape(str(output_file))}")
        raise typer.Exit(max(_exit_code(verdict), EXIT_FINDINGS if capacity else EXIT_OK))


def _capacity_findings(plan) -> list[str]:
    """Endpoints and model servers whose catalogue model does not fit their GPUs (mladmin/capacity/stack.py)."""
    from mladmin.capacity.stack import endpoint_fits, server_fits

    fits = [*endpoint_fits(plan.config), *server_fits(plan.config)]
    return [finding for fit in fits if (finding := fit.finding())]


def _cost_line(plan) -> None:
    """The monthly total, one line (the breakdown is `mladmin cost`'s)."""
    from mladmin.cli.cost import total_line
    from mladmin.cost import PricingError, cost_inputs, estimate
    from stacks.settings import SettingsError

    try:
        output.line(escape(total_line(estimate(plan, cost_inputs(plan).assumptions))))
    except (SettingsError, PricingError) as error:
        output.line(f"cost: not estimated ({escape(str(error).splitlines()[0])}; details: mladmin cost)")


def _exit_code(verdict: dict | None) -> int:
    """As `mladmin policy`: 1 when mandatory policies fail, 2 when the pack could not be evaluated."""
    if verdict is None:
        return EXIT_OK
    if "error" in verdict:
        return EXIT_USAGE
    return EXIT_OK if verdict["passed"] else EXIT_FINDINGS


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
    return {"mandatory": report.mandatory_count, "advisory": report.advisory_count, "passed": report.passed,
            "not_run": report.mandatory_not_run}


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
    output.tree(tree)

    by_type = plan.count_by_type()
    output.table("Resources by type", [output.Column("type"), output.Column("count", "right")],
                 [[escape(type_), str(count)] for type_, count in by_type.items()])

    output.line(f"{output.count_phrase(plan.summary())} ({len(by_type)} types)")
    if plan.preview:
        output.line(f"preview: {plan.unknown_count()} values are unknown until apply "
                    "(--assume-created to evaluate as after `pulumi up`)")
    else:
        output.line("assumed created: every value is known, as after `pulumi up`")
    if verdict is not None:
        if "error" in verdict:
            output.line(f"policy: [red]not evaluated[/] ({escape(verdict['error'])})")
        else:
            colour = "green" if verdict["passed"] else "red"
            output.line(f"policy: [{colour}]{'pass' if verdict['passed'] else 'FAIL'}[/] - "
                        f"{verdict['mandatory']} mandatory, {verdict['advisory']} advisory findings "
                        f"(details: mladmin policy)")
            if verdict["not_run"]:
                output.line(f"[yellow]mandatory policies that could not run during preview:[/] "
                            f"{escape(', '.join(verdict['not_run']))}")
