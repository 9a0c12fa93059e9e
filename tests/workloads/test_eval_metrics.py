"""workloads.evaluate building blocks: perplexity, label scoring, metrics, folds, calibration, probe."""

from __future__ import annotations

import math

import pytest

from workloads.evaluate import EvalInputError
from workloads.evaluate.bias import BiasProbe, ProbeTemplate, load_probe, run_probe
from workloads.evaluate.crossval import fit_offsets, stratified_folds, stratified_holdout
from workloads.evaluate.labelled import classification_metrics, predict
from workloads.evaluate.model import continuation_logprobs, fingerprint_model_dir, load_model
from workloads.evaluate.perplexity import strided_perplexity

SHIPPED_PROBE = "workloads/data/eval/bias_probe.yaml"


@pytest.fixture(scope="module")
def loaded(tiny_model_dir):
    return load_model(tiny_model_dir, "cpu")


@pytest.fixture(scope="module")
def short_text(sample_text_path):
    return sample_text_path.read_text()[:2500]


def _hf_strided_reference(loaded, text, block, stride):
    """The Hugging Face guide's loop, using the model's own loss: mean loss × targets per window."""
    import torch

    ids = loaded.tokenizer(text, return_tensors="pt").input_ids
    total, count, prev_end = 0.0, 0, 0
    for begin in range(0, ids.size(1), stride):
        end = min(begin + block, ids.size(1))
        trg_len = end - prev_end
        input_ids = ids[:, begin:end]
        target_ids = input_ids.clone()
        target_ids[:, :-trg_len] = -100
        with torch.no_grad():
            loss = loaded.model(input_ids, labels=target_ids).loss
        n = int((target_ids[:, 1:] != -100).sum())
        total, count, prev_end = total + float(loss) * n, count + n, end
        if end == ids.size(1):
            break
    return math.exp(total / count)


def test_strided_perplexity_matches_the_hugging_face_method(loaded, short_text):
    result = strided_perplexity(loaded, short_text, block_size=64, stride=16)
    assert result.perplexity == pytest.approx(_hf_strided_reference(loaded, short_text, 64, 16), rel=1e-5)


def test_overlapping_windows_score_every_token_but_the_first_once(loaded, short_text):
    result = strided_perplexity(loaded, short_text, block_size=64, stride=32)
    assert result.scored_tokens == result.tokens - 1
    assert result.windows == math.ceil((result.tokens - 64) / 32) + 1


def test_one_window_equals_a_single_forward_pass(loaded):
    import torch

    text = "The training job writes a new checkpoint so that a restarted run picks up where it stopped."
    ids = loaded.tokenizer(text, return_tensors="pt").input_ids
    with torch.no_grad():
        expected = math.exp(float(loaded.model(ids, labels=ids).loss))
    assert strided_perplexity(loaded, text).perplexity == pytest.approx(expected, rel=1e-5)


def test_untrained_model_perplexity_is_near_the_vocabulary_size(loaded, short_text):
    # a random model predicts nearly uniformly over its 512 tokens
    result = strided_perplexity(loaded, short_text)
    assert 200 < result.perplexity < 1500


def test_jsonl_data_is_scored_as_its_texts_joined_by_blank_lines(loaded, tmp_path):
    import json

    from workloads.evaluate.perplexity import read_eval_text

    texts = ["The budget alarm is cautious.", "My neighbour waters the tomatoes."]
    data = tmp_path / "data.jsonl"
    data.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts))
    assert read_eval_text(data) == "\n\n".join(texts)


def test_window_options_outside_the_model_context_are_rejected(loaded, short_text):
    with pytest.raises(EvalInputError, match="--block-size: 9999 exceeds the model context of 256"):
        strided_perplexity(loaded, short_text, block_size=9999)
    with pytest.raises(EvalInputError, match="--stride: 100 must be between 1 and the block size 64"):
        strided_perplexity(loaded, short_text, block_size=64, stride=100)


def test_batched_scoring_with_padding_equals_scoring_one_at_a_time(loaded):
    prompts = ["Text: the cat sleeps\nTopic:", "Text: a much longer prompt about the storage bucket\nTopic:"] * 2
    continuations = [" everyday", " cloud", " training", " everyday"]
    batched = continuation_logprobs(loaded, prompts, continuations, batch_size=4)
    single = [continuation_logprobs(loaded, [p], [c])[0] for p, c in zip(prompts, continuations)]
    assert batched == pytest.approx(single, abs=1e-4)
    assert all(score < 0 for score in batched)


def test_fingerprint_follows_the_weights_not_the_directory(tiny_model_dir, tmp_path):
    import shutil

    copy = shutil.copytree(tiny_model_dir, tmp_path / "copy")
    assert fingerprint_model_dir(copy)[0] == fingerprint_model_dir(tiny_model_dir)[0]
    (copy / "config.json").write_text((copy / "config.json").read_text() + " ")
    assert fingerprint_model_dir(copy)[0] != fingerprint_model_dir(tiny_model_dir)[0]


def test_classification_metrics_by_hand():
    gold = ["a", "a", "a", "b", "b", "c"]
    predicted = ["a", "a", "b", "b", "c", "c"]
    metrics = classification_metrics(gold, predicted, ["a", "b", "c"])
    assert metrics["accuracy"] == pytest.approx(4 / 6)
    # a: p=1, r=2/3, f1=0.8 · b: p=1/2, r=1/2, f1=0.5 · c: p=1/2, r=1, f1=2/3
    assert metrics["per_label"]["a"]["f1"] == pytest.approx(0.8)
    assert metrics["macro_f1"] == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)
    assert metrics["confusion"] == [[2, 1, 0], [0, 1, 1], [0, 0, 1]]


def test_a_label_never_seen_nor_predicted_scores_zero_f1():
    metrics = classification_metrics(["a", "a"], ["a", "a"], ["a", "b"])
    assert metrics["macro_f1"] == pytest.approx(0.5)


def test_stratified_folds_partition_the_set_and_spread_each_label():
    labels = ["x"] * 10 + ["y"] * 7 + ["z"] * 5
    folds = stratified_folds(labels, 4, seed=3)
    assert sorted(i for fold in folds for i in fold) == list(range(len(labels)))
    for label in "xyz":
        per_fold = [sum(labels[i] == label for i in fold) for fold in folds]
        assert max(per_fold) - min(per_fold) <= 1
    assert max(map(len, folds)) - min(map(len, folds)) <= 1


def test_stratified_holdout_keeps_every_label_on_both_sides():
    labels = ["x"] * 8 + ["y"] * 4 + ["z"] * 2
    train, test = stratified_holdout(labels, 0.25, seed=1)
    assert sorted(train + test) == list(range(len(labels)))
    assert {labels[i] for i in test} == {labels[i] for i in train} == {"x", "y", "z"}


def test_fitted_offsets_remove_a_constant_label_bias():
    import random

    rng = random.Random(0)
    label_set = ["a", "b", "c"]
    gold = [label_set[i % 3] for i in range(60)]
    # the right label gets +1, but label "a" has a +3 prior: zero-shot predicts "a" everywhere
    scores = [[rng.gauss(0, 0.3) + (1.0 if label == y else 0.0) + (3.0 if label == "a" else 0.0)
               for label in label_set] for y in gold]
    before = classification_metrics(gold, predict(scores, label_set), label_set)
    offsets = fit_offsets(scores, gold, label_set)
    after = classification_metrics(gold, predict(scores, label_set, offsets), label_set)
    assert before["accuracy"] == pytest.approx(1 / 3)
    assert after["accuracy"] > 0.9


def test_bias_gap_is_the_spread_of_the_filled_prompt_scores(loaded):
    template = ProbeTemplate("t", "pronoun", "Yesterday {group} repaired the bicycle and it was", " fine", None)
    probe = BiasProbe(path=None, axes={"pronoun": ["he", "she", "they"]}, templates=[template])
    result = run_probe(loaded, probe)
    prompts = [template.text.replace("{group}", t) for t in ("he", "she", "they")]
    expected = continuation_logprobs(loaded, prompts, [" fine"] * 3)
    assert result["templates"][0]["scores"] == pytest.approx(dict(zip(("he", "she", "they"), expected)))
    assert result["max_gap"] == pytest.approx(max(expected) - min(expected))


def test_a_contrast_equal_to_the_continuation_has_no_gap(loaded):
    template = ProbeTemplate("t", "name", "{group} wrote the cost report and it was", " clear", " clear")
    probe = BiasProbe(path=None, axes={"name": ["James", "Maria"]}, templates=[template])
    assert run_probe(loaded, probe)["max_gap"] == pytest.approx(0.0, abs=1e-6)


def test_shipped_probe_file_is_valid():
    probe = load_probe(SHIPPED_PROBE)
    assert len(probe.templates) >= 5 and set(probe.axes) >= {"pronoun", "name"}


def test_probe_file_problems_are_all_reported(tmp_path):
    bad = tmp_path / "probe.yaml"
    bad.write_text("axes:\n  pronoun: [he]\ntemplates:\n  - id: a\n    axis: gender\n    text: no slot\n"
                   "    continuation: ' x'\n")
    with pytest.raises(EvalInputError) as caught:
        load_probe(bad)
    text = "\n".join(caught.value.problems)
    assert f"{bad}: axes.pronoun: expected a list of at least two" in text
    assert "templates[0].text: must contain the {group} slot exactly once" in text
    assert "templates[0].axis: 'gender' is not one of the axes (pronoun)" in text
