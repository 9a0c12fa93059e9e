"""A model's architecture: from the embedded catalogue by name, or from a local Hugging Face directory.

A directory's ``config.json`` gives the shape (Llama/Mistral/Qwen/Gemma names, and GPT-2's ``n_layer``,
``n_embd``, ``n_head``, ``n_positions``). The parameter count comes from the checkpoint when there is
one: ``model.safetensors.index.json`` ``metadata.total_size`` (bytes, divided by the dtype's size), else
the ``*.safetensors`` headers (the sum of every tensor's element count); else it is computed from the
architecture (``parameters_from_architecture``).
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import replace
from pathlib import Path

from policies.facts.models import CATALOGUE, ModelArchitecture

DTYPE_BYTES = {"float32": 4, "float16": 2, "bfloat16": 2, "float8_e4m3fn": 1, "int8": 1}
SAFETENSORS_DTYPE_BYTES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "F8_E4M3": 1, "F8_E5M2": 1, "I8": 1, "U8": 1,
                           "I32": 4, "I64": 8, "BOOL": 1}


class ModelError(ValueError):
    """A model that cannot be named or read; the message is one line for the user."""


def parameters_from_architecture(m: ModelArchitecture) -> int:
    """Decoder-only transformer with gated MLP (Llama family): embeddings + layers + final norm (+ head)."""
    attention = m.hidden_size * m.head_dim * (2 * m.attention_heads + 2 * m.kv_heads)  # q, o + k, v
    mlp = 3 * m.hidden_size * m.intermediate_size * m.experts  # gate, up, down per expert
    router = m.hidden_size * m.experts if m.experts > 1 else 0
    per_layer = attention + mlp + router + 2 * m.hidden_size  # two norms
    embeddings = m.vocab_size * m.hidden_size * (1 if m.tied_embeddings else 2)
    return m.layers * per_layer + embeddings + m.hidden_size


def active_parameters(m: ModelArchitecture) -> int:
    """Parameters one token reads: for a mixture of experts only ``experts_per_token`` of the MLPs."""
    if m.experts <= 1:
        return m.parameters
    unused = 3 * m.hidden_size * m.intermediate_size * (m.experts - m.experts_per_token) * m.layers
    return m.parameters - unused


def resolve(name_or_path: str) -> ModelArchitecture:
    """A catalogue name (case-insensitive) or a local model directory."""
    entry = CATALOGUE.get(name_or_path.lower())
    if entry is not None:
        return entry
    path = Path(name_or_path)
    if path.is_dir():
        return from_directory(path)
    raise ModelError(f"unknown model {name_or_path!r}: expected a local Hugging Face directory or one of "
                     f"{', '.join(CATALOGUE)}")


def _int(config: dict, source: str, *keys: str, default: int | None = None) -> int:
    for key in keys:
        value = config.get(key)
        if value is not None:
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ModelError(f"{source}: {key} is {value!r}, expected a positive integer")
            return value
    if default is None:
        raise ModelError(f"{source}: none of {', '.join(keys)} is set, expected a positive integer")
    return default


def from_directory(directory: Path) -> ModelArchitecture:
    """The architecture in ``directory/config.json``, with the parameter count of its checkpoint."""
    config_file = directory / "config.json"
    try:
        config = json.loads(config_file.read_text())
    except FileNotFoundError:
        raise ModelError(f"{config_file}: not found, expected a Hugging Face model directory") from None
    except (OSError, ValueError) as error:
        raise ModelError(f"{config_file}: not valid JSON ({error})") from None
    if not isinstance(config, dict):
        raise ModelError(f"{config_file}: expected a JSON object")
    src = str(config_file)
    hidden = _int(config, src, "hidden_size", "n_embd", "d_model")
    heads = _int(config, src, "num_attention_heads", "n_head")
    gpt2 = "n_embd" in config and "hidden_size" not in config
    arch = ModelArchitecture(
        name=directory.name,
        layers=_int(config, src, "num_hidden_layers", "n_layer"),
        hidden_size=hidden,
        attention_heads=heads,
        kv_heads=_int(config, src, "num_key_value_heads", default=heads),
        head_dim=_int(config, src, "head_dim", default=hidden // heads),
        intermediate_size=_int(config, src, "intermediate_size", "n_inner", default=4 * hidden),
        vocab_size=_int(config, src, "vocab_size"),
        max_positions=_int(config, src, "max_position_embeddings", "n_positions", "n_ctx"),
        torch_dtype=str(config.get("torch_dtype") or config.get("dtype") or "float32"),
        parameters=0,
        experts=_int(config, src, "num_local_experts", default=1),
        experts_per_token=_int(config, src, "num_experts_per_tok", default=1),
        tied_embeddings=bool(config.get("tie_word_embeddings", gpt2)),
        source=f"{src} (read)",
    )
    counted, how = checkpoint_parameters(directory, arch.torch_dtype)
    if counted is None:
        counted = _gpt2_parameters(arch) if gpt2 else parameters_from_architecture(arch)
        how = "computed from the architecture"
    return replace(arch, parameters=counted, source=f"{src}; parameters {how}")


def _gpt2_parameters(m: ModelArchitecture) -> int:
    """GPT-2: learned positions, 2-matrix MLP, biases everywhere, tied head."""
    h, i = m.hidden_size, m.intermediate_size
    per_layer = (3 * h * h + 3 * h) + (h * h + h) + (h * i + i) + (i * h + h) + 4 * h
    return m.vocab_size * h + m.max_positions * h + m.layers * per_layer + 2 * h


def checkpoint_parameters(directory: Path, torch_dtype: str) -> tuple[int | None, str]:
    """The parameter count from the safetensors index or headers, with how it was found; (None, "") if none."""
    index = directory / "model.safetensors.index.json"
    if index.is_file():
        try:
            total = json.loads(index.read_text())["metadata"]["total_size"]
        except (OSError, ValueError, KeyError, TypeError):
            total = None
        if isinstance(total, int) and total > 0:
            size = DTYPE_BYTES.get(torch_dtype, 2)
            return total // size, f"from {index.name} metadata.total_size ({total:,} bytes / {size})"
    files = sorted(directory.glob("*.safetensors"))
    if not files:
        return None, ""
    count = 0
    for file in files:
        count += sum(math.prod(tensor["shape"]) for name, tensor in _safetensors_header(file).items()
                     if name != "__metadata__")
    return count, f"counted from {len(files)} safetensors header(s)"


def _safetensors_header(file: Path) -> dict:
    """The JSON header of a safetensors file: an 8-byte little-endian length, then the JSON."""
    try:
        with file.open("rb") as handle:
            (length,) = struct.unpack("<Q", handle.read(8))
            if length > 100_000_000:
                raise ValueError("header too large")
            header = json.loads(handle.read(length))
    except (OSError, ValueError, struct.error) as error:
        raise ModelError(f"{file}: not a safetensors file ({error})") from None
    if not isinstance(header, dict):
        raise ModelError(f"{file}: safetensors header is not a JSON object")
    return header
