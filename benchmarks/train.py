"""Training throughput: our loop (workloads.train) against a plain transformers `Trainer`, same run.

    .venv/bin/python benchmarks/train.py [--steps 40] [--warmup 5] [--layers 4 --dim 128] [--repeat 2]

Both train the same freshly built model (seeded random init, byte-level BPE on the shipped corpus) on
the same packed blocks of workloads/data/sample.txt, with the same batch size, learning rate, gradient
clipping and precision (fp32 on CPU, bf16 autocast on a GPU), in one process with the same threads.
Tokens/s is timed from the end of step `--warmup` to the end of the last step, so start-up and the
first slow steps count for neither. Reported: the median of `--repeat` runs each (the order alternates), the ratio
ours / Trainer (target >= 1.0x) and, on a GPU, model FLOPs utilisation (6 x params x tokens, plus
attention, over the GPU's dense bf16 peak).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

from workloads import SAMPLE_TEXT
from workloads.tiny import build_tiny_model

# Dense bf16 peak FLOP/s by device name fragment (vendor datasheets, without sparsity).
PEAK_BF16 = {"H200": 989e12, "H100": 989e12, "A100": 312e12, "L40S": 362e12, "A10G": 70e12,
             "L4": 121e12, "A10": 125e12, "V100": 125e12, "T4": 65e12}


class StepClock:
    """Wall and CPU time from the end of step `warmup` to the end of step `last`."""

    def __init__(self, warmup: int, last: int, device: torch.device):
        self.warmup, self.last, self.device = warmup, last, device
        self.start = self.end = (0.0, 0.0)

    def __call__(self, step: int) -> None:
        if step in (self.warmup, self.last):
            if self.device.type == "cuda":
                torch.cuda.synchronize()
            now = (time.perf_counter(), time.process_time())
            if step == self.warmup:
                self.start = now
            else:
                self.end = now

    def rates(self, tokens: int) -> tuple[float, float]:
        """(tokens per wall second, tokens per CPU second of this process)."""
        return tokens / (self.end[0] - self.start[0]), tokens / (self.end[1] - self.start[1])


def run_ours(args, model_dir: Path, work: Path, device: torch.device) -> tuple[float, float]:
    from workloads.train.config import TrainConfig
    from workloads.train.main import train

    config = TrainConfig(model_dir=model_dir, data=SAMPLE_TEXT, output_dir=work, max_steps=args.steps,
                         save_every=0, seed=0, batch_size=args.batch_size, block_size=args.block_size,
                         lr=args.lr, log_every=args.steps)
    clock = StepClock(args.warmup, args.steps, device)
    if train(config, on_step=clock) != 0:
        raise SystemExit("our loop did not finish")
    return clock.rates((args.steps - args.warmup) * args.batch_size * args.block_size)


def run_trainer(args, model_dir: Path, work: Path, device: torch.device) -> tuple[float, float]:
    from transformers import (AutoModelForCausalLM, AutoTokenizer, Trainer, TrainerCallback,
                              TrainingArguments)

    from workloads.train.data import load_blocks

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype="float32")
    blocks = load_blocks(SAMPLE_TEXT, tokenizer, args.block_size)

    class Blocks(torch.utils.data.Dataset):
        def __len__(self) -> int:
            return len(blocks)

        def __getitem__(self, i: int) -> dict:
            return {"input_ids": blocks[i], "labels": blocks[i]}

    clock = StepClock(args.warmup, args.steps, device)

    class Clock(TrainerCallback):
        def on_step_end(self, _args, state, control, **kwargs):
            clock(state.global_step)

    training_args = TrainingArguments(
        output_dir=str(work), max_steps=args.steps, per_device_train_batch_size=args.batch_size,
        learning_rate=args.lr, lr_scheduler_type="linear", max_grad_norm=1.0, seed=0,
        logging_steps=args.steps, save_strategy="no", report_to=[], disable_tqdm=True,
        dataloader_num_workers=0, use_cpu=device.type == "cpu", bf16=device.type == "cuda",
    )
    Trainer(model=model, args=training_args, train_dataset=Blocks(), callbacks=[Clock()]).train()
    return clock.rates((args.steps - args.warmup) * args.batch_size * args.block_size)


def flops_per_token(model_dir: Path, block_size: int) -> float:
    from transformers import AutoConfig

    c = AutoConfig.from_pretrained(model_dir)
    params = 12 * c.n_layer * c.n_embd ** 2  # attention + MLP weights, embeddings excluded
    return 6 * params + 6 * c.n_layer * c.n_embd * block_size  # fwd+bwd matmuls + attention scores


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--block-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=5e-4)
    args = parser.parse_args()
    if not 0 < args.warmup < args.steps:
        parser.error("--warmup must be between 0 and --steps")

    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = build_tiny_model(Path(tmp) / "model", seed=0, n_layer=args.layers, n_embd=args.dim,
                                     n_head=args.heads, n_positions=max(256, args.block_size))
        ours, theirs = [], []
        for i in range(args.repeat):  # alternate which goes first, so neither always gets a warm start
            first, second = (run_ours, run_trainer) if i % 2 == 0 else (run_trainer, run_ours)
            for runner in (first, second):
                results = ours if runner is run_ours else theirs
                results.append(runner(args, model_dir, Path(tmp) / f"{runner.__name__}-{i}", device))
        median = lambda values: statistics.median(values)  # noqa: E731 - robust to one noisy run
        best_ours, best_theirs = median(r[0] for r in ours), median(r[0] for r in theirs)
        cpu_ours, cpu_theirs = median(r[1] for r in ours), median(r[1] for r in theirs)
        name = torch.cuda.get_device_name() if device.type == "cuda" else f"CPU, {torch.get_num_threads()} threads"
        print(f"device: {name}; model {args.layers} layers x {args.dim} dims; batch {args.batch_size} x "
              f"{args.block_size} tokens; {args.steps - args.warmup} timed steps; median of {args.repeat}")
        runs = lambda results: ", ".join(f"{r[0]:,.0f}" for r in results)  # noqa: E731
        print(f"  ours (workloads.train)  {best_ours:12,.0f} tokens/s   runs: {runs(ours)}")
        print(f"  transformers Trainer    {best_theirs:12,.0f} tokens/s   runs: {runs(theirs)}")
        print(f"  ratio ours / Trainer    {best_ours / best_theirs:12.2f}x  (target >= 1.0x)")
        if device.type == "cpu":
            # On a shared machine wall time swings with other load; CPU time per token swings less.
            print(f"  per CPU second: ours {cpu_ours:,.0f}, Trainer {cpu_theirs:,.0f} tokens; "
                  f"ratio {cpu_ours / cpu_theirs:.2f}x")
        if device.type == "cuda":
            peak = next((v for k, v in PEAK_BF16.items() if k in name), None)
            fpt = flops_per_token(model_dir, args.block_size)
            if peak:
                print(f"  MFU ours {best_ours * fpt / peak:.2%}, Trainer {best_theirs * fpt / peak:.2%} "
                      f"(bf16 peak {peak / 1e12:.0f} TFLOP/s)")
            else:
                print(f"  MFU: unknown peak for {name}; achieved {best_ours * fpt / 1e12:.2f} TFLOP/s (ours)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
