"""The README's command lines work as written in a fresh shell where only the README's set-up ran:
no virtual environment on PATH, commands called through `.venv/bin/`."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.helpers import ROOT

README = (ROOT / "README.md").read_text()


def torchrun_line() -> list[str]:
    lines = re.findall(r"`([^`\n]*torchrun [^`\n]*)`", README)
    assert len(lines) == 1, lines
    return shlex.split(lines[0])


def test_the_torchrun_line_calls_everything_through_the_venv():
    argv = torchrun_line()
    assert argv[0] == ".venv/bin/torchrun" and ".venv/bin/mladmin" in argv and "$(" not in " ".join(argv)


@pytest.mark.skipif(sys.prefix == sys.base_prefix, reason="the README's set-up is a virtual environment")
def test_the_torchrun_line_trains_from_a_fresh_shell(tiny_model_dir, tmp_path):
    """Run in a checkout-shaped folder: .venv (this interpreter's), the model `m` the README builds
    first, the sample data. PATH holds only the system folders. The speed flags appended last win."""
    (tmp_path / ".venv").symlink_to(Path(sys.prefix))
    (tmp_path / "m").symlink_to(tiny_model_dir)
    (tmp_path / "workloads" / "data").mkdir(parents=True)
    (tmp_path / "workloads" / "data" / "sample.txt").symlink_to(ROOT / "workloads" / "data" / "sample.txt")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "OMP_NUM_THREADS": "1",
           "MLADMIN_SM_ROOT": "/nonexistent", "PYTHONPATH": os.environ.get("PYTHONPATH", "")}
    argv = torchrun_line() + ["--max-steps", "2", "--block-size", "32", "--batch-size", "2", "--save-every", "0"]
    result = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
                            start_new_session=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 process(es)" in result.stderr
    out = next(arg for prev, arg in zip(argv, argv[1:]) if prev == "--output-dir")
    assert (tmp_path / out / "final" / "model.safetensors").is_file()
