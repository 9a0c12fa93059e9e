"""`mladmin model tiny` / workloads.tiny: a local tiny model, no downloads."""

from __future__ import annotations

import hashlib
from pathlib import Path

from typer.testing import CliRunner

from mladmin.cli.main import app


def _digest(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir())}


def test_tiny_model_loads_with_auto_classes_and_generates(tiny_model_dir):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    assert tokenizer.eos_token and tokenizer.pad_token and tokenizer.bos_token
    assert model.config.vocab_size == len(tokenizer) == 512
    ids = tokenizer("the training job reads a new checkpoint", return_tensors="pt").input_ids
    with torch.no_grad():
        out = model.generate(ids, max_new_tokens=5, do_sample=False)
    assert out.shape[1] == ids.shape[1] + 5


def test_tokenizer_round_trips_text(tiny_model_dir):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    text = "Encrypt every bucket, rotate the keys. Ünïcode too!"
    assert tokenizer.decode(tokenizer(text).input_ids) == text


def test_same_seed_gives_identical_files_and_other_seed_differs(tmp_path):
    from workloads.tiny import build_tiny_model

    a = _digest(build_tiny_model(tmp_path / "a", seed=7))
    b = _digest(build_tiny_model(tmp_path / "b", seed=7))
    c = _digest(build_tiny_model(tmp_path / "c", seed=8))
    assert a == b
    assert a["model.safetensors"] != c["model.safetensors"]
    assert a["tokenizer.json"] == c["tokenizer.json"]


def test_cli_writes_model_with_requested_shape(tmp_path):
    import json

    result = CliRunner().invoke(app, ["model", "tiny", str(tmp_path / "m"), "--layers", "1", "--dim", "32",
                                      "--vocab-size", "300", "--seed", "1"])
    assert result.exit_code == 0, result.output
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    assert (config["n_layer"], config["n_embd"], config["vocab_size"]) == (1, 32, 300)


def test_cli_rejects_bad_shape_with_exit_2(tmp_path):
    result = CliRunner().invoke(app, ["model", "tiny", str(tmp_path / "m"), "--dim", "63", "--heads", "2"])
    assert result.exit_code == 2
    assert "not divisible" in result.output
    assert "Traceback" not in result.output


def test_cli_reports_an_unwritable_directory_with_exit_2(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = CliRunner().invoke(app, ["model", "tiny", str(blocker / "model")])
    assert result.exit_code == 2
    assert "Not a directory" in result.output
    assert "Traceback" not in result.output
