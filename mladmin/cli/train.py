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


def register(app: typer.Typer) -> None:
    @app.command("train", help=HELP, cls=Command)
    def train(
        model: Path = typer.Option(None, "--model", help="Model directory (transformers format)."),
        data: Path = typer.Option(None, "--data", help="UTF-8 text file, or a directory of them."),
        output_dir: Path = typer.Option(None, "--output-dir", help="Metrics, loss.png, checkpoints/, final/."),
        max_steps: int = typer.Option(None, "--max-steps", help="Optimizer steps in total. [default: 100]"),
        save_every: int = typer.Option(None, "--save-every", help="Checkpoint every K steps (0: only on SIGTERM). [default: 50]"),
        seed: int = typer.Option(None, "--seed", help="Seed for data order and dropout. [default: 0]"),
        config: Path = typer.Option(None, "--config", help="YAML file of settings (flags override it)."),
        batch_size: int = typer.Option(None, "--batch-size", help="Blocks per micro-batch per process. [default: 8]"),
        grad_accum: int = typer.Option(None, "--grad-accum", help="Micro-batches per optimizer step. [default: 1]"),
        lr: float = typer.Option(None, "--lr", help="Peak learning rate. [default: 5e-4]"),
        block_size: int = typer.Option(None, "--block-size", help="Tokens per block. [default: 128]"),
        warmup_steps: int = typer.Option(None, "--warmup-steps", help="Linear warm-up steps. [default: 0]"),
        keep_checkpoints: int = typer.Option(None, "--keep-checkpoints", help="Newest checkpoints kept. [default: 3]"),
        checkpoint_dir: Path = typer.Option(None, "--checkpoint-dir", help="[default: OUTPUT_DIR/checkpoints]"),
        lr_schedule: str = typer.Option(None, "--lr-schedule", help="linear | cosine | constant. [default: linear]"),
        weight_decay: float = typer.Option(None, "--weight-decay", help="[default: 0]"),
        mixed_precision: str = typer.Option(None, "--mixed-precision", help="auto | bf16 | no. [default: auto]"),
        log_every: int = typer.Option(None, "--log-every", help="Steps between metric lines. [default: 1]"),
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
        }
        try:
            code = run(cli, config)
        except ConfigError as exc:
            err = Console(stderr=True, highlight=False, soft_wrap=True)
            for problem in exc.problems:
                err.print(f"[red]error:[/red] {problem}", markup=True)
            raise typer.Exit(2) from None
        raise typer.Exit(code)
