"""Files the workloads write are readable by a serving user in another container: the mode a plain
open() gives under the umask (0644 under 022), not the 0600 of mkstemp or safetensors."""

from __future__ import annotations

import os
import stat

import pytest
from typer.testing import CliRunner

from mladmin.cli.main import app
from workloads.files import atomic_write_text


@pytest.fixture
def umask_022():
    before = os.umask(0o022)
    yield
    os.umask(before)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_model_tiny_writes_weights_and_tokenizer_0644(tmp_path, umask_022):
    result = CliRunner().invoke(app, ["model", "tiny", str(tmp_path / "m")])
    assert result.exit_code == 0, result.output
    modes = {p.name: mode(p) for p in (tmp_path / "m").iterdir()}
    assert modes["model.safetensors"] == 0o644 and set(modes.values()) == {0o644}, modes


def test_atomic_writes_follow_the_umask(tmp_path):
    before = os.umask(0o027)
    try:
        atomic_write_text(tmp_path / "report.json", "{}")
    finally:
        os.umask(before)
    assert mode(tmp_path / "report.json") == 0o640


def test_model_tiny_refuses_a_non_empty_folder_naming_it(tmp_path):
    target = tmp_path / "m"
    target.mkdir()
    (target / "notes.txt").write_text("keep me")
    result = CliRunner().invoke(app, ["model", "tiny", str(target)])
    assert result.exit_code == 2 and str(target) in result.output and "--force" in result.output
    assert (target / "notes.txt").read_text() == "keep me" and not (target / "config.json").exists()
