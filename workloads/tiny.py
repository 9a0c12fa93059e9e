"""A tiny GPT-2-style causal LM with a byte-level BPE tokenizer, built locally.

Nothing is downloaded: the tokenizer is trained on the shipped corpus and the weights are a seeded
random initialisation. Every demo and test uses this (or a model directory the user supplies).
"""

from __future__ import annotations

from pathlib import Path

from workloads import SAMPLE_TEXT
from workloads.files import apply_umask

EOS_TOKEN = "<|endoftext|>"
PAD_TOKEN = "<|pad|>"
SPECIAL_TOKENS = [EOS_TOKEN, PAD_TOKEN]


def train_tokenizer(corpus: Path, vocab_size: int):
    """A byte-level BPE tokenizer (GPT-2 style) trained on `corpus`, as a PreTrainedTokenizerFast."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train([str(corpus)], trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token=EOS_TOKEN,
        eos_token=EOS_TOKEN,
        unk_token=EOS_TOKEN,
        pad_token=PAD_TOKEN,
        model_max_length=None,
    )


def build_tiny_model(
    out_dir: Path,
    *,
    seed: int = 0,
    corpus: Path | None = None,
    vocab_size: int = 512,
    n_layer: int = 2,
    n_embd: int = 64,
    n_head: int = 2,
    n_positions: int = 256,
) -> Path:
    """Write a tiny causal LM and its tokenizer to `out_dir` in transformers format; return `out_dir`.

    Deterministic: the same arguments give the same tokenizer and bit-identical weights.
    """
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    corpus = Path(corpus) if corpus is not None else SAMPLE_TEXT
    if not corpus.is_file():
        raise FileNotFoundError(f"{corpus}: corpus file not found")
    if vocab_size < 256 + len(SPECIAL_TOKENS):
        raise ValueError(f"vocab_size: {vocab_size} is too small; a byte-level tokenizer needs at least "
                         f"{256 + len(SPECIAL_TOKENS)}")
    if n_embd % n_head:
        raise ValueError(f"n_embd: {n_embd} is not divisible by n_head {n_head}")

    tokenizer = train_tokenizer(corpus, vocab_size)
    config = GPT2Config(
        vocab_size=len(tokenizer),
        n_positions=n_positions,
        n_embd=n_embd,
        n_layer=n_layer,
        n_head=n_head,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    generator_state = torch.random.get_rng_state()
    try:
        torch.manual_seed(seed)
        model = GPT2LMHeadModel(config)
    finally:
        torch.random.set_rng_state(generator_state)
    model.generation_config.pad_token_id = tokenizer.pad_token_id

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    apply_umask(out_dir.iterdir())  # safetensors writes the weights 0600
    return out_dir
