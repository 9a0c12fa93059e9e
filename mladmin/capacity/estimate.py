"""The estimate behind ``mladmin capacity``: the formulas of the package docstring, one function each."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Sequence

from policies.capacity_fit import (  # noqa: F401 (formulas 1-4 have one home, shared with the policy)
    DTYPE_BYTES, GIB, RUNTIME_OVERHEAD, kv_bytes_per_token, kv_copies, usable_bytes_per_gpu, weight_bytes)
from policies.facts.environments import GPU_INSTANCE_TYPES_ALLOWED
from policies.facts.instance_types import (ALL_REDUCE_LATENCY, AcceleratorSpec, accelerator_spec,
                                           accelerators_per_instance, family_of)
from policies.facts.models import ModelArchitecture
from policies.facts.prices import instance_hourly

ROOFLINE, MEASURED = "roofline upper bound", "measured"
ACTIVATION_BYTES = 2  # bf16 activations in the tensor-parallel all-reduces, whatever the weights' dtype


class CapacityError(ValueError):
    """Input the estimate cannot use; the message is one line for the user."""


class DegreeError(CapacityError):
    """A fixed tensor-parallel degree that does not split an instance type into equal replicas."""


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
    accelerator: str  # the device, e.g. "NVIDIA H100" or "AWS Inferentia2"
    devices: int  # GPUs or Neuron devices per instance
    device_memory_gib: float
    interconnect: str  # NVLink, PCIe or NeuronLink: what the tensor-parallel all-reduces run over
    fits: bool
    shortfall_gib: float  # 0 when it fits
    tensor_parallel: int | None  # devices per model replica
    tensor_parallel_ranks: int | None  # what the server's tensor-parallel degree counts: GPUs, or NeuronCores
    replicas: int
    max_concurrency: int
    concurrency_per_instance: float
    tokens_per_second: float | None  # per instance at that concurrency
    communication_ms: float | None  # all-reduce time of one decode step at that concurrency (roofline)
    throughput_basis: str
    instances: int | None
    usd_per_hour: float
    usd_per_hour_total: float | None
    usd_per_million_tokens: float | None

    def to_json(self) -> dict:
        # gpu, gpus and gpu_memory_gib are the first release's names of accelerator, devices and device_memory_gib:
        # kept for the tools that read them.
        return {**asdict(self), "gpu": self.accelerator, "gpus": self.devices, "gpu_memory_gib": self.device_memory_gib}


def sequences_per_replica(weights: float, per_sequence: float, devices: int, memory_gib: float) -> int:
    return max(0, math.floor((devices * usable_bytes_per_gpu(memory_gib) - weights) / per_sequence))


def expert_parameters(model: ModelArchitecture) -> int:
    """Parameters of one expert MLP across all layers (0 for a dense model)."""
    return 3 * model.hidden_size * model.intermediate_size * model.layers if model.experts > 1 else 0


def sequence_bytes(model: ModelArchitecture, request: Request, ranks: int) -> float:
    """KV cache one sequence takes in a replica of ``ranks`` tensor-parallel ranks (formula 3)."""
    return kv_bytes_per_token(model, request.kv_dtype) * request.context * kv_copies(model, ranks)


def bytes_per_step(model: ModelArchitecture, request: Request, batch: float, ranks: int = 1) -> float:
    """Bytes one decode step of a replica of ``ranks`` ranks reads with ``batch`` sequences (formula 6a)."""
    unread_experts = model.experts - min(model.experts, model.experts_per_token * max(batch, 1.0))
    read = model.parameters - unread_experts * expert_parameters(model)
    return read * DTYPE_BYTES[request.dtype] + batch * sequence_bytes(model, request, ranks)


def all_reduce_seconds(payload_bytes: float, degree: int, ranks: int, spec: AcceleratorSpec) -> float:
    """One ring all-reduce of ``payload_bytes`` across a replica's ``degree`` devices (formula 6b); ``ranks`` are the
    processes taking part (devices × cores per device): none to wait for when there is one."""
    if ranks == 1:
        return 0.0
    per_direction = spec.interconnect_gbs / 2 * 1e9
    alpha = ALL_REDUCE_LATENCY[spec.interconnect].microseconds * 1e-6
    return alpha + 2 * (degree - 1) / degree * payload_bytes / per_direction


def communication_per_step(model: ModelArchitecture, batch: float, degree: int, spec: AcceleratorSpec) -> float:
    """Seconds a replica's decode step spends in all-reduces with ``batch`` sequences (formula 6b): two per layer
    (attention output, MLP output) of batch × hidden_size bf16 activations."""
    payload = batch * model.hidden_size * ACTIVATION_BYTES
    return 2 * model.layers * all_reduce_seconds(payload, degree, degree * spec.cores_per_device, spec)


def step_seconds(model: ModelArchitecture, request: Request, batch: float, degree: int,
                 spec: AcceleratorSpec) -> float:
    """One decode step of a replica running ``batch`` sequences: memory time plus communication (formula 6c)."""
    memory = bytes_per_step(model, request, batch, degree * spec.cores_per_device) / (
        degree * spec.memory_bandwidth_gbs * 1e9)
    return memory + communication_per_step(model, batch, degree, spec)


def tokens_per_second(model: ModelArchitecture, request: Request, batch: float, replicas: int, degree: int,
                      spec: AcceleratorSpec) -> float:
    """Roofline decode tokens/s of an instance running ``batch`` sequences over ``replicas`` replicas."""
    return batch / step_seconds(model, request, batch / replicas, degree, spec)


def default_instance_types() -> list[str]:
    """The accelerated types (GPU or Neuron) any environment allows that have a price, in a stable order."""
    seen = dict.fromkeys(t for env in GPU_INSTANCE_TYPES_ALLOWED.values() for t in env
                         if accelerator_spec(t) and instance_hourly(t))
    return list(seen)


def check_request(model: ModelArchitecture, request: Request) -> None:
    for label, value in (("--dtype", request.dtype), ("--kv-dtype", request.kv_dtype)):
        if value not in DTYPE_BYTES:
            raise CapacityError(f"{label} {value!r}: expected one of {', '.join(DTYPE_BYTES)}")
    if request.context < 1:
        raise CapacityError(f"--context {request.context}: expected 1 to {model.max_positions:,} tokens")
    if request.context > model.max_positions:
        raise CapacityError(f"--context {request.context}: {model.name} holds at most {model.max_positions:,} "
                            "positions (max_position_embeddings)")
    if not 1 <= request.output_tokens <= request.context:
        raise CapacityError(f"--output-tokens {request.output_tokens}: expected 1 to --context ({request.context})")
    if request.concurrency is not None and request.rps is not None:
        raise CapacityError("--concurrency and --rps: give one load, not both")
    for label, value in (("--concurrency", request.concurrency), ("--rps", request.rps),
                         ("--measured-tps", request.measured_tps)):
        if value is not None and not (math.isfinite(value) and value > 0):
            raise CapacityError(f"{label} {value}: expected a positive finite number")


def check_instance_type(instance_type: str) -> None:
    if family_of(instance_type) is None:
        raise CapacityError(f"unknown instance type {instance_type!r}: expected an EC2 or ml. type listed in "
                            "policies/facts/instance_types.py")
    if accelerator_spec(instance_type) is None:
        raise CapacityError(f"{instance_type}: not an accelerated type (capacity planning covers NVIDIA GPUs and "
                            "AWS Neuron devices)")
    if instance_hourly(instance_type) is None:
        raise CapacityError(f"{instance_type}: no price in policies/facts/prices.py")


def _degrees(model: ModelArchitecture, devices: int, spec: AcceleratorSpec) -> list[int]:
    """Tensor-parallel degrees (devices per replica) that split an instance into equal replicas (formula 5)."""
    if spec.interconnect == "NeuronLink":  # Neuron pads the attention heads to the degree
        return [t for t in range(1, devices + 1) if devices % t == 0]
    return [t for t in (1, 2, 4, 8, 16) if t <= devices and devices % t == 0 and model.attention_heads % t == 0]


def candidate(model: ModelArchitecture, request: Request, instance_type: str, degree: int | None = None) -> Candidate:
    """The cheapest way to serve ``model`` on ``instance_type`` per million output tokens; with ``degree``, the
    replicas are that many devices each (a Kubernetes model server's ``gpus``) and no other split is tried."""
    check_instance_type(instance_type)
    family, spec = family_of(instance_type), accelerator_spec(instance_type)
    assert family is not None and spec is not None
    devices, memory = accelerators_per_instance(instance_type), family.device_memory_gib
    price = instance_hourly(instance_type).usd  # type: ignore[union-attr]
    weights = weight_bytes(model, request.dtype)
    degrees = _degrees(model, devices, spec)
    if degree is not None:
        if degree not in degrees:
            raise DegreeError(f"{degree} devices per replica do not split {instance_type} ({devices} devices) into "
                                f"equal tensor-parallel replicas of {model.name} (expected one of "
                                f"{', '.join(map(str, degrees))})")
        degrees = [degree]
    best: Candidate | None = None
    for degree in degrees:
        per_replica = sequences_per_replica(weights, sequence_bytes(model, request, degree * spec.cores_per_device),
                                            degree, memory)
        if per_replica < 1:
            continue
        option = _priced(model, request, instance_type, family.device or "", spec, devices, memory, price, degree,
                         per_replica)
        if best is None or option.usd_per_million_tokens < best.usd_per_million_tokens:  # type: ignore[operator]
            best = option
    if best is not None:
        return best
    widest = max(degrees)
    shortfall = (weights + sequence_bytes(model, request, widest * spec.cores_per_device)
                 - widest * usable_bytes_per_gpu(memory)) / GIB
    return Candidate(instance_type, family.device or "", devices, round(memory, 3), spec.interconnect, False,
                     round(shortfall, 2), None, None, 0, 0, 0.0, None, None,
                     ROOFLINE if request.measured_tps is None else MEASURED, None, price, None, None)


def _priced(model: ModelArchitecture, request: Request, instance_type: str, device: str, spec: AcceleratorSpec,
            devices: int, memory: float, price: float, degree: int, per_replica: int) -> Candidate:
    replicas = devices // degree
    max_concurrency = replicas * per_replica

    def throughput(batch: float) -> float:
        if request.measured_tps is not None:
            return request.measured_tps
        return tokens_per_second(model, request, batch, replicas, degree, spec)

    if request.concurrency is not None:
        instances = math.ceil(request.concurrency / max_concurrency)
        batch = request.concurrency / instances
    else:
        batch = float(max_concurrency)
        instances = math.ceil(request.rps * request.output_tokens / throughput(batch)) if request.rps else 1
    tps = throughput(batch)
    communication = None if request.measured_tps is not None else \
        communication_per_step(model, batch / replicas, degree, spec) * 1e3
    return Candidate(instance_type, device, devices, round(memory, 3), spec.interconnect, True, 0.0, degree,
                     degree * spec.cores_per_device, replicas, max_concurrency, batch, tps, communication,
                     ROOFLINE if request.measured_tps is None else MEASURED, instances, price,
                     round(instances * price, 4), price / (tps * 3600) * 1e6)


def estimate(model: ModelArchitecture, request: Request, instance_types: Sequence[str] | None = None,
             degree: int | None = None) -> list[Candidate]:
    """Every candidate, those that fit first, cheapest per million output tokens first. With ``degree``, replicas of
    that many devices only: a type the user named that it cannot split is an error, a default type is left out."""
    check_request(model, request)
    if degree is not None and degree < 1:
        raise CapacityError(f"--tensor-parallel {degree}: expected a positive number of devices per replica")
    rows = []
    for instance_type in instance_types or default_instance_types():
        try:
            rows.append(candidate(model, request, instance_type, degree))
        except DegreeError:
            if instance_types:
                raise
    if not rows:
        raise CapacityError(f"--tensor-parallel {degree}: splits none of the default instance types into equal "
                            "replicas (name types with --instance-types)")
    return sorted(rows, key=lambda c: (not c.fits, c.usd_per_million_tokens or 0.0, c.shortfall_gib, c.instance_type))


def recommendation(model: ModelArchitecture, rows: Sequence[Candidate]) -> str:
    fitting = [c for c in rows if c.fits]
    if not fitting:
        closest = min(rows, key=lambda c: c.shortfall_gib)
        return (f"{model.name} fits none of these types: the closest, {closest.instance_type}, is short by "
                f"{closest.shortfall_gib:,.1f} GiB; try a smaller --dtype, a shorter --context or a larger type.")
    best = fitting[0]
    cores = f" ({best.tensor_parallel_ranks} NeuronCores)" if best.interconnect == "NeuronLink" else ""
    return (f"{best.instance_type}: {best.instances} × ${best.usd_per_hour:,.2f}/h, tensor-parallel "
            f"{best.tensor_parallel}{cores}, ${best.usd_per_million_tokens:,.4g} per million output tokens "
            f"({best.throughput_basis}).")
