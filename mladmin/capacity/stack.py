"""The stack check, like policies ``sagemaker-model-fits-instance`` and ``k8s-model-fits-gpus``
(policies/capacity_fit.py): a catalogue model whose weights and one CHECK_CONTEXT-token sequence do not fit
the GPUs that serve it, or leave less than the configured headroom of their usable memory free, is a finding
(``mladmin plan`` exits 1) naming the numbers. The weights are sized at the server's ``dtype`` (bf16 unless a
quantised checkpoint says otherwise).

- SageMaker endpoints (``mladmin:sagemaker.endpoints``) whose ``architecture``, else ``model``, names a catalogue
  model, against their instance type (headroom ``mladmin:sagemaker.capacityHeadroomPercent``); one that fits is
  sized like ``mladmin capacity MODEL --instance-types TYPE --context CHECK_CONTEXT`` and shows its $ per
  million output tokens in ``mladmin cost``.
- Kubernetes model servers (``mladmin:workloads.serving``) with an ``architecture``, against the ``gpus`` GPUs a
  replica holds on each instance type of its node group (headroom ``mladmin:workloads.capacityHeadroomPercent``).

Models outside the catalogue are not checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from pydantic import ValidationError

from mladmin.capacity.estimate import CapacityError, Candidate, Request, candidate
from mladmin.plan_config import config_section, valid_entries
from policies.capacity_fit import CHECK_CONTEXT, DEFAULT_DTYPE, OneSequenceFit, one_sequence_fit
from policies.facts.models import CATALOGUE
from stacks.settings.sagemaker import EndpointSettings, SageMakerSettings
from stacks.settings.workloads import ServingSettings, WorkloadsSettings

__all__ = ["CHECK_CONTEXT", "EndpointFit", "ServerFit", "endpoint_fits", "headroom_percent", "server_fits"]


def capacity_command(fit: OneSequenceFit) -> str:
    """The `mladmin capacity` run that shows the same sizing: the fit's dtype and, for a replica holding part of a
    node, its devices as the tensor-parallel degree."""
    command = f"mladmin capacity {fit.model} --instance-types {fit.instance_type}"
    if fit.dtype != DEFAULT_DTYPE:
        command += f" --dtype {fit.dtype}"
    if fit.devices < fit.instance_devices:
        command += f" --tensor-parallel {fit.devices}"
    return command


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
        return f"endpoint {self.endpoint}: {problem} ({capacity_command(self.fit)})"

    def to_json(self) -> dict:
        return {"endpoint": self.endpoint, "model": self.model, "instance_type": self.instance_type,
                "context": self.fit.context, "headroom_percent": self.fit.headroom_percent,
                "free_gib": round(self.fit.free_gib, 2), "finding": self.finding(), **self.estimate.to_json()}


def _headroom(section: Mapping[str, Any], settings: type[SageMakerSettings] | type[WorkloadsSettings]) -> int:
    """A section's capacityHeadroomPercent, its default when absent; the settings report bad values (one line,
    exit 2) before any check runs, so a bad value here also falls back to the default."""
    field = settings.model_fields["capacity_headroom_percent"]
    try:
        return settings.model_validate(
            {"capacityHeadroomPercent": section.get("capacityHeadroomPercent", field.default)}).capacity_headroom_percent
    except ValidationError:
        return field.default


def headroom_percent(config: Mapping[str, Any]) -> int:
    """``mladmin:sagemaker.capacityHeadroomPercent``."""
    return _headroom(config_section(config, "mladmin:sagemaker"), SageMakerSettings)


def endpoint_fits(config: Mapping[str, Any]) -> list[EndpointFit]:
    """Each SageMaker endpoint with an instance type and a catalogue model, sized; others are left out
    (the settings report malformed endpoints)."""
    headroom = headroom_percent(config)
    fits = []
    for endpoint in valid_entries(config_section(config, "mladmin:sagemaker").get("endpoints"), EndpointSettings):
        model = CATALOGUE.get(endpoint.catalogue_model or "")
        if model is None or endpoint.instance_type is None:
            continue
        fit = one_sequence_fit(model, endpoint.instance_type, headroom, dtype=endpoint.dtype)
        try:
            sized = candidate(model, Request(dtype=endpoint.dtype, context=min(CHECK_CONTEXT, model.max_positions)),
                              endpoint.instance_type)
        except CapacityError:  # not an accelerated type (a CPU type) or unpriced: nothing to size
            continue
        if fit is None:
            continue
        fits.append(EndpointFit(endpoint.name, model.name, endpoint.instance_type, sized, fit))
    return fits


@dataclass(frozen=True)
class ServerFit:
    server: str  # <team>/<name>
    node_group: str
    fit: OneSequenceFit
    # Sized like `mladmin capacity MODEL --instance-types TYPE --context CHECK_CONTEXT` with replicas of the server's
    # gpus; None when those GPUs are no tensor-parallel split of the node (e.g. 3 of 4) or the type has no price.
    estimate: Candidate | None = None

    def finding(self) -> str | None:
        problem = self.fit.problem()
        if problem is None:
            return None
        return f"model server {self.server} (node group {self.node_group}): {problem} ({capacity_command(self.fit)})"

    def to_json(self) -> dict:
        return {"server": self.server, "node_group": self.node_group, "model": self.fit.model,
                "instance_type": self.fit.instance_type, "gpus": self.fit.devices, "context": self.fit.context,
                "needed_gib": self.fit.needed_gib, "usable_gib": self.fit.usable_gib,
                "headroom_percent": self.fit.headroom_percent, "free_gib": round(self.fit.free_gib, 2),
                "finding": self.finding(), "estimate": self.estimate.to_json() if self.estimate else None}


def _node_group_types(config: Mapping[str, Any]) -> dict[str, list[str]]:
    groups = config_section(config, "mladmin:cluster").get("nodeGroups")
    return {group["name"]: [t for t in group.get("instanceTypes") or [] if isinstance(t, str)]
            for group in groups if isinstance(group, dict) and isinstance(group.get("name"), str)} \
        if isinstance(groups, list) else {}


def server_fits(config: Mapping[str, Any]) -> list[ServerFit]:
    """Each Kubernetes model server with an architecture and GPUs, on each GPU type of its node group (the
    settings report malformed servers and unknown node groups)."""
    section = config_section(config, "mladmin:workloads")
    headroom = _headroom(section, WorkloadsSettings)
    node_groups = _node_group_types(config)
    fits = []
    for server in valid_entries(section.get("serving"), ServingSettings):
        model = CATALOGUE.get(server.architecture or "")
        if model is None or not server.gpus:
            continue
        for instance_type in node_groups.get(server.node_group, []):
            fit = one_sequence_fit(model, instance_type, headroom, devices=server.gpus, dtype=server.dtype)
            if fit is None:
                continue
            try:
                sized: Candidate | None = candidate(
                    model, Request(dtype=server.dtype, context=min(CHECK_CONTEXT, model.max_positions)), instance_type,
                    degree=server.gpus)
            except CapacityError:
                sized = None
            fits.append(ServerFit(f"{server.team}/{server.name}", server.node_group, fit, sized))
    return fits
