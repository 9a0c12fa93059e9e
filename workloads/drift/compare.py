"""Compare a window of requests with a reference profile: three metrics, each with a verdict."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from workloads.drift import psi
from workloads.drift.errors import DriftInputError
from workloads.drift.profile import FINGERPRINT_PREFIX, ReferenceProfile, Tokenizer, lengths_and_tokens
from workloads.drift.samples import SampleSet

MIN_WINDOW_SAMPLES = 30  # below this a PSI is mostly noise: the report warns
TOP_CONTRIBUTORS = 5


@dataclass(frozen=True)
class Thresholds:
    psi: float = 0.2               # both PSIs; 0.1–0.25 is the usual "moderate shift" band
    unknown_rate: float = 0.05     # share of window tokens absent from the reference

    def validate(self) -> None:
        problems = []
        if not self.psi > 0:
            problems.append(f"--threshold: {self.psi} must be greater than 0")
        if not 0 < self.unknown_rate <= 1:
            problems.append(f"--unknown-threshold: {self.unknown_rate} must be in (0, 1]")
        if problems:
            raise DriftInputError(problems)


def _verdict(value: float | None, threshold: float, reason_missing: str) -> dict:
    if value is None:
        return {"value": None, "threshold": threshold, "status": "not_measured", "drift": False,
                "reason": reason_missing}
    drifted = value > threshold
    return {"value": value, "threshold": threshold, "status": "drift" if drifted else "ok",
            "drift": drifted,
            "reason": f"{value:.4f} {'exceeds' if drifted else 'is within'} the threshold {threshold}"}


def compare(profile: ReferenceProfile, window: SampleSet, tokenizer: Tokenizer | None,
            thresholds: Thresholds, epsilon: float = psi.DEFAULT_EPSILON) -> dict:
    thresholds.validate()
    if tokenizer is not None and profile.tokenizer is not None and tokenizer.fingerprint != profile.tokenizer:
        if not profile.tokenizer.startswith(FINGERPRINT_PREFIX):
            raise DriftInputError(f"--reference: the profile was made by an older mladmin (tokenizer "
                                  f"{profile.tokenizer}); make it again with `mladmin drift profile`")
        raise DriftInputError(f"--model {tokenizer.path}: tokenizer {tokenizer.fingerprint} differs from the one "
                              f"the reference profile was built with ({profile.tokenizer})")
    lengths, encoded = lengths_and_tokens(window, tokenizer, "window")
    warnings = []
    if len(lengths) < MIN_WINDOW_SAMPLES:
        warnings.append(f"window has only {len(lengths)} requests (< {MIN_WINDOW_SAMPLES}): "
                        "the PSI values are noisy")

    # prompt length: the reference's quantile bins
    window_props = psi.proportions(psi.bin_counts(lengths, profile.length_edges))
    length_psi = psi.psi(profile.length_proportions, window_props, epsilon)
    edges = profile.length_edges
    labels = [f"<= {edges[0]:g}"] + [f"({a:g}, {b:g}]" for a, b in zip(edges, edges[1:])] + [f"> {edges[-1]:g}"] \
        if edges else ["all"]
    length = {
        **_verdict(length_psi, thresholds.psi, ""),
        "bins": [{"bin": label, "reference": r, "window": w}
                 for label, r, w in zip(labels, profile.length_proportions, window_props)],
        "window_mean": sum(lengths) / len(lengths),
    }

    # token frequencies and unknown tokens: need prompt text in the window and tokens in the profile
    window_tokens = [t for ids in encoded for t in ids]
    token_freq: dict
    unknown: dict
    if not profile.has_tokens:
        missing = "the reference profile has no token statistics (built from token counts only)"
        token_freq, unknown = _verdict(None, thresholds.psi, missing), _verdict(None, thresholds.unknown_rate, missing)
    elif not window_tokens:
        missing = ("token frequency and unknown tokens not measured: the window has no prompt text "
                   "(the server logs prompt text only when started with `mladmin serve --log-prompts`)")
        token_freq, unknown = _verdict(None, thresholds.psi, missing), _verdict(None, thresholds.unknown_rate, missing)
    else:
        counts = Counter(window_tokens)
        top = profile.top_tokens
        top_counts = [counts.get(t, 0) for t in top]
        other = len(window_tokens) - sum(top_counts)
        window_dist = psi.proportions(top_counts + [other])
        reference_dist = profile.top_proportions + [profile.other_proportion]
        terms = psi.psi_terms(reference_dist, window_dist, epsilon)
        names = profile.top_token_text + ["<other>"] if profile.top_token_text else \
            [str(t) for t in top] + ["<other>"]
        order = sorted(range(len(terms)), key=lambda i: -terms[i])[:TOP_CONTRIBUTORS]
        token_freq = {
            **_verdict(sum(terms), thresholds.psi, ""),
            "top_k": len(top),
            "top_contributors": [{"token": names[i], "reference": reference_dist[i],
                                  "window": window_dist[i], "psi": terms[i]} for i in order],
        }
        vocabulary = set(profile.vocabulary)
        unk = tokenizer.unk_id if tokenizer is not None else None
        n_unknown = sum(1 for t in window_tokens if t not in vocabulary or t == unk)
        unknown = {**_verdict(n_unknown / len(window_tokens), thresholds.unknown_rate, ""),
                   "unknown_tokens": n_unknown}

    metrics = {"prompt_length_psi": length, "token_frequency_psi": token_freq,
               "unknown_token_rate": unknown}
    return {
        "window": {"path": str(window.path), "requests": len(lengths),
                   "with_text": len(encoded), "tokens": len(window_tokens),
                   "skipped_records": window.skipped, "statuses": window.statuses,
                   "models": window.models},
        "metrics": metrics,
        "drift": any(m["drift"] for m in metrics.values()),
        "warnings": warnings,
    }
