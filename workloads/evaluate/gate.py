"""Release gate: thresholds on report metrics, read from a YAML file.

```yaml
perplexity: {max: 500}
accuracy: {min: 0.3}
bias_gap: {max: 0.5}
```
Each key is a metric of the report's `metrics` object; each value has `min`, `max` or both
(inclusive bounds). A gated metric the run did not measure fails the gate: a release must not
pass on a check that never ran.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import yaml

from workloads.evaluate.errors import EvalInputError

# Metric name -> what measures it (shown when a gated metric was not measured).
GATEABLE_METRICS = {
    "perplexity": "--data",
    "nll": "--data",
    "accuracy": "--labelled",
    "macro_f1": "--labelled",
    "holdout_accuracy": "--labelled with --holdout-fraction > 0",
    "holdout_macro_f1": "--labelled with --holdout-fraction > 0",
    "cv_accuracy_mean": "--labelled with --cv-folds >= 2",
    "cv_accuracy_std": "--labelled with --cv-folds >= 2",
    "cv_macro_f1_mean": "--labelled with --cv-folds >= 2",
    "cv_macro_f1_std": "--labelled with --cv-folds >= 2",
    "bias_gap": "--bias-probe",
    "bias_gap_mean": "--bias-probe",
}


@dataclass
class Threshold:
    metric: str
    min: float | None
    max: float | None


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def load_gate(path: Path) -> list[Threshold]:
    path = Path(path)
    if not path.is_file():
        raise EvalInputError(f"{path}: gate file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise EvalInputError(f"{path}: invalid YAML: {exc}".replace("\n", " ")) from None
    if not isinstance(data, dict) or not data:
        raise EvalInputError(f"{path}: expected a mapping of metric name to {{min: x}} / {{max: y}}")
    problems, thresholds = [], []
    for metric, bounds in data.items():
        if metric not in GATEABLE_METRICS:
            problems.append(f"{path}: {metric}: unknown metric (expected one of "
                            f"{', '.join(GATEABLE_METRICS)})")
            continue
        if not isinstance(bounds, dict) or not bounds:
            problems.append(f"{path}: {metric}: expected a mapping with min and/or max, got {bounds!r}")
            continue
        before = len(problems)
        for key, value in bounds.items():
            if key not in ("min", "max"):
                problems.append(f"{path}: {metric}.{key}: unknown bound (expected min or max)")
            elif not _is_number(value):
                problems.append(f"{path}: {metric}.{key}: {value!r} is not a number")
        if len(problems) > before:
            continue
        low, high = bounds.get("min"), bounds.get("max")
        if low is not None and high is not None and low > high:
            problems.append(f"{path}: {metric}: min {low} is greater than max {high}")
            continue
        thresholds.append(Threshold(metric, low, high))
    if problems:
        raise EvalInputError(problems)
    return thresholds


def check_gate(thresholds: list[Threshold], metrics: dict, path: Path) -> dict:
    """The gate section of the report: every check with its value and verdict."""
    checks = []
    for t in thresholds:
        value = metrics.get(t.metric)
        check = {"metric": t.metric, "min": t.min, "max": t.max, "value": value}
        if value is None:
            check.update(passed=False, reason=f"not measured (needs {GATEABLE_METRICS[t.metric]})")
        elif t.min is not None and value < t.min:
            check.update(passed=False, reason=f"{value:.4g} is below the minimum {t.min}")
        elif t.max is not None and value > t.max:
            check.update(passed=False, reason=f"{value:.4g} is above the maximum {t.max}")
        else:
            check.update(passed=True, reason="within bounds")
        checks.append(check)
    return {"path": str(path), "passed": all(c["passed"] for c in checks), "checks": checks}
