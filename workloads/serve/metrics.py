"""Prometheus metrics, named as vLLM names them where vLLM has the metric.

vLLM's names (`vllm:*`, plus `http_requests_total` / `http_request_duration_seconds` from the
prometheus-fastapi-instrumentator it mounts) let existing dashboards and alerts work unchanged.
Metrics without a vLLM counterpart carry the `mladmin:` prefix. Each app has its own registry.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0)
TTFT_BUCKETS = (0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0)
TOKEN_COUNT_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)
BATCH_SIZE_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)

CONTENT_TYPE = CONTENT_TYPE_LATEST


class ServeMetrics:
    def __init__(self, model_name: str, model_version: str):
        self.registry = registry = CollectorRegistry()
        model = ["model_name"]
        self._model = model_name
        info = Gauge("mladmin:model_info", "The served model (value is always 1).",
                     ["model_name", "model_version"], registry=registry)
        info.labels(model_name, model_version).set(1)

        self.http_requests = Counter(
            "http_requests_total", "HTTP requests by handler, method and status.",
            ["handler", "method", "status"], registry=registry)
        self.http_latency = Histogram(
            "http_request_duration_seconds", "HTTP request latency (until the last body byte).",
            ["handler", "method"], buckets=LATENCY_BUCKETS, registry=registry)

        self.waiting = Gauge("vllm:num_requests_waiting", "Requests queued for the batcher.",
                             model, registry=registry).labels(model_name)
        self.running = Gauge("vllm:num_requests_running", "Requests being decoded now.",
                             model, registry=registry).labels(model_name)
        self.ttft = Histogram("vllm:time_to_first_token_seconds", "Time from arrival to the first token.",
                              model, buckets=TTFT_BUCKETS, registry=registry).labels(model_name)
        self.e2e = Histogram("vllm:e2e_request_latency_seconds", "Time from arrival to the last token.",
                             model, buckets=LATENCY_BUCKETS, registry=registry).labels(model_name)
        self.queue_time = Histogram("vllm:request_queue_time_seconds", "Time spent waiting for a batch.",
                                    model, buckets=LATENCY_BUCKETS, registry=registry).labels(model_name)
        self.prompt_tokens = Counter("vllm:prompt_tokens_total", "Prompt tokens processed.",
                                     model, registry=registry).labels(model_name)
        self.generation_tokens = Counter("vllm:generation_tokens_total", "Tokens generated.",
                                         model, registry=registry).labels(model_name)
        self.request_prompt_tokens = Histogram(
            "vllm:request_prompt_tokens", "Prompt tokens per request.",
            model, buckets=TOKEN_COUNT_BUCKETS, registry=registry).labels(model_name)
        self.request_generation_tokens = Histogram(
            "vllm:request_generation_tokens", "Generated tokens per request.",
            model, buckets=TOKEN_COUNT_BUCKETS, registry=registry).labels(model_name)
        self._success = Counter("vllm:request_success_total", "Finished requests by finish reason.",
                                ["model_name", "finished_reason"], registry=registry)
        self.throughput = Gauge("vllm:avg_generation_throughput_toks_per_s",
                                "Generated tokens per second over the last second of decoding.",
                                model, registry=registry).labels(model_name)
        self.batch_size = Histogram("mladmin:batch_size", "Sequences decoded together, per decoding step.",
                                    model, buckets=BATCH_SIZE_BUCKETS, registry=registry).labels(model_name)

    def request_finished(self, *, finish_reason: str, prompt_tokens: int, completion_tokens: int,
                         e2e_s: float) -> None:
        self._success.labels(self._model, finish_reason).inc()
        self.e2e.observe(e2e_s)
        self.prompt_tokens.inc(prompt_tokens)
        self.request_prompt_tokens.observe(prompt_tokens)
        self.request_generation_tokens.observe(completion_tokens)

    def http_request(self, *, handler: str, method: str, status: int, seconds: float) -> None:
        self.http_requests.labels(handler, method, str(status)).inc()
        self.http_latency.labels(handler, method).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
