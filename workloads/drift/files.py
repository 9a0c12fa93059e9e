"""File helpers: hashing and atomic writes (temp name in the same directory, then rename)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from workloads import files
from workloads.drift.errors import DriftInputError


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def atomic_write_text(path: Path, text: str) -> None:
    try:
        files.atomic_write_text(path, text)
    except OSError as exc:
        raise DriftInputError(f"{path}: cannot write: {exc.strerror}") from None
