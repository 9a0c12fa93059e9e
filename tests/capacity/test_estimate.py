"""Each formula of mladmin/capacity/__init__.py against a figure computed by hand (Llama 3.1 70B unless named)."""

from __future__ import annotations

import pytest

from mladmin.capacity.estimate import (CapacityError, Request, all_reduce_seconds, bytes_per_step, candidate,
                                       communication_per_step, default_instance_types, estimate, kv_bytes_per_token,
                                       recommendation, sequences_per_replica, step_seconds, usable_bytes_per_gpu,
                                       weight_bytes)
from policies.facts.instance_types import accelerator_spec
from policies.facts.models import CATALOGUE

LLAMA_8B, LLAMA_70B, MIXTRAL = CATALOGUE["llama-3.1-8b"], CATALOGUE["llama-3.1-70b"], CATALOGUE["mixtral-8x7b"]
SEQUENCE_8K = 327_680 * 8_192  # 2,684,354,560 bytes of KV cache per 8,192-token sequence
SEQUENCE_4K_8B = 131_072 * 4_096  # Llama 3.1 8B: 2 x 32 x 8 x 128 x 2 bytes per token, 536,870,912 per 4,096 tokens
A10G, H100 = accelerator_spec("g5.12xlarge"), accelerator_spec("p5.48xlarge")
INFERENTIA2 = accelerator_spec("inf2.xlarge")


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


def test_one_ring_all_reduce_is_its_latency_plus_the_bytes_each_device_sends_one_way():
    # 4 A10Gs over PCIe (64 GB/s both ways, 32 one way), 142 sequences x 4,096 hidden x 2 bytes = 1,163,264 bytes:
    # 30 us + 2 x 3/4 x 1,163,264 / 32e9 = 30 + 54.528 = 84.528 us
    assert all_reduce_seconds(1_163_264, 4, 4, A10G) == pytest.approx(84.528e-6)
    # 8 H100s over NVLink (900 GB/s, 450 one way), 32 x 8,192 x 2 = 524,288 bytes: 10 + 1.75 x 1.16508 = 12.039 us
    assert all_reduce_seconds(524_288, 8, 8, H100) == pytest.approx(12.0390e-6, rel=1e-4)


def test_one_gpu_does_no_all_reduce_but_one_neuron_device_still_pays_the_latency_between_its_two_cores():
    assert all_reduce_seconds(1_000_000, 1, 1, A10G) == 0
    assert all_reduce_seconds(1_000_000, 1, 2, INFERENTIA2) == pytest.approx(10e-6)  # on-chip: no link traffic


def test_a_decode_step_does_two_all_reduces_per_layer():
    # Llama 3.1 8B on 4 A10Gs with 142 sequences: 2 x 32 layers x 84.528 us = 5.409792 ms
    assert communication_per_step(LLAMA_8B, 142, 4, A10G) == pytest.approx(5.409792e-3)


def test_a_decode_step_is_its_memory_time_plus_its_communication():
    # (16.06e9 + 142 x 536,870,912) / (4 x 600e9) = 92,295,669,504 / 2.4e12 = 38.4565 ms; + 5.4098 ms = 43.8663 ms
    assert step_seconds(LLAMA_8B, Request(context=4096), 142, 4, A10G) == pytest.approx(43.8663e-3, rel=1e-5)


def test_p5_roofline_throughput_and_cost_per_million_tokens_at_32_sequences():
    row = candidate(LLAMA_70B, Request(context=8192, concurrency=32), "p5.48xlarge")
    memory = (141_100_000_000 + 32 * SEQUENCE_8K) / (8 * 3350e9)  # 8.4701 ms
    communication = 2 * 80 * (10e-6 + 2 * 7 / 8 * 32 * 8192 * 2 / 450e9)  # 160 x 12.039 us = 1.9262 ms
    assert row.fits and row.tensor_parallel == 8 and row.replicas == 1 and row.max_concurrency == 177
    assert row.communication_ms == pytest.approx(communication * 1e3)
    assert row.tokens_per_second == pytest.approx(32 / (memory + communication))  # 32 / 10.3963 ms = 3,078 tokens/s
    assert row.instances == 1 and row.usd_per_hour_total == 55.04
    assert row.usd_per_million_tokens == pytest.approx(55.04 / (3078.0 * 3600) * 1e6, rel=1e-4)  # $4.97
    assert row.throughput_basis == "roofline upper bound"


def test_concurrency_beyond_one_instance_adds_instances():
    # 4 x L40S of 45,776 MiB: (4 x 45,776 x 2^20 x 0.9 - 141.1e9) / 2,684,354,560 = 11.8 -> 11 sequences; 32 need
    # 3 instances of 10.67 each
    row = candidate(LLAMA_70B, Request(context=8192, concurrency=32), "g6e.12xlarge")
    assert (row.max_concurrency, row.instances) == (11, 3)
    assert row.concurrency_per_instance == pytest.approx(32 / 3)


def test_requests_per_second_size_instances_at_full_concurrency():
    # 40 requests/s x 256 tokens = 10,240 tokens/s; one p5 at 177 sequences: memory (141.1e9 + 177 x 2,684,354,560)
    # / 26.8e12 = 22.9937 ms, all-reduces 160 x (10 us + 1.75 x 2,899,968 / 450e9) = 3.4044 ms:
    # 177 / 26.3981 ms = 6,705 tokens/s -> 2 instances
    row = candidate(LLAMA_70B, Request(context=8192, output_tokens=256, rps=40), "p5.48xlarge")
    assert row.tokens_per_second == pytest.approx(177 / 26.3981e-3, rel=1e-5)
    assert row.instances == 2


def test_measured_throughput_replaces_the_roofline():
    row = candidate(LLAMA_70B, Request(context=8192, measured_tps=1000), "p5.48xlarge")
    assert row.throughput_basis == "measured" and row.tokens_per_second == 1000 and row.communication_ms is None
    assert row.usd_per_million_tokens == pytest.approx(55.04 / 3.6)  # $15.29


def test_a_model_too_large_says_by_how_many_gib():
    # 141.1e9 + 2,684,354,560 - 4 x 22,888 MiB x 0.9 (86,399,306,957 bytes) = 57,385,047,603 bytes = 53.44 GiB
    row = candidate(LLAMA_70B, Request(context=8192), "g5.12xlarge")
    assert not row.fits and row.shortfall_gib == 53.44 and row.usd_per_million_tokens is None


def test_the_all_reduce_makes_two_replicas_of_four_a10gs_cheaper_than_one_of_eight():
    # g5.48xlarge, Llama 3.1 8B at 4,096 tokens, full concurrency (U = 22,888 MiB x 0.9 = 21,599,826,739 bytes):
    # t=8: (8U - 16.06e9) / 536,870,912 = 291 sequences; memory (16.06e9 + 291 x 536,870,912) / 4.8e12 = 35.894 ms,
    #      all-reduces 64 x (30 us + 1.75 x 291 x 8,192 / 32e9) = 64 x 160.37 us = 10.264 ms -> 291 / 46.157 ms = 6,305/s
    # t=4: 131 sequences per replica, 41.135 ms a step (below) -> 2 x 131 / 41.135 ms = 6,369/s: cheaper per token
    # (without the all-reduces t=8 would win: 291 / 35.894 ms = 8,107/s against 262 / 35.996 ms = 7,279/s)
    row = candidate(LLAMA_8B, Request(context=4096), "g5.48xlarge")
    assert (row.tensor_parallel, row.replicas, row.max_concurrency) == (4, 2, 262)
    assert row.tokens_per_second == pytest.approx(262 / 41.135327e-3, rel=1e-5)
    assert row.usd_per_million_tokens == pytest.approx(16.288 / (6369.22 * 3600) * 1e6, rel=1e-4)  # $0.710


def test_on_four_a10gs_the_widest_degree_still_wins_because_replicas_each_read_the_weights():
    # t=4: (4U - 16.06e9) / 536,870,912 = 131 sequences; memory (16.06e9 + 131 x 536,870,912) / 2.4e12 = 35.996 ms,
    # all-reduces 64 x (30 us + 1.5 x 131 x 8,192 / 32e9) = 5.139 ms -> 131 / 41.135 ms = 3,185/s;
    # t=1: 4 replicas of 10 sequences, (16.06e9 + 10 x 536,870,912) / 600e9 = 35.715 ms a step -> 40 / 35.715 ms =
    # 1,120/s: four copies of 16 GB of weights cost more than the PCIe all-reduces
    row = candidate(LLAMA_8B, Request(context=4096), "g5.12xlarge")
    assert (row.tensor_parallel, row.replicas, row.max_concurrency, row.interconnect) == (4, 1, 131, "PCIe")
    assert row.tokens_per_second == pytest.approx(131 / 41.135327e-3, rel=1e-5)
    assert row.communication_ms == pytest.approx(5.139456)


def test_an_inferentia2_replica_runs_on_one_chip_split_over_its_two_neuroncores():
    # inf2.xlarge, Llama 3.1 8B, 8 sequences: (32 GiB x 0.9 - 16.06e9) / 536,870,912 = 27 fit; memory
    # (16.06e9 + 8 x 536,870,912) / 820e9 = 24.8231 ms, all-reduces 64 x 10 us = 0.64 ms -> 8 / 25.4631 ms = 314.2/s
    row = candidate(LLAMA_8B, Request(context=4096, concurrency=8), "inf2.xlarge")
    assert (row.accelerator, row.devices, row.interconnect) == ("AWS Inferentia2", 1, "NeuronLink")
    assert (row.tensor_parallel, row.tensor_parallel_ranks, row.max_concurrency) == (1, 2, 27)
    assert row.communication_ms == pytest.approx(0.64)
    assert row.tokens_per_second == pytest.approx(8 / 25.4631e-3, rel=1e-5)
    assert row.usd_per_million_tokens == pytest.approx(0.7582 / (314.19 * 3600) * 1e6, rel=1e-4)  # $0.67


def test_neuron_degrees_need_not_divide_the_attention_heads():
    # inf2.48xlarge: 12 Inferentia2 chips; Llama 3.1 70B (64 heads) needs more than 4 chips of 32 GiB x 0.9, so only
    # t=6 or t=12 (24 NeuronCores; the Neuron SDK pads the heads) fit at 8,192 tokens
    row = candidate(LLAMA_70B, Request(context=8192, concurrency=32), "inf2.48xlarge")
    assert (row.tensor_parallel, row.tensor_parallel_ranks, row.replicas) == (12, 24, 1)
    assert recommendation(LLAMA_70B, [row]).startswith(
        "inf2.48xlarge: 2 × $12.98/h, tensor-parallel 12 (24 NeuronCores), $")


def test_more_ranks_than_kv_heads_store_each_kv_head_more_than_once():
    # t=12 is 24 ranks for Llama 3.1 70B's 8 KV heads: each head is held 3 times, 3 x 2,684,354,560 bytes a sequence;
    # (12 x 30,923,764,531 - 141.1e9) / 8,053,063,680 = 28.6 -> 28 sequences (85 if the heads were stored once),
    # so 32 concurrent need 2 instances of 16. A step reads 141.1e9 + 16 x 8,053,063,680 bytes at 12 x 820 GB/s =
    # 27.434 ms plus 160 all-reduces of 10 us + 2 x 11/12 x 262,144 bytes / 96e9 = 15.006 us (2.401 ms):
    # 16 / 29.835 ms = 536.3 tokens/s
    row = candidate(LLAMA_70B, Request(context=8192, concurrency=32), "inf2.48xlarge")
    assert (row.max_concurrency, row.instances, row.concurrency_per_instance) == (28, 2, 16)
    assert row.tokens_per_second == pytest.approx(16 / 29.835e-3, rel=1e-4)
    # on NVIDIA the degrees stop at the KV heads for these models: 8 GPUs, 8 heads, stored once
    assert candidate(LLAMA_70B, Request(context=8192), "p5.48xlarge").max_concurrency == 177


def test_a_model_too_large_for_an_inferentia2_chip_says_by_how_many_gib():
    # 141.1e9 + 2,684,354,560 - 32 GiB x 0.9 = 112,860,822,917 bytes = 105.11 GiB
    row = candidate(LLAMA_70B, Request(context=8192), "ml.inf2.xlarge")
    assert not row.fits and row.shortfall_gib == 105.11 and row.accelerator == "AWS Inferentia2"


def test_default_candidates_are_every_allowed_priced_accelerated_type_gpu_and_neuron():
    types = default_instance_types()
    assert {"inf2.xlarge", "ml.inf2.xlarge", "inf2.48xlarge", "trn1.32xlarge", "g5.12xlarge", "p5.48xlarge"} <= set(types)
    assert all(accelerator_spec(t) is not None for t in types) and len(types) == len(set(types))


def test_candidates_that_fit_come_first_cheapest_per_million_tokens_first():
    rows = estimate(LLAMA_70B, Request(context=8192, concurrency=32))
    fitting = [r.usd_per_million_tokens for r in rows if r.fits]
    assert fitting == sorted(fitting) and not any(r.fits for r in rows[len(fitting):])
    assert recommendation(LLAMA_70B, rows).startswith(rows[0].instance_type + ": ")


def test_context_beyond_the_models_maximum_is_refused():
    with pytest.raises(CapacityError, match="--context 200000: llama-3.1-70b holds at most 131,072 positions"):
        estimate(LLAMA_70B, Request(context=200_000))


def test_unknown_and_cpu_instance_types_are_refused():
    with pytest.raises(CapacityError, match="unknown instance type 'p9.huge'"):
        estimate(LLAMA_70B, Request(), ["p9.huge"])
    with pytest.raises(CapacityError, match="m5.xlarge: not an accelerated type"):
        estimate(LLAMA_70B, Request(), ["m5.xlarge"])


def test_concurrency_and_rps_together_are_refused():
    with pytest.raises(CapacityError, match="give one load, not both"):
        estimate(LLAMA_70B, Request(concurrency=4, rps=1.0))
