"""Serving throughput and latency: dynamic batching against one request at a time.

    .venv/bin/python benchmarks/serve.py [--model DIR] [--clients 16] [--requests 128] [--max-tokens 64]

Starts `mladmin serve` twice on loopback with the same model (the tiny model unless --model is
given): one with dynamic batching (--max-batch-size = clients), one with --max-batch-size 1. The
same closed-loop load runs against each in alternating rounds: `clients` concurrent clients, each
sending its next request when the last one is answered, greedy decoding of the same prompts, so
both servers do the same work. Prints requests/s, generated tokens/s and p50/p99 latency, and the throughput
ratio. Target: >= 5x at 16 concurrent clients on CPU with the tiny model.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

PROMPTS = ["The model", "Serving large language models", "A GPU cluster in three zones", "Budgets and quotas",
           "Training data", "Evaluation gates", "Drift in the prompts", "Once upon a time"]


@dataclass
class Result:
    mode: str
    max_batch_size: int
    requests: int
    seconds: float
    requests_per_s: float
    tokens_per_s: float
    p50_ms: float
    p99_ms: float


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(model: Path, batch_size: int, batch_timeout_ms: float,
                 cpu_threads: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [sys.executable, "-m", "mladmin.cli.main", "serve", "--model", str(model), "--port", str(port),
               "--max-batch-size", str(batch_size), "--batch-timeout-ms", str(batch_timeout_ms),
               "--cpu-threads", str(cpu_threads), "--max-queue-size", "1024"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server failed to start:\n{process.stderr.read().decode()}")
        try:
            if httpx.get(f"{url}/ping", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("server did not become ready in 120 s")


def stop_server(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()


async def closed_loop(url: str, clients: int, requests: int, max_tokens: int) -> tuple[float, list[float], int]:
    """`clients` workers share `requests` requests; returns wall time, latencies and tokens generated."""
    latencies: list[float] = []
    tokens = 0
    next_index = 0

    async def worker(http: httpx.AsyncClient) -> None:
        nonlocal tokens, next_index
        while next_index < requests:
            index, next_index = next_index, next_index + 1
            body = {"prompt": PROMPTS[index % len(PROMPTS)], "max_tokens": max_tokens, "temperature": 0}
            started = time.perf_counter()
            response = await http.post("/v1/completions", json=body)
            latencies.append(time.perf_counter() - started)
            response.raise_for_status()
            tokens += response.json()["usage"]["completion_tokens"]

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=300, limits=limits) as http:
        started = time.perf_counter()
        await asyncio.gather(*(worker(http) for _ in range(clients)))
        return time.perf_counter() - started, latencies, tokens


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summarise(mode: str, batch_size: int, seconds: float, latencies: list[float], tokens: int) -> Result:
    return Result(mode, batch_size, len(latencies), round(seconds, 3), round(len(latencies) / seconds, 2),
                  round(tokens / seconds, 1), round(statistics.median(latencies) * 1000, 1),
                  round(percentile(latencies, 0.99) * 1000, 1))


def run_interleaved(model: Path, args: argparse.Namespace) -> list[Result]:
    """Both servers up at once (an idle one costs nothing), load applied to each in turn, round after
    round, so a change in the machine's load during the run affects both alike."""
    modes = [("one at a time", 1), ("dynamic batching", args.clients)]
    servers = [start_server(model, size, args.batch_timeout_ms, args.cpu_threads) for _, size in modes]
    totals = [[0.0, [], 0] for _ in modes]
    try:
        for _, url in servers:
            asyncio.run(closed_loop(url, args.clients, args.clients, 8))                     # warm-up
        per_round = max(args.clients, args.requests // args.rounds)
        for _ in range(args.rounds):
            for total, (_, url) in zip(totals, servers):
                seconds, latencies, tokens = asyncio.run(closed_loop(url, args.clients, per_round, args.max_tokens))
                total[0] += seconds
                total[1] += latencies
                total[2] += tokens
    finally:
        for process, _ in servers:
            stop_server(process)
    return [summarise(mode, size, *total) for (mode, size), total in zip(modes, totals)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, help="model directory (default: build the tiny model)")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=128, help="requests per server, over all rounds")
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds of load per server")
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--batch-timeout-ms", type=float, default=10.0)
    parser.add_argument("--cpu-threads", type=int, default=1, help="torch threads in each server")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        model = args.model
        if model is None:
            from transformers.utils import logging as hf_logging

            from workloads.tiny import build_tiny_model

            hf_logging.disable_progress_bar()
            model = build_tiny_model(Path(tmp) / "tiny", seed=0)
        one, batched = run_interleaved(model, args)

    ratio = batched.tokens_per_s / one.tokens_per_s
    if args.json:
        print(json.dumps({"results": [asdict(one), asdict(batched)], "throughput_ratio": round(ratio, 2),
                          "clients": args.clients, "max_tokens": args.max_tokens, "cpus": os.cpu_count()}))
        return
    print(f"serve benchmark: {args.clients} concurrent clients, {args.requests} requests of {args.max_tokens} "
          f"tokens per server, {args.cpu_threads} torch thread(s), {os.cpu_count()} CPUs, model {model.name}")
    header = f"{'mode':<18}{'batch':>6}{'req/s':>9}{'tokens/s':>10}{'p50 ms':>9}{'p99 ms':>9}"
    print(header)
    print("-" * len(header))
    for r in (one, batched):
        print(f"{r.mode:<18}{r.max_batch_size:>6}{r.requests_per_s:>9}{r.tokens_per_s:>10}{r.p50_ms:>9}{r.p99_ms:>9}")
    print(f"throughput ratio (dynamic batching / one at a time): {ratio:.2f}x  (target >= 5x)")


if __name__ == "__main__":
    main()
