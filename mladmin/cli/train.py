"""`mladmin train`: causal-LM fine-tuning, locally, under torchrun, or as the SageMaker entry point."""

from __future__ import annotations

from pathlib import Path

import typer

from mladmin.cli.helpformat import Command

HELP = (
    "Fine-tune a causal LM on text; resumes when the checkpoint directory holds a checkpoint.\n\n"
    "Settings come from flags, a YAML file (--config; keys are the setting names, e.g. max_steps), or, "
    "with no --model or --data and a SageMaker training root present, the SageMaker contract "
    "(hyperparameters.json, channels 'train' and 'model', final model to /opt/ml/model, checkpoints in "
    "/opt/ml/checkpoints). Under torchrun every process joins the group (gloo on CPU, NCCL on GPU).\n\n"
    "Exit codes: 0 finished (weights in OUTPUT_DIR/final) · 2 bad settings or input · 143 stopped by "
    "SIGTERM after saving a checkpoint (rerun the same command to resume)."
)


def _option(setting: str, flag: str):
    """A flag for one TrainConfig setting: its description and default come from the setting, so
    flag help, YAML keys and hyperparameters never disagree. The flag's own default is None, so
    only flags the user gives override the --config file."""
    from workloads.train.config import TrainConfig

    info = TrainConfig.model_fields[setting]
    shown = "" if info.is_required() or info.default is None else f"  [default: {info.default}]"
    return typer.Option(None, flag, help=f"{info.description}{shown}", show_default=False)


def register(app: typer.Typer) -> None:
    @app.command("train", help=HELP, cls=Command)
    def train(
        model: Path = _option("model_dir", "--model"),
        data: Path = _option("data", "--data"),
        output_dir: Path = _option("output_dir", "--output-dir"),
        max_steps: int = _option("max_steps", "--max-steps"),
        save_every: int = _option("save_every", "--save-every"),
        seed: int = _option("seed", "--seed"),
        config: Path = typer.Option(None, "--config", help="YAML file of settings (flags override it)."),
        batch_size: int = _option("batch_size", "--batch-size"),
        grad_accum: int = _option("grad_accum", "--grad-accum"),
        lr: float = _option("lr", "--lr"),
        block_size: int = _option("block_size", "--block-size"),
        warmup_steps: int = _option("warmup_steps", "--warmup-steps"),
        keep_checkpoints: int = _option("keep_checkpoints", "--keep-checkpoints"),
        checkpoint_dir: Path = _option("checkpoint_dir", "--checkpoint-dir"),
        lr_schedule: str = _option("lr_schedule", "--lr-schedule"),
        weight_decay: float = _option("weight_decay", "--weight-decay"),
        mixed_precision: str = _option("mixed_precision", "--mixed-precision"),
        log_every: int = _option("log_every", "--log-every"),
        progress_seconds: float = _option("progress_seconds", "--progress-seconds"),
    ) -> None:
        from rich.console import Console

        from workloads.train.config import ConfigError
        from workloads.train.main import run

        cli = {
            "model_dir": model, "data": data, "output_dir": output_dir, "max_steps": max_steps,
            "save_every": save_every, "seed": seed, "batch_size": batch_size, "grad_accum": grad_accum,
            "lr": lr, "block_size": block_size, "warmup_steps": warmup_steps,
            "keep_checkpoints": keep_checkpoints, "checkpoint_dir": checkpoint_dir, "lr_schedule": lr_schedule,
            "weight_decay": weight_decay, "mixed_precision": mixed_precision, "log_every": log_every,
            "progress_seconds": progress_seconds,
        }
        try:
            code = run(cli, config)
        except ConfigError as exc:
            err = Console(stderr=True, highlight=False, soft_wrap=True)
            for problem in exc.problems:
                err.print(f"[red]error:[/red] {problem}", markup=True)
            raise typer.Exit(2) from None
        raise typer.Exit(code)
