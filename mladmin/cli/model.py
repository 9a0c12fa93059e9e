"""`mladmin model`: local model utilities (a tiny model for demos and tests)."""

from __future__ import annotations

from pathlib import Path

import typer

from rich.markup import escape

from mladmin.cli import output
from mladmin.cli.common import fail
from mladmin.cli.helpformat import Command, Group


def register(app: typer.Typer) -> None:
    model_app = typer.Typer(cls=Group, help="Build local models; register, promote and roll back models in the SageMaker registry.", no_args_is_help=True)

    @model_app.command("tiny", cls=Command)
    def tiny(
        directory: Path = typer.Argument(..., metavar="DIR", help="Directory to write the model and tokenizer to."),
        seed: int = typer.Option(0, "--seed", help="Seed for the random weight initialisation."),
        vocab_size: int = typer.Option(512, "--vocab-size", help="BPE vocabulary size (>= 258)."),
        layers: int = typer.Option(2, "--layers", min=1, help="Transformer layers."),
        dim: int = typer.Option(64, "--dim", min=2, help="Hidden size (divisible by --heads)."),
        heads: int = typer.Option(2, "--heads", min=1, help="Attention heads."),
        positions: int = typer.Option(256, "--positions", min=8, help="Maximum sequence length."),
        corpus: Path = typer.Option(None, "--corpus", help="Text file for the tokenizer (default: shipped sample)."),
        force: bool = typer.Option(False, "--force", help="Write into DIRECTORY even if it is not empty."),
    ) -> None:
        """Write a tiny GPT-2-style causal LM and a byte-level BPE tokenizer (transformers format)."""
        _check_target(directory, force)
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
        output.line(f"wrote tiny model ({layers} layers, {dim} dims, vocab {vocab_size}) to {escape(str(out))}")

    from mladmin.cli.registry import add_registry_commands

    add_registry_commands(model_app)
    app.add_typer(model_app, name="model")


def _check_target(directory: Path, force: bool) -> None:
    """A model is never written over other files unless asked."""
    if directory.exists() and not directory.is_dir():
        fail(f"{directory}: exists and is not a directory")
    if directory.is_dir() and not force:
        entries = sorted(p.name for p in directory.iterdir())
        if entries:
            shown = ", ".join(entries[:5]) + (f" and {len(entries) - 5} more" if len(entries) > 5 else "")
            fail(f"{directory}: directory is not empty ({shown}); choose a new directory or pass --force")
