"""What the endpoints share: the engine, the batcher, limits, metrics and the request log."""

from __future__ import annotations

import time

from workloads.serve.batcher import Batcher, BatcherStoppedError, GenerationHandle, QueueFullError
from workloads.serve.engine import Engine, SamplingParams
from workloads.serve.errors import APIError
from workloads.serve.metrics import ServeMetrics
from workloads.serve.request_log import RequestLogger
from workloads.serve.settings import ServeSettings

CONTEXT_LENGTH_EXCEEDED = "context_length_exceeded"


class Service:
    def __init__(self, settings: ServeSettings, engine: Engine, *, model_name: str, model_version: str):
        self.settings = settings
        self.engine = engine
        self.model_name = model_name
        self.model_version = model_version
        self.created = int(time.time())
        self.draining = False
        self.context_length = engine.context_length
        self.max_prompt_tokens = min(settings.max_prompt_tokens or engine.context_length - 1,
                                     engine.context_length - 1)
        self.max_new_tokens_limit = settings.max_new_tokens_limit
        self.metrics = ServeMetrics(model_name, model_version)
        self.request_log = RequestLogger(model_name=model_name, model_version=model_version,
                                         log_prompts=settings.log_prompts, redact_pii=settings.redact_pii)
        self.batcher = Batcher(engine, self.metrics, max_batch_size=settings.max_batch_size,
                               batch_timeout_s=settings.batch_timeout_ms / 1000,
                               max_queue_size=settings.max_queue_size)

    @property
    def ready(self) -> bool:
        return self.batcher.alive and not self.draining

    def check_model(self, requested: str | None) -> None:
        if requested is not None and requested != self.model_name:
            raise APIError(404, f"the model {requested!r} does not exist; this server serves {self.model_name!r}",
                           param="model", code="model_not_found")

    def encode_prompt(self, prompt: str | list[int], param: str) -> list[int]:
        """Token ids for a prompt (text or ids), within the prompt-length limit."""
        if isinstance(prompt, str):
            ids = self.engine.encode(prompt)
        else:
            vocab = len(self.engine.tokenizer)
            bad = next((t for t in prompt if not 0 <= t < vocab), None)
            if bad is not None:
                raise APIError(400, f"{param}: token id {bad} is outside the vocabulary (0-{vocab - 1})", param=param)
            ids = list(prompt)
        if len(ids) > self.max_prompt_tokens:
            raise APIError(400, f"{param}: the prompt has {len(ids)} tokens; this server accepts at most "
                                f"{self.max_prompt_tokens}", param=param, code=CONTEXT_LENGTH_EXCEEDED)
        return ids

    def max_tokens(self, requested: int | None, prompt_len: int, param: str, *, default: int | None = None) -> int:
        """The tokens to generate: the request's value, checked against the limit and the context left."""
        room = self.context_length - prompt_len
        if requested is None:
            fallback = default if default is not None else self.max_new_tokens_limit
            return max(1, min(fallback, self.max_new_tokens_limit, room))
        if requested > self.max_new_tokens_limit:
            raise APIError(400, f"{param}: {requested} is more than this server's limit of "
                                f"{self.max_new_tokens_limit} tokens", param=param)
        if requested > room:
            raise APIError(400, f"{param}: the model's context is {self.context_length} tokens; the prompt uses "
                                f"{prompt_len}, so at most {room} can be generated, not {requested}",
                           param=param, code=CONTEXT_LENGTH_EXCEEDED)
        return requested

    def submit(self, prompt_ids: list[int], params: SamplingParams, *, stream: bool = False) -> GenerationHandle:
        if self.draining:
            raise APIError(503, "the server is shutting down", type="service_unavailable")
        try:
            return self.batcher.submit(prompt_ids, params, stream=stream)
        except QueueFullError as exc:
            raise APIError(429, f"the server is at capacity ({exc}); retry later",
                           type="rate_limit_error", code="queue_full") from exc
        except BatcherStoppedError as exc:
            raise APIError(503, str(exc), type="service_unavailable") from exc
