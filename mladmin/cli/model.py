"""`mladmin model`: local model utilities (a tiny model for demos and tests)."""

from __future__ import annotations

from pathlib import Path

import typer

from mladmin.cli.common import console, fail
from mladmin.cli.helpformat import Command, Group


def register(app: typer.Typer) -> None:
    model_app = typer.Typer(cls=Group, help="Build local models for demos and tests.", no_args_is_help=True)

    @model_app.command("tiny", cls=Command)
    def tiny(
        directory: Path = typer.Argument(..., help="Directory to write the model and tokenizer to."),
        seed: int = typer.Option(0, "--seed", help="Seed for the random weight initialisation."),
        vocab_size: int = typer.Option(512, "--vocab-size", help="BPE vocabulary size (>= 258)."),
        layers: int = typer.Option(2, "--layers", min=1, help="Transformer layers."),
        dim: int = typer.Option(64, "--dim", min=2, help="Hidden size (divisible by --heads)."),
        heads: int = typer.Option(2, "--heads", min=1, help="Attention heads."),
        positions: int = typer.Option(256, "--positions", min=8, help="Maximum sequence length."),
        corpus: Path = typer.Option(None, "--corpus", help="Text file for the tokenizer (default: shipped sample)."),
    ) -> None:
        """Write a tiny GPT-2-style causal LM and a byte-level BPE tokenizer (transformers format)."""
        from workloads.tiny import build_tiny_model

        try:
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
            out = build_tiny_model(
                directory, seed=seed, corpus=corpus, vocab_size=vocab_size,
                n_layer=layers, n_embd=dim, n_head=heads, n_positions=positions,
            )
        except OSError as exc:  # an unwritable or missing directory, a missing corpus
            fail(f"{exc.filename or directory}: {exc.strerror or exc}")
        except ValueError as exc:
            fail(str(exc))
        console.print(f"wrote tiny model ({layers} layers, {dim} dims, vocab {vocab_size}) to {out}")

    app.add_typer(model_app, name="model")
