"""The stack check: SageMaker endpoints (``mladmin:sagemaker.endpoints``) whose ``model`` names a catalogue model
are checked like policy ``sagemaker-model-fits-instance`` (policies/capacity_fit.py): a model whose bf16 weights
and one CHECK_CONTEXT-token sequence do not fit its instance type, or leave less than
``mladmin:sagemaker.capacityHeadroomPercent`` of the usable GPU memory free, is a finding (``mladmin plan``
exits 1) naming the numbers; one that fits is sized like ``mladmin capacity MODEL --instance-types TYPE
--context CHECK_CONTEXT`` and shows its $ per million output tokens in ``mladmin cost``. Endpoints serving
other models are not checked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping

from pydantic import ValidationError

from mladmin.capacity.estimate import CapacityError, Candidate, Request, candidate
from policies.capacity_fit import CHECK_CONTEXT, OneSequenceFit, one_sequence_fit
from policies.facts.models import CATALOGUE
from stacks.settings.sagemaker import EndpointSettings, SageMakerSettings

__all__ = ["CHECK_CONTEXT", "EndpointFit", "endpoint_fits", "headroom_percent"]


@dataclass(frozen=True)
class EndpointFit:
    endpoint: str
    model: str
    instance_type: str
    estimate: Candidate
    fit: OneSequenceFit

    def finding(self) -> str | None:
        problem = self.fit.problem()
        if problem is None:
            return None
        return f"endpoint {self.endpoint}: {problem} (mladmin capacity {self.model} --instance-types {self.instance_type})"

    def to_json(self) -> dict:
        return {"endpoint": self.endpoint, "model": self.model, "instance_type": self.instance_type,
                "context": self.fit.context, "headroom_percent": self.fit.headroom_percent,
                "free_gib": round(self.fit.free_gib, 2), "finding": self.finding(), **self.estimate.to_json()}


def _section(config: Mapping[str, Any]) -> dict:
    section = config.get("mladmin:sagemaker")
    if isinstance(section, str):
        try:
            section = json.loads(section)
        except json.JSONDecodeError:
            return {}
    return section if isinstance(section, dict) else {}


def headroom_percent(config: Mapping[str, Any]) -> int:
    """``mladmin:sagemaker.capacityHeadroomPercent``, its default when absent; the settings report bad values
    (one line, exit 2) before any check runs, so a bad value here also falls back to the default."""
    field = SageMakerSettings.model_fields["capacity_headroom_percent"]
    value = _section(config).get("capacityHeadroomPercent", field.default)
    try:
        return SageMakerSettings.model_validate({"capacityHeadroomPercent": value}).capacity_headroom_percent
    except ValidationError:
        return field.default


def endpoint_fits(config: Mapping[str, Any]) -> list[EndpointFit]:
    """Each SageMaker endpoint with an instance type and a catalogue model, sized; others are left out
    (the settings report malformed endpoints)."""
    endpoints = _section(config).get("endpoints")
    headroom = headroom_percent(config)
    fits = []
    for raw in endpoints if isinstance(endpoints, list) else []:
        try:
            endpoint = EndpointSettings.model_validate(raw, by_alias=True, by_name=False)
        except ValidationError:
            continue
        model = CATALOGUE.get(endpoint.model.lower())
        if model is None or endpoint.instance_type is None:
            continue
        fit = one_sequence_fit(model, endpoint.instance_type, headroom)
        try:
            sized = candidate(model, Request(context=min(CHECK_CONTEXT, model.max_positions)), endpoint.instance_type)
        except CapacityError:  # not an accelerated type (a CPU type) or unpriced: nothing to size
            continue
        if fit is None:
            continue
        fits.append(EndpointFit(endpoint.name, model.name, endpoint.instance_type, sized, fit))
    return fits
