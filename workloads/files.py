"""File helpers shared by the workloads."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def default_file_mode() -> int:
    """The mode `open()` gives a new file: 0666 less the umask (0644 under the usual 022)."""
    return 0o666 & ~_umask()


def apply_umask(paths: Iterable[Path]) -> None:
    """Give files written through a private temporary (mkstemp, safetensors: 0600) the mode a plain
    `open()` would, so a serving user in another container can read the weights and reports."""
    mode = default_file_mode()
    for path in paths:
        if Path(path).is_file():
            os.chmod(path, mode)


def atomic_write_text(path: Path, text: str) -> None:
    """Write text to a temporary file beside `path`, then rename: readers never see half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, default_file_mode())  # mkstemp creates 0600
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
