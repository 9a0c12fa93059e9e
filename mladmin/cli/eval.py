"""`mladmin eval`: perplexity, zero-shot accuracy/F1 with cross-validation, a bias probe and a
release gate for one model directory. Exit 0 ok · 1 gate failed · 2 bad input."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from rich.markup import escape

from mladmin.cli import output
from mladmin.cli.common import EXIT_FINDINGS, EXIT_OK, fail
from mladmin.cli.helpformat import Command


def _render(outcome) -> None:
    report = outcome.report
    output.table(f"eval: {escape(str(report['model']['path']))} ({report['model']['fingerprint']})",
                 [output.Column("metric"), output.Column("value", "right")],
                 [[escape(name), f"{value:.4f}" if isinstance(value, float) else escape(str(value))]
                  for name, value in report["metrics"].items()])
    if report["gate"] is not None:
        for check in report["gate"]["checks"]:
            mark = "[green]pass[/]" if check["passed"] else "[bold red]FAIL[/]"
            output.line(f"gate {mark} {escape(check['metric'])}: {escape(check['reason'])}")
        verdict = "[green]passed[/]" if report["gate"]["passed"] else "[bold red]failed[/]"
        output.line(f"release gate {verdict} ({escape(str(report['gate']['path']))})")
    output.line(f"report: {escape(str(outcome.json_path))} and {escape(str(outcome.markdown_path))}")


def register(app: typer.Typer) -> None:
    @app.command("eval", cls=Command)
    def eval_command(
        model: Path = typer.Option(..., "--model", help="Model directory (transformers format)."),
        data: Path = typer.Option(None, "--data", help="Text (or JSONL with \"text\") for perplexity."),
        labelled: Path = typer.Option(None, "--labelled", help="JSONL of {\"text\", \"label\"} for accuracy/F1."),
        labels: str = typer.Option(None, "--labels", help="Fixed label set, comma-separated (default: labels in the file)."),
        template: str = typer.Option(None, "--template", help="Prompt with a {text} slot (default: 'Text: {text}\\nTopic:')."),
        verbalizer: str = typer.Option(None, "--verbalizer", help="Continuation scored per label, with a {label} slot (default: ' {label}')."),
        cv_folds: int = typer.Option(5, "--cv-folds", help="k for stratified k-fold cross-validation (0: off)."),
        holdout_fraction: float = typer.Option(0.25, "--holdout-fraction", help="Share of the labelled set held out (0: off)."),
        bias_probe: Path = typer.Option(None, "--bias-probe", help="Counterfactual bias probe (YAML)."),
        gate: Path = typer.Option(None, "--gate", help="Release gate thresholds (YAML); exit 1 when one fails."),
        output_dir: Path = typer.Option(None, "--output-dir", help="Directory for eval_report.json/.md (default: MODEL/eval; folders are created)."),
        report: Path = typer.Option(None, "--report", help="Path of the JSON report (Markdown goes next to it)."),
        block_size: int = typer.Option(None, "--block-size", help="Perplexity window (default: the model context)."),
        stride: int = typer.Option(None, "--stride", help="Perplexity window stride (default: block size / 2)."),
        seed: int = typer.Option(0, "--seed", help="Seed for splits and any sampling."),
        device: str = typer.Option("auto", "--device", help="auto, cpu, cuda or cuda:N."),
        as_json: bool = typer.Option(False, "--json", help="Print the JSON report to stdout."),
    ) -> None:
        """Evaluate a model: perplexity, accuracy/F1 (holdout + k-fold), bias probe, release gate."""
        from workloads.evaluate import EvalInputError
        from workloads.evaluate.run import EvalSettings, evaluate

        if output_dir is not None and report is not None:
            fail("--output-dir and --report: give one or the other")
        settings = EvalSettings(
            model=model, data=data, labelled=labelled,
            labels=[x.strip() for x in labels.split(",")] if labels else None,
            cv_folds=cv_folds, holdout_fraction=holdout_fraction, bias_probe=bias_probe, gate=gate,
            output_dir=output_dir, report=report, block_size=block_size, stride=stride,
            seed=seed, device=device,
        )
        if template is not None:
            settings.template = template.replace("\\n", "\n")
        if verbalizer is not None:
            settings.verbalizer = verbalizer.replace("\\n", "\n")
        try:
            from transformers.utils import logging as hf_logging

            hf_logging.set_verbosity_error()
            hf_logging.disable_progress_bar()
            outcome = evaluate(settings)
        except EvalInputError as exc:
            fail(str(exc))
        if as_json:
            typer.echo(json.dumps(outcome.report, indent=2))
        else:
            _render(outcome)
        raise typer.Exit(EXIT_FINDINGS if outcome.gate_failed else EXIT_OK)
