"""The estimate behind ``mladmin capacity``: the formulas of the package docstring, one function each."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Sequence

from policies.capacity_fit import (  # noqa: F401 (formulas 1-4 have one home, shared with the policy)
    DTYPE_BYTES, GIB, RUNTIME_OVERHEAD, kv_bytes_per_token, usable_bytes_per_gpu, weight_bytes)
from policies.facts.environments import GPU_INSTANCE_TYPES_ALLOWED
from policies.facts.instance_types import accelerators_per_instance, family_of, gpu_spec
from policies.facts.models import ModelArchitecture
from policies.facts.prices import instance_hourly

ROOFLINE, MEASURED = "roofline upper bound", "measured"


class CapacityError(ValueError):
    """Input the estimate cannot use; the message is one line for the user."""


@dataclass(frozen=True)
class Request:
    dtype: str = "bf16"
    kv_dtype: str = "bf16"
    context: int = 4096
    output_tokens: int = 256
    concurrency: int | None = None
    rps: float | None = None
    measured_tps: float | None = None


@dataclass(frozen=True)
class Candidate:
    instance_type: str
    gpu: str
    gpus: int
    gpu_memory_gib: float
    interconnect: str  # NVLink or PCIe: the tensor-parallel all-reduce the roofline leaves out runs over it
    fits: bool
    shortfall_gib: float  # 0 when it fits
    tensor_parallel: int | None
    replicas: int
    max_concurrency: int
    concurrency_per_instance: float
    tokens_per_second: float | None  # per instance at that concurrency
    throughput_basis: str
    instances: int | None
    usd_per_hour: float
    usd_per_hour_total: float | None
    usd_per_million_tokens: float | None

    def to_json(self) -> dict:
        return asdict(self)


def sequences_per_replica(weights: float, per_sequence: float, gpus: int, memory_gib: float) -> int:
    return max(0, math.floor((gpus * usable_bytes_per_gpu(memory_gib) - weights) / per_sequence))


def expert_parameters(model: ModelArchitecture) -> int:
    """Parameters of one expert MLP across all layers (0 for a dense model)."""
    return 3 * model.hidden_size * model.intermediate_size * model.layers if model.experts > 1 else 0


def bytes_per_step(model: ModelArchitecture, request: Request, batch: float) -> float:
    """Bytes one decode step of a replica reads with ``batch`` sequences (formula 6)."""
    unread_experts = model.experts - min(model.experts, model.experts_per_token * max(batch, 1.0))
    read = model.parameters - unread_experts * expert_parameters(model)
    return read * DTYPE_BYTES[request.dtype] + batch * kv_bytes_per_token(model, request.kv_dtype) * request.context


def tokens_per_second(model: ModelArchitecture, request: Request, batch: float, replicas: int, degree: int,
                      bandwidth_gbs: float) -> float:
    """Roofline decode tokens/s of an instance running ``batch`` sequences over ``replicas`` replicas."""
    step = bytes_per_step(model, request, batch / replicas) / (degree * bandwidth_gbs * 1e9)
    return batch / step


def default_instance_types() -> list[str]:
    """The NVIDIA GPU types any environment allows, in a stable order."""
    seen = dict.fromkeys(t for env in GPU_INSTANCE_TYPES_ALLOWED.values() for t in env if gpu_spec(t))
    return list(seen)


def check_request(model: ModelArchitecture, request: Request) -> None:
    for label, value in (("--dtype", request.dtype), ("--kv-dtype", request.kv_dtype)):
        if value not in DTYPE_BYTES:
            raise CapacityError(f"{label} {value!r}: expected one of {', '.join(DTYPE_BYTES)}")
    if request.context < 1 or request.context > model.max_positions:
        raise CapacityError(f"--context {request.context}: {model.name} holds at most {model.max_positions:,} "
                            "positions (max_position_embeddings)")
    if not 1 <= request.output_tokens <= request.context:
        raise CapacityError(f"--output-tokens {request.output_tokens}: expected 1 to --context ({request.context})")
    if request.concurrency is not None and request.rps is not None:
        raise CapacityError("--concurrency and --rps: give one load, not both")
    for label, value in (("--concurrency", request.concurrency), ("--rps", request.rps),
                         ("--measured-tps", request.measured_tps)):
        if value is not None and value <= 0:
            raise CapacityError(f"{label} {value}: expected a positive number")


def check_instance_type(instance_type: str) -> None:
    if family_of(instance_type) is None:
        raise CapacityError(f"unknown instance type {instance_type!r}: expected an EC2 or ml. type listed in "
                            "policies/facts/instance_types.py")
    if gpu_spec(instance_type) is None:
        raise CapacityError(f"{instance_type}: not an NVIDIA GPU type (capacity planning covers NVIDIA GPUs)")
    if instance_hourly(instance_type) is None:
        raise CapacityError(f"{instance_type}: no price in policies/facts/prices.py")


def _degrees(model: ModelArchitecture, gpus: int) -> list[int]:
    return [t for t in (1, 2, 4, 8, 16) if t <= gpus and gpus % t == 0 and model.attention_heads % t == 0]


def candidate(model: ModelArchitecture, request: Request, instance_type: str) -> Candidate:
    check_instance_type(instance_type)
    family, spec = family_of(instance_type), gpu_spec(instance_type)
    assert family is not None and spec is not None
    gpus, memory = accelerators_per_instance(instance_type), family.device_memory_gib
    price = instance_hourly(instance_type).usd  # type: ignore[union-attr]
    weights = weight_bytes(model, request.dtype)
    per_sequence = kv_bytes_per_token(model, request.kv_dtype) * request.context
    best: Candidate | None = None
    for degree in _degrees(model, gpus):
        per_replica = sequences_per_replica(weights, per_sequence, degree, memory)
        if per_replica < 1:
            continue
        replicas = gpus // degree
        option = _priced(model, request, instance_type, spec, family.device or "", gpus, memory, price, degree,
                         replicas, replicas * per_replica)
        if best is None or option.usd_per_million_tokens < best.usd_per_million_tokens:  # type: ignore[operator]
            best = option
    if best is not None:
        return best
    shortfall = (weights + per_sequence - gpus * usable_bytes_per_gpu(memory)) / GIB
    return Candidate(instance_type, family.device or "", gpus, memory, spec.interconnect, False, round(shortfall, 2), None, 0, 0, 0.0,
                     None, ROOFLINE if request.measured_tps is None else MEASURED, None, price, None, None)


def _priced(model, request, instance_type, spec, device, gpus, memory, price, degree, replicas,
            max_concurrency) -> Candidate:
    def throughput(batch: float) -> float:
        if request.measured_tps is not None:
            return request.measured_tps
        return tokens_per_second(model, request, batch, replicas, degree, spec.memory_bandwidth_gbs)

    if request.concurrency is not None:
        instances = math.ceil(request.concurrency / max_concurrency)
        batch = request.concurrency / instances
    else:
        batch = float(max_concurrency)
        instances = math.ceil(request.rps * request.output_tokens / throughput(batch)) if request.rps else 1
    tps = throughput(batch)
    return Candidate(instance_type, device, gpus, memory, spec.interconnect, True, 0.0, degree, replicas, max_concurrency, batch, tps,
                     ROOFLINE if request.measured_tps is None else MEASURED, instances, price,
                     round(instances * price, 4), price / (tps * 3600) * 1e6)


def estimate(model: ModelArchitecture, request: Request, instance_types: Sequence[str] | None = None) -> list[Candidate]:
    """Every candidate, those that fit first, cheapest per million output tokens first."""
    check_request(model, request)
    rows = [candidate(model, request, t) for t in (instance_types or default_instance_types())]
    return sorted(rows, key=lambda c: (not c.fits, c.usd_per_million_tokens or 0.0, c.shortfall_gib, c.instance_type))


def recommendation(model: ModelArchitecture, rows: Sequence[Candidate]) -> str:
    fitting = [c for c in rows if c.fits]
    if not fitting:
        closest = min(rows, key=lambda c: c.shortfall_gib)
        return (f"{model.name} fits none of these types: the closest, {closest.instance_type}, is short by "
                f"{closest.shortfall_gib:,.1f} GiB; try a smaller --dtype, a shorter --context or a larger type.")
    best = fitting[0]
    return (f"{best.instance_type}: {best.instances} × ${best.usd_per_hour:,.2f}/h, tensor-parallel {best.tensor_parallel}, "
            f"${best.usd_per_million_tokens:,.4g} per million output tokens ({best.throughput_basis}).")
