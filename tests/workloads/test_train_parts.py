"""Building blocks of the training workload: data order, sharding, checkpoint files, settings."""

from __future__ import annotations

import json

import pytest
import torch

from workloads.train import checkpoint
from workloads.train.config import ConfigError, resolve_config
from workloads.train.data import BlockSampler, pack_blocks


def blocks(n: int) -> torch.Tensor:
    return torch.arange(n).unsqueeze(1).repeat(1, 4)  # block i holds the value i


def test_ranks_split_each_global_batch_of_the_single_process_stream():
    single = BlockSampler(blocks(10), seed=5, batch_size=4, grad_accum=1)
    rank0 = BlockSampler(blocks(10), seed=5, batch_size=2, grad_accum=1, rank=0, world_size=2)
    rank1 = BlockSampler(blocks(10), seed=5, batch_size=2, grad_accum=1, rank=1, world_size=2)
    for step in range(6):  # crosses epoch boundaries
        whole = single.micro_batches(step)[0][:, 0].tolist()
        assert rank0.micro_batches(step)[0][:, 0].tolist() + rank1.micro_batches(step)[0][:, 0].tolist() == whole


def test_each_epoch_visits_every_block_once_in_a_seeded_order():
    sampler = BlockSampler(blocks(8), seed=1, batch_size=8, grad_accum=1)
    first, second = (sampler.micro_batches(s)[0][:, 0].tolist() for s in (0, 1))
    assert sorted(first) == sorted(second) == list(range(8))
    assert first != second
    assert BlockSampler(blocks(8), seed=1, batch_size=8, grad_accum=1).micro_batches(1)[0][:, 0].tolist() == second


def test_pack_blocks_drops_the_tail_and_rejects_too_little_data(tmp_path):
    assert pack_blocks(torch.arange(10), 4, tmp_path).tolist() == [[0, 1, 2, 3], [4, 5, 6, 7]]
    with pytest.raises(ConfigError, match="3 tokens of data, fewer than one block of block_size 4"):
        pack_blocks(torch.arange(3), 4, tmp_path)


def test_checkpoint_restores_every_random_generator(tmp_path):
    import random

    import numpy as np

    torch.manual_seed(0)
    checkpoint.save(tmp_path, 1, {"rng": checkpoint.rng_state()}, {}, keep=1)
    expected = (random.random(), np.random.rand(), torch.rand(1).item())
    _, state = checkpoint.load_latest(tmp_path)
    checkpoint.set_rng_state(state["rng"])
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == expected


def test_unreadable_newest_checkpoint_falls_back_to_the_previous_one(tmp_path):
    checkpoint.save(tmp_path, 1, {"step": 1}, {}, keep=3)
    newest = checkpoint.save(tmp_path, 2, {"step": 2}, {}, keep=3)
    (newest / checkpoint.STATE_FILE).write_bytes(b"truncated")
    with pytest.warns(UserWarning, match="cannot be loaded"):
        path, state = checkpoint.load_latest(tmp_path)
    assert state["step"] == 1 and path.name == "step-00000001"


def test_checkpoint_state_loads_with_weights_only(tmp_path):
    saved = checkpoint.save(tmp_path, 3, {"rng": checkpoint.rng_state(), "step": 3}, {"step": 3}, keep=1)
    assert torch.load(saved / checkpoint.STATE_FILE, weights_only=True)["step"] == 3
    assert json.loads((saved / checkpoint.SUMMARY_FILE).read_text()) == {"step": 3}


def test_config_reports_every_problem_at_once(tmp_path):
    with pytest.raises(ConfigError) as exc:
        resolve_config({"model_dir": tmp_path, "data": tmp_path, "output_dir": tmp_path,
                        "max_steps": 0, "batch_size": -1, "colour": "red"}, sagemaker=False)
    text = "\n".join(exc.value.problems)
    assert "max_steps" in text and "batch_size" in text and "colour: unknown setting" in text


def test_sagemaker_json_encoded_hyperparameters_are_decoded(tmp_path, monkeypatch):
    (tmp_path / "input" / "config").mkdir(parents=True)
    (tmp_path / "input" / "config" / "hyperparameters.json").write_text(json.dumps(
        {"max-steps": "7", "model": '"/models/base"', "lr": "3e-4"}))
    monkeypatch.setenv("MLADMIN_SM_ROOT", str(tmp_path))
    config = resolve_config({})
    assert (config.max_steps, str(config.model_dir), config.lr) == (7, "/models/base", 3e-4)
    assert config.data == tmp_path / "input" / "data" / "train"
    assert (config.final, config.checkpoints) == (tmp_path / "model", tmp_path / "checkpoints")
