"""Training data: tokenise text, pack it into fixed-size blocks, and serve batches deterministically.

The sample stream is a pure function of (seed, global sample index): epoch e visits the blocks in
the order `randperm(n_blocks, seed + e)`, and optimizer step s consumes global samples
[s * G, (s + 1) * G) with G = batch_size * grad_accum * world_size. Each rank takes its own slice of
every micro-batch. So the only "data position" a checkpoint needs is the number of samples consumed,
and a restarted run sees exactly the batches an uninterrupted one would.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import torch

from workloads.train.config import ConfigError

_LINES_PER_BATCH = 2048


def text_files(data: Path) -> list[Path]:
    """The file itself, or every regular file under the directory (sorted, hidden files skipped)."""
    if data.is_file():
        return [data]
    if data.is_dir():
        files = sorted(p for p in data.rglob("*") if p.is_file() and not any(
            part.startswith(".") for part in p.relative_to(data).parts))
        if not files:
            raise ConfigError(f"{data}: data directory holds no files")
        return files
    raise ConfigError(f"{data}: data file not found")


def tokenize_files(files: list[Path], tokenizer) -> torch.Tensor:
    """One long 1-D tensor of token ids; an end-of-text token closes each file."""
    pieces: list[torch.Tensor] = []  # one tensor per batch of lines: no giant Python list of ints
    eos = [tokenizer.eos_token_id] if tokenizer.eos_token_id is not None else []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
        lines = text.splitlines(keepends=True)
        for start in range(0, len(lines), _LINES_PER_BATCH):
            encoded = tokenizer(lines[start:start + _LINES_PER_BATCH], add_special_tokens=False)["input_ids"]
            pieces.append(torch.tensor(list(itertools.chain.from_iterable(encoded)), dtype=torch.long))
        if lines:
            pieces.append(torch.tensor(eos, dtype=torch.long))
    return torch.cat(pieces) if pieces else torch.empty(0, dtype=torch.long)


def pack_blocks(ids: torch.Tensor, block_size: int, source: Path) -> torch.Tensor:
    """(n_blocks, block_size) tensor; the tail that does not fill a block is dropped."""
    n_blocks = ids.numel() // block_size
    if n_blocks == 0:
        raise ConfigError(f"{source}: {ids.numel()} tokens of data, fewer than one block of "
                          f"block_size {block_size}")
    return ids[: n_blocks * block_size].view(n_blocks, block_size)


def load_blocks(data: Path, tokenizer, block_size: int) -> torch.Tensor:
    return pack_blocks(tokenize_files(text_files(data), tokenizer), block_size, data)


class BlockSampler:
    """Deterministic, resumable batches of blocks for one rank."""

    def __init__(self, blocks: torch.Tensor, *, seed: int, batch_size: int, grad_accum: int,
                 rank: int = 0, world_size: int = 1):
        self.blocks = blocks
        self.seed = seed
        self.batch_size = batch_size
        self.grad_accum = grad_accum
        self.rank = rank
        self.world_size = world_size
        self._epoch = -1
        self._order = torch.empty(0, dtype=torch.long)

    @property
    def samples_per_step(self) -> int:
        return self.batch_size * self.grad_accum * self.world_size

    def _order_for(self, epoch: int) -> torch.Tensor:
        if epoch != self._epoch:
            generator = torch.Generator().manual_seed(self.seed + epoch)
            self._order = torch.randperm(len(self.blocks), generator=generator)
            self._epoch = epoch
        return self._order

    def indices(self, first_sample: int, count: int) -> list[int]:
        n = len(self.blocks)
        out = []
        for g in range(first_sample, first_sample + count):
            out.append(int(self._order_for(g // n)[g % n]))
        return out

    def micro_batches(self, step: int) -> list[torch.Tensor]:
        """This rank's `grad_accum` micro-batches for optimizer step `step` (0-based)."""
        batches = []
        for micro in range(self.grad_accum):
            first = (step * self.grad_accum + micro) * self.batch_size * self.world_size
            first += self.rank * self.batch_size
            batches.append(self.blocks[self.indices(first, self.batch_size)])
        return batches

    def epoch_of(self, samples_consumed: int) -> float:
        return samples_consumed / len(self.blocks)
