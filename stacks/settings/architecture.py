"""The ``architecture`` key of SageMaker endpoints and Kubernetes model servers: the catalogue model
(policies/facts/models.py, ``mladmin capacity``) whose architecture the served model has, so a fine-tune
served under its own name is still sized against its GPUs (``mladmin plan`` and the capacity policies)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator

from policies.capacity_fit import CHECK_CONTEXT
from policies.facts.models import CATALOGUE

from .base import show


def _catalogue_model(value: str) -> str:
    if value.lower() not in CATALOGUE:
        raise ValueError(f"{show(value)} is not a model of the capacity catalogue "
                         f"(expected one of {', '.join(CATALOGUE)})")
    return value.lower()


CatalogueModel = Annotated[str, AfterValidator(_catalogue_model)]

ARCHITECTURE_HELP = ("Catalogue model whose architecture the served model has (one of "
                     f"{', '.join(CATALOGUE)}; e.g. the base of a fine-tune): its bf16 weights and one "
                     f"{CHECK_CONTEXT:,}-token sequence are checked to fit the GPUs (mladmin plan, policies). Default: none")
