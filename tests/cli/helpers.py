"""Run `mladmin` as a user does in CI: a real process, stdout piped, 80 columns."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]
PROGRAMS = ROOT / "tests" / "fixtures" / "programs"


def piped_env(**extra: str) -> dict[str, str]:
    """What a CI job gives a command: a pipe for stdout, 80 columns, no colour."""
    env = {key: value for key, value in os.environ.items() if key not in ("CI", "FORCE_COLOR", "TERMINAL_WIDTH")}
    return {**env, "COLUMNS": "80", "NO_COLOR": "1", "OMP_NUM_THREADS": "1", "MLADMIN_SM_ROOT": "/nonexistent",
            **extra}


def mladmin(*args: str | Path, timeout: float = 300, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mladmin.cli.main", *map(str, args)], cwd=ROOT,
                          env=piped_env(**env), capture_output=True, text=True, timeout=timeout)

