"""Holdout and k-fold cross-validation of a calibrated zero-shot classifier.

The zero-shot scores carry a per-label bias (a verbalizer that is more likely a priori, or has
fewer tokens, wins too often). On each training split we fit one additive offset per label and
measure the calibrated classifier on the held-out split, so the folds measure how well a small
amount of labelled data fixes that bias — and how much the estimate varies between splits.
"""

from __future__ import annotations

import random
import statistics

from workloads.evaluate.errors import EvalInputError
from workloads.evaluate.labelled import classification_metrics, predict

CALIBRATION_PASSES = 3


def stratified_folds(labels: list[str], k: int, seed: int) -> list[list[int]]:
    """k disjoint index lists covering every example; each label spread evenly over the folds."""
    rng = random.Random(seed)
    folds: list[list[int]] = [[] for _ in range(k)]
    start = 0
    for label in sorted(set(labels)):
        members = [i for i, y in enumerate(labels) if y == label]
        rng.shuffle(members)
        for position, index in enumerate(members):
            folds[(start + position) % k].append(index)
        start = (start + len(members)) % k  # next label fills the folds this one left short
    return [sorted(f) for f in folds]


def stratified_holdout(labels: list[str], fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """(train, test) indices with about `fraction` of each label held out (at least one when a
    label has two or more examples)."""
    rng = random.Random(seed)
    train, test = [], []
    for label in sorted(set(labels)):
        members = [i for i, y in enumerate(labels) if y == label]
        rng.shuffle(members)
        n_test = round(fraction * len(members))
        if len(members) >= 2:
            n_test = min(max(n_test, 1), len(members) - 1)
        test += members[:n_test]
        train += members[n_test:]
    return sorted(train), sorted(test)


def _objective(scores, gold, label_set, offsets) -> tuple[float, float]:
    metrics = classification_metrics(gold, predict(scores, label_set, offsets), label_set)
    return metrics["macro_f1"], metrics["accuracy"]


def fit_offsets(scores: list[list[float]], gold: list[str], label_set: list[str]) -> list[float]:
    """Per-label additive offsets that maximise macro F1 (then accuracy) on (scores, gold).

    Starts from centring each label's scores (removing the label's prior), then coordinate ascent:
    for one label at a time, try an offset in each gap between the values at which that label
    starts or stops winning an example, and keep the best (ties: the smallest move).
    """
    width = len(label_set)
    offsets = [-statistics.fmean(row[j] for row in scores) for j in range(width)]
    best = _objective(scores, gold, label_set, offsets)
    for _ in range(CALIBRATION_PASSES):
        improved = False
        for j in range(width):
            thresholds = sorted({
                max(row[k] + offsets[k] for k in range(width) if k != j) - row[j] for row in scores
            })
            candidates = [thresholds[0] - 1.0, thresholds[-1] + 1.0]
            candidates += [(a + b) / 2 for a, b in zip(thresholds, thresholds[1:])]
            current = offsets[j]
            for value in sorted(candidates, key=lambda v: abs(v - current)):
                trial = offsets[:j] + [value] + offsets[j + 1:]
                result = _objective(scores, gold, label_set, trial)
                if result > best:
                    best, offsets, improved = result, trial, True
        if not improved:
            break
    return offsets


def _evaluate_split(scores, gold, label_set, train, test) -> dict:
    offsets = fit_offsets([scores[i] for i in train], [gold[i] for i in train], label_set)
    test_scores, test_gold = [scores[i] for i in test], [gold[i] for i in test]
    zero_shot = classification_metrics(test_gold, predict(test_scores, label_set), label_set)
    calibrated = classification_metrics(test_gold, predict(test_scores, label_set, offsets), label_set)
    return {
        "train_size": len(train),
        "test_size": len(test),
        "offsets": dict(zip(label_set, offsets)),
        "zero_shot": {"accuracy": zero_shot["accuracy"], "macro_f1": zero_shot["macro_f1"]},
        "calibrated": {"accuracy": calibrated["accuracy"], "macro_f1": calibrated["macro_f1"]},
    }


def check_split_settings(n_examples: int, cv_folds: int, holdout_fraction: float) -> None:
    problems = []
    if cv_folds < 0 or cv_folds == 1:
        problems.append(f"--cv-folds: {cv_folds} must be 0 (off) or at least 2")
    elif cv_folds > n_examples:
        problems.append(f"--cv-folds: {cv_folds} folds need at least {cv_folds} labelled examples, "
                        f"the set has {n_examples}")
    if not 0.0 <= holdout_fraction < 1.0:
        problems.append(f"--holdout-fraction: {holdout_fraction} must be in [0, 1)")
    if problems:
        raise EvalInputError(problems)


def holdout(scores, gold, label_set, fraction: float, seed: int) -> dict | None:
    if fraction == 0:
        return None
    train, test = stratified_holdout(gold, fraction, seed)
    if not train or not test:
        raise EvalInputError(f"--holdout-fraction: {fraction} leaves an empty train or test split "
                             f"of {len(gold)} examples")
    return {"fraction": fraction, **_evaluate_split(scores, gold, label_set, train, test)}


def cross_validate(scores, gold, label_set, k: int, seed: int) -> tuple[list[dict], dict | None]:
    """Per-fold results and their mean and sample standard deviation (calibrated and zero-shot)."""
    if k == 0:
        return [], None
    folds = stratified_folds(gold, k, seed)
    results = []
    everyone = set(range(len(gold)))
    for number, test in enumerate(folds):
        train = sorted(everyone - set(test))
        results.append({"fold": number, **_evaluate_split(scores, gold, label_set, train, test)})
    summary = {}
    for kind in ("calibrated", "zero_shot"):
        for metric in ("accuracy", "macro_f1"):
            values = [r[kind][metric] for r in results]
            summary[f"{kind}_{metric}_mean"] = statistics.fmean(values)
            summary[f"{kind}_{metric}_std"] = statistics.stdev(values) if len(values) > 1 else 0.0
    return results, summary
