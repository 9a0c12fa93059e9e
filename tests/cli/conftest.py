"""Fixtures for the command-line tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A tiny GPT-2 model + tokenizer built once per session (read-only: write outputs elsewhere)."""
    from workloads.tiny import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny-model") / "model", seed=0)


@pytest.fixture(scope="session")
def moto_endpoint():
    """A moto server on 127.0.0.1 (free port) for the whole session; stopped at the end."""
    from tests.cli import moto_server

    server, endpoint = moto_server.start()
    yield endpoint
    server.stop()


@pytest.fixture
def aws_env(moto_endpoint, monkeypatch, tmp_path):
    """Fake credentials and AWS_ENDPOINT_URL pointing at a freshly reset moto server."""
    from tests.cli import moto_server

    moto_server.reset(moto_endpoint)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    env = {"AWS_ENDPOINT_URL": moto_endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_MAX_ATTEMPTS": "1", "AWS_EC2_METADATA_DISABLED": "true",
           "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
           "AWS_CONFIG_FILE": str(tmp_path / "no-config")}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture(scope="session")
def dev_outputs(dev_plan) -> dict:
    """The dev stack's outputs as after `pulumi up` (offline plan: real names, placeholder ids)."""
    assert dev_plan.stack_outputs["sagemakerEndpoints"]["chat-dev"] == "mladmin-dev-chat-dev"
    assert dev_plan.stack_outputs["modelPackageGroups"]["tiny-chat"] == "mladmin-dev-tiny-chat"
    return dev_plan.stack_outputs


@pytest.fixture
def outputs_file(dev_outputs, tmp_path):
    import json

    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(dev_outputs))
    return path
