"""Capacity planning and unit economics: which GPU instance serves a model, how many, and what a million
output tokens cost (``mladmin capacity``). Every figure comes from one of these formulas; each is tested
against a number computed by hand in tests/capacity/test_estimate.py.

Notation: P parameters, P_active those one token reads (mixture of experts: only k of E expert MLPs),
b(x) bytes per value of dtype x (bf16 2, fp8 1, int8 1, int4 0.5), L layers, H_kv key/value heads,
d head dimension, C context (prompt + output tokens a sequence holds), G GPUs per instance, M memory per
GPU (GiB, policies/facts/instance_types.py FAMILIES), BW memory bandwidth per GPU (GB/s, GPU_SPECS),
t the tensor-parallel degree (GPUs per model replica), r = G / t replicas per instance.

1. Weights:            W = P × b(dtype)
2. KV cache per token: K = 2 (keys and values) × L × H_kv × d × b(kv_dtype)
   (Llama 3.1 70B, bf16: 2 × 80 × 8 × 128 × 2 = 327,680 bytes)
3. KV per sequence:    S = K × C
4. Usable memory:      U = M × 2^30 × (1 − RUNTIME_OVERHEAD) per GPU. RUNTIME_OVERHEAD = 10 % is held back for
   the CUDA context, activations, CUDA graphs and fragmentation (vLLM's default gpu_memory_utilization 0.9).
5. Sequences a replica holds: n(t) = floor((t × U − W) / S); the model fits with degree t when n(t) ≥ 1.
   t is a power of two dividing G and the attention heads; of those that fit, the one with the lowest
   $/M tokens (ties: the smaller t). Largest concurrency per instance: r × n(t).
   A model that fits with no t is short by W + S − G × U bytes (reported in GiB).
6. Decode step of a replica running β sequences (roofline: every weight and every sequence's KV cache
   read once per step from memory at full bandwidth; KV read at the full context C, the slowest step):
       bytes(β) = P_read(β) × b(dtype) + β × S,  P_read(β) = P − (E − min(E, k × β)) × P_expert
       step(β)  = bytes(β) / (t × BW × 10^9) seconds
   Tokens/s of an instance running B sequences (β = B / r per replica): T(B) = B / step(B / r).
   This is an UPPER BOUND: it ignores compute, tensor-parallel communication and scheduling; real
   servers reach roughly half to four fifths of it. ``--measured-tps`` replaces T with a measurement.
   Leaving out the all-reduce means the roofline always favours the widest degree t (weights held once,
   more room for KV); on PCIe-linked GPUs (no NVLink: g4dn, g5, g6, g6e) that costs most, and each
   candidate names its interconnect.
7. Load: ``--concurrency N`` → instances I = ceil(N / (r × n(t))), each running B = N / I;
   ``--rps R`` → tokens/s needed R × output_tokens, instances I = ceil(R × output_tokens / T(r × n(t)))
   at full concurrency; neither → one instance at full concurrency.
8. $/hour = I × price (policies/facts/prices.py); $ per million output tokens = price / (T(B) × 3600) × 10^6
   (the same for one instance or I of them at the same B).
"""
