"""`mladmin capacity` as a user runs it: piped, the ranked table, --json's schema and one-line errors."""

from __future__ import annotations

import json

import pytest

from tests.cli.helpers import mladmin

CANDIDATE_KEYS = {"instance_type", "accelerator", "devices", "device_memory_gib", "interconnect", "fits",
                  "shortfall_gib", "tensor_parallel", "tensor_parallel_ranks", "replicas", "max_concurrency",
                  "concurrency_per_instance", "tokens_per_second", "communication_ms", "throughput_basis", "instances",
                  "usd_per_hour", "usd_per_hour_total", "usd_per_million_tokens",
                  "gpu", "gpus", "gpu_memory_gib"}  # the first release's names, kept


def test_json_keeps_the_first_release_names_beside_the_new_ones(llama_70b_json):
    for row in llama_70b_json["candidates"]:
        assert (row["gpu"], row["gpus"], row["gpu_memory_gib"]) == (
            row["accelerator"], row["devices"], row["device_memory_gib"])


@pytest.fixture(scope="module")
def llama_70b_json():
    result = mladmin("capacity", "llama-3.1-70b", "--context", "8192", "--concurrency", "32", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_json_follows_the_documented_schema(llama_70b_json):
    assert set(llama_70b_json) == {"model", "request", "memory", "candidates", "recommendation"}
    assert llama_70b_json["memory"]["kv_bytes_per_token"] == 327_680
    assert all(set(row) == CANDIDATE_KEYS for row in llama_70b_json["candidates"])


def test_table_ranks_fitting_types_by_cost_per_million_tokens_and_recommends_the_first(llama_70b_json):
    result = mladmin("capacity", "llama-3.1-70b", "--context", "8192", "--concurrency", "32")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("instance "))
    names = [line.split()[0] for line in lines[header + 1:-1]]
    assert names == [row["instance_type"] for row in llama_70b_json["candidates"]]
    assert lines[-1] == "recommended: " + llama_70b_json["recommendation"]
    assert "roofline upper bound" in result.stdout and "no, 53.4 GiB short" in result.stdout


def test_neuron_rows_name_the_accelerator_and_the_neuroncores_to_configure():
    result = mladmin("capacity", "llama-3.1-8b", "--instance-types", "inf2.48xlarge,ml.inf2.xlarge")
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line for line in result.stdout.splitlines() if line.startswith(("inf2.", "ml.inf2."))}
    assert "12x Inferentia2 32G NeuronLink" in rows["inf2.48xlarge"] and " cores)" in rows["inf2.48xlarge"]
    assert "1x Inferentia2 32G " in rows["ml.inf2.xlarge"] and "1 (2 cores)" in rows["ml.inf2.xlarge"]


def test_instance_types_limit_the_candidates_and_measured_tps_prices_them():
    result = mladmin("capacity", "llama-3.1-8b", "--instance-types", "g6e.xlarge,ml.g5.2xlarge",
                     "--measured-tps", "500", "--json")
    rows = json.loads(result.stdout)["candidates"]
    assert {row["instance_type"] for row in rows} == {"g6e.xlarge", "ml.g5.2xlarge"}
    assert all(row["throughput_basis"] == "measured" and row["tokens_per_second"] == 500 for row in rows)


@pytest.mark.parametrize("args, message", [
    (("gpt-5",), "error: unknown model 'gpt-5'"),
    (("llama-3.1-70b", "--instance-types", "p9.huge"), "error: unknown instance type 'p9.huge'"),
    (("gemma-2-9b", "--context", "16384"), "error: --context 16384: gemma-2-9b holds at most 8,192 positions"),
    (("mistral-7b", "--dtype", "fp4"), "error: --dtype 'fp4': expected one of"),
    (("llama-3.1-8b", "--tensor-parallel", "3", "--instance-types", "g5.12xlarge"),
     "error: 3 devices per replica do not split g5.12xlarge (4 devices) into equal tensor-parallel replicas"),
    (("llama-3.1-8b", "--tensor-parallel", "0"), "error: --tensor-parallel 0: expected a positive number"),
    (("llama-3.1-8b", "--rps", "nan"), "error: --rps nan: expected a positive finite number"),
    (("llama-3.1-8b", "--context", "0"), "error: --context 0: expected 1 to 131,072 tokens"),
])
def test_bad_input_is_one_line_and_exit_2(args, message):
    result = mladmin("capacity", *args)
    assert result.returncode == 2 and result.stderr.startswith(message), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_a_fixed_tensor_parallel_degree_leaves_out_the_default_types_it_cannot_split():
    result = mladmin("capacity", "llama-3.1-8b", "--tensor-parallel", "4", "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["request"]["tensor_parallel"] == 4
    assert document["candidates"] and all(row["tensor_parallel"] in (4, None) and row["devices"] % 4 == 0
                                          for row in document["candidates"])
