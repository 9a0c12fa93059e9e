"""The stack check: SageMaker endpoints serving a catalogue model are sized against their instance type."""

from __future__ import annotations

import json

import pytest
import yaml

from mladmin.capacity.stack import endpoint_fits
from stacks.settings import SettingsError, load_settings
from tests.infra.test_config_errors import stack_config
from tests.cli.helpers import PROGRAMS, mladmin


def _config(*endpoints: dict, **sagemaker) -> dict:
    return {"mladmin:sagemaker": {"endpoints": [{"imageTag": "1.4.2", **e} for e in endpoints], **sagemaker}}


def test_a_model_too_large_for_its_endpoint_is_a_finding_that_says_by_how_many_gib():
    # 141.1e9 bytes of weights + 327,680 x 4,096 of KV - 24 GiB x 0.9 = 119,249,353,882 bytes = 111.1 GiB
    (fit,) = endpoint_fits(_config({"name": "big", "model": "llama-3.1-70b", "instanceType": "ml.g5.2xlarge"}))
    assert fit.finding().startswith("endpoint big: llama-3.1-70b (bf16, one 4,096-token sequence) does not fit "
                                    "ml.g5.2xlarge: 111.1 GiB short")


def test_a_model_too_large_for_an_inferentia2_endpoint_is_a_finding_too():
    # 141.1e9 + 327,680 x 4,096 = 142,442,177,280 bytes = 132.66 GiB against one 32 GiB chip x 0.9 = 28.8 GiB
    (fit,) = endpoint_fits(_config({"name": "inf2", "model": "llama-3.1-70b", "instanceType": "ml.inf2.xlarge"}))
    assert "does not fit ml.inf2.xlarge: 103.9 GiB short (needs 132.7 GiB of 28.8 GiB usable)" in fit.finding()
    assert fit.estimate.accelerator == "AWS Inferentia2" and not fit.estimate.fits


def test_a_model_that_fits_has_no_finding_and_a_cost_per_million_tokens():
    (fit,) = endpoint_fits(_config({"name": "small", "model": "Llama-3.1-8B", "instanceType": "ml.g5.2xlarge"}))
    assert fit.finding() is None and fit.estimate.usd_per_million_tokens > 0


GEMMA_ON_A10G = {"name": "tight", "model": "gemma-2-9b", "instanceType": "ml.g5.xlarge"}


def test_a_model_that_fits_with_less_free_memory_than_the_configured_headroom_is_a_finding_naming_the_numbers():
    # 9.24e9 x 2 + 2 x 42 x 8 x 256 x 2 x 4,096 = 19,889,045,504 bytes = 18.5 GiB of 24 GiB x 0.9 = 21.6 GiB:
    # 3.1 GiB free = 14.2 %, below a 20 % headroom
    (fit,) = endpoint_fits(_config(GEMMA_ON_A10G, capacityHeadroomPercent=20))
    assert fit.finding() == ("endpoint tight: gemma-2-9b (bf16, one 4,096-token sequence) fits ml.g5.xlarge with "
                             "3.1 GiB free (14.2% of 21.6 GiB usable), below the 20% headroom "
                             "(mladmin capacity gemma-2-9b --instance-types ml.g5.xlarge)")


def test_the_default_headroom_is_ten_percent():
    (fit,) = endpoint_fits(_config(GEMMA_ON_A10G))
    assert fit.fit.headroom_percent == 10 and fit.finding() is None


@pytest.mark.parametrize("value", [-1, 91, "lots"])
def test_a_headroom_outside_0_to_90_percent_is_one_settings_error_line(value):
    config = stack_config("dev")
    config["mladmin:sagemaker"] = {**config.get("mladmin:sagemaker", {}), "capacityHeadroomPercent": value}
    with pytest.raises(SettingsError) as raised:
        load_settings(config, source="stacks/Pulumi.dev.yaml", stack="dev")
    (problem,) = raised.value.problems
    assert problem.startswith("stacks/Pulumi.dev.yaml: mladmin:sagemaker.capacityHeadroomPercent: ")


@pytest.mark.parametrize("endpoint", [
    {"name": "own", "model": "chat-llm", "instanceType": "ml.g5.2xlarge"},       # not a catalogue model
    {"name": "cpu", "model": "llama-3.1-8b", "instanceType": "ml.m5.xlarge"},    # not an accelerated type
    {"name": "bad", "model": "llama-3.1-8b"},                                    # malformed: no image tag given below
])
def test_endpoints_without_a_known_model_on_an_accelerator_are_not_sized(endpoint):
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
