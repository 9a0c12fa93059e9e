"""Whether a model fits an accelerated instance (GPUs or Neuron devices) at all: its weights plus one sequence's KV
cache against the instance's device memory less the runtime overhead, with a configured share of that memory left
free (headroom).

Pure arithmetic on policies/facts (standard library only): the policy ``sagemaker-model-fits-instance`` and
``mladmin plan``'s capacity check (mladmin/capacity/stack.py) both decide with it, and the full estimate
behind ``mladmin capacity`` (mladmin/capacity/estimate.py, formulas 1-5) builds on the same functions.
"""

from __future__ import annotations

from dataclasses import dataclass

from policies.facts.instance_types import accelerator_spec, accelerators_per_instance, family_of
from policies.facts.models import ModelArchitecture

GIB = 2 ** 30
# Held back for the CUDA context, activations, CUDA graphs and fragmentation (vLLM's gpu_memory_utilization 0.9).
RUNTIME_OVERHEAD = 0.10
DTYPE_BYTES = {"bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "int8": 1.0, "int4": 0.5}
# What the stack check assumes of a served checkpoint's weights unless the stack says otherwise (a quantised
# checkpoint, e.g. AWQ int4, declares dtype); the KV cache is always taken at this size.
DEFAULT_DTYPE = "bf16"
# Context each served sequence is assumed to hold (prompt + output): the least an endpoint must hold to serve.
CHECK_CONTEXT = 4096
# Share of the usable GPU memory that must stay free once the weights and one sequence are loaded
# (mladmin:sagemaker.capacityHeadroomPercent; room for concurrency and longer prompts).
DEFAULT_HEADROOM_PERCENT = 10
MAX_HEADROOM_PERCENT = 90

# How a stack tells the policies which catalogue model a server runs and the headroom it wants: tags on SageMaker
# models and endpoint configurations, annotations on Kubernetes workloads (set by components/endpoint.py and
# components/cluster_workloads.py, read by sagemaker-model-fits-instance and k8s-model-fits-gpus).
MODEL_TAG = "mladmin:model"
ARCHITECTURE_TAG = "mladmin:architecture"  # the catalogue model a differently named model is built on
DTYPE_TAG = "mladmin:dtype"                # its weights' data type, when not DEFAULT_DTYPE
HEADROOM_TAG = "mladmin:capacity-headroom-percent"
ARCHITECTURE_ANNOTATION = "mladmin.io/architecture"
DTYPE_ANNOTATION = "mladmin.io/dtype"
HEADROOM_ANNOTATION = "mladmin.io/capacity-headroom-percent"


def dtype_from(value: object) -> str:
    """A weights dtype as a tag or annotation carries it; DEFAULT_DTYPE when absent or not one of DTYPE_BYTES."""
    return value if isinstance(value, str) and value in DTYPE_BYTES else DEFAULT_DTYPE


def headroom_from(value: object) -> float:
    """A headroom percentage as a tag or annotation carries it; the default when absent or out of range."""
    try:
        percent = float(value if value is not None else DEFAULT_HEADROOM_PERCENT)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return DEFAULT_HEADROOM_PERCENT
    return percent if 0 <= percent <= MAX_HEADROOM_PERCENT else DEFAULT_HEADROOM_PERCENT


def weight_bytes(model: ModelArchitecture, dtype: str) -> float:
    return model.parameters * DTYPE_BYTES[dtype]


def kv_bytes_per_token(model: ModelArchitecture, kv_dtype: str) -> float:
    return 2 * model.layers * model.kv_heads * model.head_dim * DTYPE_BYTES[kv_dtype]


def kv_copies(model: ModelArchitecture, ranks: int) -> float:
    """How many times a replica of ``ranks`` tensor-parallel ranks stores each KV head: once while the ranks split
    the heads, ranks / H_kv times once there are more ranks than heads (each rank then holds a whole copy of one
    head: vLLM's num_kv_heads per rank = max(1, H_kv / tp); the Neuron vLLM design notes, "Attention DP",
    awsdocs-neuron.readthedocs-hosted.com vllm-neuron/docs/design/parallelism, 2026-07: TP=64 with 8 KV heads holds
    1 KV head per device)."""
    return max(1.0, ranks / model.kv_heads)


def usable_bytes_per_gpu(memory_gib: float) -> float:
    return memory_gib * GIB * (1 - RUNTIME_OVERHEAD)


@dataclass(frozen=True)
class OneSequenceFit:
    model: str
    instance_type: str
    context: int
    needed_gib: float   # weights in their dtype + one sequence's bf16 KV cache
    usable_gib: float   # GPUs × memory per GPU × (1 − RUNTIME_OVERHEAD)
    headroom_percent: float
    devices: int = 0           # accelerators the model is spread over (a Kubernetes replica's share of a node)
    instance_devices: int = 0  # accelerators (GPUs or Neuron devices) of one instance of the type
    dtype: str = DEFAULT_DTYPE  # of the weights

    @property
    def where(self) -> str:
        """The instance type, or the accelerators of it that one replica holds when that is fewer than all."""
        if self.devices < self.instance_devices:
            unit = "GPUs" if accelerator_spec(self.instance_type).interconnect != "NeuronLink" else "Neuron devices"
            return f"{self.devices} of the {self.instance_devices} {unit} of {self.instance_type}"
        return self.instance_type

    @property
    def free_gib(self) -> float:
        return self.usable_gib - self.needed_gib

    @property
    def free_percent(self) -> float:
        return 100 * self.free_gib / self.usable_gib

    def problem(self) -> str | None:
        """Why the model does not fit (or fits with too little headroom); None when it fits with room."""
        what = f"{self.model} ({self.dtype}, one {self.context:,}-token sequence)"
        if self.free_gib < 0:
            return (f"{what} does not fit {self.where}: {-self.free_gib:,.1f} GiB short "
                    f"(needs {self.needed_gib:,.1f} GiB of {self.usable_gib:,.1f} GiB usable)")
        if self.free_percent < self.headroom_percent:
            return (f"{what} fits {self.where} with {self.free_gib:,.1f} GiB free "
                    f"({self.free_percent:.1f}% of {self.usable_gib:,.1f} GiB usable), below the "
                    f"{self.headroom_percent:g}% headroom")
        return None


def one_sequence_fit(model: ModelArchitecture, instance_type: str,
                     headroom_percent: float = DEFAULT_HEADROOM_PERCENT, devices: int | None = None,
                     dtype: str = DEFAULT_DTYPE) -> OneSequenceFit | None:
    """The fit of ``model`` with ``dtype`` weights on ``instance_type`` (on ``devices`` of its accelerators when
    given: a replica that asks for fewer than a node has); None when the type has no accelerator (GPU or Neuron
    device) with figures in policies/facts."""
    family, spec = family_of(instance_type), accelerator_spec(instance_type)
    if family is None or spec is None:
        return None
    instance_devices = accelerators_per_instance(instance_type)
    devices = instance_devices if devices is None else min(devices, instance_devices)
    context = min(CHECK_CONTEXT, model.max_positions)
    copies = kv_copies(model, devices * spec.cores_per_device)
    needed = weight_bytes(model, dtype) + kv_bytes_per_token(model, DEFAULT_DTYPE) * context * copies
    usable = devices * usable_bytes_per_gpu(family.device_memory_gib)
    return OneSequenceFit(model.name, instance_type, context, round(needed / GIB, 3), round(usable / GIB, 3),
                          headroom_percent, devices, instance_devices, dtype)
