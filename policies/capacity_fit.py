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
# Context each served sequence is assumed to hold (prompt + output): the least an endpoint must hold to serve.
CHECK_CONTEXT = 4096
# Share of the usable GPU memory that must stay free once the weights and one sequence are loaded
# (mladmin:sagemaker.capacityHeadroomPercent; room for concurrency and longer prompts).
DEFAULT_HEADROOM_PERCENT = 10
MAX_HEADROOM_PERCENT = 90


def weight_bytes(model: ModelArchitecture, dtype: str) -> float:
    return model.parameters * DTYPE_BYTES[dtype]


def kv_bytes_per_token(model: ModelArchitecture, kv_dtype: str) -> float:
    return 2 * model.layers * model.kv_heads * model.head_dim * DTYPE_BYTES[kv_dtype]


def usable_bytes_per_gpu(memory_gib: float) -> float:
    return memory_gib * GIB * (1 - RUNTIME_OVERHEAD)


@dataclass(frozen=True)
class OneSequenceFit:
    model: str
    instance_type: str
    context: int
    needed_gib: float   # bf16 weights + one sequence's bf16 KV cache
    usable_gib: float   # GPUs × memory per GPU × (1 − RUNTIME_OVERHEAD)
    headroom_percent: float

    @property
    def free_gib(self) -> float:
        return self.usable_gib - self.needed_gib

    @property
    def free_percent(self) -> float:
        return 100 * self.free_gib / self.usable_gib

    def problem(self) -> str | None:
        """Why the model does not fit (or fits with too little headroom); None when it fits with room."""
        what = f"{self.model} (bf16, one {self.context:,}-token sequence)"
        if self.free_gib < 0:
            return (f"{what} does not fit {self.instance_type}: {-self.free_gib:,.1f} GiB short "
                    f"(needs {self.needed_gib:,.1f} GiB of {self.usable_gib:,.1f} GiB usable)")
        if self.free_percent < self.headroom_percent:
            return (f"{what} fits {self.instance_type} with {self.free_gib:,.1f} GiB free "
                    f"({self.free_percent:.1f}% of {self.usable_gib:,.1f} GiB usable), below the "
                    f"{self.headroom_percent:g}% headroom")
        return None


def one_sequence_fit(model: ModelArchitecture, instance_type: str,
                     headroom_percent: float = DEFAULT_HEADROOM_PERCENT) -> OneSequenceFit | None:
    """The fit of ``model`` on ``instance_type``; None when the type has no accelerator (GPU or Neuron device)
    with figures in policies/facts."""
    family = family_of(instance_type)
    if family is None or accelerator_spec(instance_type) is None:
        return None
    context = min(CHECK_CONTEXT, model.max_positions)
    needed = weight_bytes(model, "bf16") + kv_bytes_per_token(model, "bf16") * context
    usable = accelerators_per_instance(instance_type) * usable_bytes_per_gpu(family.device_memory_gib)
    return OneSequenceFit(model.name, instance_type, context, round(needed / GIB, 3), round(usable / GIB, 3),
                          headroom_percent)
