"""`mladmin policy STACK`: the policy pack's verdict on a stack's offline plan."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape
from rich.table import Table

from mladmin.cli.common import EXIT_USAGE, READS_HELP, console, fail, load_plan

FORMAT_HELP = "Report format: text, json, sarif (GitHub code scanning) or junit."


def register(app: typer.Typer) -> None:
    @app.command("policy")
    def policy_command(
        stack: Optional[str] = typer.Argument(None, help="Stack to check: dev, staging, prod, or a stack of --program."),
        program: Optional[Path] = typer.Option(None, "--program", help="Check another Pulumi Python program (a directory with Pulumi.yaml)."),
        config: Optional[Path] = typer.Option(None, "--config", help="Stack config file to plan with (default: Pulumi.STACK.yaml)."),
        reads: Optional[Path] = typer.Option(None, "--reads", help=READS_HELP),
        fmt: str = typer.Option("text", "--format", "-f", help=FORMAT_HELP),
        output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the report to this file."),
        list_policies: bool = typer.Option(False, "--list", help="Print the policy catalogue and exit."),
        pack_config: Optional[Path] = typer.Option(None, "--pack-config", help="Also write the --policy-pack-config JSON for `pulumi preview` with this stack's settings."),
    ) -> None:
        """Evaluate the policy pack over a stack's offline plan. Exit 0: no mandatory violations, 1: mandatory violations, 2: usage or config error."""
        from policies.formats import FORMATS, renderer

        if fmt not in FORMATS:
            fail(f"--format: {fmt!r} is not a format (expected one of {', '.join(FORMATS)})")
        if list_policies:
            _list(fmt, output)
            return
        if stack is None and program is None:
            fail("give a STACK (dev, staging, prod), --program DIR, or --list")
        if stack is None:
            stack = _stack_from_config(config)
        plan = load_plan(stack, config, program, reads)

        from policies.config import PolicyConfigError
        from policies.runner import evaluate, settings_of

        try:
            environment, settings = settings_of(plan)
            report = evaluate(plan, settings=settings, environment=environment)
        except PolicyConfigError as exc:
            fail(str(exc))
        if pack_config is not None:
            from policies.pack import pack_config as build_pack_config

            _write(pack_config, json.dumps(build_pack_config(environment, settings), indent=2) + "\n")
        text = renderer(fmt)(report)
        if output is not None:
            _write(output, text)
            console.print(escape(report.verdict()), highlight=False)
        elif fmt == "text":
            _print_text(report)
        else:
            typer.echo(text, nl=False)
        raise typer.Exit(report.exit_code)


def _stack_from_config(config: Path | None) -> str:
    name = config.name if config is not None else ""
    if name.startswith("Pulumi.") and name.endswith(".yaml") and name.count(".") == 2:
        return name.split(".")[1]
    return "dev"


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"{path}: cannot write ({exc.strerror})")


def _print_text(report) -> None:
    colour = {"mandatory": "bold red", "advisory": "yellow"}
    console.print(f"[bold]{escape(report.stack)}[/] ({report.environment}) - {report.policy_pack}: "
                  f"{report.policies_evaluated} policies x {report.resources_evaluated} resources", highlight=False)
    if report.violations:
        table = Table(show_lines=False)
        for column in ("enforcement", "severity", "policy", "resource", "message"):
            table.add_column(column)
        order = {"critical": 0, "high": 1, "medium": 2, "low": 3}
        for v in sorted(report.violations, key=lambda v: (not v.mandatory, order.get(v.severity, 9), v.policy)):
            table.add_row(f"[{colour[v.enforcement]}]{v.enforcement}[/]", v.severity, escape(v.policy),
                          f"{escape(v.resource_name)}\n[dim]{escape(v.resource_type)}[/]", escape(v.message))
        console.print(table)
    for e in report.exempted:
        console.print(f"[dim]exempt[/] {escape(e.policy)} '{escape(e.resource_name)}' until {e.expires}: {escape(e.reason)}",
                      highlight=False)
    style = "bold green" if report.passed else "bold red"
    console.print(f"[{style}]{escape(report.verdict())}[/]", highlight=False)


def _list(fmt: str, output: Path | None) -> None:
    from policies.catalogue import catalogue
    from policies.docs import catalogue_rows

    rows = catalogue_rows()
    if fmt == "json":
        text = json.dumps(rows, indent=2) + "\n"
        _write(output, text) if output else typer.echo(text, nl=False)
        return
    if fmt != "text":
        fail(f"--list supports --format text or json, not {fmt}", EXIT_USAGE)
    table = Table(title=f"{len(catalogue())} policies")
    for column in ("id", "area", "severity", "dev", "staging", "prod", "frameworks"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["id"], row["area"], row["severity"], row["enforcement"]["dev"],
                      row["enforcement"]["staging"], row["enforcement"]["prod"], escape("; ".join(row["frameworks"])))
    console.print(table)
