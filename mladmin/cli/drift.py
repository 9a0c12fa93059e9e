"""`mladmin drift`: compare logged requests with the training reference; `mladmin drift profile`:
precompute the reference. Exit 0 no drift · 1 drift · 2 bad input."""

from __future__ import annotations

import json
import os
from pathlib import Path

import typer

from rich.markup import escape

from mladmin.cli import output
from mladmin.cli.common import EXIT_FINDINGS, EXIT_OK, fail
from mladmin.cli.helpformat import Command, Group

MODEL_DIR_ENV = "MLADMIN_MODEL_DIR"


def _model_option(model: Path | None) -> Path | None:
    if model is not None:
        return model
    return Path(os.environ[MODEL_DIR_ENV]) if os.environ.get(MODEL_DIR_ENV) else None


def _render(report: dict, output_file: Path | None) -> None:
    window = report["window"]
    verdicts = {"ok": "[green]ok[/]", "drift": "[bold red]DRIFT[/]"}
    rows = [[name, "-" if metric["value"] is None else f"{metric['value']:.4f}", str(metric["threshold"]),
             verdicts.get(metric["status"], "not measured")] for name, metric in report["metrics"].items()]
    output.table(f"drift: {window['requests']} requests ({window['with_text']} with text) "
                 f"vs {escape(str(report['reference']['path']))}",
                 [output.Column("metric"), output.Column("value", "right"), output.Column("threshold", "right"),
                  output.Column("verdict")], rows)
    reasons = [m["reason"] for m in report["metrics"].values() if m["status"] == "not_measured"]
    for reason in dict.fromkeys(reasons):  # two metrics often share one reason: say it once
        output.line(f"note: {escape(reason)}")
    for warning in report["warnings"]:
        output.line(f"[yellow]warning:[/] {escape(warning)}")
    if report["cloudwatch"]:
        cw = report["cloudwatch"]
        output.line(f"published {len(cw['metrics'])} metrics to CloudWatch {escape(cw['namespace'])} "
                    f"({escape(str(cw['region']))})")
    output.line("[bold red]drift detected[/]" if report["drift"] else "[green]no drift[/]")
    if output_file is not None:
        output.line(f"report: {escape(str(output_file))}")


def register(app: typer.Typer) -> None:
    drift_app = typer.Typer(
        cls=Group, subcommand_metavar="",  # the main use takes no command: `mladmin drift --reference … --window …`
        help="Input drift: logged requests against the training reference. "
             "`mladmin drift profile` precomputes the reference once.")

    @drift_app.callback(invoke_without_command=True)
    def drift(
        ctx: typer.Context,
        reference: Path = typer.Option(None, "--reference", help="Training text, JSONL, or a profile JSON from `drift profile`."),
        window: Path = typer.Option(None, "--window", help="JSONL request log (records with prompt and/or prompt_tokens)."),
        model: Path = typer.Option(None, "--model", help=f"Model directory for the tokenizer (default: ${MODEL_DIR_ENV})."),
        threshold: float = typer.Option(0.2, "--threshold", help="PSI above which a distribution has drifted."),
        unknown_threshold: float = typer.Option(0.05, "--unknown-threshold", help="Unknown-token rate above which the window has drifted."),
        bins: int = typer.Option(10, "--bins", help="Prompt-length quantile bins (raw reference only)."),
        top_k: int = typer.Option(50, "--top-k", help="Reference tokens tracked individually (raw reference only)."),
        output_file: Path = typer.Option(Path("drift_report.json"), "--output", "-o", help="Where to write the JSON report (folders are created)."),
        publish_cloudwatch: bool = typer.Option(False, "--publish-cloudwatch", help="Send the metrics to CloudWatch."),
        namespace: str = typer.Option("mladmin/Drift", "--namespace", help="CloudWatch namespace."),
        metric_name: str = typer.Option("PromptDrift", "--metric-name", help="Headline metric (the largest PSI) the alarm watches."),
        endpoint_name: str = typer.Option(None, "--endpoint-name", help="EndpointName dimension."),
        model_name: str = typer.Option(None, "--model-name", help="ModelName dimension (default: the model named in the log)."),
        region: str = typer.Option(None, "--region", help="AWS region (default: the AWS SDK's)."),
        endpoint_url: str = typer.Option(None, "--endpoint-url", help="CloudWatch API URL (tests, VPC endpoints)."),
        as_json: bool = typer.Option(False, "--json", help="Print the JSON report to stdout."),
    ) -> None:
        """Compare a window of logged requests with the training reference (PSI, unknown tokens)."""
        if ctx.invoked_subcommand is not None:
            return
        missing = [flag for flag, value in (("--reference", reference), ("--window", window)) if value is None]
        if missing:
            fail(f"missing {' and '.join(missing)} (see `mladmin drift --help`)")
        from workloads.drift import DriftInputError
        from workloads.drift.compare import Thresholds
        from workloads.drift.run import DriftSettings, check_drift

        settings = DriftSettings(
            reference=reference, window=window, model=_model_option(model),
            thresholds=Thresholds(psi=threshold, unknown_rate=unknown_threshold), bins=bins, top_k=top_k,
            output=output_file, publish=publish_cloudwatch, namespace=namespace, metric_name=metric_name,
            endpoint_name=endpoint_name, model_name=model_name, region=region, endpoint_url=endpoint_url,
        )
        try:
            report = check_drift(settings)
        except DriftInputError as exc:
            fail(str(exc))
        if as_json:
            typer.echo(json.dumps(report, indent=2))
        else:
            _render(report, output_file)
        raise typer.Exit(EXIT_FINDINGS if report["drift"] else EXIT_OK)

    @drift_app.command("profile", cls=Command)
    def profile(
        reference: Path = typer.Option(..., "--reference", help="Training text (paragraphs) or JSONL."),
        output_file: Path = typer.Option(..., "--output", "-o", help="Profile JSON to write (folders are created)."),
        model: Path = typer.Option(None, "--model", help=f"Model directory for the tokenizer (default: ${MODEL_DIR_ENV})."),
        bins: int = typer.Option(10, "--bins", help="Prompt-length quantile bins."),
        top_k: int = typer.Option(50, "--top-k", help="Reference tokens tracked individually."),
    ) -> None:
        """Precompute a reference profile (length quantiles, top tokens, vocabulary) as JSON."""
        from workloads.drift import DriftInputError
        from workloads.drift.run import make_profile

        try:
            made = make_profile(reference, _model_option(model), output_file, bins=bins, top_k=top_k)
        except DriftInputError as exc:
            fail(str(exc))
        output.line(f"profile of {made.source['samples']} samples, {made.total_tokens} tokens, "
                    f"{len(made.length_edges) + 1} length bins, top {len(made.top_tokens)} tokens "
                    f"written to {escape(str(output_file))}")

    app.add_typer(drift_app, name="drift")
