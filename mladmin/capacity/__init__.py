"""Capacity planning and unit economics: which accelerated instance (NVIDIA GPUs or AWS Neuron devices) serves a
model, how many, and what a million output tokens cost (``mladmin capacity``). Every figure comes from one of
these formulas; each is tested against a number computed by hand in tests/capacity/test_estimate.py.

Notation: P parameters, P_active those one token reads (mixture of experts: only k of E expert MLPs),
b(x) bytes per value of dtype x (bf16 2, fp8 1, int8 1, int4 0.5), L layers, h hidden size, H_kv key/value heads,
d head dimension, C context (prompt + output tokens a sequence holds), G devices per instance (GPUs, or Neuron
devices: chips), M memory per device (GiB, policies/facts/instance_types.py FAMILIES), BW memory bandwidth per
device (GB/s, ACCELERATOR_SPECS), t the tensor-parallel degree in devices per model replica, r = G / t replicas
per instance.

Neuron: a Neuron device holds c NeuronCores (2 per Inferentia2 or Trainium chip, 8 per Trainium2), and the Neuron
SDK's tensor-parallel degree counts cores. The formulas count devices, because memory and bandwidth are per device
(the cores of one chip share its HBM); the degree to configure is t × c (``tensor_parallel_ranks``). A replica on
one Neuron device still splits across its c cores, so it pays the all-reduce latency (6b) with no link traffic.

1. Weights:            W = P × b(dtype)
2. KV cache per token: K = 2 (keys and values) × L × H_kv × d × b(kv_dtype)
   (Llama 3.1 70B, bf16: 2 × 80 × 8 × 128 × 2 = 327,680 bytes)
3. KV per sequence:    S(t) = K × C × max(1, t × c / H_kv): with more tensor-parallel ranks than KV heads, each
   rank holds a whole copy of one head (vLLM: num_kv_heads per rank = max(1, H_kv / tp); the Neuron vLLM design
   notes show the same, 1 KV head per device at TP=64 with 8 heads). Llama 3.1 70B on inf2.48xlarge at t = 12:
   24 ranks, 8 heads, S × 3.
4. Usable memory:      U = M × 2^30 × (1 − RUNTIME_OVERHEAD) per device. RUNTIME_OVERHEAD = 10 % is held back for
   the CUDA context, activations, CUDA graphs and fragmentation (vLLM's default gpu_memory_utilization 0.9); the same
   share is assumed for the Neuron runtime.
5. Sequences a replica holds: n(t) = floor((t × U − W) / S(t)); the model fits with degree t when n(t) ≥ 1.
   On NVIDIA t is a power of two dividing G and the attention heads (vLLM's rule); on Neuron any t dividing G
   (the Neuron SDK pads the attention heads to the degree: from memory of its Llama samples, and optimum-neuron
   exports of Llama 2 7B, 32 heads, compiled for 24 NeuronCores). Of the degrees that fit, the one with the lowest
   $/M tokens (ties: the smaller t). Largest concurrency per instance: r × n(t).
   A model that fits with no t is short by W + S(t) − t × U bytes at the widest degree t (reported in GiB).
6. Decode step of a replica running β sequences (roofline: every weight and every sequence's KV cache read once
   per step from memory at full bandwidth, KV read at the full context C, the slowest step; plus the
   tensor-parallel all-reduces, which wait on the interconnect):
   a. Memory:  bytes(β) = P_read(β) × b(dtype) + β × S(t),  P_read(β) = P − (E − min(E, k × β)) × P_expert
               mem(β)   = bytes(β) / (t × BW × 10^9) seconds
   b. Communication: each layer does two all-reduces (attention output, MLP output) of m(β) = β × h × 2 bytes
      (bf16 activations). One ring all-reduce over the replica's t devices takes
               ar(β) = α + 2 (t − 1) / t × m(β) / (B_link / 2 × 10^9) seconds
      where B_link is the interconnect's GB/s per device as quoted (both directions; one direction is half) and
      α its fixed latency per all-reduce (ALL_REDUCE_LATENCY, an assumption per interconnect: NVLink 10 µs,
      PCIe 30 µs, NeuronLink 10 µs; held constant, though a real ring's latency grows with t).
      comm(β) = 2 × L × ar(β); zero when the replica is one GPU (t × c = 1).
      (Llama 3.1 8B on 4 A10Gs, 131 sequences: m = 131 × 4,096 × 2 = 1,073,152 bytes;
      ar = 30 µs + 1.5 × 1,073,152 / 32e9 = 80.3 µs; comm = 64 × 80.3 µs = 5.14 ms against mem 36.00 ms)
   c. step(β) = mem(β) + comm(β)
   Tokens/s of an instance running B sequences (β = B / r per replica): T(B) = B / step(B / r).
   This is an UPPER BOUND: it ignores compute and scheduling; real servers reach roughly half to four fifths of
   it (Neuron's compiled graphs and padded heads can leave more on the table). ``--measured-tps`` replaces T
   with a measurement. The communication term makes the degree a real choice: a wider t reads the weights
   once for more sequences but pays 2 × L all-reduces per step, most over PCIe (no NVLink: g4dn, g5, g6, g6e).
   Llama 3.1 8B on g5.48xlarge now runs as 2 replicas of t = 4 (6,369 tokens/s) rather than one of t = 8
   (6,305); on g5.12xlarge t = 4 still beats 4 replicas of t = 1 (3,185 against 1,120), whose four copies of
   the weights cost more memory time than the all-reduces.
7. Load: ``--concurrency N`` → instances I = ceil(N / (r × n(t))), each running B = N / I;
   ``--rps R`` → tokens/s needed R × output_tokens, instances I = ceil(R × output_tokens / T(r × n(t)))
   at full concurrency; neither → one instance at full concurrency.
8. $/hour = I × price (policies/facts/prices.py); $ per million output tokens = price / (T(B) × 3600) × 10^6
   (the same for one instance or I of them at the same B).
"""
