"""Write the evaluation report as JSON (for the model registry) and Markdown (for people).

Both are written to a temporary name in the target directory and renamed, so a reader never
sees half a report. The JSON layout is described by `report.schema.json`.
"""

from __future__ import annotations

import json
from pathlib import Path

from workloads import files
from workloads.evaluate.errors import EvalInputError

SCHEMA_PATH = Path(__file__).with_name("report.schema.json")


def atomic_write_text(path: Path, text: str) -> None:
    try:
        files.atomic_write_text(path, text)
    except OSError as exc:
        raise EvalInputError(f"{path}: cannot write report: {exc.strerror}") from None


def _num(value, digits: int = 4) -> str:
    if value is None:
        return "—"
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}g}" if abs(value) >= 1000 else f"{value:.{digits}f}"


def to_markdown(report: dict) -> str:
    model = report["model"]
    lines = [
        f"# Evaluation report: `{model['path']}`",
        "",
        f"- Model fingerprint: `{model['fingerprint']}` ({model['model_type']}, "
        f"{model['parameters']:,} parameters, context {model['context_length']})",
        f"- Created: {report['created_at']} · seed {report['settings']['seed']} · "
        f"device {report['settings']['device']}",
        "",
        "## Metrics",
        "",
        "| metric | value |",
        "|---|---|",
    ]
    lines += [f"| {name} | {_num(value)} |" for name, value in report["metrics"].items()]

    if report["data"]:
        d = report["data"]
        lines += ["", "## Perplexity", "",
                  f"`{d['path']}`: {d['tokens']:,} tokens, {d['scored_tokens']:,} scored in "
                  f"{d['windows']} windows of {d['block_size']} tokens with stride {d['stride']}."]

    if report["classification"]:
        c = report["classification"]
        lines += ["", "## Zero-shot classification", "",
                  f"`{c['path']}`: {c['examples']} examples, labels {', '.join(c['labels'])}.", "",
                  "| label | precision | recall | F1 | support |", "|---|---|---|---|---|"]
        lines += [f"| {label} | {_num(m['precision'])} | {_num(m['recall'])} | {_num(m['f1'])} | "
                  f"{m['support']} |" for label, m in c["per_label"].items()]
    if report["holdout"]:
        h = report["holdout"]
        lines += ["", f"Holdout ({h['test_size']} of {h['train_size'] + h['test_size']} examples): "
                  f"zero-shot accuracy {_num(h['zero_shot']['accuracy'])}, calibrated accuracy "
                  f"{_num(h['calibrated']['accuracy'])}, calibrated macro F1 "
                  f"{_num(h['calibrated']['macro_f1'])}."]
    if report["folds"]:
        s = report["cv_summary"]
        lines += ["", f"### {len(report['folds'])}-fold cross-validation (calibrated offsets fit on "
                  "the training folds)", "",
                  "| fold | test size | zero-shot acc | calibrated acc | calibrated macro F1 |",
                  "|---|---|---|---|---|"]
        lines += [f"| {f['fold']} | {f['test_size']} | {_num(f['zero_shot']['accuracy'])} | "
                  f"{_num(f['calibrated']['accuracy'])} | {_num(f['calibrated']['macro_f1'])} |"
                  for f in report["folds"]]
        lines += [f"| mean ± std | | {_num(s['zero_shot_accuracy_mean'])} ± "
                  f"{_num(s['zero_shot_accuracy_std'])} | {_num(s['calibrated_accuracy_mean'])} ± "
                  f"{_num(s['calibrated_accuracy_std'])} | {_num(s['calibrated_macro_f1_mean'])} ± "
                  f"{_num(s['calibrated_macro_f1_std'])} |"]

    if report["bias"]:
        b = report["bias"]
        lines += ["", "## Counterfactual bias probe", "",
                  f"`{b['path']}`: max gap {_num(b['max_gap'])} {b['unit']}, mean gap "
                  f"{_num(b['mean_gap'])} {b['unit']}.", "",
                  "| template | axis | gap | highest | lowest |", "|---|---|---|---|---|"]
        lines += [f"| {t['id']} | {t['axis']} | {_num(t['gap'])} | {t['highest']} | {t['lowest']} |"
                  for t in b["templates"]]

    if report["gate"]:
        g = report["gate"]
        lines += ["", f"## Release gate: {'PASSED' if g['passed'] else 'FAILED'}", "",
                  f"`{g['path']}`", "", "| metric | min | max | value | result |", "|---|---|---|---|---|"]
        lines += [f"| {c['metric']} | {_num(c['min'])} | {_num(c['max'])} | {_num(c['value'])} | "
                  f"{'pass' if c['passed'] else 'FAIL: ' + c['reason']} |" for c in g["checks"]]
    return "\n".join(lines) + "\n"


def write_reports(report: dict, json_path: Path, markdown_path: Path) -> None:
    atomic_write_text(json_path, json.dumps(report, indent=2) + "\n")
    atomic_write_text(markdown_path, to_markdown(report))
