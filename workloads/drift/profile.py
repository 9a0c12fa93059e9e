"""The reference profile: what the window is compared with, computed once from the training text.

Saved as JSON by `mladmin drift profile` so the drift job needs neither the corpus nor the model
weights — only the tokenizer, when window prompts are logged as text.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from workloads.drift import psi
from workloads.drift.errors import DriftInputError
from workloads.drift.files import atomic_write_text, file_sha256
from workloads.drift.samples import SampleSet

PROFILE_KIND = "mladmin.drift-profile"
PROFILE_VERSION = 1
TOKENIZER_FILES = ("tokenizer.json", "vocab.json", "merges.txt", "tokenizer_config.json")
FINGERPRINT_PREFIX = "vocab-sha256:"
# What decides the token ids a text gets; not truncation/padding or tokenizer_config.json's fields,
# which save_pretrained rewrites (training adds is_local, local_files_only, ...).
_ENCODING_PARTS = ("model", "added_tokens", "normalizer", "pre_tokenizer")


@dataclass
class Tokenizer:
    path: Path
    fingerprint: str
    impl: Any  # a transformers tokenizer

    def encode(self, text: str) -> list[int]:
        return self.impl(text, add_special_tokens=False)["input_ids"]

    @property
    def unk_id(self) -> int | None:
        return self.impl.unk_token_id

    def token_text(self, token_id: int) -> str:
        return self.impl.decode([token_id])


def load_tokenizer(model_dir: Path) -> Tokenizer:
    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        raise DriftInputError(f"{model_dir}: model directory (--model) not found")
    present = [name for name in TOKENIZER_FILES if (model_dir / name).is_file()]
    if not present:
        raise DriftInputError(f"{model_dir}: no tokenizer files ({', '.join(TOKENIZER_FILES)})")
    from transformers import AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    try:
        impl = AutoTokenizer.from_pretrained(model_dir)
    except (OSError, ValueError) as exc:
        raise DriftInputError(f"{model_dir}: cannot load the tokenizer: {exc}") from None
    return Tokenizer(model_dir, tokenizer_fingerprint(model_dir), impl)


def tokenizer_fingerprint(model_dir: Path) -> str:
    """sha256 of the vocabulary and merges (and what else maps text to ids): two model directories
    whose tokenizer.json is the same give the same fingerprint, whatever else differs."""
    digest = hashlib.sha256()
    fast = model_dir / "tokenizer.json"
    if fast.is_file():
        try:
            spec = json.loads(fast.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise DriftInputError(f"{fast}: not a tokenizer.json ({exc})") from None
        parts = {key: spec.get(key) for key in _ENCODING_PARTS} if isinstance(spec, dict) else spec
        digest.update(json.dumps(parts, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode())
    else:  # a slow tokenizer: its vocabulary and merges files
        for name in ("vocab.json", "merges.txt"):
            if (model_dir / name).is_file():
                digest.update(name.encode() + b"\0" + (model_dir / name).read_bytes())
    return FINGERPRINT_PREFIX + digest.hexdigest()


@dataclass
class ReferenceProfile:
    source: dict                  # {"path", "sha256", "samples"}
    tokenizer: str | None         # tokenizer fingerprint; None when built from token counts only
    length_edges: list[float]     # interior quantile edges of prompt length (tokens)
    length_proportions: list[float]
    top_tokens: list[int]         # the reference's top-K token ids, most frequent first
    top_token_text: list[str]     # the same, decoded (for reports)
    top_proportions: list[float]  # share of reference tokens per top id; "other" is the rest
    other_proportion: float
    vocabulary: list[int]         # every token id the reference contains
    total_tokens: int
    created_at: str = ""
    kind: str = PROFILE_KIND
    schema_version: int = PROFILE_VERSION

    @property
    def has_tokens(self) -> bool:
        return bool(self.top_tokens)


def lengths_and_tokens(samples: SampleSet, tokenizer: Tokenizer | None, what: str) -> tuple[list[int], list[list[int]]]:
    """Prompt lengths (the server's count when logged, else tokenized text) and the token ids of
    every sample with text."""
    lengths, encoded = [], []
    for sample in samples.samples:
        ids = None
        if sample.text is not None:
            if tokenizer is None:
                raise DriftInputError(f"{samples.path}: {what} holds prompt text: pass --model DIR "
                                      "so it can be tokenized")
            ids = tokenizer.encode(sample.text)
            encoded.append(ids)
        lengths.append(sample.tokens if sample.tokens is not None else len(ids))
    return lengths, encoded


def build_profile(samples: SampleSet, tokenizer: Tokenizer | None, *, bins: int, top_k: int) -> ReferenceProfile:
    problems = []
    if bins < 2:
        problems.append(f"--bins: {bins} must be at least 2")
    if top_k < 1:
        problems.append(f"--top-k: {top_k} must be at least 1")
    if problems:
        raise DriftInputError(problems)
    lengths, encoded = lengths_and_tokens(samples, tokenizer, "reference")
    edges = psi.quantile_edges(lengths, bins)
    counts = Counter(token for ids in encoded for token in ids)
    total = sum(counts.values())
    top = [token for token, _ in counts.most_common(top_k)]
    top_props = [counts[t] / total for t in top] if total else []
    return ReferenceProfile(
        source={"path": str(samples.path), "sha256": file_sha256(samples.path), "samples": len(lengths)},
        tokenizer=tokenizer.fingerprint if tokenizer else None,
        length_edges=edges,
        length_proportions=psi.proportions(psi.bin_counts(lengths, edges)),
        top_tokens=top,
        top_token_text=[tokenizer.token_text(t) for t in top] if tokenizer else [],
        top_proportions=top_props,
        other_proportion=max(0.0, 1.0 - sum(top_props)) if total else 0.0,
        vocabulary=sorted(counts),
        total_tokens=total,
        created_at=datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
    )


def save_profile(profile: ReferenceProfile, path: Path) -> None:
    atomic_write_text(Path(path), json.dumps(asdict(profile), indent=1) + "\n")


def is_profile_file(path: Path) -> bool:
    return Path(path).suffix == ".json"


def load_profile(path: Path) -> ReferenceProfile:
    path = Path(path)
    if not path.is_file():
        raise DriftInputError(f"{path}: reference profile not found")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DriftInputError(f"{path}: not a JSON reference profile ({exc})") from None
    if not isinstance(data, dict) or data.get("kind") != PROFILE_KIND:
        raise DriftInputError(f"{path}: kind: expected {PROFILE_KIND!r} (make one with "
                              "`mladmin drift profile`)")
    if data.get("schema_version") != PROFILE_VERSION:
        raise DriftInputError(f"{path}: schema_version: {data.get('schema_version')!r} is not "
                              f"supported (expected {PROFILE_VERSION})")
    try:
        profile = ReferenceProfile(**data)
    except TypeError as exc:
        raise DriftInputError(f"{path}: {exc}".replace("ReferenceProfile.__init__() ", "")) from None
    if len(profile.length_proportions) != len(profile.length_edges) + 1:
        raise DriftInputError(f"{path}: length_proportions: expected {len(profile.length_edges) + 1} "
                              f"values (one more than length_edges)")
    if len(profile.top_proportions) != len(profile.top_tokens):
        raise DriftInputError(f"{path}: top_proportions: expected one value per top_tokens entry")
    return profile
