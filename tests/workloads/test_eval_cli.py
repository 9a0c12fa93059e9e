"""`mladmin eval`: the report, the release gate's exit codes, and bad input (exit 2, no traceback)."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from mladmin.cli.main import app
from workloads.evaluate.model import fingerprint_model_dir
from workloads.evaluate.report import SCHEMA_PATH

EVAL_DATA = Path("workloads/data/eval")
LABELLED = EVAL_DATA / "topics.jsonl"
PROBE = EVAL_DATA / "bias_probe.yaml"

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, ["eval", *map(str, args)])


@pytest.fixture(scope="module")
def small_text(sample_text_path, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("eval-data") / "small.txt"
    path.write_text(sample_text_path.read_text()[:3000])
    return path


@pytest.fixture(scope="module")
def trained_model_dir(tiny_model_dir, sample_text_path, tmp_path_factory) -> Path:
    """The tiny model after 30 AdamW steps on the sample corpus (seeded; a few seconds)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    ids = torch.tensor(tokenizer(sample_text_path.read_text())["input_ids"])
    generator = torch.Generator().manual_seed(0)
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-3)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a model this small trains faster on one thread, and on a busy machine
    try:
        model.train()
        for _ in range(30):
            starts = torch.randint(0, ids.numel() - 65, (4,), generator=generator)
            batch = torch.stack([ids[s:s + 64] for s in starts])
            model(batch, labels=batch).loss.backward()
            optimizer.step()
            optimizer.zero_grad()
    finally:
        torch.set_num_threads(threads)
    out = tmp_path_factory.mktemp("trained")
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


@pytest.fixture(scope="module")
def full_run(tiny_model_dir, small_text, tmp_path_factory):
    out = tmp_path_factory.mktemp("eval-out")
    gate = out / "gate.yaml"
    gate.write_text("perplexity: {max: 100000}\naccuracy: {min: 0.0}\nbias_gap: {max: 1000}\n")
    result = invoke("--model", tiny_model_dir, "--data", small_text, "--labelled", LABELLED,
                    "--bias-probe", PROBE, "--gate", gate, "--cv-folds", 4, "--output-dir", out)
    return result, out


def test_full_run_passes_a_lenient_gate_and_writes_both_reports(full_run):
    result, out = full_run
    assert result.exit_code == 0, result.output
    assert (out / "eval_report.json").is_file() and (out / "eval_report.md").is_file()
    assert "release gate passed" in result.output


def test_report_follows_the_published_schema(full_run):
    report = json.loads((full_run[1] / "eval_report.json").read_text())
    jsonschema.validate(report, json.loads(SCHEMA_PATH.read_text()))


def test_report_identifies_the_model_by_its_fingerprint(full_run, tiny_model_dir):
    report = json.loads((full_run[1] / "eval_report.json").read_text())
    assert report["model"]["fingerprint"] == fingerprint_model_dir(tiny_model_dir)[0]
    assert "model.safetensors" in report["model"]["files"]


def test_report_has_one_entry_per_fold_and_their_mean(full_run):
    report = json.loads((full_run[1] / "eval_report.json").read_text())
    folds = report["folds"]
    assert [f["fold"] for f in folds] == [0, 1, 2, 3]
    assert sum(f["test_size"] for f in folds) == report["classification"]["examples"] == 48
    assert report["metrics"]["cv_accuracy_mean"] == pytest.approx(
        statistics.fmean(f["calibrated"]["accuracy"] for f in folds))
    assert report["holdout"]["test_size"] == 12


def test_markdown_report_shows_metrics_folds_probe_and_gate(full_run):
    markdown = (full_run[1] / "eval_report.md").read_text()
    for heading in ("## Metrics", "## Perplexity", "## Zero-shot classification", "4-fold cross-validation",
                    "## Counterfactual bias probe", "## Release gate: PASSED"):
        assert heading in markdown


def test_training_lowers_perplexity(tiny_model_dir, trained_model_dir, small_text, tmp_path):
    def perplexity(model):
        report = tmp_path / f"{model.name}.json"
        assert invoke("--model", model, "--data", small_text, "--report", report).exit_code == 0
        return json.loads(report.read_text())["metrics"]["perplexity"]

    assert perplexity(trained_model_dir) < 0.5 * perplexity(tiny_model_dir)


def test_failing_gate_exits_1_and_names_the_metric(tiny_model_dir, small_text, tmp_path):
    gate = tmp_path / "gate.yaml"
    gate.write_text("perplexity: {max: 10}\nnll: {max: 100}\n")
    result = invoke("--model", tiny_model_dir, "--data", small_text, "--gate", gate, "--output-dir", tmp_path)
    assert result.exit_code == 1
    assert "FAIL perplexity" in result.output and "above the maximum 10" in result.output
    gate_report = json.loads((tmp_path / "eval_report.json").read_text())["gate"]
    assert [c["passed"] for c in gate_report["checks"]] == [False, True]


def test_a_gated_metric_that_was_not_measured_fails_the_gate(tiny_model_dir, small_text, tmp_path):
    gate = tmp_path / "gate.yaml"
    gate.write_text("accuracy: {min: 0.1}\n")
    result = invoke("--model", tiny_model_dir, "--data", small_text, "--gate", gate, "--output-dir", tmp_path)
    assert result.exit_code == 1
    assert "not measured (needs --labelled)" in result.output


@pytest.mark.parametrize("content, message", [
    ("accuracy: {min: high}\n", "accuracy.min: 'high' is not a number"),
    ("f1: {min: 0.5}\n", "f1: unknown metric"),
    ("perplexity: {maximum: 5}\n", "perplexity.maximum: unknown bound"),
    ("accuracy: {min: 0.9, max: 0.1}\n", "accuracy: min 0.9 is greater than max 0.1"),
    ("[not, a, mapping]\n", "expected a mapping of metric name"),
    ("perplexity: {max: [\n", "invalid YAML"),
])
def test_malformed_gate_file_exits_2_naming_file_and_key(tiny_model_dir, small_text, tmp_path, content, message):
    gate = tmp_path / "gate.yaml"
    gate.write_text(content)
    result = invoke("--model", tiny_model_dir, "--data", small_text, "--gate", gate, "--output-dir", tmp_path)
    assert result.exit_code == 2
    assert str(gate) in result.output and message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "eval_report.json").exists()


def _bad_labelled(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "fine", "label": "a"}\n{"text": "x", "label": "b"}\nnot json\n{"text": 3, "label": "a"}\n')
    return path


@pytest.mark.parametrize("args, message", [
    (lambda d, t: ["--model", t / "missing", "--data", d], "model directory not found"),
    (lambda d, t: ["--model", t, "--data", d], "not a transformers model directory (no config.json)"),
    (lambda d, t: ["--data", d], None),
])
def test_missing_model_exits_2(tiny_model_dir, small_text, tmp_path, args, message):
    result = invoke(*args(small_text, tmp_path))
    assert result.exit_code == 2
    if message:
        assert message in result.output
    assert "Traceback" not in result.output


def test_bad_labelled_lines_are_all_reported_with_file_and_line(tiny_model_dir, tmp_path):
    bad = _bad_labelled(tmp_path)
    result = invoke("--model", tiny_model_dir, "--labelled", bad)
    assert result.exit_code == 2
    assert f"{bad}:3: invalid JSON" in result.output
    assert f"{bad}:4: text: expected a non-empty string, got 3" in result.output


def test_label_outside_the_fixed_label_set_exits_2(tiny_model_dir):
    result = invoke("--model", tiny_model_dir, "--labelled", LABELLED, "--labels", "cloud,training")
    assert result.exit_code == 2
    assert "label: 'everyday' is not one of cloud, training" in result.output


@pytest.mark.parametrize("args, message", [
    (["--block-size", "4096"], "--block-size: 4096 exceeds the model context of 256 tokens"),
    (["--block-size", "64", "--stride", "65"], "--stride: 65 must be between 1 and the block size 64"),
])
def test_bad_window_options_exit_2(tiny_model_dir, small_text, args, message):
    result = invoke("--model", tiny_model_dir, "--data", small_text, *args)
    assert result.exit_code == 2 and message in result.output


def test_too_many_folds_for_the_labelled_set_exits_2(tiny_model_dir):
    result = invoke("--model", tiny_model_dir, "--labelled", LABELLED, "--cv-folds", "100")
    assert result.exit_code == 2
    assert "--cv-folds: 100 folds need at least 100 labelled examples, the set has 48" in result.output


def test_nothing_to_evaluate_exits_2(tiny_model_dir):
    result = invoke("--model", tiny_model_dir)
    assert result.exit_code == 2 and "nothing to evaluate" in result.output
