"""The stack check: SageMaker endpoints serving a catalogue model are sized against their instance type."""

from __future__ import annotations

import json

import pytest
import yaml

from mladmin.capacity.stack import endpoint_fits
from tests.cli.helpers import PROGRAMS, mladmin


def _config(*endpoints: dict) -> dict:
    return {"mladmin:sagemaker": {"endpoints": [{"imageTag": "1.4.2", **e} for e in endpoints]}}


def test_a_model_too_large_for_its_endpoint_is_a_finding_that_says_by_how_many_gib():
    # 141.1e9 bytes of weights + 327,680 x 4,096 of KV - 24 GiB x 0.9 = 119,249,353,882 bytes = 111.1 GiB
    (fit,) = endpoint_fits(_config({"name": "big", "model": "llama-3.1-70b", "instanceType": "ml.g5.2xlarge"}))
    assert fit.finding().startswith("endpoint big: llama-3.1-70b (bf16, one 4,096-token sequence) does not fit "
                                    "ml.g5.2xlarge: 111.1 GiB short")


def test_a_model_that_fits_has_no_finding_and_a_cost_per_million_tokens():
    (fit,) = endpoint_fits(_config({"name": "small", "model": "Llama-3.1-8B", "instanceType": "ml.g5.2xlarge"}))
    assert fit.finding() is None and fit.estimate.usd_per_million_tokens > 0


@pytest.mark.parametrize("endpoint", [
    {"name": "own", "model": "chat-llm", "instanceType": "ml.g5.2xlarge"},       # not a catalogue model
    {"name": "cpu", "model": "llama-3.1-8b", "instanceType": "ml.m5.xlarge"},    # not a GPU type
    {"name": "bad", "model": "llama-3.1-8b"},                                    # malformed: no image tag given below
])
def test_endpoints_without_a_known_model_on_a_gpu_are_not_sized(endpoint):
    config = _config(endpoint) if endpoint["name"] != "bad" else {"mladmin:sagemaker": {"endpoints": [endpoint]}}
    assert endpoint_fits(config) == []


@pytest.fixture(scope="module")
def config_with_endpoints(tmp_path_factory):
    config = yaml.safe_load((PROGRAMS / "costed" / "Pulumi.dev.yaml").read_text())
    config["config"].update(_config({"name": "big", "model": "llama-3.1-70b", "instanceType": "ml.g5.2xlarge"},
                                    {"name": "small", "model": "llama-3.1-8b", "instanceType": "ml.g5.2xlarge"}))
    path = tmp_path_factory.mktemp("capacity") / "Pulumi.dev.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_plan_reports_the_endpoint_that_does_not_fit_and_exits_1(config_with_endpoints):
    result = mladmin("plan", "dev", "--program", PROGRAMS / "costed", "--config", config_with_endpoints, "--json")
    assert result.returncode == 1, result.stderr
    (finding,) = json.loads(result.stdout)["capacity"]
    assert finding.startswith("endpoint big: llama-3.1-70b") and "111.1 GiB short" in finding


def test_cost_shows_dollars_per_million_tokens_for_the_endpoint_that_fits(config_with_endpoints):
    result = mladmin("cost", "dev", "--program", PROGRAMS / "costed", "--config", config_with_endpoints)
    assert result.returncode == 0, result.stderr
    assert any(line.startswith("serving: endpoint small (llama-3.1-8b on ml.g5.2xlarge): $")
               and "per million output tokens" in line for line in result.stdout.splitlines())
