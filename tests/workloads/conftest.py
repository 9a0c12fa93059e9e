"""Shared fixtures for workload tests: one tiny model per session, the shipped sample text."""

from __future__ import annotations

from pathlib import Path

import pytest

from workloads import SAMPLE_TEXT


@pytest.fixture(scope="session")
def sample_text_path() -> Path:
    """The shipped corpus (workloads/data/sample.txt). Read-only: copy it before changing it."""
    assert SAMPLE_TEXT.is_file()
    return SAMPLE_TEXT


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A tiny GPT-2 model + tokenizer (2 layers, 64 dims, vocab 512, seed 0), built once per session.

    Shared by every workload test: treat it as read-only (write outputs elsewhere).
    """
    from workloads.tiny import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny-model"), seed=0)
