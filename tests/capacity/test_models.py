"""Model facts: the catalogue against its published parameter counts, and local Hugging Face directories."""

from __future__ import annotations

import json
import struct

import pytest

from mladmin.capacity.models import (ModelError, active_parameters, from_directory, parameters_from_architecture,
                                     resolve)
from policies.facts.models import CATALOGUE


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_catalogue_parameter_count_agrees_with_its_architecture(name):
    model = CATALOGUE[name]
    assert abs(parameters_from_architecture(model) / model.parameters - 1) < 0.005


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_catalogue_row_names_where_its_config_was_checked_and_what_its_count_rests_on(name):
    source = CATALOGUE[name].source
    assert source.startswith("config.json: ") and "@" in source and "; parameters: " in source


def test_llama_8b_parameters_computed_by_hand():
    # embeddings + head: 2 x 128,256 x 4,096 = 1,050,673,152
    # per layer: attention 4,096 x 128 x (2 x 32 + 2 x 8) = 41,943,040; MLP 3 x 4,096 x 14,336 = 176,160,768;
    #            norms 2 x 4,096 = 8,192 -> 218,112,000; x 32 layers = 6,979,584,000; final norm 4,096
    assert parameters_from_architecture(CATALOGUE["llama-3.1-8b"]) == 1_050_673_152 + 6_979_584_000 + 4_096


def test_mixtral_reads_its_published_active_parameters_per_token():
    # 46.7B less 6 unused experts x 3 x 4,096 x 14,336 x 32 layers (5,637,144,576 each) = 12.88B ("12.9B active")
    assert active_parameters(CATALOGUE["mixtral-8x7b"]) == 46_700_000_000 - 6 * 5_637_144_576


def test_catalogue_names_resolve_case_insensitively():
    assert resolve("Llama-3.1-70B") is CATALOGUE["llama-3.1-70b"]


def test_unknown_name_lists_the_catalogue():
    with pytest.raises(ModelError, match="unknown model 'gpt-5'.*llama-3.1-70b"):
        resolve("gpt-5")


LLAMA_CONFIG = {"num_hidden_layers": 4, "hidden_size": 256, "num_attention_heads": 8, "num_key_value_heads": 2,
                "intermediate_size": 512, "vocab_size": 1000, "max_position_embeddings": 2048,
                "torch_dtype": "bfloat16"}


def test_directory_config_gives_the_shape_and_a_computed_count_without_a_checkpoint(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps(LLAMA_CONFIG))
    model = from_directory(tmp_path)
    assert (model.layers, model.kv_heads, model.head_dim, model.max_positions) == (4, 2, 32, 2048)
    # per layer 256 x 32 x (16 + 4) + 3 x 256 x 512 + 512 = 557,568; x 4 + 2 x 1,000 x 256 + 256
    assert model.parameters == 4 * 557_568 + 512_000 + 256
    assert "computed from the architecture" in model.source


def test_directory_index_total_size_gives_the_parameter_count(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps(LLAMA_CONFIG))
    (tmp_path / "model.safetensors.index.json").write_text(json.dumps({"metadata": {"total_size": 2_000_000},
                                                                       "weight_map": {}}))
    assert from_directory(tmp_path).parameters == 1_000_000  # bfloat16: 2 bytes each


def _safetensors(path, tensors: dict[str, list[int]]) -> None:
    header = {name: {"dtype": "F32", "shape": shape, "data_offsets": [0, 0]} for name, shape in tensors.items()}
    header["__metadata__"] = {"format": "pt"}
    data = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(data)) + data)


def test_directory_safetensors_headers_give_the_parameter_count(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"n_layer": 2, "n_embd": 64, "n_head": 2, "n_positions": 256,
                                                      "vocab_size": 512}))
    _safetensors(tmp_path / "model-1.safetensors", {"wte": [512, 64], "h.0.attn": [64, 192]})
    _safetensors(tmp_path / "model-2.safetensors", {"ln_f": [64]})
    model = from_directory(tmp_path)
    assert model.parameters == 512 * 64 + 64 * 192 + 64
    assert (model.layers, model.kv_heads, model.head_dim, model.max_positions) == (2, 2, 32, 256)


def test_gpt2_directory_without_a_checkpoint_counts_learned_positions_and_biases(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"n_layer": 2, "n_embd": 64, "n_head": 2, "n_positions": 256,
                                                      "vocab_size": 512}))
    # the tiny model's checkpoint holds 149,248: wte 32,768 + wpe 16,384 + 2 x 49,984 per layer + final norm 128
    assert from_directory(tmp_path).parameters == 149_248


def test_directory_without_config_is_one_clear_error(tmp_path):
    with pytest.raises(ModelError, match="config.json: not found"):
        from_directory(tmp_path)


def test_config_field_of_the_wrong_kind_is_named(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({**LLAMA_CONFIG, "num_hidden_layers": "four"}))
    with pytest.raises(ModelError, match="num_hidden_layers is 'four', expected a positive integer"):
        from_directory(tmp_path)
