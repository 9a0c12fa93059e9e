"""`mladmin policy STACK`: the policy pack's verdict on a stack's offline plan."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from mladmin.cli import output
from mladmin.cli.common import EXIT_USAGE, READS_HELP, assume_created_option, console, fail, load_plan
from mladmin.cli.helpformat import Command

WIDE_TABLE = 150  # terminal columns below which a table of findings or of the catalogue is cramped
FORMAT_HELP = "Report format: text, json, sarif (GitHub code scanning) or junit."


def register(app: typer.Typer) -> None:
    @app.command("policy", cls=Command)
    def policy_command(
        stack: Optional[str] = typer.Argument(None, metavar="STACK", help="Stack to check: dev, staging, prod, or a stack of --program."),
        program: Optional[Path] = typer.Option(None, "--program", help="Check another Pulumi Python program (a directory with Pulumi.yaml)."),
        config: Optional[Path] = typer.Option(None, "--config", help="Stack config file to plan with (default: Pulumi.STACK.yaml)."),
        reads: Optional[Path] = typer.Option(None, "--reads", help=READS_HELP),
        fmt: str = typer.Option("text", "--format", "-f", help=FORMAT_HELP),
        output_file: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the report to this file (folders are created)."),
        list_policies: bool = typer.Option(False, "--list", help="Print the policy catalogue and exit."),
        pack_config: Optional[Path] = typer.Option(None, "--pack-config", help="Also write the --policy-pack-config JSON for `pulumi preview` with this stack's settings."),
        assume_created: bool = assume_created_option(),
    ) -> None:
        """Evaluate the policy pack over a stack's offline plan. Exit 0: no mandatory violations, 1: mandatory violations, 2: usage or config error."""
        from policies.formats import FORMATS, renderer

        if fmt not in FORMATS:
            fail(f"--format: {fmt!r} is not a format (expected one of {', '.join(FORMATS)})")
        if list_policies:
            _list(fmt, output_file)
            return
        if stack is None and program is None:
            fail("give a STACK (dev, staging, prod), --program DIR, or --list")
        if stack is None:
            stack = _stack_from_config(config)
        plan = load_plan(stack, config, program, assume_created, reads)

        from policies.config import PolicyConfigError
        from policies.runner import evaluate, settings_of

        try:
            environment, settings = settings_of(plan)
            report = evaluate(plan, settings=settings, environment=environment)
        except PolicyConfigError as exc:
            fail(str(exc))
        if pack_config is not None:
            from policies.pack import pack_config as build_pack_config

            output.write_file(pack_config, json.dumps(build_pack_config(environment, settings), indent=2) + "\n",
                              flag="--pack-config")
        text = renderer(fmt)(report)
        if output_file is not None:
            output.write_file(output_file, text)
            _print_verdict(report, plan)
        elif fmt == "text":
            _print_text(report, plan)
        else:
            typer.echo(text, nl=False)
        raise typer.Exit(report.exit_code)


def _stack_from_config(config: Path | None) -> str:
    name = config.name if config is not None else ""
    if name.startswith("Pulumi.") and name.endswith(".yaml") and name.count(".") == 2:
        return name.split(".")[1]
    return "dev"


def _print_verdict(report, plan) -> None:
    """The verdict, counting resources as `plan` and `graph` do."""
    style = "bold green" if report.passed else "bold red"
    state = "passed" if report.passed else "FAILED"
    mode = "preview" if report.preview else "assume-created"
    output.line(f"[{style}]policy {state}[/]: {report.mandatory_count} mandatory, {report.advisory_count} advisory "
                f"violation(s) ({report.policies_evaluated} policies over "
                f"{output.count_phrase(plan.summary())}, {escape(report.environment)}, {mode})")
    not_run = report.mandatory_not_run
    if not_run:
        output.line(f"[bold yellow]{len(not_run)} mandatory polic{'y' if len(not_run) == 1 else 'ies'} could not run "
                    f"during preview[/]: {escape(', '.join(not_run))} (--assume-created evaluates them as after "
                    f"`pulumi up`)")


def _print_text(report, plan) -> None:
    colour = {"mandatory": "bold red", "advisory": "yellow"}
    output.line(f"[bold]{escape(report.stack)}[/] ({escape(report.environment)}) - {report.policy_pack}: "
                f"{report.policies_evaluated} policies over {output.count_phrase(plan.summary())}")
    order = {"critical": 0, "high": 1, "medium": 2, "low": 3}
    violations = sorted(report.violations, key=lambda v: (not v.mandatory, order.get(v.severity, 9), v.policy))
    if violations and output.interactive() and console.width < WIDE_TABLE:
        for v in violations:  # a narrow terminal: one block per finding, wrapped between words
            output.line(f"[{colour[v.enforcement]}]{v.enforcement}[/] {v.severity} [bold]{escape(v.policy)}[/] "
                        f"{escape(v.resource_name)} [dim]{escape(v.resource_type)}[/]")
            output.line(f"    {escape(v.message)}")
    elif violations:
        rows = [[f"[{colour[v.enforcement]}]{v.enforcement}[/]", v.severity, escape(v.policy),
                 f"{escape(v.resource_name)}\n[dim]{escape(v.resource_type)}[/]", escape(v.message)]
                for v in violations]
        output.table(None, [output.Column(c) for c in ("enforcement", "severity", "policy", "resource", "message")], rows)
    for e in report.exempted:
        output.line(f"[dim]exempt[/] {escape(e.policy)} '{escape(e.resource_name)}' until {e.expires}: "
                    f"{escape(e.reason)}")
    for n in sorted(report.not_run, key=lambda n: (not n.mandatory, n.policy, n.urn)):
        where = f"'{escape(n.resource_name)}'" if n.urn else "the stack"
        style = "bold yellow" if n.mandatory else "dim"
        output.line(f"[{style}]not run[/] ({n.enforcement}) {escape(n.policy)} on {where}: {escape(n.reason)}")
    if report.not_applicable:
        output.line("[dim]nothing to evaluate (no resource of their types):[/] "
                    + escape(", ".join(n.policy for n in report.not_applicable)))
    _print_verdict(report, plan)


_SHORT_LEVEL = {"mandatory": "MAND", "advisory": "adv", "disabled": "off"}


def _list(fmt: str, output_file: Path | None) -> None:
    from policies.docs import catalogue_rows, services_summary
    from policies.facts.environments import ENVIRONMENTS

    rows = catalogue_rows()
    if fmt == "json":
        text = json.dumps(rows, indent=2) + "\n"
        output.write_file(output_file, text) if output_file else typer.echo(text, nl=False)
        return
    if fmt != "text":
        fail(f"--list supports --format text or json, not {fmt}", EXIT_USAGE)
    title = f"{len(rows)} policies"
    if output.interactive() and console.width < WIDE_TABLE:  # a person's terminal: what fits, frameworks in JSON
        columns = ["id", "severity", *ENVIRONMENTS] + (["area"] if console.width >= 100 else [])
        table_rows = [[row["id"], row["severity"], *(_SHORT_LEVEL[row["enforcement"][env]] for env in ENVIRONMENTS)]
                      + ([row["area"]] if "area" in columns else []) for row in rows]
        output.table(title, [output.Column(c) for c in columns], table_rows)
        output.line("[dim]MAND mandatory · adv advisory · off disabled; frameworks and remediation: "
                    "--list --format json[/]")
        output.line(f"services: {escape(services_summary(rows))}")
        return
    columns = ["id", "area", "severity", *ENVIRONMENTS, "frameworks"]
    output.table(title, [output.Column(c) for c in columns],
                 [[row["id"], row["area"], row["severity"], *(row["enforcement"][env] for env in ENVIRONMENTS),
                   escape("; ".join(row["frameworks"]))] for row in rows])
    output.line(f"services: {escape(services_summary(rows))}")
