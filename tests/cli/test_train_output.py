"""`mladmin train` as a CI log shows it: steady per-step progress lines, no transformers warning
noise, a rounded final loss, and help that describes every flag with its default."""

from __future__ import annotations

import re
import stat

import pytest
from typer.testing import CliRunner

from mladmin.cli.main import app
from tests.cli.helpers import ROOT, mladmin
from workloads.train.config import TrainConfig
from workloads.train.reporting import ProgressLines

SAMPLE = ROOT / "workloads" / "data" / "sample.txt"
STEPS = 4


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    return tmp_path_factory.mktemp("train-log")


@pytest.fixture(scope="module")
def piped_run(tiny_model_dir, out):
    return mladmin("train", "--model", tiny_model_dir, "--data", SAMPLE, "--output-dir", out, "--max-steps", STEPS,
                   "--save-every", "0", "--block-size", "32", "--batch-size", "2", "--progress-seconds", "0")


def test_a_piped_run_prints_a_progress_line_per_step(piped_run):
    assert piped_run.returncode == 0, piped_run.stderr
    steps = re.findall(r"^\[mladmin train\] step (\d+)/4 \(\d+%\) loss \d+\.\d{4} ", piped_run.stderr, re.M)
    assert steps == ["1", "2", "3", "4"], piped_run.stderr


def test_transformers_loss_type_warning_is_not_printed(piped_run):
    assert "loss_type" not in piped_run.stderr + piped_run.stdout


def test_the_final_loss_is_rounded(piped_run):
    assert re.search(r"finished 4 steps, loss \d+\.\d{4}; model saved to ", piped_run.stderr), piped_run.stderr


def test_the_final_model_gets_the_umask_mode_not_0600(piped_run, out):
    from workloads.files import default_file_mode

    weights = out / "final" / "model.safetensors"
    assert piped_run.returncode == 0 and stat.S_IMODE(weights.stat().st_mode) == default_file_mode()


def test_progress_lines_come_at_a_steady_rate_with_the_first_and_last_step():
    clock = iter([0.0, 1.0, 4.0, 5.0, 9.5, 10.0, 10.5])
    written = []
    lines = ProgressLines(total=7, seconds=4.0, write=written.append, clock=lambda: next(clock))
    for step in range(1, 8):
        lines.row({"step": step, "loss": 1.0, "lr": 1e-3, "tokens_per_s": 10.0, "elapsed": 0.0})
    assert [line.split()[1] for line in written] == ["1/7", "3/7", "5/7", "7/7"]


def test_train_help_describes_every_flag_and_shows_each_default():
    result = CliRunner(env={"COLUMNS": "200"}).invoke(app, ["train", "--help"])
    assert result.exit_code == 0
    option_lines = [line for line in result.output.splitlines() if line.lstrip().startswith("--")]
    undescribed = [line.split()[0] for line in option_lines if len(line.split()) < 3]
    assert not undescribed, result.output
    for name, info in TrainConfig.model_fields.items():
        if info.default is not None and not info.is_required() and name != "max_grad_norm":
            assert f"[default: {info.default}]" in result.output, name
