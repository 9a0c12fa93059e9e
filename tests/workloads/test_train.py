"""`mladmin train`: causal-LM fine-tuning locally, resumable, under torchrun, and in the SageMaker contract."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mladmin.cli.main import app

FAST = ["--block-size", "64", "--batch-size", "4", "--lr", "1e-3"]
REPO = Path(__file__).resolve().parents[2]
MLADMIN = Path(sys.executable).with_name("mladmin")


@pytest.fixture(autouse=True, scope="module")
def one_cpu_thread():
    """Tiny models train fastest on one thread, and other test runs share these cores."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def subprocess_env() -> dict[str, str]:
    return {**os.environ, "OMP_NUM_THREADS": "1", "MLADMIN_SM_ROOT": "/nonexistent"}


def run_in_own_group(cmd: list[str], timeout: float, **kwargs) -> subprocess.CompletedProcess:
    """subprocess.run that kills the whole process group (torchrun's workers too) on timeout."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, **kwargs)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    return subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)


def train_cli(*args: str | Path):
    return CliRunner().invoke(app, ["train", *map(str, args)])


def train_args(model: Path, data: Path, out: Path, steps: int, save_every: int = 0, *extra: str) -> list[str]:
    return ["--model", str(model), "--data", str(data), "--output-dir", str(out), "--max-steps", str(steps),
            "--save-every", str(save_every), "--seed", "1", *FAST, *extra]


def load_weights(directory: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(directory / "model.safetensors")


def metric_rows(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]


def steps_of(checkpoint_dir: Path) -> list[str]:
    return sorted(p.name for p in checkpoint_dir.iterdir())


def test_short_run_writes_final_model_metrics_and_loss_plot(tiny_model_dir, sample_text_path, tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    out = tmp_path / "out"
    result = train_cli(*train_args(tiny_model_dir, sample_text_path, out, 6, 3))
    assert result.exit_code == 0, result.output

    AutoModelForCausalLM.from_pretrained(out / "final")
    AutoTokenizer.from_pretrained(out / "final")
    assert not (load_weights(out / "final")["transformer.h.0.mlp.c_fc.weight"]
                .equal(load_weights(tiny_model_dir)["transformer.h.0.mlp.c_fc.weight"]))
    rows = metric_rows(out)
    assert [r["step"] for r in rows] == [1, 2, 3, 4, 5, 6]
    assert set(rows[0]) >= {"step", "loss", "lr", "tokens", "tokens_per_s", "elapsed"}
    assert rows[-1]["tokens"] == 6 * 4 * 64
    assert rows[-1]["loss"] < rows[0]["loss"]
    assert (out / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((out / "final" / "training_summary.json").read_text())["step"] == 6


def test_only_the_newest_checkpoints_are_kept(tiny_model_dir, sample_text_path, tmp_path):
    out = tmp_path / "out"
    (out / "checkpoints" / ".tmp-step-00000099-1").mkdir(parents=True)  # left by a killed writer
    result = train_cli(*train_args(tiny_model_dir, sample_text_path, out, 5, 1), "--keep-checkpoints", "2")
    assert result.exit_code == 0, result.output
    assert steps_of(out / "checkpoints") == ["step-00000004", "step-00000005"]


def test_sigterm_then_resume_reaches_bit_identical_weights(tiny_model_dir, sample_text_path, tmp_path):
    """Run A trains 10 steps straight; run B gets SIGTERM after step 5, then is rerun to 10."""
    import torch

    from workloads.train.main import EXIT_INTERRUPTED, run

    def settings(out: Path) -> dict:
        return {"model_dir": tiny_model_dir, "data": sample_text_path, "output_dir": out, "max_steps": 10,
                "save_every": 4, "seed": 1, "block_size": 64, "batch_size": 4, "grad_accum": 2,
                "lr": 1e-3, "warmup_steps": 2}

    assert run(settings(tmp_path / "a")) == 0

    def sigterm_at_step_5(step: int) -> None:
        if step == 5:
            signal.raise_signal(signal.SIGTERM)

    b = tmp_path / "b"
    assert run(settings(b), on_step=sigterm_at_step_5) == EXIT_INTERRUPTED
    assert steps_of(b / "checkpoints") == ["step-00000004", "step-00000005"]
    assert not (b / "final").exists()
    assert run(settings(b)) == 0

    weights_a, weights_b = load_weights(tmp_path / "a" / "final"), load_weights(b / "final")
    assert weights_a.keys() == weights_b.keys()
    assert all(torch.equal(weights_a[k], weights_b[k]) for k in weights_a)
    losses = lambda out: [(r["step"], r["loss"]) for r in metric_rows(out)]  # noqa: E731
    assert losses(b) == losses(tmp_path / "a")


def test_rerun_of_a_finished_run_resumes_at_the_end_and_extends_with_more_steps(
        tiny_model_dir, sample_text_path, tmp_path):
    out = tmp_path / "out"
    assert train_cli(*train_args(tiny_model_dir, sample_text_path, out, 3, 0)).exit_code == 0
    result = train_cli(*train_args(tiny_model_dir, sample_text_path, out, 5, 0))
    assert result.exit_code == 0, result.output
    assert "resuming from" in result.output and "step 3 of 5" in result.output
    assert [r["step"] for r in metric_rows(out)] == [1, 2, 3, 4, 5]


def test_real_sigterm_stops_the_process_with_a_checkpoint_and_exit_143(tiny_model_dir, sample_text_path, tmp_path):
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [str(MLADMIN), "train", *train_args(tiny_model_dir, sample_text_path, out, 1_000_000, 100_000)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=subprocess_env())
    try:
        deadline = time.monotonic() + 120
        while not ((out / "metrics.jsonl").is_file() and (out / "metrics.jsonl").stat().st_size):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "training never logged a step"
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 143, stderr
    assert "stopped by SIGTERM" in stderr and "Traceback" not in stderr
    (checkpoint,) = (out / "checkpoints").iterdir()
    state = json.loads((checkpoint / "trainer_state.json").read_text())
    assert checkpoint.name == f"step-{state['step']:08d}"
    assert state["step"] >= 1 and not (out / "final").exists()


def test_two_process_torchrun_on_cpu_trains_and_rank0_writes_final(tiny_model_dir, sample_text_path, tmp_path):
    out = tmp_path / "out"
    proc = run_in_own_group(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
         str(MLADMIN), "train", *train_args(tiny_model_dir, sample_text_path, out, 4, 2)],
        timeout=180, env=subprocess_env(), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "2 process(es)" in proc.stderr and "gloo" not in proc.stdout
    summary = json.loads((out / "final" / "training_summary.json").read_text())
    assert summary["world_size"] == 2 and summary["step"] == 4
    rows = metric_rows(out)
    assert [r["step"] for r in rows] == [1, 2, 3, 4]  # one writer: rank 0
    assert rows[-1]["tokens"] == 4 * (2 * 4) * 64     # global batch = 2 ranks x 4 blocks
    assert steps_of(out / "checkpoints") == ["step-00000002", "step-00000004"]


@pytest.fixture
def sagemaker_root(tmp_path, monkeypatch, tiny_model_dir, sample_text_path) -> Path:
    """A temporary /opt/ml: string-valued hyperparameters, a 'train' channel and a 'model' channel."""
    root = tmp_path / "opt-ml"
    (root / "input" / "config").mkdir(parents=True)
    (root / "input" / "data" / "train").mkdir(parents=True)
    shutil.copy(sample_text_path, root / "input" / "data" / "train" / "part-0001.txt")
    shutil.copytree(tiny_model_dir, root / "input" / "data" / "model")
    (root / "input" / "config" / "hyperparameters.json").write_text(json.dumps({
        "max_steps": "4", "save-every": "2", "block_size": "64", "batch_size": "4", "seed": "3",
        "lr": "0.001", "lr_schedule": '"cosine"'}))
    monkeypatch.setenv("MLADMIN_SM_ROOT", str(root))
    return root


def test_sagemaker_contract_reads_string_hyperparameters_and_channels(sagemaker_root):
    result = train_cli()
    assert result.exit_code == 0, result.output
    summary = json.loads((sagemaker_root / "model" / "training_summary.json").read_text())
    assert summary["step"] == 4
    assert (summary["config"]["lr"], summary["config"]["lr_schedule"]) == (0.001, "cosine")
    assert (sagemaker_root / "model" / "model.safetensors").is_file()
    assert steps_of(sagemaker_root / "checkpoints") == ["step-00000002", "step-00000004"]
    assert (sagemaker_root / "output" / "data" / "metrics.jsonl").is_file()
    assert not (sagemaker_root / "output" / "failure").exists()


def test_sagemaker_bad_hyperparameter_writes_failure_reason_and_exits_2(sagemaker_root):
    (sagemaker_root / "input" / "config" / "hyperparameters.json").write_text(json.dumps({"max_steps": "ten"}))
    result = train_cli()
    assert result.exit_code == 2
    reason = (sagemaker_root / "output" / "failure").read_text()
    assert "max_steps" in reason and "'ten'" in reason
    assert "max_steps" in result.output and "Traceback" not in result.output


def test_sagemaker_empty_train_channel_writes_failure_reason(sagemaker_root):
    shutil.rmtree(sagemaker_root / "input" / "data" / "train")
    (sagemaker_root / "input" / "data" / "train").mkdir()
    assert train_cli().exit_code == 2
    assert "holds no files" in (sagemaker_root / "output" / "failure").read_text()


def test_yaml_config_supplies_settings_and_flags_override_it(tiny_model_dir, sample_text_path, tmp_path):
    config = tmp_path / "train.yaml"
    config.write_text(f"model_dir: {tiny_model_dir}\ndata: {sample_text_path}\noutput_dir: {tmp_path / 'out'}\n"
                      "max-steps: 5\nsave_every: 0\nblock_size: 64\nbatch_size: 2\nlr: 1e-3\n")
    result = train_cli("--config", config, "--max-steps", "2")
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "out" / "final" / "training_summary.json").read_text())
    assert (summary["step"], summary["config"]["batch_size"], summary["config"]["lr"]) == (2, 2, 0.001)


@pytest.mark.parametrize(("case", "expected"), [
    ("missing model dir", "model directory not found"),
    ("missing data file", "data file not found"),
    ("empty data file", "fewer than one block"),
    ("max steps zero", "--max-steps: Input should be greater than or equal to 1 (got 0)"),
    ("unknown yaml key", "max_stepz: unknown setting"),
    ("block longer than model", "block_size: 512 is longer than the model's 256 positions"),
    ("not a model dir", "not a transformers model directory"),
    ("binary data file", "not UTF-8 text"),
])
def test_bad_input_exits_2_with_a_clear_message(case, expected, tiny_model_dir, sample_text_path, tmp_path):
    model, data, extra = tiny_model_dir, sample_text_path, []
    if case == "missing model dir":
        model = tmp_path / "no-such-model"
    elif case == "missing data file":
        data = tmp_path / "no-such.txt"
    elif case == "empty data file":
        data = tmp_path / "empty.txt"
        data.write_text("")
    elif case == "max steps zero":
        extra = ["--max-steps", "0"]
    elif case == "unknown yaml key":
        (tmp_path / "c.yaml").write_text("max_stepz: 3\n")
        extra = ["--config", str(tmp_path / "c.yaml")]
    elif case == "block longer than model":
        extra = ["--block-size", "512"]
    elif case == "not a model dir":
        model = tmp_path
    elif case == "binary data file":
        data = tmp_path / "weights.bin"
        data.write_bytes(bytes(range(256)) * 8)
    result = train_cli(*train_args(model, data, tmp_path / "out", 2), *extra)
    assert result.exit_code == 2, result.output
    assert expected in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_mlflow_run_logs_metrics_and_loss_plot_when_tracking_uri_set(
        tiny_model_dir, sample_text_path, tmp_path, monkeypatch):
    mlflow = pytest.importorskip("mlflow")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", (tmp_path / "mlruns").as_uri())
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # mlflow 3.x: file store needs an opt-in
    result = train_cli(*train_args(tiny_model_dir, sample_text_path, tmp_path / "out", 3))
    assert result.exit_code == 0, result.output
    (run,) = mlflow.search_runs(search_all_experiments=True, output_format="list")
    assert run.info.status == "FINISHED"
    assert run.data.params["max_steps"] == "3"
    assert [m.step for m in mlflow.MlflowClient().get_metric_history(run.info.run_id, "loss")] == [1, 2, 3]
    assert {a.path for a in mlflow.MlflowClient().list_artifacts(run.info.run_id)} >= {"loss.png", "metrics.jsonl"}


def test_unreachable_tracking_server_warns_and_trains(tiny_model_dir, sample_text_path, tmp_path, monkeypatch):
    pytest.importorskip("mlflow")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")  # discard port: nothing listens
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    with pytest.warns(UserWarning, match="MLflow tracking failed"):
        result = train_cli(*train_args(tiny_model_dir, sample_text_path, tmp_path / "out", 2))
    assert result.exit_code == 0, result.output


def test_tracking_uri_without_mlflow_installed_warns_and_trains(
        tiny_model_dir, sample_text_path, tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", (tmp_path / "mlruns").as_uri())
    monkeypatch.setitem(sys.modules, "mlflow", None)  # import mlflow -> ImportError
    with pytest.warns(UserWarning, match="mlflow is not installed"):
        result = train_cli(*train_args(tiny_model_dir, sample_text_path, tmp_path / "out", 2))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "final" / "model.safetensors").is_file()


def test_readme_quickstart_builds_a_model_and_trains_it(tmp_path, monkeypatch):
    """The README's workload quickstart, command for command (run from the repository root)."""
    monkeypatch.chdir(REPO)
    model, out = tmp_path / "m", tmp_path / "out"
    assert CliRunner().invoke(app, ["model", "tiny", str(model)]).exit_code == 0
    result = train_cli("--model", model, "--data", "workloads/data/sample.txt", "--output-dir", out,
                       "--max-steps", "20", "--save-every", "5", "--seed", "1")
    assert result.exit_code == 0, result.output
    assert (out / "final" / "model.safetensors").is_file() and (out / "loss.png").is_file()
    assert steps_of(out / "checkpoints") == ["step-00000010", "step-00000015", "step-00000020"]


def test_checkpoint_from_another_model_is_refused_with_exit_2(tiny_model_dir, sample_text_path, tmp_path):
    from workloads.tiny import build_tiny_model

    out = tmp_path / "out"
    assert train_cli(*train_args(tiny_model_dir, sample_text_path, out, 2, 1)).exit_code == 0
    other = build_tiny_model(tmp_path / "other", n_embd=32)
    result = train_cli(*train_args(other, sample_text_path, out, 4, 1))
    assert result.exit_code == 2
    assert "checkpoint does not match the model" in result.output and "Traceback" not in result.output
