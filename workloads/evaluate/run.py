"""`mladmin eval`: load the model, measure, gate, write the report — one linear main."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from workloads.evaluate import bias, crossval, gate, labelled, perplexity, report
from workloads.evaluate.errors import EvalInputError
from workloads.evaluate.labelled import DEFAULT_TEMPLATE, DEFAULT_VERBALIZER
from workloads.evaluate.model import count_parameters, file_sha256, load_model

REPORT_KIND = "mladmin.eval-report"
SCHEMA_VERSION = 1


@dataclass
class EvalSettings:
    model: Path
    data: Path | None = None
    labelled: Path | None = None
    labels: list[str] | None = None              # fixed label set; default: labels in the file
    template: str = DEFAULT_TEMPLATE
    verbalizer: str = DEFAULT_VERBALIZER
    cv_folds: int = 5
    holdout_fraction: float = 0.25
    bias_probe: Path | None = None
    gate: Path | None = None
    output_dir: Path | None = None               # default: <model>/eval
    report: Path | None = None                   # JSON path; Markdown goes next to it
    block_size: int | None = None                # default: the model's context length
    stride: int | None = None                    # default: block_size // 2
    seed: int = 0
    device: str = "auto"


@dataclass
class EvalOutcome:
    report: dict
    json_path: Path
    markdown_path: Path

    @property
    def gate_failed(self) -> bool:
        return self.report["gate"] is not None and not self.report["gate"]["passed"]


def _report_paths(settings: EvalSettings) -> tuple[Path, Path]:
    if settings.report is not None:
        json_path = Path(settings.report)
    else:
        json_path = Path(settings.output_dir or Path(settings.model) / "eval") / "eval_report.json"
    return json_path, json_path.with_suffix(".md")


def _check_settings(settings: EvalSettings) -> None:
    problems = []
    if settings.data is None and settings.labelled is None and settings.bias_probe is None:
        problems.append("nothing to evaluate: give --data, --labelled and/or --bias-probe")
    if settings.labels is not None and len(set(settings.labels)) != len(settings.labels):
        problems.append(f"--labels: {','.join(settings.labels)} repeats a label")
    if settings.labels is not None and len(settings.labels) < 2:
        problems.append("--labels: give at least two labels")
    if problems:
        raise EvalInputError(problems)


def _data_entry(path: Path) -> dict:
    return {"path": str(path), "sha256": file_sha256(path)}


def evaluate(settings: EvalSettings) -> EvalOutcome:
    # 1. parse: every input file is read and validated before the model is loaded
    _check_settings(settings)
    text = perplexity.read_eval_text(settings.data) if settings.data else None
    dataset = labelled.load_labelled(settings.labelled, settings.labels) if settings.labelled else None
    if dataset is not None:
        labelled.check_template(settings.template, settings.verbalizer)
        crossval.check_split_settings(len(dataset.texts), settings.cv_folds, settings.holdout_fraction)
    probe = bias.load_probe(settings.bias_probe) if settings.bias_probe else None
    thresholds = gate.load_gate(settings.gate) if settings.gate else None
    json_path, markdown_path = _report_paths(settings)

    # 2. load
    loaded = load_model(settings.model, settings.device)
    if text is not None:  # fail on bad window options before any long computation
        perplexity.resolve_window(loaded.context_length, settings.block_size, settings.stride)

    # 3. measure
    metrics: dict[str, float | int] = {}
    data_section = None
    if text is not None:
        ppl = perplexity.strided_perplexity(loaded, text, settings.block_size, settings.stride)
        metrics.update(perplexity=ppl.perplexity, nll=ppl.nll)
        data_section = {**_data_entry(settings.data), "tokens": ppl.tokens,
                        "scored_tokens": ppl.scored_tokens, "windows": ppl.windows,
                        "block_size": ppl.block_size, "stride": ppl.stride}

    classification, holdout_section, folds, cv_summary = None, None, [], None
    if dataset is not None:
        scores = labelled.score_labels(loaded, dataset, settings.template, settings.verbalizer)
        predicted = labelled.predict(scores, dataset.label_set)
        zero_shot = labelled.classification_metrics(dataset.labels, predicted, dataset.label_set)
        metrics.update(accuracy=zero_shot["accuracy"], macro_f1=zero_shot["macro_f1"])
        holdout_section = crossval.holdout(scores, dataset.labels, dataset.label_set,
                                           settings.holdout_fraction, settings.seed)
        if holdout_section is not None:
            metrics.update(holdout_accuracy=holdout_section["calibrated"]["accuracy"],
                           holdout_macro_f1=holdout_section["calibrated"]["macro_f1"])
        folds, cv_summary = crossval.cross_validate(scores, dataset.labels, dataset.label_set,
                                                    settings.cv_folds, settings.seed)
        if cv_summary is not None:
            for metric in ("accuracy", "macro_f1"):
                metrics[f"cv_{metric}_mean"] = cv_summary[f"calibrated_{metric}_mean"]
                metrics[f"cv_{metric}_std"] = cv_summary[f"calibrated_{metric}_std"]
        classification = {**_data_entry(settings.labelled), "examples": len(dataset.texts),
                          "labels": dataset.label_set, "template": settings.template,
                          "verbalizer": settings.verbalizer, **zero_shot}

    bias_section = None
    if probe is not None:
        bias_section = bias.run_probe(loaded, probe)
        bias_section["sha256"] = file_sha256(probe.path)
        metrics.update(bias_gap=bias_section["max_gap"], bias_gap_mean=bias_section["mean_gap"])

    # 4. gate
    gate_section = gate.check_gate(thresholds, metrics, settings.gate) if thresholds is not None else None

    # 5. save
    result = {
        "kind": REPORT_KIND,
        "schema_version": SCHEMA_VERSION,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "model": {
            "path": str(settings.model),
            "fingerprint": loaded.fingerprint,
            "files": loaded.files,
            "model_type": loaded.model.config.model_type,
            "parameters": count_parameters(loaded),
            "context_length": loaded.context_length,
        },
        "settings": {
            "seed": settings.seed, "device": loaded.device, "block_size": settings.block_size,
            "stride": settings.stride, "cv_folds": settings.cv_folds,
            "holdout_fraction": settings.holdout_fraction,
        },
        "data": data_section,
        "metrics": metrics,
        "classification": classification,
        "holdout": holdout_section,
        "folds": folds,
        "cv_summary": cv_summary,
        "bias": bias_section,
        "gate": gate_section,
    }
    report.write_reports(result, json_path, markdown_path)
    return EvalOutcome(result, json_path, markdown_path)

