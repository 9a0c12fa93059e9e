"""Zero-shot classification on a labelled set: each candidate label is scored by the model's
log-likelihood of its verbalizer given the prompt; accuracy and macro F1 from the argmax."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from workloads.evaluate.errors import EvalInputError
from workloads.evaluate.model import LoadedModel, continuation_logprobs

DEFAULT_TEMPLATE = "Text: {text}\nTopic:"
DEFAULT_VERBALIZER = " {label}"


@dataclass
class LabelledSet:
    path: Path
    texts: list[str]
    labels: list[str]        # gold label per example
    label_set: list[str]     # the fixed candidate labels, in report order


def load_labelled(path: Path, label_set: list[str] | None = None) -> LabelledSet:
    """JSONL of {"text": str, "label": str}. The label set is `label_set` when given (every gold
    label must be in it), else the sorted labels found in the file (at least two)."""
    path = Path(path)
    if not path.is_file():
        raise EvalInputError(f"{path}: labelled set not found")
    texts, labels, problems = [], [], []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{path}:{number}: invalid JSON ({exc.msg})")
            continue
        if not isinstance(record, dict):
            problems.append(f'{path}:{number}: expected an object with "text" and "label"')
            continue
        text, label = record.get("text"), record.get("label")
        line_problems = []
        if not isinstance(text, str) or not text.strip():
            line_problems.append(f"{path}:{number}: text: expected a non-empty string, got {text!r}")
        if not isinstance(label, str) or not label.strip():
            line_problems.append(f"{path}:{number}: label: expected a non-empty string, got {label!r}")
        elif label_set is not None and label not in label_set:
            line_problems.append(f"{path}:{number}: label: {label!r} is not one of {', '.join(label_set)}")
        problems.extend(line_problems)
        if not line_problems:
            texts.append(text)
            labels.append(label)
    if not texts and not problems:
        problems.append(f"{path}: no records")
    chosen = list(label_set) if label_set is not None else sorted(set(labels))
    if not problems and len(chosen) < 2:
        problems.append(f"{path}: needs at least two distinct labels, found {chosen}")
    if problems:
        raise EvalInputError(problems)
    return LabelledSet(path, texts, labels, chosen)


def check_template(template: str, verbalizer: str) -> None:
    problems = []
    if "{text}" not in template:
        problems.append(f"--template: {template!r} has no {{text}} slot")
    if "{label}" not in verbalizer:
        problems.append(f"--verbalizer: {verbalizer!r} has no {{label}} slot")
    if problems:
        raise EvalInputError(problems)


def score_labels(
    loaded: LoadedModel,
    dataset: LabelledSet,
    template: str = DEFAULT_TEMPLATE,
    verbalizer: str = DEFAULT_VERBALIZER,
) -> list[list[float]]:
    """Score matrix [example][label]: log P(verbalizer(label) | template(text))."""
    check_template(template, verbalizer)
    prompts, continuations = [], []
    for text in dataset.texts:
        prompt = template.replace("{text}", text)
        for label in dataset.label_set:
            prompts.append(prompt)
            continuations.append(verbalizer.replace("{label}", label))
    flat = continuation_logprobs(loaded, prompts, continuations)
    width = len(dataset.label_set)
    return [flat[i:i + width] for i in range(0, len(flat), width)]


def predict(scores: list[list[float]], label_set: list[str], offsets: list[float] | None = None) -> list[str]:
    offsets = offsets or [0.0] * len(label_set)
    predictions = []
    for row in scores:
        adjusted = [s + b for s, b in zip(row, offsets)]
        predictions.append(label_set[max(range(len(adjusted)), key=adjusted.__getitem__)])
    return predictions


def classification_metrics(gold: list[str], predicted: list[str], label_set: list[str]) -> dict:
    """Accuracy, macro F1 (unweighted mean over the label set; a label with no gold and no
    predicted examples scores F1 0), per-label precision/recall/F1/support and the confusion
    matrix (rows gold, columns predicted, in `label_set` order)."""
    index = {label: i for i, label in enumerate(label_set)}
    confusion = [[0] * len(label_set) for _ in label_set]
    for g, p in zip(gold, predicted):
        confusion[index[g]][index[p]] += 1
    per_label = {}
    for label, i in index.items():
        tp = confusion[i][i]
        predicted_count = sum(row[i] for row in confusion)
        support = sum(confusion[i])
        precision = tp / predicted_count if predicted_count else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_label[label] = {"precision": precision, "recall": recall, "f1": f1, "support": support}
    correct = sum(confusion[i][i] for i in range(len(label_set)))
    return {
        "accuracy": correct / len(gold) if gold else 0.0,
        "macro_f1": sum(m["f1"] for m in per_label.values()) / len(label_set),
        "per_label": per_label,
        "confusion": confusion,
    }
