"""SIGTERM drains the server: accepted requests finish, new ones are refused, the exit code is 0."""

from __future__ import annotations

import json
import re
import signal
import threading
import time

import httpx
import pytest

from test_serve_http import start_server  # the shared loopback-server helper

REQUESTS = 6
MAX_TOKENS = 80


def queued_requests(url: str) -> int:
    text = httpx.get(f"{url}/metrics", timeout=5).text
    match = re.search(r"^vllm:num_requests_waiting\{[^}]*\} (\S+)$", text, re.MULTILINE)
    return int(float(match.group(1))) if match else 0


def stream_completion(url: str, i: int, outcomes: list[str]) -> None:
    body = {"prompt": f"request {i}", "max_tokens": MAX_TOKENS, "temperature": 0, "stream": True,
            "stream_options": {"include_usage": True}}
    try:
        with httpx.stream("POST", f"{url}/v1/completions", json=body, timeout=60) as response:
            lines = [line for line in response.iter_lines() if line]
    except httpx.ConnectError:
        outcomes.append("refused")
        return
    if response.status_code == 503:
        outcomes.append("503")
        return
    usage = json.loads(lines[-2].removeprefix("data: "))["usage"] if len(lines) >= 2 else None
    complete = lines[-1] == "data: [DONE]" and usage and usage["completion_tokens"] == MAX_TOKENS
    outcomes.append("complete" if complete else f"cut: {response.status_code} {lines[-1:]}")


def test_sigterm_finishes_accepted_requests_refuses_new_ones_and_exits_0(tiny_model_dir, tmp_path):
    # One request at a time, so most requests are still queued when SIGTERM arrives.
    process, url = start_server(tiny_model_dir, tmp_path / "server.log", "--max-batch-size", "1",
                                "--grace-period", "60")
    try:
        outcomes: list[str] = []
        threads = [threading.Thread(target=stream_completion, args=(url, i, outcomes)) for i in range(REQUESTS)]
        for thread in threads:
            thread.start()
        queued, deadline = 0, time.monotonic() + 30
        while queued < 3 and time.monotonic() < deadline:   # one decoding and (ideally) three queued behind it
            queued = max(queued, queued_requests(url))
            time.sleep(0.01)
        process.send_signal(signal.SIGTERM)
        for thread in threads:
            thread.join(90)

        assert process.wait(30) == 0
        assert all(o in ("complete", "503", "refused") for o in outcomes), outcomes
        assert queued >= 1 and outcomes.count("complete") >= queued + 1   # every accepted request finished
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{url}/ping", timeout=2)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
