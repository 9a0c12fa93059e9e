"""`mladmin cost STACK`: the estimated monthly cost of a stack, from its offline plan."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from mladmin.cli import output
from mladmin.cli.common import (CONFIG_HELP, EXIT_FINDINGS, EXIT_OK, PROGRAM_HELP, READS_HELP, STACK_HELP,
                                assume_created_option, fail, load_plan)
from mladmin.cli.helpformat import Command


class GroupBy(str, Enum):
    resource = "resource"
    component = "component"
    team = "team"


def register(app: typer.Typer) -> None:
    @app.command("cost", cls=Command)
    def cost_command(
        stack: str = typer.Argument(..., metavar="STACK", help=STACK_HELP),
        as_json: bool = typer.Option(False, "--json", help="Print the estimate as JSON."),
        check: bool = typer.Option(False, "--check", help="Exit 1 when the estimate exceeds the environment's "
                                   "budget (mladmin:budgets) or a team's share (its tagged resources and its part of shared GPU node "
                                   "groups) exceeds its monthlyBudgetUsd."),
        by: Optional[GroupBy] = typer.Option(None, "--by", help="Group by resource, component or team (with "
                                             "each shared GPU node group's split). Default: components, then teams."),
        config: Optional[Path] = typer.Option(None, "--config", help=CONFIG_HELP),
        program: Optional[Path] = typer.Option(None, "--program", help=PROGRAM_HELP),
        reads: Optional[Path] = typer.Option(None, "--reads", help=READS_HELP),
        assume_created: bool = assume_created_option(),
    ) -> None:
        """Estimate a stack's monthly cost offline (us-east-1 list prices, node groups at min and max size)."""
        plan = load_plan(stack, config, program, assume_created, reads)
        result, inputs = estimate_or_fail(plan)
        over = over_budget(result, inputs)
        if as_json:
            document = result.to_json()
            document["budget"] = {"monthly_limit_usd": inputs.monthly_limit_usd, "team_budgets": inputs.team_budgets,
                                  "over": over}
            document["serving"] = [fit.to_json() for fit in _serving(plan)]
            document["model_servers"] = [fit.to_json() for fit in _model_servers(plan)]
            typer.echo(json.dumps(document, indent=2))
        else:
            _render(result, inputs, by, over)
            _serving_lines(_serving(plan))
            _model_server_lines(_model_servers(plan))
        raise typer.Exit(EXIT_FINDINGS if check and over else EXIT_OK)


def _serving(plan):
    """Serving endpoints whose model the capacity catalogue knows (mladmin/capacity/stack.py)."""
    from mladmin.capacity.stack import endpoint_fits

    return endpoint_fits(plan.config)


def _model_servers(plan):
    """Kubernetes model servers whose architecture the capacity catalogue knows, per instance type of their node group."""
    from mladmin.capacity.stack import server_fits

    return server_fits(plan.config)


def _model_server_lines(fits) -> None:
    from mladmin.capacity.stack import CHECK_CONTEXT

    for fit in fits:
        gpus = f"{fit.fit.devices} GPU" + ("s" if fit.fit.devices > 1 else "")
        e, where = fit.estimate, f"{fit.fit.model} on {gpus} of {fit.fit.instance_type}"
        if fit.finding():
            output.line(f"[red]serving:[/] {escape(fit.finding() or '')}")
        elif e is not None and e.fits:
            output.line(f"serving: model server {escape(fit.server)} ({escape(where)}): "
                        f"${e.usd_per_million_tokens:,.2f} per million output tokens at {e.max_concurrency // e.replicas:,} "
                        f"concurrent {CHECK_CONTEXT:,}-token sequences per replica ({e.throughput_basis}; mladmin capacity)")


def _serving_lines(fits) -> None:
    from mladmin.capacity.stack import CHECK_CONTEXT

    for fit in fits:
        e = fit.estimate
        if e.fits:
            output.line(f"serving: endpoint {escape(fit.endpoint)} ({escape(fit.model)} on {escape(fit.instance_type)}): "
                        f"${e.usd_per_million_tokens:,.2f} per million output tokens at {e.max_concurrency:,} "
                        f"concurrent {CHECK_CONTEXT:,}-token sequences ({e.throughput_basis}; mladmin capacity)")
        else:
            output.line(f"[red]serving:[/] {escape(fit.finding() or '')}")


def estimate_or_fail(plan):
    """The estimate and the config it used; bad config or an unpriced type is exit 2 with one line each."""
    from mladmin.cost import PricingError, cost_inputs, estimate
    from stacks.settings import SettingsError

    try:
        inputs = cost_inputs(plan)
        return estimate(plan, inputs.assumptions), inputs
    except (SettingsError, PricingError) as error:
        fail(str(error))


def over_budget(result, inputs) -> list[str]:
    """One sentence per budget the estimate (at minimum size) exceeds; a team's spend includes its share of
    shared GPU node groups (mladmin/cost/showback.py)."""
    problems = []
    if inputs.monthly_limit_usd is not None and result.monthly_min > inputs.monthly_limit_usd:
        problems.append(f"{result.stack}: estimated ${result.monthly_min:,.2f}/month exceeds the budget "
                        f"${inputs.monthly_limit_usd:,.2f} (mladmin:budgets.monthlyLimitUsd)")
    teams = result.by("team")
    shared = _gpu_shares(result)
    for team, limit in sorted(inputs.team_budgets.items()):
        spent = teams.get(team, (0.0, 0.0))[0]
        if spent > limit:
            gpus = shared.get(team, (0.0, 0.0))[0]
            part = f" (${gpus:,.2f} of it shared GPU node groups)" if gpus else ""
            problems.append(f"team {team}: estimated ${spent:,.2f}/month{part} exceeds its budget ${limit:,.2f} "
                            "(mladmin:teams[].monthlyBudgetUsd)")
    return problems


def _gpu_shares(result) -> dict[str, tuple[float, float]]:
    """Each team's (min, max) share of the split GPU node groups."""
    sums: dict[str, tuple[float, float]] = {}
    for group in result.showback:
        for share in group.shares:
            low, high = sums.get(share.team, (0.0, 0.0))
            sums[share.team] = (low + share.monthly_min, high + share.monthly_max)
    return sums


def total_line(result) -> str:
    """The one-line total that `mladmin plan` prints too."""
    spread = (f", ${result.monthly_max:,.2f} at maximum size" if result.monthly_max != result.monthly_min else "")
    return f"cost: ${result.monthly_min:,.2f}/month at minimum size{spread} (details: mladmin cost)"


def _render(result, inputs, by: GroupBy | None, over: list[str]) -> None:
    columns = [output.Column("$/month at min", "right"), output.Column("$/month at max", "right")]
    if by is GroupBy.resource:
        rows = [[escape(item.name), escape(item.type), f"{item.monthly_min:,.2f}", f"{item.monthly_max:,.2f}",
                 escape(item.basis)]
                for item in sorted(result.items, key=lambda i: (-i.monthly_min, -i.monthly_max, i.name))]
        output.table("Cost by resource", [output.Column("resource"), output.Column("type"), *columns,
                                          output.Column("how")], rows)
    for key in ([by.value] if by in (GroupBy.component, GroupBy.team) else ["component", "team"] if by is None else []):
        groups = result.by(key)
        if key == "team" and inputs.team_budgets:
            groups |= {team: (0.0, 0.0) for team in inputs.team_budgets if team not in groups}
            rows = [[escape(group), f"{low:,.2f}", f"{high:,.2f}", _budget(inputs.team_budgets.get(group))]
                    for group, (low, high) in groups.items()]
            output.table("Cost by team", [output.Column(key), *columns, output.Column("budget", "right")], rows)
        else:
            rows = [[escape(group), f"{low:,.2f}", f"{high:,.2f}"] for group, (low, high) in groups.items()]
            output.table(f"Cost by {key}", [output.Column(key), *columns], rows)
    if by in (None, GroupBy.team) and result.showback:
        _showback_table(result, columns)
    output.line(f"{escape(result.stack)}: ${result.monthly_min:,.2f}/month at minimum size, "
                f"${result.monthly_max:,.2f} at maximum size ({len(result.items)} priced resources, "
                f"{result.free_resources} with no charge of their own)")
    if inputs.monthly_limit_usd is not None:
        output.line(f"budget: ${inputs.monthly_limit_usd:,.2f}/month")
    a = result.assumptions
    output.line(f"assumed (mladmin:cost): spot at {a.spot_price_factor:g} x on-demand, {a.nat_gb_per_month:g} GB "
                f"per NAT, {a.s3_gb_per_bucket:g} GB per bucket, {a.log_gb_per_group_month:g} GB logs per group; "
                "prices: policies/facts/prices.py (us-east-1)")
    for problem in over:
        output.line(f"[red]over budget:[/] {escape(problem)}")


def _budget(limit: float | None) -> str:
    return f"{limit:,.2f}" if limit is not None else ""


def _showback_table(result, columns) -> None:
    rows = [[escape(group.node_group), escape(share.team),
             f"{_gpus(share.gpus_min)} of {_gpus(group.gpus_min)}", f"{_gpus(share.gpus_max)} of {_gpus(group.gpus_max)}",
             f"{share.monthly_min:,.2f}", f"{share.monthly_max:,.2f}"]
            for group in result.showback for share in group.shares]
    output.table("GPU node groups split by the GPUs each team's workloads hold (mladmin:workloads)",
                 [output.Column("node group"), output.Column("team"), output.Column("GPUs at min", "right"),
                  output.Column("GPUs at max", "right"), *columns], rows)


def _gpus(count: float) -> str:
    return f"{round(count, 1):g}"
