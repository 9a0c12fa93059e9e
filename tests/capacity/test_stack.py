"""The stack check: SageMaker endpoints and Kubernetes model servers serving a catalogue model are sized against\ntheir GPUs."""

from __future__ import annotations

import copy
import json
from types import SimpleNamespace

import pytest
import yaml

from mladmin.capacity.estimate import Request, estimate
from mladmin.capacity.stack import endpoint_fits, server_fits
from mladmin.cli.plan import _capacity_findings
from policies.facts.models import CATALOGUE
from stacks.settings import SettingsError, load_settings
from tests.infra.test_config_errors import problems, stack_config
from tests.cli.helpers import PROGRAMS, mladmin


def _config(*endpoints: dict, **sagemaker) -> dict:
    return {"mladmin:sagemaker": {"endpoints": [{"imageTag": "1.4.2", **e} for e in endpoints], **sagemaker}}


def test_a_model_too_large_for_its_endpoint_is_a_finding_that_says_by_how_many_gib():
    # 141.1e9 bytes of weights + 327,680 x 4,096 of KV - 22,888 MiB x 0.9 = 120,842,350,541 bytes = 112.5 GiB
    (fit,) = endpoint_fits(_config({"name": "big", "model": "llama-3.1-70b", "instanceType": "ml.g5.2xlarge"}))
    assert fit.finding().startswith("endpoint big: llama-3.1-70b (bf16, one 4,096-token sequence) does not fit "
                                    "ml.g5.2xlarge: 112.5 GiB short")


def test_a_model_too_large_for_an_inferentia2_endpoint_is_a_finding_too():
    # 141.1e9 + 327,680 x 4,096 = 142,442,177,280 bytes = 132.66 GiB against one 32 GiB chip x 0.9 = 28.8 GiB
    (fit,) = endpoint_fits(_config({"name": "inf2", "model": "llama-3.1-70b", "instanceType": "ml.inf2.xlarge"}))
    assert "does not fit ml.inf2.xlarge: 103.9 GiB short (needs 132.7 GiB of 28.8 GiB usable)" in fit.finding()
    assert fit.estimate.accelerator == "AWS Inferentia2" and not fit.estimate.fits


def test_a_model_that_fits_has_no_finding_and_a_cost_per_million_tokens():
    (fit,) = endpoint_fits(_config({"name": "small", "model": "Llama-3.1-8B", "instanceType": "ml.g5.2xlarge"}))
    assert fit.finding() is None and fit.estimate.usd_per_million_tokens > 0


LLAMA_8B_ON_A10G = {"name": "tight", "model": "llama-3.1-8b", "instanceType": "ml.g5.xlarge"}


def test_a_model_that_fits_with_less_free_memory_than_the_configured_headroom_is_a_finding_naming_the_numbers():
    # 8.03e9 x 2 + 131,072 x 4,096 = 16,596,870,912 bytes = 15.5 GiB of 22,888 MiB x 0.9 = 20.1 GiB:
    # 4.7 GiB free = 23.2 %, below a 25 % headroom
    (fit,) = endpoint_fits(_config(LLAMA_8B_ON_A10G, capacityHeadroomPercent=25))
    assert fit.finding() == ("endpoint tight: llama-3.1-8b (bf16, one 4,096-token sequence) fits ml.g5.xlarge with "
                             "4.7 GiB free (23.2% of 20.1 GiB usable), below the 25% headroom "
                             "(mladmin capacity llama-3.1-8b --instance-types ml.g5.xlarge)")


def test_the_default_headroom_is_ten_percent():
    (fit,) = endpoint_fits(_config(LLAMA_8B_ON_A10G))
    assert fit.fit.headroom_percent == 10 and fit.finding() is None


def test_a_24_gb_gpu_is_sized_by_the_memory_ec2_reports_not_its_marketing_figure():
    # Gemma 2 9B: 9.24e9 x 2 + 2 x 42 x 8 x 256 x 2 x 4,096 = 19,889,045,504 bytes = 18.5 GiB. Of a "24 GB" A10G
    # (22,888 MiB) 20.1 GiB is usable: 1.6 GiB (7.9 %) free, below the default 10 % (it would pass at 24 GiB: 14.2 %)
    (fit,) = endpoint_fits(_config({"name": "tight", "model": "gemma-2-9b", "instanceType": "ml.g5.xlarge"}))
    assert "fits ml.g5.xlarge with 1.6 GiB free (7.9% of 20.1 GiB usable), below the 10% headroom" in fit.finding()


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
    assert finding.startswith("endpoint big: llama-3.1-70b") and "112.5 GiB short" in finding


def test_cost_shows_dollars_per_million_tokens_for_the_endpoint_that_fits(config_with_endpoints):
    result = mladmin("cost", "dev", "--program", PROGRAMS / "costed", "--config", config_with_endpoints)
    assert result.returncode == 0, result.stderr
    assert any(line.startswith("serving: endpoint small (llama-3.1-8b on ml.g5.2xlarge): $")
               and "per million output tokens" in line for line in result.stdout.splitlines())


# Kubernetes model servers (mladmin:workloads.serving): a replica holds its architecture on its `gpus` GPUs of
# each instance type of its node group.

def _servers(*servers: dict, node_groups: dict[str, list[str]] | None = None, **workloads) -> dict:
    groups = node_groups or {"gpu-serving": ["g5.2xlarge"]}
    image = {"repository": "serving", "tag": "2026.12.01-3f9c2ab"}
    return {"mladmin:cluster": {"nodeGroups": [{"name": name, "instanceTypes": types} for name, types in groups.items()]},
            "mladmin:workloads": {"serving": [{"team": "applied", "image": image, "nodeGroup": "gpu-serving", **s}
                                              for s in servers], **workloads}}


def test_a_model_server_too_large_for_its_gpus_is_a_finding_that_says_by_how_many_gib():
    (fit,) = server_fits(_servers({"name": "chat", "architecture": "llama-3.1-70b", "gpus": 1}))
    assert fit.finding() == (
        "model server applied/chat (node group gpu-serving): llama-3.1-70b (bf16, one 4,096-token sequence) does not "
        "fit g5.2xlarge: 112.5 GiB short (needs 132.7 GiB of 20.1 GiB usable) "
        "(mladmin capacity llama-3.1-70b --instance-types g5.2xlarge)")


def test_a_replica_is_sized_on_its_share_of_the_node_not_the_whole_node():
    # 70.55e9 x 2 + 327,680 x 4,096 bytes = 132.7 GiB; two of a g6e.12xlarge's four L40S of 45,776 MiB:
    # 2 x 44.70 GiB x 0.9 = 80.5 GiB usable, 52.2 GiB short
    groups = {"gpu-serving": ["g6e.12xlarge"]}
    (two,) = server_fits(_servers({"name": "chat", "architecture": "llama-3.1-70b", "gpus": 2}, node_groups=groups))
    assert "does not fit 2 of the 4 GPUs of g6e.12xlarge: 52.2 GiB short" in two.finding()
    # all four: 160.9 GiB usable, 28.3 GiB (17.6 %) free
    (four,) = server_fits(_servers({"name": "chat", "architecture": "llama-3.1-70b", "gpus": 4}, node_groups=groups))
    assert four.finding() is None and four.fit.usable_gib == 160.931


def test_a_server_is_checked_on_every_instance_type_its_node_group_may_start():
    groups = {"gpu-serving": ["g6e.xlarge", "g5.2xlarge"]}
    fits = server_fits(_servers({"name": "chat", "architecture": "gemma-2-27b", "gpus": 1}, node_groups=groups))
    # 27.23e9 x 2 + 376,832 x 4,096 bytes = 52.2 GiB: one L40S (40.2 GiB usable) and one A10G (20.1) are both short
    assert [(f.fit.instance_type, round(-f.fit.free_gib, 1)) for f in fits] == [("g6e.xlarge", 11.9), ("g5.2xlarge", 32.0)]


def test_model_servers_have_their_own_headroom_setting():
    server = {"name": "chat", "architecture": "llama-3.1-8b", "gpus": 1}   # 23.2 % of one A10G free
    (default,) = server_fits(_servers(server))
    (strict,) = server_fits(_servers(server, capacityHeadroomPercent=25))
    assert default.finding() is None
    assert "below the 25% headroom" in strict.finding()


def test_servers_without_an_architecture_are_not_sized():
    assert server_fits(_servers({"name": "chat", "gpus": 1})) == []


def test_prod_serves_its_chat_model_with_room_on_one_a10g():
    # 8.03e9 x 2 + 131,072 x 4,096 bytes = 15.5 GiB of 22,888 MiB x 0.9 = 20.1 GiB usable: 4.7 GiB (23.2 %) free
    (fit,) = server_fits(stack_config("prod"))
    assert (fit.server, fit.fit.instance_type, fit.finding()) == ("applied/chat", "g5.2xlarge", None)
    assert round(fit.fit.free_percent, 1) == 23.2


def test_plan_reports_a_model_server_that_does_not_fit(prod_preview_plan):
    config = copy.deepcopy(prod_preview_plan.config)
    workloads = config["mladmin:workloads"]
    workloads = json.loads(workloads) if isinstance(workloads, str) else workloads
    workloads["serving"][0]["architecture"] = "llama-3.1-70b"
    config["mladmin:workloads"] = workloads
    (finding,) = _capacity_findings(SimpleNamespace(config=config))
    assert finding.startswith("model server applied/chat (node group gpu-serving): llama-3.1-70b")


def test_the_shipped_stacks_have_no_capacity_findings(all_preview_plans):
    assert {name: _capacity_findings(plan) for name, plan in all_preview_plans.items()} == \
        {"dev": [], "staging": [], "prod": []}


@pytest.mark.parametrize("edit,key,expected", [
    (lambda s: s.update(architecture="llama-9"), "architecture", "is not a model of the capacity catalogue (expected one of llama-3.1-8b, "),
    (lambda s: s.update(architecture="llama-3.1-8b", gpus=0), "architecture", "is served on GPUs (expected gpus >= 1"),
])
def test_a_bad_server_architecture_is_one_settings_error_line(edit, key, expected):
    def change(config):
        edit(config["mladmin:workloads"]["serving"][0])
    (problem,) = problems("prod", change)
    assert problem.startswith(f"stacks/Pulumi.prod.yaml: mladmin:workloads.serving[0].{key}: ") and expected in problem


def test_an_endpoint_architecture_must_be_a_catalogue_model():
    def change(config):
        config["mladmin:sagemaker"]["endpoints"][0]["architecture"] = "gpt-5"
    (problem,) = problems("prod", change)
    assert problem.startswith("stacks/Pulumi.prod.yaml: mladmin:sagemaker.endpoints[0].architecture: 'gpt-5' is not")


def test_an_endpoint_serving_a_fine_tune_is_sized_as_its_architecture():
    (fit,) = endpoint_fits(_config({"name": "chat", "model": "chat-llm", "architecture": "llama-3.1-70b",
                                    "instanceType": "ml.g5.2xlarge"}))
    assert fit.model == "llama-3.1-70b" and "112.5 GiB short" in fit.finding()


def test_a_model_server_that_fits_is_priced_per_million_tokens_on_its_replicas_gpus():
    # One A10G per replica (t=1): (22,888 MiB x 0.9 - 16.06e9) / 536,870,912 = 10 sequences; a decode step reads
    # 16.06e9 + 10 x 536,870,912 bytes at 600 GB/s = 35.7145 ms -> 280.0 tokens/s; $1.212/h / (280.0 x 3,600) x 10^6
    (fit,) = server_fits(stack_config("prod"))
    assert (fit.estimate.tensor_parallel, fit.estimate.max_concurrency) == (1, 10)
    assert fit.estimate.tokens_per_second == pytest.approx(10 / 35.71451e-3, rel=1e-5)
    assert fit.estimate.usd_per_million_tokens == pytest.approx(1.2024, abs=1e-4)


def test_a_replica_whose_gpus_do_not_split_the_node_is_checked_but_not_priced():
    groups = {"gpu-serving": ["g6e.12xlarge"]}
    (fit,) = server_fits(_servers({"name": "chat", "architecture": "llama-3.1-8b", "gpus": 3}, node_groups=groups))
    assert fit.finding() is None and fit.estimate is None


def test_cost_prices_the_prod_model_server(prod_preview_plan):
    from mladmin.cli.cost import _model_servers

    (fit,) = _model_servers(prod_preview_plan)
    document = fit.to_json()
    assert (document["server"], document["gpus"], document["finding"]) == ("applied/chat", 1, None)
    assert document["estimate"]["usd_per_million_tokens"] == pytest.approx(1.2024, abs=1e-4)


def test_cost_prints_one_line_per_priced_model_server(prod_preview_plan, capsys):
    from mladmin.cli.cost import _model_server_lines, _model_servers

    _model_server_lines(_model_servers(prod_preview_plan))
    assert capsys.readouterr().out.splitlines() == [
        "serving: model server applied/chat (llama-3.1-8b on 1 GPU of g5.2xlarge): $1.20 per million output tokens at "
        "10 concurrent 4,096-token sequences per replica (roofline upper bound; mladmin capacity)"]


def test_a_quantised_checkpoint_is_sized_at_its_dtype():
    # Llama 3.1 70B in int4: 70.55e9 x 0.5 = 35.3e9 bytes + 327,680 x 4,096 of bf16 KV = 34.1 GiB of four A10Gs'
    # 4 x 22,888 MiB x 0.9 = 80.5 GiB: 46.4 GiB (57.6 %) free; in bf16 the same endpoint is 52.2 GiB short
    endpoint = {"name": "awq", "model": "chat-llm", "architecture": "llama-3.1-70b", "instanceType": "ml.g5.12xlarge"}
    (int4,) = endpoint_fits(_config({**endpoint, "dtype": "int4"}))
    (bf16,) = endpoint_fits(_config(endpoint))
    assert int4.finding() is None and round(int4.fit.free_gib, 1) == 46.4 and int4.estimate.fits
    assert "(bf16, one 4,096-token sequence) does not fit ml.g5.12xlarge: 52.2 GiB short" in bf16.finding()


def test_a_quantised_model_server_is_sized_at_its_dtype():
    groups = {"gpu-serving": ["g6e.xlarge"]}
    # 70.55e9 x 0.5 + 1,342,177,280 bytes = 34.1 GiB on one L40S (45,776 MiB x 0.9 = 40.2 GiB): 6.1 GiB (15.2 %) free
    (fit,) = server_fits(_servers({"name": "chat", "architecture": "llama-3.1-70b", "dtype": "int4", "gpus": 1},
                                  node_groups=groups))
    assert fit.finding() is None and round(fit.fit.free_percent, 1) == 15.2


@pytest.mark.parametrize("section,edit,expected", [
    ("serving", lambda s: (s.pop("architecture"), s.update(dtype="int4")),
     "mladmin:workloads.serving[0].dtype: int4 sizes a catalogue model's weights (expected architecture too"),
    ("endpoints", lambda e: e.update(dtype="int4"),
     "mladmin:sagemaker.endpoints[1].dtype: int4 sizes a catalogue model's weights (expected architecture too"),
    ("serving", lambda s: s.update(dtype="int3"), "mladmin:workloads.serving[0].dtype: "),
])
def test_a_dtype_needs_a_catalogue_architecture_and_a_known_type(section, edit, expected):
    def change(config):
        if section == "serving":
            edit(config["mladmin:workloads"]["serving"][0])
        else:
            edit(config["mladmin:sagemaker"]["endpoints"][1])   # embeddings-prod: not a catalogue model
    (problem,) = problems("prod", change)
    assert expected in problem


def test_a_finding_names_the_capacity_run_that_shows_the_same_numbers():
    # int4 weights of 70B (32.9 GiB) + one sequence (1.25 GiB) on one A10G (20.1 GiB usable): 14.0 GiB short either way
    (fit,) = endpoint_fits(_config({"name": "awq", "model": "chat-llm", "architecture": "llama-3.1-70b",
                                    "dtype": "int4", "instanceType": "ml.g5.2xlarge"}))
    assert fit.finding().endswith("14.0 GiB short (needs 34.1 GiB of 20.1 GiB usable) "
                                  "(mladmin capacity llama-3.1-70b --instance-types ml.g5.2xlarge --dtype int4)")
    (row,) = estimate(CATALOGUE["llama-3.1-70b"], Request(dtype="int4"), ["ml.g5.2xlarge"])
    assert round(row.shortfall_gib, 1) == 14.0
    # a replica on 2 of a node's 4 GPUs: the run fixes the degree at 2
    groups = {"gpu-serving": ["g6e.12xlarge"]}
    (server,) = server_fits(_servers({"name": "chat", "architecture": "llama-3.1-70b", "gpus": 2}, node_groups=groups))
    assert server.finding().endswith("(mladmin capacity llama-3.1-70b --instance-types g6e.12xlarge --tensor-parallel 2)")
    (row,) = estimate(CATALOGUE["llama-3.1-70b"], Request(), ["g6e.12xlarge"], degree=2)
    assert round(row.shortfall_gib, 1) == 52.2
