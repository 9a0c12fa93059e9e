"""The ``architecture`` key of SageMaker endpoints and Kubernetes model servers: the catalogue model
(policies/facts/models.py, ``mladmin capacity``) whose architecture the served model has, so a fine-tune
served under its own name is still sized against its GPUs (``mladmin plan`` and the capacity policies)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator

from policies.capacity_fit import CHECK_CONTEXT, DEFAULT_DTYPE, DTYPE_BYTES
from policies.facts.models import CATALOGUE

from .base import show


def _catalogue_model(value: str) -> str:
    if value.lower() not in CATALOGUE:
        raise ValueError(f"{show(value)} is not a model of the capacity catalogue "
                         f"(expected one of {', '.join(CATALOGUE)})")
    return value.lower()


CatalogueModel = Annotated[str, AfterValidator(_catalogue_model)]

ARCHITECTURE_HELP = ("Catalogue model whose architecture the served model has (one of "
                     f"{', '.join(CATALOGUE)}; e.g. the base of a fine-tune): its weights (at dtype) and one "
                     f"{CHECK_CONTEXT:,}-token sequence are checked to fit the GPUs (mladmin plan, policies). Default: none")

WeightsDtype = Literal[tuple(DTYPE_BYTES)]  # type: ignore[valid-type]

DTYPE_HELP = (f"Data type of the served checkpoint's weights ({', '.join(DTYPE_BYTES)}; e.g. int4 for an AWQ or GPTQ "
              f"checkpoint): what the capacity check sizes the weights at (the KV cache stays {DEFAULT_DTYPE}). Needs "
              f"a catalogue architecture. Default {DEFAULT_DTYPE}.")


def dtype_problem(dtype: str, architecture: str | None) -> str | None:
    """Why a dtype other than the default cannot apply: there is no catalogue model to size."""
    if dtype != DEFAULT_DTYPE and architecture is None:
        return f"{dtype} sizes a catalogue model's weights (expected architecture too, or no dtype)"
    return None
