"""What a run reports, from rank 0: metrics as JSON lines, a loss-curve PNG, MLflow, a progress bar."""

from __future__ import annotations

import json
import os
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

METRICS_FILE = "metrics.jsonl"
LOSS_PLOT = "loss.png"


class MetricsLog:
    """Appends one JSON object per logged step; on resume drops lines past the checkpoint's step."""

    def __init__(self, output_dir: Path, resume_step: int):
        self.path = output_dir / METRICS_FILE
        output_dir.mkdir(parents=True, exist_ok=True)
        kept = [row for row in self.read(self.path) if row.get("step", 0) <= resume_step]
        with open(self.path, "w", encoding="utf-8") as fh:
            fh.writelines(json.dumps(row) + "\n" for row in kept)

    @staticmethod
    def read(path: Path) -> list[dict[str, Any]]:
        if not path.is_file():
            return []
        rows = []
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                rows.append(json.loads(line))
            except ValueError:  # a line cut short by a kill
                continue
        return rows

    def write(self, row: dict[str, Any]) -> None:
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(row) + "\n")


def plot_loss(metrics_path: Path, out_path: Path) -> Path | None:
    rows = [row for row in MetricsLog.read(metrics_path) if "loss" in row]
    if not rows:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=100)
    ax.plot([r["step"] for r in rows], [r["loss"] for r in rows], linewidth=1.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("step")
    ax.set_ylabel("training loss")
    ax.set_title("Training loss")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    tmp = out_path.with_name(f".{out_path.name}.tmp")
    fig.savefig(tmp, format="png")
    plt.close(fig)
    os.replace(tmp, out_path)
    return out_path


class MlflowLogger:
    """MLflow tracking when MLFLOW_TRACKING_URI is set; otherwise a no-op.

    Tracking is best effort: if mlflow is missing or the server fails, the run warns once and goes
    on (metrics.jsonl still has everything) instead of losing hours of training to a logging outage.
    """

    def __init__(self, params: dict[str, Any], run_id: str | None):
        self.mlflow = None
        self.run_id: str | None = None
        if not os.environ.get("MLFLOW_TRACKING_URI"):
            return
        try:
            import mlflow
        except ImportError:
            warnings.warn("MLFLOW_TRACKING_URI is set but mlflow is not installed; "
                          "metrics go to metrics.jsonl only (pip install mlflow-skinny)", stacklevel=2)
            return
        try:
            run = mlflow.start_run(run_id=run_id) if run_id else mlflow.start_run()
            self.run_id = run.info.run_id
            if not run_id:
                mlflow.log_params({key: str(value) for key, value in params.items()})
        except Exception as exc:  # noqa: BLE001 - any tracking failure
            self._give_up(exc)
            return
        self.mlflow = mlflow

    def _give_up(self, exc: Exception) -> None:
        warnings.warn(f"MLflow tracking failed, continuing without it: {type(exc).__name__}: {exc}", stacklevel=3)
        self.mlflow = None

    def log(self, row: dict[str, Any]) -> None:
        if self.mlflow:
            metrics = {k: float(v) for k, v in row.items() if k != "step" and isinstance(v, int | float)}
            try:
                self.mlflow.log_metrics(metrics, step=int(row["step"]))
            except Exception as exc:  # noqa: BLE001
                self._give_up(exc)

    def finish(self, artifacts: list[Path], status: str = "FINISHED") -> None:
        if self.mlflow:
            try:
                for path in artifacts:
                    if path.is_file():
                        self.mlflow.log_artifact(str(path))
                self.mlflow.end_run(status=status)
            except Exception as exc:  # noqa: BLE001
                self._give_up(exc)


def on_terminal() -> bool:
    """A person watching: stderr is a TTY and no CI system says otherwise."""
    return sys.stderr.isatty() and os.environ.get("CI", "").lower() in ("", "0", "false")


def progress_bar(enabled: bool, total: int, initial: int):
    """A tqdm bar on an interactive terminal; None otherwise (logs get `ProgressLines`)."""
    if not enabled or not on_terminal():
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, unit="step", dynamic_ncols=True)


class ProgressLines:
    """Progress for logs: one line per metric row, at most one every `seconds` (the first and the
    last step always), so a CloudWatch or CI log shows the run moving at a steady rate."""

    def __init__(self, total: int, seconds: float, write: Callable[[str], None],
                 clock: Callable[[], float] = time.monotonic):
        self.total, self.seconds, self.write, self.clock = total, seconds, write, clock
        self.last: float | None = None

    def row(self, row: dict[str, Any]) -> None:
        now = self.clock()
        if self.last is not None and row["step"] < self.total and now - self.last < self.seconds:
            return
        self.last = now
        self.write(f"step {row['step']}/{self.total} ({100 * row['step'] // self.total}%) "
                   f"loss {row['loss']:.4f} lr {row['lr']:.2e} {row['tokens_per_s']:,.0f} tokens/s "
                   f"elapsed {row['elapsed']:.1f}s")
