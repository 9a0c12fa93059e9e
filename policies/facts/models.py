"""Architectures of well-known open models, for capacity planning offline (``mladmin capacity MODEL``).

Data only. Each row's numbers are its Hugging Face ``config.json`` (``num_hidden_layers``,
``hidden_size``, ``num_attention_heads``, ``num_key_value_heads``, ``head_dim``, ``intermediate_size``,
``vocab_size``, ``max_position_embeddings``, ``torch_dtype``, experts) and the parameter count its model
card publishes. Written without network access: the source says "from memory of" the page it comes
from; re-check against the model repository when updating. tests/capacity/test_models.py checks every
row's parameter count against the one computed from its architecture.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping


@dataclass(frozen=True)
class ModelArchitecture:
    name: str
    layers: int
    hidden_size: int
    attention_heads: int
    kv_heads: int
    head_dim: int
    intermediate_size: int
    vocab_size: int
    max_positions: int
    torch_dtype: str
    parameters: int  # total (all experts); published or counted from the checkpoint
    experts: int = 1  # mixture-of-experts: experts per layer
    experts_per_token: int = 1
    tied_embeddings: bool = False
    source: str = ""


def _hf(repo: str, card: str) -> str:
    return f"from memory of huggingface.co/{repo} config.json and model card ({card})"


CATALOGUE: Mapping[str, ModelArchitecture] = MappingProxyType({m.name: m for m in (
    ModelArchitecture("llama-3.1-8b", 32, 4096, 32, 8, 128, 14336, 128256, 131072, "bfloat16", 8_030_000_000,
                      source=_hf("meta-llama/Llama-3.1-8B", "8.03B parameters")),
    ModelArchitecture("llama-3.1-70b", 80, 8192, 64, 8, 128, 28672, 128256, 131072, "bfloat16", 70_550_000_000,
                      source=_hf("meta-llama/Llama-3.1-70B", "70.6B parameters")),
    ModelArchitecture("llama-3.1-405b", 126, 16384, 128, 8, 128, 53248, 128256, 131072, "bfloat16",
                      405_850_000_000, source=_hf("meta-llama/Llama-3.1-405B", "406B parameters")),
    ModelArchitecture("mistral-7b", 32, 4096, 32, 8, 128, 14336, 32768, 32768, "bfloat16", 7_250_000_000,
                      source=_hf("mistralai/Mistral-7B-v0.3", "7.25B parameters")),
    ModelArchitecture("mixtral-8x7b", 32, 4096, 32, 8, 128, 14336, 32000, 32768, "bfloat16", 46_700_000_000,
                      experts=8, experts_per_token=2,
                      source=_hf("mistralai/Mixtral-8x7B-v0.1", "46.7B parameters, 12.9B active per token")),
    ModelArchitecture("qwen2.5-7b", 28, 3584, 28, 4, 128, 18944, 152064, 32768, "bfloat16", 7_610_000_000,
                      source=_hf("Qwen/Qwen2.5-7B-Instruct", "7.61B parameters, 32,768 positions")),
    ModelArchitecture("qwen2.5-72b", 80, 8192, 64, 8, 128, 29568, 152064, 32768, "bfloat16", 72_700_000_000,
                      source=_hf("Qwen/Qwen2.5-72B-Instruct", "72.7B parameters, 32,768 positions")),
    ModelArchitecture("gemma-2-9b", 42, 3584, 16, 8, 256, 14336, 256000, 8192, "bfloat16", 9_240_000_000,
                      tied_embeddings=True, source=_hf("google/gemma-2-9b", "9.24B parameters")),
    ModelArchitecture("gemma-2-27b", 46, 4608, 32, 16, 128, 36864, 256000, 8192, "bfloat16", 27_230_000_000,
                      tied_embeddings=True, source=_hf("google/gemma-2-27b", "27.2B parameters")),
)})
