"""The server's parts without HTTP: batched decoding, streaming text, PII redaction, logs, settings."""

from __future__ import annotations

import io
import json

import pytest
from typer.testing import CliRunner

from mladmin.cli.main import app
from workloads.serve.engine import Engine, SamplingParams
from workloads.serve.redact import redact
from workloads.serve.request_log import RequestLogger
from workloads.serve.settings import ServeSettings, SettingsError, resolve_model_dir
from workloads.serve.textstream import TextAssembler


@pytest.fixture(scope="module")
def engine(tiny_model_dir):
    import torch

    threads = torch.get_num_threads()
    yield Engine.load(tiny_model_dir, "cpu", cpu_threads=1)
    torch.set_num_threads(threads)   # the setting is process-wide: leave other tests' as it was


class Collect:
    """A minimal decoding sequence: keeps every token until max_tokens or end of sequence."""

    def __init__(self, prompt_ids: list[int], params: SamplingParams):
        self.prompt_ids, self.params, self.tokens = prompt_ids, params, []

    def is_cancelled(self) -> bool:
        return False

    def push(self, token_id: int, is_eos: bool) -> bool:
        self.tokens.append(token_id)
        return is_eos or len(self.tokens) >= self.params.max_tokens

    def abort(self) -> None:
        raise AssertionError("not cancelled")


PROMPTS = ["The", "Serving a model on CPU", "GPU clusters need quotas and budgets", "a b"]


def test_batched_greedy_decoding_matches_transformers_generate_per_prompt(engine):
    lengths = [12, 5, 9, 1]  # sequences leave the batch at different steps
    batch = [Collect(engine.encode(p), SamplingParams(max_tokens=n, temperature=0)) for p, n in zip(PROMPTS, lengths)]
    engine.generate(batch)
    for seq in batch:
        assert seq.tokens == reference_tokens(engine, seq)[: len(seq.tokens)]
        assert len(seq.tokens) == seq.params.max_tokens


def reference_tokens(engine, seq) -> list[int]:
    import torch

    prompt = torch.tensor([seq.prompt_ids])
    output = engine.model.generate(prompt, attention_mask=torch.ones_like(prompt),
                                   max_new_tokens=seq.params.max_tokens, do_sample=False)
    return output[0, len(seq.prompt_ids):].tolist()


def test_sequences_joining_a_running_batch_decode_as_if_alone(engine):
    from workloads.serve.engine import DecodeBatch

    def greedy(prompt: str, n: int) -> Collect:
        return Collect(engine.encode(prompt), SamplingParams(max_tokens=n, temperature=0))

    first, longer, shorter, late = greedy("a b", 6), greedy(PROMPTS[2] + " " + PROMPTS[1], 10), greedy("x", 4), \
        greedy(PROMPTS[1], 5)
    batch = DecodeBatch(engine)
    batch.add([first])
    for _ in range(3):
        batch.step()
    batch.add([longer, shorter])           # one prompt longer than the running cache, one shorter
    while len(batch) > 1:                   # `first` and `shorter` leave; leading padding is trimmed
        batch.step()
    batch.add([late])
    while batch:
        batch.step()
    for seq in (first, longer, shorter, late):
        assert seq.tokens == reference_tokens(engine, seq)[: len(seq.tokens)]
        assert len(seq.tokens) == seq.params.max_tokens


def test_joining_also_matches_generate_for_a_llama_style_model(engine):
    """Rotary positions and grouped-query attention: position ids and cache merging stay right."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from workloads.serve.engine import DecodeBatch

    tokenizer = engine.tokenizer
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
                         eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
    torch.manual_seed(0)
    llama = Engine(LlamaForCausalLM(config).eval(), tokenizer, torch.device("cpu"))
    running, joining = (Collect(llama.encode(p), SamplingParams(max_tokens=n, temperature=0))
                        for p, n in (("a b", 6), (PROMPTS[2], 8)))
    batch = DecodeBatch(llama)
    batch.add([running])
    batch.step()
    batch.add([joining])
    while batch:
        batch.step()
    for seq in (running, joining):
        assert seq.tokens == reference_tokens(llama, seq)[: len(seq.tokens)]


def test_padding_is_trimmed_when_the_longest_sequence_leaves(engine):
    from workloads.serve.engine import DecodeBatch

    wide = Collect(engine.encode(PROMPTS[2] + " " + PROMPTS[1]), SamplingParams(max_tokens=2, temperature=0))
    narrow = Collect(engine.encode("x"), SamplingParams(max_tokens=8, temperature=0))
    batch = DecodeBatch(engine)
    batch.add([wide, narrow])
    batch.step()                     # `wide` finishes: only `narrow`'s own columns remain
    assert batch._attention.shape[1] == len(narrow.prompt_ids) + 1
    while batch:
        batch.step()
    assert narrow.tokens == reference_tokens(engine, narrow)


def test_seeded_sampling_does_not_depend_on_batch_neighbours(engine):
    params = SamplingParams(max_tokens=10, temperature=0.9, top_p=0.9, seed=3)
    alone = Collect(engine.encode(PROMPTS[1]), params)
    engine.generate([alone])
    batched = [Collect(engine.encode(p), params) for p in PROMPTS]
    engine.generate(batched)
    assert batched[1].tokens == alone.tokens


def test_fallback_chat_template_prefixes_roles_and_ends_with_the_assistant_turn(engine):
    assert engine.tokenizer.chat_template is None
    rendered = engine.render_chat([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}])
    assert rendered == "system: Be brief.\nuser: Hi\nassistant:"


def test_the_tokenizer_chat_template_is_used_when_it_has_one(engine):
    engine.tokenizer.chat_template = "{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}<assistant>"
    try:
        assert engine.render_chat([{"role": "user", "content": "Hi"}]) == "<user>Hi<assistant>"
    finally:
        engine.tokenizer.chat_template = None


def test_empty_prompt_still_has_a_token_to_decode_from(engine):
    assert len(engine.encode("")) == 1


# --- streaming text ----------------------------------------------------------------------------

def char_decoder(ids):
    return "".join(chr(i) for i in ids)


def test_text_is_held_back_while_it_could_become_a_stop_string():
    text = TextAssembler(char_decoder, stop=["END"])
    assert [text.add(ord(c)) for c in "abEN"] == ["a", "b", "", ""]
    assert text.add(ord("D")) == "" and text.stopped and text.text == "ab"


def test_held_back_text_is_released_when_it_stops_matching():
    text = TextAssembler(char_decoder, stop=["END"])
    assert [text.add(ord(c)) for c in "xEx"] == ["x", "", "Ex"]
    assert not text.stopped


def test_half_a_utf8_character_is_not_released():
    data = "é".encode()      # two bytes; a byte-level tokenizer can emit one at a time
    text = TextAssembler(lambda ids: bytes(ids).decode("utf-8", errors="replace"))
    assert text.add(data[0]) == ""
    assert text.add(data[1]) == "é"


def test_flush_releases_everything_at_the_end():
    text = TextAssembler(char_decoder, stop=["STOP"])
    assert [text.add(ord(c)) for c in "aST"] == ["a", "", ""]
    assert text.flush() == "ST"


# --- PII redaction and request logs ------------------------------------------------------------

@pytest.mark.parametrize(("raw", "redacted"), [
    ("write to jane.doe+ml@example.co.uk", "write to [EMAIL]"),
    ("card 4111 1111 1111 1111 expires", "card [CARD] expires"),
    ("card 4111-1111-1111-1111", "card [CARD]"),
    ("call +1 (555) 123-4567 now", "call [PHONE] now"),
    ("call 020 7946 0958", "call [PHONE]"),
    ("host 192.168.10.4 is down", "host [IP] is down"),
    ("v6 2001:db8::8a2e:370:7334 up", "v6 [IP] up"),
])
def test_personal_data_is_masked(raw, redacted):
    assert redact(raw) == redacted


@pytest.mark.parametrize("text", ["version 1.2.3 shipped in 2024", "on 2024-05-01 at 10:30", "order 12345"])
def test_ordinary_numbers_are_left_alone(text):
    assert redact(text) == text


def log_line(**options) -> dict:
    stream = io.StringIO()
    logger = RequestLogger(model_name="m", model_version="v1", stream=stream, **options)
    logger.log(request_id="r1", method="POST", endpoint="/v1/completions", status=200, latency_s=0.25,
               details={"prompt": "mail a@b.io", "response": "ok", "prompt_tokens": 3, "completion_tokens": 1})
    return json.loads(stream.getvalue().strip().splitlines()[-1])


def test_prompt_and_response_text_are_not_logged_by_default():
    record = log_line()
    assert "prompt" not in record and "response" not in record
    assert record["prompt_tokens"] == 3 and record["latency_ms"] == 250.0 and record["model_version"] == "v1"


def test_logged_prompts_are_redacted_unless_turned_off():
    assert log_line(log_prompts=True)["prompt"] == "mail [EMAIL]"
    assert log_line(log_prompts=True, redact_pii=False)["prompt"] == "mail a@b.io"


# --- settings and the CLI ----------------------------------------------------------------------

def test_model_dir_falls_back_to_the_environment(tiny_model_dir, monkeypatch):
    monkeypatch.setenv("MLADMIN_MODEL_DIR", str(tiny_model_dir))
    assert resolve_model_dir(None) == tiny_model_dir


def test_model_dir_falls_back_to_the_sagemaker_model_dir(tiny_model_dir, tmp_path, monkeypatch):
    (tmp_path / "model").symlink_to(tiny_model_dir, target_is_directory=True)
    monkeypatch.delenv("MLADMIN_MODEL_DIR", raising=False)
    monkeypatch.delenv("SM_MODEL_DIR", raising=False)
    monkeypatch.setenv("MLADMIN_SM_ROOT", str(tmp_path))
    assert resolve_model_dir(None) == tmp_path / "model"


def test_invalid_settings_are_all_reported(tmp_path):
    settings = ServeSettings(model_dir=tmp_path, port=0, max_batch_size=0, grace_period_s=-1)
    with pytest.raises(SettingsError) as error:
        settings.validate()
    assert len(str(error.value).splitlines()) == 3


@pytest.mark.parametrize(("args", "message"), [
    (["--model", "does/not/exist"], "does not exist"),
    (["--model", "."], "config.json is missing"),
])
def test_serve_with_a_bad_model_dir_exits_2_without_a_traceback(args, message, monkeypatch):
    monkeypatch.delenv("MLADMIN_MODEL_DIR", raising=False)
    result = CliRunner().invoke(app, ["serve", *args])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_serve_with_an_unloadable_model_exits_2(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    result = CliRunner().invoke(app, ["serve", "--model", str(tmp_path)])
    assert result.exit_code == 2 and "cannot load" in result.output
