"""Perplexity of a fixed-length model over a long text, with a strided sliding window.

The method of Hugging Face's "Perplexity of fixed-length models": windows of `block_size` tokens
start every `stride` tokens; in each window only the tokens not scored by an earlier window are
targets (the overlap is masked with -100 and serves as context). With `stride < block_size` every
token after the first is scored exactly once, with at least `block_size - stride` tokens of context;
with `stride == block_size` the windows are disjoint and each window's first token goes unscored. The result is the
token-weighted mean negative log-likelihood and its exponential.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from workloads.evaluate.errors import EvalInputError
from workloads.evaluate.model import LoadedModel

IGNORE_INDEX = -100


@dataclass
class PerplexityResult:
    perplexity: float
    nll: float          # mean negative log-likelihood per scored token, in nats
    tokens: int         # tokens in the text
    scored_tokens: int  # tokens with a prediction (all but the first)
    windows: int
    block_size: int
    stride: int


def read_eval_text(path: Path) -> str:
    """Plain text as is; `.jsonl` files join their records' "text" fields with blank lines."""
    path = Path(path)
    if not path.is_file():
        raise EvalInputError(f"{path}: data file not found")
    try:
        raw = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise EvalInputError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if path.suffix != ".jsonl":
        if not raw.strip():
            raise EvalInputError(f"{path}: data file is empty")
        return raw
    texts, problems = [], []
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{path}:{number}: invalid JSON ({exc.msg})")
            continue
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            problems.append(f'{path}:{number}: expected an object with a string "text" field')
            continue
        texts.append(record["text"])
    if problems:
        raise EvalInputError(problems)
    if not texts:
        raise EvalInputError(f"{path}: no records")
    return "\n\n".join(texts)


def resolve_window(context_length: int, block_size: int | None, stride: int | None) -> tuple[int, int]:
    block = block_size or context_length
    problems = []
    if block < 2:
        problems.append(f"--block-size: {block} is too small (at least 2)")
    if block > context_length:
        problems.append(f"--block-size: {block} exceeds the model context of {context_length} tokens")
    step = stride if stride is not None else max(1, block // 2)
    if step < 1 or step > block:
        problems.append(f"--stride: {step} must be between 1 and the block size {block}")
    if problems:
        raise EvalInputError(problems)
    return block, step


def strided_perplexity(
    loaded: LoadedModel, text: str, block_size: int | None = None, stride: int | None = None
) -> PerplexityResult:
    import torch

    block, step = resolve_window(loaded.context_length, block_size, stride)
    ids = torch.tensor(loaded.tokenizer(text, add_special_tokens=False)["input_ids"], dtype=torch.long)
    seq_len = ids.numel()
    if seq_len < 2:
        raise EvalInputError("data: the text has fewer than 2 tokens; nothing to score")

    nll_sum, scored, windows, prev_end = 0.0, 0, 0, 0
    for begin in range(0, seq_len, step):
        end = min(begin + block, seq_len)
        target_len = end - prev_end  # tokens not yet scored by an earlier window
        input_ids = ids[begin:end][None, :].to(loaded.device)
        targets = input_ids.clone()
        targets[:, :-target_len] = IGNORE_INDEX
        with torch.inference_mode():
            logits = loaded.model(input_ids=input_ids).logits.float()
        # shift: logits at t predict the token at t + 1; the window's first token has no prediction
        shift_logits, shift_targets = logits[:, :-1, :], targets[:, 1:]
        loss = torch.nn.functional.cross_entropy(
            shift_logits.reshape(-1, shift_logits.size(-1)),
            shift_targets.reshape(-1),
            ignore_index=IGNORE_INDEX,
            reduction="sum",
        )
        nll_sum += float(loss)
        scored += int((shift_targets != IGNORE_INDEX).sum())
        windows += 1
        prev_end = end
        if end == seq_len:
            break

    nll = nll_sum / scored
    return PerplexityResult(
        perplexity=math.exp(nll), nll=nll, tokens=seq_len, scored_tokens=scored,
        windows=windows, block_size=block, stride=step,
    )
