"""`mladmin drift` and `mladmin drift profile`: one linear main each."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from workloads.drift import cloudwatch, samples
from workloads.drift.compare import Thresholds, compare
from workloads.drift.errors import DriftInputError
from workloads.drift.files import atomic_write_text
from workloads.drift.profile import (
    ReferenceProfile, Tokenizer, build_profile, is_profile_file, load_profile, load_tokenizer,
    save_profile,
)

REPORT_KIND = "mladmin.drift-report"
REPORT_VERSION = 1
DEFAULT_BINS = 10
DEFAULT_TOP_K = 50


@dataclass
class DriftSettings:
    reference: Path                  # text / JSONL corpus, or a profile JSON
    window: Path                     # JSONL request log
    model: Path | None = None        # tokenizer source; needed whenever text must be tokenized
    thresholds: Thresholds = field(default_factory=Thresholds)
    bins: int = DEFAULT_BINS         # only for a raw reference (a profile carries its own)
    top_k: int = DEFAULT_TOP_K
    output: Path | None = None
    publish: bool = False
    namespace: str = cloudwatch.DEFAULT_NAMESPACE
    metric_name: str = cloudwatch.DEFAULT_METRIC_NAME
    endpoint_name: str | None = None   # EndpointName dimension
    model_name: str | None = None      # ModelName dimension; default: the model most requests name
    region: str | None = None
    endpoint_url: str | None = None


def _reference(path: Path, tokenizer: Tokenizer | None, bins: int, top_k: int) -> ReferenceProfile:
    if is_profile_file(path):
        return load_profile(path)
    return build_profile(samples.read_reference_samples(path), tokenizer, bins=bins, top_k=top_k)


def _save(report: dict, output: Path | None) -> None:
    if output is not None:
        atomic_write_text(output, json.dumps(report, indent=2) + "\n")


def check_drift(settings: DriftSettings) -> dict:
    # parse
    settings.thresholds.validate()
    window = samples.read_window(settings.window)
    # load
    tokenizer = load_tokenizer(settings.model) if settings.model is not None else None
    profile = _reference(Path(settings.reference), tokenizer, settings.bins, settings.top_k)
    # compare
    result = compare(profile, window, tokenizer, settings.thresholds)
    report = {
        "kind": REPORT_KIND,
        "schema_version": REPORT_VERSION,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "reference": {**profile.source, "profile": str(settings.reference) if is_profile_file(settings.reference)
                      else None, "tokenizer": profile.tokenizer, "length_bins": len(profile.length_edges) + 1,
                      "top_k": len(profile.top_tokens)},
        **result,
        "cloudwatch": None,
    }
    # save, then publish (and save again with what was sent, or why sending failed)
    _save(report, settings.output)
    if settings.publish:
        dimensions = {}
        if settings.endpoint_name is not None:
            dimensions["EndpointName"] = settings.endpoint_name
        model_name = settings.model_name or (max(window.models, key=window.models.get) if window.models else None)
        if model_name:
            dimensions["ModelName"] = model_name
        try:
            report["cloudwatch"] = cloudwatch.publish(
                report, namespace=settings.namespace, metric_name=settings.metric_name,
                dimensions=dimensions, region=settings.region, endpoint_url=settings.endpoint_url,
            )
        except DriftInputError as exc:
            report["cloudwatch"] = {"error": str(exc)}
            raise
        finally:
            _save(report, settings.output)
    return report


def make_profile(reference: Path, model: Path | None, output: Path, *, bins: int = DEFAULT_BINS,
                 top_k: int = DEFAULT_TOP_K) -> ReferenceProfile:
    reference = Path(reference)
    if is_profile_file(reference):
        raise DriftInputError(f"{reference}: already a profile; give the reference text or JSONL")
    tokenizer = load_tokenizer(model) if model is not None else None
    profile = build_profile(samples.read_reference_samples(reference), tokenizer, bins=bins, top_k=top_k)
    save_profile(profile, output)
    return profile
