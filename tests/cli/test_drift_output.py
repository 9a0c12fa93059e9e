"""`mladmin drift` as users meet it: a profile follows the tokenizer's vocabulary, not files training
rewrites; the "no prompt text" note is said once and names the flag; help has no bogus COMMAND."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from mladmin.cli.main import app
from tests.cli.helpers import ROOT, mladmin

SAMPLE = ROOT / "workloads" / "data" / "sample.txt"


@pytest.fixture(scope="module")
def profile(tiny_model_dir, tmp_path_factory):
    path = tmp_path_factory.mktemp("profile") / "profile.json"
    result = CliRunner().invoke(app, ["drift", "profile", "--reference", str(SAMPLE), "--model", str(tiny_model_dir),
                                      "--output", str(path)])
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture(scope="module")
def window(tmp_path_factory):
    paragraphs = [p.strip() for p in SAMPLE.read_text().split("\n\n") if p.strip()][:40]
    path = tmp_path_factory.mktemp("window") / "window.jsonl"
    path.write_text("".join(json.dumps({"endpoint": "/v1/completions", "status": 200, "prompt": p}) + "\n"
                            for p in paragraphs))
    return path


def test_a_profile_is_accepted_with_another_model_dir_whose_tokenizer_json_is_identical(
        tiny_model_dir, profile, window, tmp_path):
    retrained = tmp_path / "final"
    shutil.copytree(tiny_model_dir, retrained)
    config = json.loads((retrained / "tokenizer_config.json").read_text())
    config.update(is_local=True, local_files_only=False)  # what save_pretrained after training writes
    (retrained / "tokenizer_config.json").write_text(json.dumps(config))
    assert (retrained / "tokenizer.json").read_bytes() == (tiny_model_dir / "tokenizer.json").read_bytes()
    result = CliRunner().invoke(app, ["drift", "--reference", str(profile), "--window", str(window),
                                      "--model", str(retrained), "--output", str(tmp_path / "r.json")])
    assert result.exit_code == 0, result.output


def test_a_window_without_prompt_text_gets_one_note_naming_the_flag(profile, tmp_path):
    counts = tmp_path / "counts.jsonl"
    counts.write_text("".join(json.dumps({"endpoint": "/v1/completions", "status": 200, "prompt_tokens": 20 + i % 9})
                              + "\n" for i in range(40)))
    result = mladmin("drift", "--reference", profile, "--window", counts, "--output", tmp_path / "r.json")
    assert result.returncode in (0, 1), result.stderr
    notes = [line for line in result.stdout.splitlines() if "no prompt text" in line]
    assert len(notes) == 1 and "--log-prompts" in notes[0], result.stdout


def test_drift_help_usage_has_no_command_placeholder():
    result = CliRunner(env={"COLUMNS": "80"}).invoke(app, ["drift", "--help"])
    usage = next(line for line in result.output.splitlines() if line.startswith("Usage:"))
    assert usage.strip() == "Usage: mladmin drift [OPTIONS]"
    assert "profile" in result.output  # the subcommand is still listed
