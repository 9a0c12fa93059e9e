"""`mladmin train`: parse -> set up distributed -> load model and data -> train -> save.

Exit codes: 0 finished · 2 bad settings or input (message, no traceback) · 143 stopped by SIGTERM
after saving a checkpoint. 143 (128 + SIGTERM), not 0, so that an orchestrator never mistakes an
interrupted run for a finished one: a Kubernetes Job or `torchrun --max-restarts` restarts it, a
SageMaker managed-spot job resumes it from /opt/ml/checkpoints, and no half-trained model is
published as final. Any other failure propagates (exit 1); under the SageMaker contract its reason
is first written to /opt/ml/output/failure.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sys
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from workloads import contract
from workloads.files import apply_umask
from workloads.train.config import ConfigError, TrainConfig, resolve_config

EXIT_OK = 0
EXIT_CONFIG = 2
EXIT_INTERRUPTED = 143


def log(d, message: str) -> None:
    if d is None or d.is_main:
        print(f"[mladmin train] {message}", file=sys.stderr, flush=True)


def seed_everything(seed: int) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def load_model_and_tokenizer(config: TrainConfig):
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    if not config.model_dir.is_dir():
        raise ConfigError(f"{config.model_dir}: model directory not found")
    if not (config.model_dir / "config.json").is_file():
        raise ConfigError(f"{config.model_dir}: not a transformers model directory (no config.json)")
    try:
        tokenizer = AutoTokenizer.from_pretrained(config.model_dir)
        model = AutoModelForCausalLM.from_pretrained(config.model_dir, dtype="float32")
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigError(f"{config.model_dir}: cannot load model or tokenizer: {exc}") from None
    use_causal_lm_loss(model)
    max_positions = getattr(model.config, "max_position_embeddings", None) or getattr(model.config, "n_positions", None)
    if max_positions and config.block_size > max_positions:
        raise ConfigError(f"block_size: {config.block_size} is longer than the model's "
                          f"{max_positions} positions ({config.model_dir})")
    return model, tokenizer


def use_causal_lm_loss(model) -> None:
    """Name the loss explicitly. transformers picks it from the class name, finds none for e.g.
    GPT2LMHeadModel, and warns "`loss_type=None` ... unrecognized" on every run before using the
    causal-LM loss anyway; setting it is what the warning asks for and changes nothing else."""
    from transformers.loss.loss_utils import LOSS_MAPPING

    if getattr(model, "loss_type", None) not in LOSS_MAPPING:
        model.loss_type = "ForCausalLM"


def build_optimizer(config: TrainConfig, model, total_steps: int):
    import torch
    from transformers import get_scheduler

    decay, no_decay = [], []
    for name, param in model.named_parameters():
        if param.requires_grad:
            (no_decay if param.ndim < 2 or "norm" in name.lower() or name.endswith(".bias") else decay).append(param)
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": config.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=config.lr,
        fused=True,  # one kernel per parameter instead of a dozen ops: faster on CPU and GPU alike
    )
    name = {"constant": "constant_with_warmup"}.get(config.lr_schedule, config.lr_schedule)
    scheduler = get_scheduler(name, optimizer, num_warmup_steps=config.warmup_steps, num_training_steps=total_steps)
    return optimizer, scheduler


def save_final(config: TrainConfig, model, tokenizer, summary: dict[str, Any]) -> Path:
    """save_pretrained into a staging folder inside the target, then move the files into place.

    Staging inside the target keeps the renames on one filesystem even when the target is a mount
    (SageMaker's /opt/ml/model).
    """
    final = config.final
    final.mkdir(parents=True, exist_ok=True)
    staging = final / f".partial-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    model.save_pretrained(staging)
    tokenizer.save_pretrained(staging)
    (staging / "training_summary.json").write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
    apply_umask(staging.iterdir())  # safetensors writes the weights 0600
    for item in sorted(staging.iterdir()):
        os.replace(item, final / item.name)
    staging.rmdir()
    return final


def train(config: TrainConfig, *, on_step: Callable[[int], None] | None = None) -> int:
    """Run (or resume) one training job. Returns the exit code; raises ConfigError on bad input."""
    import torch
    from torch.nn.parallel import DistributedDataParallel

    from workloads.train import checkpoint, distributed, loop, reporting
    from workloads.train.data import BlockSampler, load_blocks

    # 1. Distributed set-up and determinism.
    d = distributed.setup()
    deterministic_before = torch.are_deterministic_algorithms_enabled()
    fill_before = torch.utils.deterministic.fill_uninitialized_memory
    if d.device.type == "cpu":
        torch.use_deterministic_algorithms(True)
        # Filling every new tensor with NaN is a debugging aid that costs ~3% of a step; kernels
        # that never read uninitialised memory stay deterministic without it.
        torch.utils.deterministic.fill_uninitialized_memory = False
    else:
        torch.backends.cudnn.benchmark = False
        torch.set_float32_matmul_precision("high")
    try:
        seed_everything(config.seed)

        # 2. Load the model, tokenizer and data.
        model, tokenizer = load_model_and_tokenizer(config)
        blocks = load_blocks(config.data, tokenizer, config.block_size)
        sampler = BlockSampler(blocks, seed=config.seed, batch_size=config.batch_size,
                               grad_accum=config.grad_accum, rank=d.rank, world_size=d.world_size)
        model.to(d.device)
        optimizer, scheduler = build_optimizer(config, model, config.max_steps)
        log(d, f"{len(blocks)} blocks of {config.block_size} tokens from {config.data}; "
               f"{sampler.samples_per_step} blocks per step on {d.world_size} process(es), device {d.device}")

        # 3. Resume from the newest checkpoint, if any.
        progress = loop.Progress()
        restored = checkpoint.load_latest(config.checkpoints)
        rng_states = None
        mlflow_run_id = None
        if restored is not None:
            path, state = restored
            try:
                model.load_state_dict(state["model"])
                optimizer.load_state_dict(state["optimizer"])
                scheduler.load_state_dict(state["scheduler"])
            except (RuntimeError, ValueError, KeyError) as exc:
                raise ConfigError(f"{path}: checkpoint does not match the model ({exc})") from None
            progress = loop.Progress(step=state["step"], samples_consumed=state["samples_consumed"],
                                     elapsed=state["elapsed"], last_loss=state.get("last_loss"))
            rng_states, mlflow_run_id = state["rng"], state.get("mlflow_run_id")
            for key in ("seed", "block_size"):
                if state["config"].get(key) != getattr(config, key):
                    warnings.warn(f"{path}: saved with {key}={state['config'].get(key)}, resuming with "
                                  f"{getattr(config, key)}: the data order differs from an uninterrupted run",
                                  stacklevel=1)
            log(d, f"resuming from {path} (step {progress.step} of {config.max_steps})")

        ddp_model = (DistributedDataParallel(model, device_ids=[d.device] if d.device.type == "cuda" else None)
                     if d.enabled else model)

        # 4. Reporting (rank 0) and the checkpoint writer (all ranks take part).
        metrics = reporting.MetricsLog(config.output_dir, progress.step) if d.is_main else None
        mlflow = reporting.MlflowLogger(config.model_dump(mode="json"), mlflow_run_id) if d.is_main else None

        bar = reporting.progress_bar(d.is_main, config.max_steps, progress.step)
        lines = (reporting.ProgressLines(config.max_steps, config.progress_seconds, lambda line: log(d, line))
                 if d.is_main and bar is None else None)

        def write_row(row: dict) -> None:
            if metrics is not None:
                metrics.write(row)
                mlflow.log(row)
            if lines is not None:
                lines.row(row)

        def save_checkpoint(p: loop.Progress) -> None:
            all_rng = distributed.gather_objects(d, checkpoint.rng_state())
            if d.is_main:
                state = {
                    "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(), "rng": all_rng, "step": p.step,
                    "samples_consumed": p.samples_consumed, "elapsed": p.elapsed, "last_loss": p.last_loss,
                    "world_size": d.world_size, "config": config.model_dump(mode="json"),
                    "mlflow_run_id": mlflow.run_id,
                }
                summary = {k: v for k, v in state.items() if k not in ("model", "optimizer", "scheduler", "rng")}
                saved = checkpoint.save(config.checkpoints, p.step, state, summary, config.keep_checkpoints)
                log(d, f"checkpoint {saved}")
            distributed.barrier(d)

        # 5. Restore every rank's random generators last, so nothing above consumes them.
        if rng_states is not None:
            if len(rng_states) == d.world_size:
                checkpoint.set_rng_state(rng_states[d.rank])
            else:
                warnings.warn(f"checkpoint was written by {len(rng_states)} process(es), now {d.world_size}: "
                              "random state re-seeded, so dropout differs from an uninterrupted run", stacklevel=1)
                seed_everything(config.seed + progress.step + d.rank)

        # 6. Train.
        hooks = loop.LoopHooks(log=write_row, save=save_checkpoint, on_step=on_step, progress_bar=bar)
        with loop.StopRequest() as stop:
            finished = loop.run_steps(config, d, ddp_model, optimizer, scheduler, sampler, progress, hooks, stop)
        if bar is not None:
            bar.close()

        # 7. Save: the final model on success; on SIGTERM only the checkpoint already written.
        if d.is_main:
            plot = reporting.plot_loss(metrics.path, config.output_dir / reporting.LOSS_PLOT)
            if finished:
                summary = {"step": progress.step, "final_loss": progress.last_loss, "tokens":
                           progress.samples_consumed * config.block_size, "elapsed": progress.elapsed,
                           "world_size": d.world_size, "config": config.model_dump(mode="json")}
                final = save_final(config, model, tokenizer, summary)
                loss = "unknown" if progress.last_loss is None else f"{round(progress.last_loss, 6):.4f}"  # as metrics.jsonl
                log(d, f"finished {progress.step} steps, loss {loss}; model saved to {final}")
            else:
                log(d, f"stopped by SIGTERM at step {progress.step}; checkpoint saved, rerun to resume")
            mlflow.finish([metrics.path] + ([plot] if plot else []), "FINISHED" if finished else "KILLED")
        distributed.barrier(d)
        return EXIT_OK if finished else EXIT_INTERRUPTED
    finally:
        torch.use_deterministic_algorithms(deterministic_before)
        torch.utils.deterministic.fill_uninitialized_memory = fill_before
        distributed.teardown(d)


def write_failure(reason: str) -> None:
    """SageMaker shows the first 1024 characters of this file as the job's FailureReason."""
    path = contract.failure_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(reason, encoding="utf-8")


def run(cli: dict[str, Any] | None = None, config_file: Path | None = None,
        *, on_step: Callable[[int], None] | None = None) -> int:
    """Resolve settings and train; under the SageMaker contract record why a run failed."""
    sagemaker = contract.is_sagemaker_training()
    try:
        return train(resolve_config(cli, config_file), on_step=on_step)
    except ConfigError as exc:
        if sagemaker:
            write_failure("ConfigError: " + "\n".join(exc.problems))
        raise
    except Exception as exc:
        if sagemaker:
            write_failure(f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc()}")
        raise
