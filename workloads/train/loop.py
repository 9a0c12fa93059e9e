"""The optimisation loop: micro-batches, gradient accumulation, clipping, logging, checkpoints, SIGTERM."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch

from workloads.train import distributed
from workloads.train.config import TrainConfig
from workloads.train.data import BlockSampler
from workloads.train.distributed import Dist


class StopRequest:
    """Set by SIGTERM (spot interruption, pod eviction); honoured at the next step boundary."""

    def __init__(self) -> None:
        self.requested = False
        self._previous = None

    def __enter__(self) -> StopRequest:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGTERM, self._handle)
        return self

    def _handle(self, signum, frame) -> None:
        self.requested = True

    def __exit__(self, *exc) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGTERM, self._previous)


@dataclass
class Progress:
    """Where the run is; saved in every checkpoint."""

    step: int = 0                  # optimizer steps completed
    samples_consumed: int = 0      # global blocks consumed: the data position
    elapsed: float = 0.0           # training seconds across restarts
    last_loss: float | None = None


@dataclass
class LoopHooks:
    log: Callable[[dict], None]
    save: Callable[[Progress], None]
    on_step: Callable[[int], None] | None = None
    progress_bar: object | None = None


def autocast(device: torch.device, mixed_precision: str):
    use_bf16 = device.type == "cuda" and mixed_precision in ("auto", "bf16") and torch.cuda.is_bf16_supported()
    if use_bf16:
        return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def run_steps(
    config: TrainConfig,
    d: Dist,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler,
    sampler: BlockSampler,
    progress: Progress,
    hooks: LoopHooks,
    stop: StopRequest,
) -> bool:
    """Train from `progress.step` to `config.max_steps`. Returns False when stopped by SIGTERM."""
    block_tokens = sampler.blocks.shape[1]
    loss_sum = torch.zeros((), device=d.device)
    steps_since_log = 0
    window_start = time.perf_counter()
    window_samples = progress.samples_consumed
    run_start = time.perf_counter() - progress.elapsed
    model.train()

    while progress.step < config.max_steps:
        if distributed.any_rank(d, stop.requested):
            progress.elapsed = time.perf_counter() - run_start
            hooks.save(progress)
            return False

        micro_batches = sampler.micro_batches(progress.step)
        for i, batch in enumerate(micro_batches):
            batch = batch.to(d.device, non_blocking=True)
            last = i == len(micro_batches) - 1
            sync = contextlib.nullcontext() if (last or not d.enabled) else model.no_sync()
            with sync:
                with autocast(d.device, config.mixed_precision):
                    loss = model(input_ids=batch, labels=batch).loss / len(micro_batches)
                loss.backward()
            loss_sum += loss.detach()
        if config.max_grad_norm > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.max_grad_norm)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)

        progress.step += 1
        progress.samples_consumed += sampler.samples_per_step
        steps_since_log += 1
        done = progress.step == config.max_steps

        if progress.step % config.log_every == 0 or done:
            mean_loss = float(distributed.mean(d, loss_sum / steps_since_log).item())
            now = time.perf_counter()
            progress.elapsed = now - run_start
            progress.last_loss = mean_loss
            tokens = (progress.samples_consumed - window_samples) * block_tokens
            hooks.log({
                "step": progress.step,
                "loss": round(mean_loss, 6),
                "lr": scheduler.get_last_lr()[0],
                "epoch": round(sampler.epoch_of(progress.samples_consumed), 4),
                "tokens": progress.samples_consumed * block_tokens,
                "tokens_per_s": round(tokens / max(now - window_start, 1e-9), 1),
                "elapsed": round(progress.elapsed, 3),
            })
            loss_sum.zero_()
            steps_since_log = 0
            window_start, window_samples = now, progress.samples_consumed

        if hooks.progress_bar is not None:
            hooks.progress_bar.update(1)
            if progress.last_loss is not None:
                hooks.progress_bar.set_postfix(loss=f"{progress.last_loss:.4f}", refresh=False)
        if done or (config.save_every and progress.step % config.save_every == 0):
            progress.elapsed = time.perf_counter() - run_start
            hooks.save(progress)
        if hooks.on_step is not None and d.is_main:
            hooks.on_step(progress.step)
    return True
