"""Load a causal LM directory, fingerprint it, and score continuations by log-likelihood."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workloads.evaluate.errors import EvalInputError

# Files that define what the model computes. generation_config.json and README files are left out:
# they change sampling defaults or docs, not the scores.
FINGERPRINT_PATTERNS = (
    "config.json",
    "*.safetensors",
    "pytorch_model*.bin",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.json",
    "merges.txt",
)


@dataclass
class LoadedModel:
    path: Path
    model: Any            # transformers PreTrainedModel in eval mode
    tokenizer: Any        # transformers tokenizer
    device: str
    context_length: int   # the most positions one forward pass may use
    fingerprint: str      # "sha256:<hex>" over FINGERPRINT_PATTERNS files
    files: dict[str, str]  # file name -> sha256 hex


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fingerprint_model_dir(model_dir: Path) -> tuple[str, dict[str, str]]:
    """A stable identity for a model directory: sha256 over the names and hashes of its weight,
    config and tokenizer files (sorted by name), so a copy elsewhere has the same fingerprint."""
    files: dict[str, str] = {}
    for pattern in FINGERPRINT_PATTERNS:
        for path in model_dir.glob(pattern):
            if path.is_file():
                files[path.name] = file_sha256(path)
    combined = hashlib.sha256()
    for name in sorted(files):
        combined.update(f"{name}\0{files[name]}\n".encode())
    return "sha256:" + combined.hexdigest(), dict(sorted(files.items()))


def pick_device(requested: str) -> str:
    import torch

    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if requested.startswith("cuda") and not torch.cuda.is_available():
        raise EvalInputError(f"--device: {requested!r} requested but no CUDA device is available")
    return requested


def load_model(model_dir: Path, device: str = "auto") -> LoadedModel:
    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        raise EvalInputError(f"{model_dir}: model directory not found")
    if not (model_dir / "config.json").is_file():
        raise EvalInputError(f"{model_dir}: not a transformers model directory (no config.json)")

    from transformers import AutoModelForCausalLM, AutoTokenizer

    device = pick_device(device)
    try:
        tokenizer = AutoTokenizer.from_pretrained(model_dir)
        model = AutoModelForCausalLM.from_pretrained(model_dir)
    except (OSError, ValueError) as exc:
        raise EvalInputError(f"{model_dir}: cannot load model or tokenizer: {exc}") from None
    model.to(device).eval()

    context = getattr(model.config, "n_positions", None) or getattr(
        model.config, "max_position_embeddings", None
    )
    if not context:
        raise EvalInputError(f"{model_dir}/config.json: no n_positions or max_position_embeddings")
    fingerprint, files = fingerprint_model_dir(model_dir)
    return LoadedModel(model_dir, model, tokenizer, device, int(context), fingerprint, files)


def count_parameters(loaded: LoadedModel) -> int:
    return sum(p.numel() for p in loaded.model.parameters())


def continuation_logprobs(
    loaded: LoadedModel, prompts: list[str], continuations: list[str], batch_size: int = 32
) -> list[float]:
    """log P(continuation | prompt) summed over the continuation's tokens, for each pair.

    Prompt and continuation are tokenized separately and concatenated, so the continuation's
    tokens are the same whatever the prompt; a BOS token (when the tokenizer has one) gives the
    first token a context. Over-long prompts lose tokens from the left.
    """
    import torch

    if len(prompts) != len(continuations):
        raise ValueError("prompts and continuations differ in length")
    tokenizer = loaded.tokenizer
    bos = [tokenizer.bos_token_id] if tokenizer.bos_token_id is not None else []
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0

    sequences: list[tuple[list[int], int]] = []  # (ids, number of continuation tokens)
    for prompt, continuation in zip(prompts, continuations):
        cont_ids = tokenizer(continuation, add_special_tokens=False)["input_ids"]
        if not cont_ids:
            raise ValueError(f"continuation {continuation!r} has no tokens")
        prompt_ids = bos + tokenizer(prompt, add_special_tokens=False)["input_ids"]
        ids = (prompt_ids + cont_ids)[-loaded.context_length:]
        if len(ids) <= len(cont_ids):
            raise ValueError(f"continuation {continuation!r} does not fit the model context")
        sequences.append((ids, len(cont_ids)))

    scores: list[float] = []
    for start in range(0, len(sequences), batch_size):
        batch = sequences[start:start + batch_size]
        width = max(len(ids) for ids, _ in batch)
        input_ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
        attention = torch.zeros((len(batch), width), dtype=torch.long)
        for row, (ids, _) in enumerate(batch):  # right padding keeps positions unchanged
            input_ids[row, : len(ids)] = torch.tensor(ids)
            attention[row, : len(ids)] = 1
        with torch.inference_mode():
            logits = loaded.model(
                input_ids=input_ids.to(loaded.device), attention_mask=attention.to(loaded.device)
            ).logits.float()
        logprobs = torch.log_softmax(logits, dim=-1).cpu()
        for row, (ids, n_cont) in enumerate(batch):
            end = len(ids)
            targets = torch.tensor(ids[end - n_cont:])
            # the token at position t is predicted by the logits at position t - 1
            predicted = logprobs[row, end - n_cont - 1: end - 1]
            scores.append(float(predicted.gather(1, targets[:, None]).sum()))
    return scores
