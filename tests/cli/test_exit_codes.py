"""Each command driven into each of its exit codes, as the README's table says:
0 ok · 1 findings (policy violations, failed gate, drift) · 2 usage or configuration error.
Every -o/--output creates missing folders; a path that cannot be written is one line and exit 2."""

from __future__ import annotations

import json
import random
import socket
from pathlib import Path

import pytest

from tests.cli.helpers import PROGRAMS, ROOT, mladmin

DEMO, INSECURE = PROGRAMS / "demo", PROGRAMS / "insecure"
SAMPLE = ROOT / "workloads" / "data" / "sample.txt"


def assert_one_error_line(result, *expected: str) -> None:
    assert "Traceback" not in result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) >= 1 and all(text in result.stderr for text in expected), result.stderr


@pytest.fixture
def unwritable(tmp_path) -> Path:
    """A path whose parent is a file: no folder can be created there."""
    (tmp_path / "a-file").write_text("")
    return tmp_path / "a-file" / "out.json"


# plan -----------------------------------------------------------------------------------------

def test_plan_of_a_passing_stack_exits_0():
    assert mladmin("plan", "dev").returncode == 0


def test_plan_exits_1_when_its_policy_verdict_fails():
    result = mladmin("plan", "dev", "--program", INSECURE)
    assert result.returncode == 1 and "policy: FAIL" in result.stdout


def test_plan_of_an_unknown_stack_exits_2():
    assert_one_error_line(mladmin("plan", "qa"), "unknown stack 'qa'")
    assert mladmin("plan", "qa").returncode == 2


def test_plan_output_into_missing_folders_creates_them(tmp_path):
    out = tmp_path / "new" / "dir" / "plan.json"
    result = mladmin("plan", "dev", "--program", DEMO, "-o", out)
    assert result.returncode == 1 and json.loads(out.read_text())["stack"] == "dev"  # demo fails policies


def test_plan_output_that_cannot_be_written_exits_2(unwritable):
    result = mladmin("plan", "dev", "--program", DEMO, "-o", unwritable)
    assert result.returncode == 2
    assert_one_error_line(result, str(unwritable))


# graph ----------------------------------------------------------------------------------------

def test_graph_exits_0_and_creates_output_folders(tmp_path):
    out = tmp_path / "new" / "g.dot"
    result = mladmin("graph", "dev", "--program", DEMO, "-o", out)
    assert result.returncode == 0 and out.read_text().startswith("digraph")


def test_graph_with_an_unknown_suffix_blames_the_suffix_not_format(tmp_path):
    result = mladmin("graph", "dev", "--program", DEMO, "-o", tmp_path / "g.txt")
    assert result.returncode == 2
    assert_one_error_line(result, "g.txt", "'.txt'")
    assert "--format: " not in result.stderr


def test_graph_output_that_cannot_be_written_exits_2(unwritable):
    result = mladmin("graph", "dev", "--program", DEMO, "-o", unwritable.with_suffix(".mmd"))
    assert result.returncode == 2
    assert_one_error_line(result, "cannot write")


# policy ---------------------------------------------------------------------------------------

def test_policy_of_a_passing_stack_exits_0():
    assert mladmin("policy", "dev").returncode == 0


def test_policy_violations_exit_1_and_the_report_folder_is_created(tmp_path):
    out = tmp_path / "reports" / "policy.json"
    result = mladmin("policy", "--program", INSECURE, "--format", "json", "-o", out)
    assert result.returncode == 1 and json.loads(out.read_text())["violations"]


def test_policy_with_an_unknown_format_exits_2():
    result = mladmin("policy", "dev", "--format", "html")
    assert result.returncode == 2
    assert_one_error_line(result, "html")


def test_policy_list_exits_0_in_both_formats():
    assert mladmin("policy", "--list").returncode == 0
    assert json.loads(mladmin("policy", "--list", "--format", "json").stdout)


# model tiny -----------------------------------------------------------------------------------

def test_model_tiny_exits_0_into_a_new_folder_and_2_into_a_non_empty_one(tmp_path):
    target = tmp_path / "m"
    assert mladmin("model", "tiny", target).returncode == 0
    again = mladmin("model", "tiny", target)
    assert again.returncode == 2
    assert_one_error_line(again, str(target), "not empty", "--force")
    assert mladmin("model", "tiny", target, "--force").returncode == 0


# train ----------------------------------------------------------------------------------------

def test_train_exits_0_when_finished_and_2_on_bad_settings(tiny_model_dir, tmp_path):
    ok = mladmin("train", "--model", tiny_model_dir, "--data", SAMPLE, "--output-dir", tmp_path / "new" / "out",
                 "--max-steps", "2", "--save-every", "0", "--block-size", "32", "--batch-size", "2")
    assert ok.returncode == 0, ok.stderr
    bad = mladmin("train", "--model", tmp_path / "missing", "--data", SAMPLE, "--output-dir", tmp_path / "o")
    assert bad.returncode == 2
    assert_one_error_line(bad, "missing")


# eval -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("gate, code", [("perplexity: {max: 1000000}\n", 0), ("perplexity: {max: 1}\n", 1)])
def test_eval_exits_0_when_the_gate_passes_and_1_when_it_fails(tiny_model_dir, tmp_path, gate, code):
    (tmp_path / "gate.yaml").write_text(gate)
    data = tmp_path / "small.txt"
    data.write_text(SAMPLE.read_text()[:2000])
    result = mladmin("eval", "--model", tiny_model_dir, "--data", data, "--gate", tmp_path / "gate.yaml",
                     "--block-size", "64", "--report", tmp_path / "new" / "eval.json")
    assert result.returncode == code, result.stderr
    assert (tmp_path / "new" / "eval.json").is_file()


def test_eval_of_a_missing_model_exits_2(tmp_path):
    result = mladmin("eval", "--model", tmp_path / "missing", "--data", SAMPLE)
    assert result.returncode == 2
    assert_one_error_line(result, "missing")


# drift ----------------------------------------------------------------------------------------

def _window(path: Path, prompts: list[str]) -> Path:
    path.write_text("".join(json.dumps({"endpoint": "/v1/completions", "status": 200, "prompt": p}) + "\n"
                            for p in prompts))
    return path


@pytest.mark.parametrize("kind, code", [("same", 0), ("shifted", 1)])
def test_drift_exits_0_without_drift_and_1_with_it(tiny_model_dir, tmp_path, kind, code):
    paragraphs = [p.strip() for p in SAMPLE.read_text().split("\n\n") if p.strip()]
    prompts = (random.Random(7).sample(paragraphs, 60) if kind == "same"
               else [f"def handler_{i}(event):\n    return {{'ids': [{i}, 0x{i:x}]}}" for i in range(60)])
    out = tmp_path / "new" / "drift.json"
    result = mladmin("drift", "--reference", SAMPLE, "--window", _window(tmp_path / "w.jsonl", prompts),
                     "--model", tiny_model_dir, "--output", out)
    assert result.returncode == code, result.stdout + result.stderr
    assert json.loads(out.read_text())["drift"] is bool(code)


def test_drift_without_a_window_exits_2():
    result = mladmin("drift", "--reference", SAMPLE)
    assert result.returncode == 2
    assert_one_error_line(result, "--window")


# serve ----------------------------------------------------------------------------------------

def test_serve_on_a_busy_port_is_one_error_line_and_exit_2_before_startup(tiny_model_dir):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = mladmin("serve", "--model", tiny_model_dir, "--port", str(port), timeout=120)
    assert result.returncode == 2
    assert_one_error_line(result, f"--port {port}", "in use")
    assert "startup complete" not in result.stdout + result.stderr


def test_serve_with_a_bad_setting_exits_2(tiny_model_dir):
    result = mladmin("serve", "--model", tiny_model_dir, "--max-batch-size", "0")
    assert result.returncode == 2
    assert_one_error_line(result, "--max-batch-size")
