"""Each formula of mladmin/capacity/__init__.py against a figure computed by hand (Llama 3.1 70B unless named)."""

from __future__ import annotations

import pytest

from mladmin.capacity.estimate import (CapacityError, Request, bytes_per_step, candidate, estimate,
                                       kv_bytes_per_token, recommendation, sequences_per_replica,
                                       usable_bytes_per_gpu, weight_bytes)
from policies.facts.models import CATALOGUE

LLAMA_70B, MIXTRAL = CATALOGUE["llama-3.1-70b"], CATALOGUE["mixtral-8x7b"]
SEQUENCE_8K = 327_680 * 8_192  # 2,684,354,560 bytes of KV cache per 8,192-token sequence


def test_kv_cache_per_token_with_grouped_query_attention():
    assert kv_bytes_per_token(LLAMA_70B, "bf16") == 2 * 80 * 8 * 128 * 2 == 327_680
    assert kv_bytes_per_token(LLAMA_70B, "fp8") == 163_840


def test_weights_scale_with_the_dtype():
    assert weight_bytes(LLAMA_70B, "bf16") == 141_100_000_000
    assert weight_bytes(LLAMA_70B, "int4") == 35_275_000_000


def test_runtime_overhead_holds_back_a_tenth_of_gpu_memory():
    assert usable_bytes_per_gpu(80) == 80 * 2**30 * 0.9 == 77_309_411_328


def test_sequences_that_fit_on_eight_h100s_at_8k():
    # (8 x 77,309,411,328 - 141,100,000,000) / 2,684,354,560 = 177.8
    assert sequences_per_replica(141_100_000_000, SEQUENCE_8K, 8, 80) == 177


def test_decode_step_reads_the_weights_and_every_sequences_kv_cache():
    request = Request(context=8192)
    assert bytes_per_step(LLAMA_70B, request, 32) == 141_100_000_000 + 32 * SEQUENCE_8K


def test_a_mixture_of_experts_reads_only_the_routed_experts_at_batch_one():
    expert = 3 * 4096 * 14336 * 32  # one expert's MLPs over 32 layers: 5,637,144,576 parameters
    request = Request(context=1024)
    assert bytes_per_step(MIXTRAL, request, 1) == (46_700_000_000 - 6 * expert) * 2 + 1 * 131_072 * 1024
    assert bytes_per_step(MIXTRAL, request, 4) == 46_700_000_000 * 2 + 4 * 131_072 * 1024  # 4 x 2 >= 8 experts


def test_p5_roofline_throughput_and_cost_per_million_tokens_at_32_sequences():
    row = candidate(LLAMA_70B, Request(context=8192, concurrency=32), "p5.48xlarge")
    step = (141_100_000_000 + 32 * SEQUENCE_8K) / (8 * 3350e9)  # 0.0084701 s
    assert row.fits and row.tensor_parallel == 8 and row.replicas == 1 and row.max_concurrency == 177
    assert row.tokens_per_second == pytest.approx(32 / step)  # 3,778 tokens/s
    assert row.instances == 1 and row.usd_per_hour_total == 55.04
    assert row.usd_per_million_tokens == pytest.approx(55.04 / (32 / step * 3600) * 1e6)  # $4.05
    assert row.throughput_basis == "roofline upper bound"


def test_concurrency_beyond_one_instance_adds_instances():
    # 4 x L40S: (4 x 48 GiB x 0.9 - 141.1e9) / 2,684,354,560 = 16.6 -> 16 sequences; 32 need 2 instances
    row = candidate(LLAMA_70B, Request(context=8192, concurrency=32), "g6e.12xlarge")
    assert (row.max_concurrency, row.instances, row.concurrency_per_instance) == (16, 2, 16)


def test_requests_per_second_size_instances_at_full_concurrency():
    # 40 requests/s x 256 tokens = 10,240 tokens/s; one p5 at 177 sequences:
    # 177 / ((141.1e9 + 177 x 2,684,354,560) / 26.8e12) = 7,698 tokens/s -> 2 instances
    row = candidate(LLAMA_70B, Request(context=8192, output_tokens=256, rps=40), "p5.48xlarge")
    assert row.tokens_per_second == pytest.approx(177 / ((141_100_000_000 + 177 * SEQUENCE_8K) / 26.8e12))
    assert row.instances == 2


def test_measured_throughput_replaces_the_roofline():
    row = candidate(LLAMA_70B, Request(context=8192, measured_tps=1000), "p5.48xlarge")
    assert row.throughput_basis == "measured" and row.tokens_per_second == 1000
    assert row.usd_per_million_tokens == pytest.approx(55.04 / 3.6)  # $15.29


def test_a_model_too_large_says_by_how_many_gib():
    # 141.1e9 + 2,684,354,560 - 4 x 24 GiB x 0.9 = 51,013,060,966 bytes = 47.51 GiB
    row = candidate(LLAMA_70B, Request(context=8192), "g5.12xlarge")
    assert not row.fits and row.shortfall_gib == 47.51 and row.usd_per_million_tokens is None


def test_the_roofline_prefers_the_widest_tensor_parallel_degree_and_names_the_interconnect():
    # one replica over 4 L40S holds (4 x 48 GiB x 0.9 - 16.06e9) / (131,072 x 4,096) = 315.7 sequences, more than
    # four replicas of 16 GB of weights each; the roofline leaves out the PCIe all-reduce it then pays for
    row = candidate(CATALOGUE["llama-3.1-8b"], Request(context=4096), "g6e.12xlarge")
    assert (row.tensor_parallel, row.replicas, row.max_concurrency) == (4, 1, 315)
    assert row.interconnect == "PCIe"


def test_candidates_that_fit_come_first_cheapest_per_million_tokens_first():
    rows = estimate(LLAMA_70B, Request(context=8192, concurrency=32))
    fitting = [r.usd_per_million_tokens for r in rows if r.fits]
    assert fitting == sorted(fitting) and not any(r.fits for r in rows[len(fitting):])
    assert recommendation(LLAMA_70B, rows).startswith(rows[0].instance_type + ": ")


def test_context_beyond_the_models_maximum_is_refused():
    with pytest.raises(CapacityError, match="--context 200000: llama-3.1-70b holds at most 131,072 positions"):
        estimate(LLAMA_70B, Request(context=200_000))


def test_unknown_and_non_gpu_instance_types_are_refused():
    with pytest.raises(CapacityError, match="unknown instance type 'p9.huge'"):
        estimate(LLAMA_70B, Request(), ["p9.huge"])
    with pytest.raises(CapacityError, match="m5.xlarge: not an NVIDIA GPU type"):
        estimate(LLAMA_70B, Request(), ["m5.xlarge"])


def test_concurrency_and_rps_together_are_refused():
    with pytest.raises(CapacityError, match="give one load, not both"):
        estimate(LLAMA_70B, Request(concurrency=4, rps=1.0))
