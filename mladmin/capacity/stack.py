"""The stack check: SageMaker endpoints (``mladmin:sagemaker.endpoints``) whose ``model`` names a catalogue model
are sized like ``mladmin capacity MODEL --instance-types TYPE --context CHECK_CONTEXT``: a model that does not fit
its instance type is a finding (``mladmin plan`` exits 1) that says by how many GiB; one that fits shows its
$ per million output tokens in ``mladmin cost``. Endpoints serving other models are not checked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping

from pydantic import ValidationError

from mladmin.capacity.estimate import CapacityError, Candidate, Request, candidate
from policies.facts.models import CATALOGUE
from stacks.settings.sagemaker import EndpointSettings

# Context each served sequence is assumed to hold (prompt + output), bf16 weights and KV cache, one sequence
# at least: the least an endpoint must hold to serve at all.
CHECK_CONTEXT = 4096


@dataclass(frozen=True)
class EndpointFit:
    endpoint: str
    model: str
    instance_type: str
    estimate: Candidate

    def finding(self) -> str | None:
        if self.estimate.fits:
            return None
        return (f"endpoint {self.endpoint}: {self.model} (bf16, one {CHECK_CONTEXT:,}-token sequence) does not fit "
                f"{self.instance_type}: {self.estimate.shortfall_gib:,.1f} GiB short "
                f"(mladmin capacity {self.model} --instance-types {self.instance_type})")

    def to_json(self) -> dict:
        return {"endpoint": self.endpoint, "model": self.model, "instance_type": self.instance_type,
                "context": CHECK_CONTEXT, "finding": self.finding(), **self.estimate.to_json()}


def endpoint_fits(config: Mapping[str, Any]) -> list[EndpointFit]:
    """Each SageMaker endpoint with an instance type and a catalogue model, sized; others are left out
    (the settings report malformed endpoints)."""
    section = config.get("mladmin:sagemaker")
    if isinstance(section, str):
        try:
            section = json.loads(section)
        except json.JSONDecodeError:
            return []
    endpoints = section.get("endpoints") if isinstance(section, dict) else None
    fits = []
    for raw in endpoints if isinstance(endpoints, list) else []:
        try:
            endpoint = EndpointSettings.model_validate(raw, by_alias=True, by_name=False)
        except ValidationError:
            continue
        model = CATALOGUE.get(endpoint.model.lower())
        if model is None or endpoint.instance_type is None:
            continue
        try:
            sized = candidate(model, Request(context=min(CHECK_CONTEXT, model.max_positions)), endpoint.instance_type)
        except CapacityError:  # not an NVIDIA GPU type (CPU, Inferentia) or unpriced: nothing to size
            continue
        fits.append(EndpointFit(endpoint.name, model.name, endpoint.instance_type, sized))
    return fits
