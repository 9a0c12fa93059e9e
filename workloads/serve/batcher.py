"""Dynamic batching: requests queue up; a worker thread decodes up to N of them together.

The event loop never runs the model. `submit` puts a handle on a thread-safe queue; the worker takes
the first waiting request, waits up to the batch timeout for more (up to the batch size), decodes the
batch with `Engine.generate`, and pushes text deltas back to each request's asyncio queue as they come.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from workloads.serve.engine import Engine, SamplingParams
from workloads.serve.metrics import ServeMetrics
from workloads.serve.textstream import TextAssembler

log = logging.getLogger("mladmin.serve")


class QueueFullError(Exception):
    """More requests are waiting than the server accepts."""


class BatcherStoppedError(Exception):
    """The server is shutting down and takes no new requests."""


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class Finished:
    reason: str              # "stop" | "length" | "abort" | "error"
    prompt_tokens: int
    completion_tokens: int


class GenerationHandle:
    """One request's sequence: filled by the worker thread, read on the event loop."""

    def __init__(self, prompt_ids: list[int], params: SamplingParams, engine: Engine,
                 loop: asyncio.AbstractEventLoop):
        self.prompt_ids = prompt_ids
        self.params = params
        self.token_ids: list[int] = []
        self.finish_reason: str | None = None
        self.arrived_at = time.perf_counter()
        self.started_at: float | None = None
        self.first_token_at: float | None = None
        self.finished_at: float | None = None
        self._assembler = TextAssembler(engine.decode, params.stop)
        self._loop = loop
        self._events: asyncio.Queue[TextDelta | Finished] = asyncio.Queue()
        self._cancelled = threading.Event()

    @property
    def text(self) -> str:
        return self._assembler.text

    # --- worker thread side -------------------------------------------------------------------
    def is_cancelled(self) -> bool:
        return self._cancelled.is_set()

    def push(self, token_id: int, is_eos: bool) -> bool:
        if self.first_token_at is None:
            self.first_token_at = time.perf_counter()
        self.token_ids.append(token_id)
        if is_eos:
            return self._finish("stop", self._assembler.flush())
        delta = self._assembler.add(token_id)
        if self._assembler.stopped:
            return self._finish("stop", delta)
        if len(self.token_ids) >= self.params.max_tokens:
            return self._finish("length", delta + self._assembler.flush())
        if delta:
            self._emit(TextDelta(delta))
        return False

    def abort(self, reason: str = "abort") -> None:
        """End the sequence early: "abort" (client gone, shutdown) or "error" (the model failed)."""
        if self.finish_reason is None:
            self._finish(reason, "")

    def _finish(self, reason: str, delta: str) -> bool:
        self.finish_reason = reason
        self.finished_at = time.perf_counter()
        if delta:
            self._emit(TextDelta(delta))
        self._emit(Finished(reason, len(self.prompt_ids), len(self.token_ids)))
        return True

    def _emit(self, event: TextDelta | Finished) -> None:
        try:
            self._loop.call_soon_threadsafe(self._events.put_nowait, event)
        except RuntimeError:  # the event loop is closed: nobody is listening any more
            self._cancelled.set()

    # --- event loop side ----------------------------------------------------------------------
    def cancel(self) -> None:
        """The client went away: stop decoding this sequence at the next step."""
        self._cancelled.set()

    async def events(self) -> AsyncIterator[TextDelta | Finished]:
        while True:
            event = await self._events.get()
            yield event
            if isinstance(event, Finished):
                return

    async def result(self) -> Finished:
        async for event in self.events():
            if isinstance(event, Finished):
                return event
        raise AssertionError("unreachable: events() always ends with Finished")


class Batcher:
    def __init__(self, engine: Engine, metrics: ServeMetrics, *, max_batch_size: int,
                 batch_timeout_s: float, max_queue_size: int):
        self.engine = engine
        self.metrics = metrics
        self.max_batch_size = max_batch_size
        self.batch_timeout_s = batch_timeout_s
        self.max_queue_size = max_queue_size
        self._queue: queue.Queue[GenerationHandle | None] = queue.Queue()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mladmin-batcher", daemon=True)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive() and not self._stopping.is_set()

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop taking requests, abort what is still queued or decoding, and join the worker."""
        self._stopping.set()
        self._queue.put(None)
        self._thread.join(timeout)
        while True:
            try:
                handle = self._queue.get_nowait()
            except queue.Empty:
                break
            if handle is not None:
                handle.abort()

    def submit(self, prompt_ids: list[int], params: SamplingParams) -> GenerationHandle:
        """Queue one request (call on the event loop); raises QueueFullError or BatcherStoppedError."""
        if not self.alive:
            raise BatcherStoppedError("the server is shutting down")
        if self._queue.qsize() >= self.max_queue_size:
            raise QueueFullError(f"{self._queue.qsize()} requests are already waiting")
        handle = GenerationHandle(prompt_ids, params, self.engine, asyncio.get_running_loop())
        self._queue.put(handle)
        self.metrics.waiting.set(self._queue.qsize())
        return handle

    def _next_batch(self) -> list[GenerationHandle]:
        first = self._queue.get()
        if first is None:
            return []
        batch = [first]
        deadline = time.perf_counter() + self.batch_timeout_s
        while len(batch) < self.max_batch_size:
            remaining = deadline - time.perf_counter()
            try:
                handle = self._queue.get(timeout=remaining) if remaining > 0 else self._queue.get_nowait()
            except queue.Empty:
                break
            if handle is None:
                self._queue.put(None)  # keep the stop marker for the loop
                break
            batch.append(handle)
        return batch

    def _run(self) -> None:
        while not self._stopping.is_set():
            batch = self._next_batch()
            self.metrics.waiting.set(self._queue.qsize())
            batch = [h for h in batch if not self._drop_if_cancelled(h)]
            if not batch:
                continue
            started = time.perf_counter()
            for handle in batch:
                handle.started_at = started
                self.metrics.queue_time.observe(started - handle.arrived_at)
            self.metrics.running.set(len(batch))
            try:
                tokens = self.engine.generate(batch)
            except Exception:  # a model failure must not kill the worker: fail this batch only
                log.exception("generation failed for a batch of %d", len(batch))
                tokens = 0
                for handle in batch:
                    handle.abort("error")
            self.metrics.running.set(0)
            self.metrics.batch_finished(size=len(batch), tokens=tokens, seconds=time.perf_counter() - started)
            for handle in batch:
                self._record(handle)

    @staticmethod
    def _drop_if_cancelled(handle: GenerationHandle) -> bool:
        if handle.is_cancelled():
            handle.abort()
            return True
        return False

    def _record(self, handle: GenerationHandle) -> None:
        if handle.first_token_at is not None:
            self.metrics.ttft.observe(handle.first_token_at - handle.arrived_at)
        self.metrics.request_finished(
            finish_reason=handle.finish_reason or "abort",
            prompt_tokens=len(handle.prompt_ids),
            completion_tokens=len(handle.token_ids),
            e2e_s=(handle.finished_at or time.perf_counter()) - handle.arrived_at,
        )
