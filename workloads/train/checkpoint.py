"""Checkpoints: written whole to a temporary directory, fsynced, then renamed into place.

Layout: CHECKPOINT_DIR/step-00000010/{state.pt, trainer_state.json}. A kill at any moment leaves
either the previous checkpoints or the new one complete, never half of one; leftover temporary
directories are ignored and cleaned up. `state.pt` loads with `torch.load(weights_only=True)`, so a
checkpoint from a shared bucket cannot run code when loaded.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import torch

STATE_FILE = "state.pt"
SUMMARY_FILE = "trainer_state.json"
_NAME = re.compile(r"^step-(\d+)$")
_TMP_PREFIX = ".tmp-"


def rng_state() -> dict[str, Any]:
    """Every random generator the training step can touch, in a weights_only-loadable form."""
    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    state = {
        "python": random.getstate(),
        "numpy": {"kind": kind, "keys": torch.from_numpy(keys.astype(np.int64)), "pos": pos,
                  "has_gauss": has_gauss, "gauss": gauss},
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    n = state["numpy"]
    np.random.set_state((n["kind"], n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["gauss"]))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def step_dirs(checkpoint_dir: Path) -> list[tuple[int, Path]]:
    """Complete checkpoints, oldest first."""
    if not checkpoint_dir.is_dir():
        return []
    found = []
    for child in checkpoint_dir.iterdir():
        match = _NAME.match(child.name)
        if match and (child / STATE_FILE).is_file():
            found.append((int(match.group(1)), child))
    return sorted(found)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def save(checkpoint_dir: Path, step: int, state: dict[str, Any], summary: dict[str, Any], keep: int) -> Path:
    """Write checkpoint `step` atomically and delete all but the newest `keep`."""
    checkpoint_dir.mkdir(parents=True, exist_ok=True)
    final = checkpoint_dir / f"step-{step:08d}"
    tmp = checkpoint_dir / f"{_TMP_PREFIX}{final.name}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    with open(tmp / STATE_FILE, "wb") as fh:
        torch.save(state, fh)
        fh.flush()
        os.fsync(fh.fileno())
    with open(tmp / SUMMARY_FILE, "w", encoding="utf-8") as fh:
        json.dump(summary, fh, indent=2, sort_keys=True, default=str)
        fh.flush()
        os.fsync(fh.fileno())
    _fsync_dir(tmp)
    if final.exists():  # the same step saved twice (e.g. SIGTERM right after a scheduled save)
        shutil.rmtree(final)
    os.replace(tmp, final)
    _fsync_dir(checkpoint_dir)
    prune(checkpoint_dir, keep)
    return final


def prune(checkpoint_dir: Path, keep: int) -> None:
    for _, path in step_dirs(checkpoint_dir)[:-keep]:
        shutil.rmtree(path, ignore_errors=True)
    for child in checkpoint_dir.iterdir():
        if child.name.startswith(_TMP_PREFIX):
            shutil.rmtree(child, ignore_errors=True)


def load_latest(checkpoint_dir: Path) -> tuple[Path, dict[str, Any]] | None:
    """The newest checkpoint that loads, or None. An unreadable one is reported and skipped."""
    import warnings

    for _, path in reversed(step_dirs(checkpoint_dir)):
        try:
            return path, torch.load(path / STATE_FILE, map_location="cpu", weights_only=True)
        except Exception as exc:  # noqa: BLE001 - a damaged file must not block resuming from an older one
            warnings.warn(f"{path / STATE_FILE}: cannot be loaded ({exc}); trying an older checkpoint",
                          stacklevel=2)
    return None
