"""Architectures of well-known open models, for capacity planning offline (``mladmin capacity MODEL``).

Data only. Each row's numbers are its Hugging Face ``config.json`` (``num_hidden_layers``,
``hidden_size``, ``num_attention_heads``, ``num_key_value_heads``, ``head_dim``, ``intermediate_size``,
``vocab_size``, ``max_position_embeddings``, ``torch_dtype``, experts) and the parameter count its model
card publishes. Each source names where the config was checked and what the parameter count rests on
("from memory of" marks what was not re-checked); re-check against the model repository when updating.
tests/capacity/test_models.py checks every row's parameter count against the one computed from its
architecture.
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


# Where the numbers were checked (2026-12): copies of the models' config.json in public repositories, named
# by repository, path and commit. The parameter counts are the rounded figures the model pages publish; each
# source also gives the count the cited config implies (the shapes of every tensor in the checkpoint).
_MLC = "mlc-ai/mlc-llm python/mlc_llm/model/model_preset.py@79d603f"
_META = ("meta-llama/llama-models models/sku_list.py@8c88b8c arch_args (dim, n_layers, n_heads, n_kv_heads, "
         "vocab 128256, ffn_dim_multiplier, multiple_of), expanded by models/llama3/model.py FeedForward@a9c89c4")
_TORCHTUNE = "pytorch/torchtune torchtune/models/qwen2_5/_model_builders.py@47a9e19"


def _checked(config: str, count: str) -> str:
    return f"config.json: {config}; parameters: {count}"


CATALOGUE: Mapping[str, ModelArchitecture] = MappingProxyType({m.name: m for m in (
    ModelArchitecture("llama-3.1-8b", 32, 4096, 32, 8, 128, 14336, 128256, 131072, "bfloat16", 8_030_000_000,
                      source=_checked(f"meta-llama/Llama-3.1-8B as copied in {_MLC} (llama3_1_8b; rope_scaling "
                                      "llama3 x8 from 8,192 positions)",
                                      "8.03B, from memory of the Hugging Face page; this config gives 8,030,261,248")),
    ModelArchitecture("llama-3.1-70b", 80, 8192, 64, 8, 128, 28672, 128256, 131072, "bfloat16", 70_550_000_000,
                      source=_checked(f"meta-llama/Llama-3.1-70B as copied in {_MLC} (llama3_1_70b; rope_scaling "
                                      "llama3 x8 from 8,192 positions)",
                                      "70.55B, from memory of the Hugging Face page (70.6B); this config gives "
                                      "70,553,706,496")),
    ModelArchitecture("llama-3.1-405b", 126, 16384, 128, 8, 128, 53248, 128256, 131072, "bfloat16",
                      405_850_000_000,
                      source=_checked(f"{_META} (Llama-3.1-405B, bf16-mp8: 8 KV heads; intermediate "
                                      "int(1.2 x int(2 x 4 x 16384 / 3)) rounded up to 4,096 = 53,248); 128k "
                                      "context per models/llama3_1/MODEL_CARD.md; positions, dtype and rope_scaling "
                                      "as the 8B/70B config.json (the 405B file itself not seen)",
                                      "405.85B, from memory of the Hugging Face page (406B); this architecture gives "
                                      "405,853,388,800")),
    ModelArchitecture("mistral-7b", 32, 4096, 32, 8, 128, 14336, 32768, 32768, "bfloat16", 7_250_000_000,
                      source=_checked(f"mistralai/Mistral-7B-v0.3 as copied in {_MLC} (mistral_7b_v03)",
                                      "7.25B, from memory of the Hugging Face page; this config gives "
                                      "7,248,023,552")),
    ModelArchitecture("mixtral-8x7b", 32, 4096, 32, 8, 128, 14336, 32000, 32768, "bfloat16", 46_700_000_000,
                      experts=8, experts_per_token=2,
                      source=_checked(f"mistralai/Mixtral-8x7B-v0.1 as copied in {_MLC} (Mixtral-8x7B-v0.1: "
                                      "num_local_experts 8, num_experts_per_tok 2)",
                                      "46.7B total, 12.9B active per token, from memory of mistral.ai/news/"
                                      "mixtral-of-experts (the paper, arXiv:2401.04088, rounds to 47B and 13B); "
                                      "this config gives 46,702,792,704")),
    ModelArchitecture("qwen2.5-7b", 28, 3584, 28, 4, 128, 18944, 152064, 32768, "bfloat16", 7_610_000_000,
                      source=_checked(f"Qwen/Qwen2.5-7B-Instruct as transcribed in {_TORCHTUNE} "
                                      "(qwen2_5_7b_instruct: max_seq_len 32,768, untied embeddings; torch_dtype "
                                      "from memory)",
                                      "7.61B, from memory of Qwen's model card; this config "
                                      "gives 7,615,616,512 with the q/k/v biases")),
    ModelArchitecture("qwen2.5-72b", 80, 8192, 64, 8, 128, 29568, 152064, 32768, "bfloat16", 72_700_000_000,
                      source=_checked(f"Qwen/Qwen2.5-72B-Instruct as transcribed in {_TORCHTUNE} "
                                      "(qwen2_5_72b_instruct: max_seq_len 32,768, untied embeddings; torch_dtype "
                                      "from memory)",
                                      "72.7B, from memory of Qwen's model card; this config gives 72,706,203,648 "
                                      "with the q/k/v biases")),
    ModelArchitecture("gemma-2-9b", 42, 3584, 16, 8, 256, 14336, 256000, 8192, "bfloat16", 9_240_000_000,
                      tied_embeddings=True,
                      source=_checked(f"google/gemma-2-9b as copied in {_MLC} (gemma2_9b: head_dim 256, "
                                      "query_pre_attn_scalar 256, sliding_window 4096; no tie_word_embeddings key, "
                                      "so transformers' Gemma2Config default True)",
                                      "9.24B, from memory of the Hugging Face page; this config gives "
                                      "9,241,705,984 with Gemma's four norms per layer")),
    ModelArchitecture("gemma-2-27b", 46, 4608, 32, 16, 128, 36864, 256000, 8192, "bfloat16", 27_230_000_000,
                      tied_embeddings=True,
                      source=_checked(f"google/gemma-2-27b as copied in {_MLC} (gemma2_27b: head_dim 128, so "
                                      "32 x 128 = 4,096 query width against hidden 4,608; query_pre_attn_scalar "
                                      "144; tied as the 9B)",
                                      "27.2B, from memory of the Hugging Face page; this config gives "
                                      "27,227,128,320 with Gemma's four norms per layer")),
)})
