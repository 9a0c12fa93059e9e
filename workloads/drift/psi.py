"""Population stability index and the binning it needs.

PSI = Σ (w_i − r_i) · ln(w_i / r_i) over bins, with r the reference and w the window proportions.
Empty bins are floored at `epsilon` on both sides so a bin the reference never saw yields a large
but finite contribution. Rule of thumb: < 0.1 stable, 0.1–0.25 moderate shift, > 0.25 major shift.
"""

from __future__ import annotations

import bisect
import math

DEFAULT_EPSILON = 1e-4


def proportions(counts: list[int]) -> list[float]:
    total = sum(counts)
    return [c / total for c in counts] if total else [0.0] * len(counts)


def psi_terms(reference: list[float], window: list[float], epsilon: float = DEFAULT_EPSILON) -> list[float]:
    if len(reference) != len(window):
        raise ValueError("reference and window have different numbers of bins")
    terms = []
    for r, w in zip(reference, window):
        r, w = max(r, epsilon), max(w, epsilon)
        terms.append((w - r) * math.log(w / r))
    return terms


def psi(reference: list[float], window: list[float], epsilon: float = DEFAULT_EPSILON) -> float:
    return sum(psi_terms(reference, window, epsilon))


def quantile_edges(values: list[int | float], bins: int) -> list[float]:
    """Interior bin edges at the reference's quantiles 1/bins … (bins−1)/bins, deduplicated
    (a value that fills several quantiles gives one edge, so there may be fewer bins)."""
    if not values:
        raise ValueError("no values to bin")
    ordered = sorted(values)
    edges = []
    for i in range(1, bins):
        position = i * (len(ordered) - 1) / bins
        low, high = math.floor(position), math.ceil(position)
        edge = ordered[low] + (ordered[high] - ordered[low]) * (position - low)
        if not edges or edge > edges[-1]:
            edges.append(float(edge))
    return edges


def bin_counts(values: list[int | float], edges: list[float]) -> list[int]:
    """Counts in the bins (−∞, e0], (e0, e1], …, (e_last, ∞)."""
    counts = [0] * (len(edges) + 1)
    for value in values:
        counts[bisect.bisect_left(edges, value)] += 1
    return counts
