"""The model server over real HTTP: one `mladmin serve` process on loopback, shared by this module."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import openai
import pytest

MODEL_NAME = "tiny-test"
MODEL_VERSION = "test-v1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(model_dir: Path, log_path: Path, *extra: str) -> tuple[subprocess.Popen, str]:
    """`mladmin serve` in a subprocess on a free loopback port; returns once /ping answers 200."""
    port = free_port()
    # One torch thread: the tiny model gains nothing from more, and test machines run other suites at once.
    command = [sys.executable, "-m", "mladmin.cli.main", "serve", "--model", str(model_dir),
               "--host", "127.0.0.1", "--port", str(port), "--cpu-threads", "1", *extra]
    log = log_path.open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            if httpx.get(f"{url}/ping", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"server did not become ready:\n{log_path.read_text()}")


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def server(tiny_model_dir, tmp_path_factory):
    log_path = tmp_path_factory.mktemp("serve") / "server.log"
    process, url = start_server(
        tiny_model_dir, log_path, "--model-name", MODEL_NAME, "--model-version", MODEL_VERSION,
        "--max-batch-size", "8", "--batch-timeout-ms", "50", "--max-prompt-tokens", "64",
        "--max-new-tokens-limit", "64", "--log-prompts",
    )
    yield {"url": url, "log": log_path}
    stop_server(process)


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server["url"], timeout=30) as http:
        yield http


@pytest.fixture(scope="module")
def oai(server):
    return openai.OpenAI(base_url=f"{server['url']}/v1", api_key="not-needed", max_retries=0)


def log_records(server) -> list[dict]:
    return [json.loads(line) for line in server["log"].read_text().splitlines() if line.startswith("{")]


# --- SageMaker contract -------------------------------------------------------------------------

def test_ping_answers_200_once_the_model_is_loaded(client):
    response = client.get("/ping")
    assert response.status_code == 200
    assert response.json()["version"] == MODEL_VERSION


def test_invocations_returns_generated_text_for_each_input(client):
    response = client.post("/invocations", json={"inputs": ["The model", "A cluster"],
                                                 "parameters": {"max_new_tokens": 5, "details": True}})
    assert response.status_code == 200
    outputs = response.json()
    assert [o["details"]["generated_tokens"] for o in outputs] == [5, 5]
    assert all(isinstance(o["generated_text"], str) and o["generated_text"] for o in outputs)


def test_invocations_return_full_text_prepends_the_prompt(client):
    response = client.post("/invocations", json={"inputs": "The model",
                                                 "parameters": {"max_new_tokens": 3, "return_full_text": True}})
    assert response.json()[0]["generated_text"].startswith("The model")


def test_invocations_accepts_an_openai_chat_body(client):
    response = client.post("/invocations", json={"messages": [{"role": "user", "content": "hello"}],
                                                 "max_tokens": 4})
    assert response.status_code == 200
    assert response.json()["object"] == "chat.completion"
    assert response.json()["usage"]["completion_tokens"] == 4


# --- OpenAI API with the official client ------------------------------------------------------

def test_models_lists_the_served_model(oai):
    assert [m.id for m in oai.models.list().data] == [MODEL_NAME]


def test_openai_client_completion_reports_length_and_usage(oai):
    completion = oai.completions.create(model=MODEL_NAME, prompt="The model", max_tokens=6, temperature=0)
    assert completion.choices[0].finish_reason == "length"
    assert completion.usage.completion_tokens == 6
    assert completion.usage.total_tokens == completion.usage.prompt_tokens + 6
    assert completion.id.startswith("cmpl-")


def test_openai_client_chat_completion_returns_an_assistant_message(oai):
    chat = oai.chat.completions.create(
        model=MODEL_NAME, messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
        max_tokens=5, temperature=0)
    assert chat.choices[0].message.role == "assistant"
    assert isinstance(chat.choices[0].message.content, str)
    assert chat.usage.completion_tokens == 5


def test_openai_client_streamed_chat_matches_the_unstreamed_text(oai):
    request = dict(model=MODEL_NAME, messages=[{"role": "user", "content": "Tell me about GPUs"}],
                   max_tokens=12, temperature=0)
    whole = oai.chat.completions.create(**request).choices[0].message.content
    chunks = list(oai.chat.completions.create(**request, stream=True, stream_options={"include_usage": True}))
    assert chunks[0].choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == whole
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "length"
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == 12


def test_openai_client_streamed_completion_matches_the_unstreamed_text(oai):
    request = dict(model=MODEL_NAME, prompt="Serving models", max_tokens=10, temperature=0)
    whole = oai.completions.create(**request).choices[0].text
    streamed = "".join(c.choices[0].text for c in oai.completions.create(**request, stream=True))
    assert streamed == whole


def test_stream_is_server_sent_events_ending_with_done(client):
    with client.stream("POST", "/v1/completions",
                       json={"prompt": "Hello", "max_tokens": 4, "stream": True, "temperature": 0}) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [line for line in response.iter_lines() if line]
    assert all(line.startswith("data: ") for line in events)
    assert events[-1] == "data: [DONE]"
    chunks = [json.loads(line.removeprefix("data: ")) for line in events[:-1]]
    assert {c["object"] for c in chunks} == {"text_completion"}
    assert chunks[-1]["choices"][0]["finish_reason"] == "length"


def test_same_seed_gives_the_same_sampled_text(oai):
    request = dict(model=MODEL_NAME, prompt="Once", max_tokens=12, temperature=1.0, seed=7)
    assert oai.completions.create(**request).choices[0].text == oai.completions.create(**request).choices[0].text


def test_stop_string_ends_the_completion_before_it(oai):
    request = dict(model=MODEL_NAME, prompt="The", max_tokens=24, temperature=0)
    full = oai.completions.create(**request).choices[0].text
    stop = full.strip()[3:6]
    assert stop and stop in full
    stopped = oai.completions.create(**request, stop=[stop]).choices[0]
    assert stopped.finish_reason == "stop"
    assert stopped.text == full[:full.index(stop)]


# --- bad input: 4xx in OpenAI's error shape, never 5xx -----------------------------------------

BAD_REQUESTS = [
    ("/v1/completions", b'{"prompt": "x",', 400, None),
    ("/v1/completions", b"[1, 2]", 400, None),
    ("/v1/completions", {"max_tokens": 4}, 400, "prompt"),
    ("/v1/completions", {"prompt": 42}, 400, "prompt"),
    ("/v1/completions", {"prompt": "x", "max_tokens": "4"}, 400, "max_tokens"),
    ("/v1/completions", {"prompt": "x", "max_tokens": 65}, 400, "max_tokens"),
    ("/v1/completions", {"prompt": "word " * 200}, 400, "prompt"),
    ("/v1/completions", {"prompt": "x", "model": "gpt-4"}, 404, "model"),
    ("/v1/completions", {"prompt": "x", "n": 2}, 400, "n"),
    ("/v1/completions", {"prompt": "x", "temperature": 5}, 400, "temperature"),
    ("/v1/completions", {"prompt": "x", "best_guess": True}, 400, "best_guess"),
    ("/v1/completions", {"prompt": [999999]}, 400, "prompt"),
    ("/v1/completions", {"prompt": "x", "stop": ["a", "b", "c", "d", "e"]}, 400, "stop"),
    ("/v1/chat/completions", {"messages": []}, 400, "messages"),
    ("/v1/chat/completions", {"messages": [{"role": "wizard", "content": "x"}]}, 400, "messages[0].role"),
    ("/v1/chat/completions", {"messages": [{"role": "user", "content": "x"}], "max_tokens": 0}, 400, "max_tokens"),
    ("/invocations", {"parameters": {"max_new_tokens": 3}}, 400, "inputs"),
    ("/invocations", {"inputs": "x", "parameters": {"max_new_tokens": 1000}}, 400, "parameters.max_new_tokens"),
    ("/invocations", b"not json", 400, None),
]


@pytest.mark.parametrize(("path", "body", "status", "param"), BAD_REQUESTS)
def test_bad_request_gets_a_4xx_error_naming_the_field(client, path, body, status, param):
    if isinstance(body, bytes):
        response = client.post(path, content=body, headers={"content-type": "application/json"})
    else:
        response = client.post(path, json=body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["param"] == param and error["message"]


def test_oversized_body_gets_413(client):
    response = client.post("/v1/completions", json={"prompt": "x" * 1_100_000})
    assert response.status_code == 413
    assert "larger than" in response.json()["error"]["message"]


def test_unknown_endpoint_gets_404_in_the_error_shape(client):
    assert client.get("/v2/engines").json()["error"]["type"] == "invalid_request_error"


def test_openai_client_raises_its_not_found_error_for_an_unknown_model(oai):
    with pytest.raises(openai.NotFoundError):
        oai.completions.create(model="gpt-4", prompt="x", max_tokens=2)


# --- batching, metrics, logs -------------------------------------------------------------------

def metric_value(text: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)}(?:[{{,][^}}]*}})? (\S+)$", text, re.MULTILINE)
    assert match, f"{name} not in /metrics"
    return float(match.group(1))


def test_concurrent_requests_are_decoded_in_one_batch(client, server):
    before = client.get("/metrics").text
    results = []
    start_together = threading.Barrier(8)

    def call(i: int) -> None:
        with httpx.Client(base_url=server["url"], timeout=30) as http:
            start_together.wait()
            response = http.post("/v1/completions", json={"prompt": f"request {i}", "max_tokens": 24, "temperature": 0})
            results.append(response.status_code)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    after = client.get("/metrics").text
    assert results == [200] * 8

    def steps_with_more_than_one(text: str) -> float:
        return metric_value(text, "mladmin:batch_size_count") - metric_value(text, 'mladmin:batch_size_bucket{le="1.0"')

    assert steps_with_more_than_one(after) > steps_with_more_than_one(before)


def test_metrics_use_vllm_names_after_traffic(client):
    client.post("/v1/completions", json={"prompt": "metrics", "max_tokens": 3})
    text = client.get("/metrics").text
    for name in ("vllm:num_requests_waiting", "vllm:num_requests_running", "vllm:time_to_first_token_seconds_count",
                 "vllm:e2e_request_latency_seconds_count", "vllm:prompt_tokens_total",
                 "vllm:generation_tokens_total", "vllm:avg_generation_throughput_toks_per_s",
                 "mladmin:batch_size_count"):
        assert name in text, name
    assert metric_value(text, "vllm:generation_tokens_total") >= 3
    assert 'http_requests_total{handler="/v1/completions",method="POST",status="200"}' in text
    assert "http_request_duration_seconds_bucket" in text


def test_each_request_is_logged_as_one_json_line_with_pii_redacted(client, server):
    prompt = "Mail jane.doe@example.com or call +1 (555) 123-4567 from 10.1.2.3"
    response = client.post("/v1/completions", json={"prompt": prompt, "max_tokens": 3},
                           headers={"x-request-id": "log-test-1"})
    assert response.headers["x-request-id"] == "log-test-1"
    time.sleep(0.2)
    [record] = [r for r in log_records(server) if r["request_id"] == "log-test-1"]
    assert record["endpoint"] == "/v1/completions" and record["status"] == 200
    assert record["model_version"] == MODEL_VERSION
    assert record["completion_tokens"] == 3 and record["prompt_tokens"] > 0
    assert record["latency_ms"] > 0
    assert record["prompt"] == "Mail [EMAIL] or call [PHONE] from [IP]"


def test_rejected_requests_are_logged_with_their_status(client, server):
    client.post("/v1/completions", json={"prompt": 1}, headers={"x-request-id": "log-test-400"})
    time.sleep(0.2)
    [record] = [r for r in log_records(server) if r["request_id"] == "log-test-400"]
    assert record["status"] == 400


def test_a_client_leaving_mid_stream_aborts_its_generation(client, server):
    def aborted() -> float:
        text = client.get("/metrics").text
        pattern = r'^vllm:request_success_total\{[^}]*finished_reason="abort"[^}]*\} (\S+)$'
        match = re.search(pattern, text, re.MULTILINE)
        return float(match.group(1)) if match else 0.0

    before = aborted()
    body = {"prompt": "A long story", "max_tokens": 64, "temperature": 0, "stream": True}
    with httpx.stream("POST", f"{server['url']}/v1/completions", json=body, timeout=30) as response:
        next(response.iter_lines())           # the first chunk arrived: decoding has started; now hang up
    deadline = time.monotonic() + 10
    while aborted() == before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert aborted() == before + 1


def test_readme_openai_example_runs_against_the_server(server, capsys):
    readme = (Path(__file__).parents[2] / "workloads" / "serve" / "README.md").read_text()
    example = re.search(r"```python\n(.*?)```", readme, re.DOTALL).group(1)
    exec(compile(example.replace("http://127.0.0.1:8080", server["url"]), "README.md", "exec"), {})
    assert " 8\n" in capsys.readouterr().out     # print(text, 8): the completion's token count
