"""Dynamic batching: requests queue up; a worker thread decodes up to N of them together.

The event loop never runs the model. `submit` puts a handle on a thread-safe queue. The worker,
when idle, takes the first waiting request and gives others the batch timeout to arrive; while a
batch decodes, requests that arrive join it between steps (continuous batching), up to the batch
size. Text deltas go back to each request's asyncio queue as tokens are decoded.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from workloads.serve.engine import DecodeBatch, Engine, SamplingParams
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


class Outbox:
    """Events from the worker thread to the event loop, handed over once per decoding step.

    One wake-up of the event loop per step instead of one per token and request keeps the loop (and
    the GIL) free for the worker when many requests stream at once.
    """

    def __init__(self) -> None:
        self._items: list[tuple[asyncio.AbstractEventLoop, asyncio.Queue, TextDelta | Finished]] = []
        self._lock = threading.Lock()

    def put(self, loop: asyncio.AbstractEventLoop, events: asyncio.Queue, event: TextDelta | Finished) -> None:
        with self._lock:
            self._items.append((loop, events, event))

    def flush(self) -> None:
        with self._lock:
            items, self._items = self._items, []
        by_loop: dict[asyncio.AbstractEventLoop, list] = {}
        for loop, events, event in items:
            by_loop.setdefault(loop, []).append((events, event))
        for loop, deliveries in by_loop.items():
            try:
                loop.call_soon_threadsafe(_deliver, deliveries)
            except RuntimeError:  # the event loop is closed: nobody is listening any more
                pass


def _deliver(deliveries: list[tuple[asyncio.Queue, TextDelta | Finished]]) -> None:
    for events, event in deliveries:
        events.put_nowait(event)


class GenerationHandle:
    """One request's sequence: filled by the worker thread, read on the event loop."""

    def __init__(self, prompt_ids: list[int], params: SamplingParams, engine: Engine,
                 loop: asyncio.AbstractEventLoop, outbox: Outbox, *, stream: bool = True):
        self.prompt_ids = prompt_ids
        self.params = params
        self.token_ids: list[int] = []
        self.finish_reason: str | None = None
        self.arrived_at = time.perf_counter()
        self.started_at: float | None = None
        self.first_token_at: float | None = None
        self.finished_at: float | None = None
        self.recorded = False            # metrics taken (by the worker thread)
        self._assembler = TextAssembler(engine.decode, params.stop)
        self._incremental = stream or bool(params.stop)   # else: decode the text once, at the end
        self._loop = loop
        self._outbox = outbox
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
        if not self._incremental:
            self._assembler.append(token_id)
            if len(self.token_ids) >= self.params.max_tokens:
                return self._finish("length", self._assembler.flush())
            return False
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
        self._outbox.put(self._loop, self._events, event)

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
        self._outbox = Outbox()
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
        self._outbox.flush()

    def submit(self, prompt_ids: list[int], params: SamplingParams, *, stream: bool = False) -> GenerationHandle:
        """Queue one request (call on the event loop); raises QueueFullError or BatcherStoppedError."""
        if not self.alive:
            raise BatcherStoppedError("the server is shutting down")
        if self._queue.qsize() >= self.max_queue_size:
            raise QueueFullError(f"{self._queue.qsize()} requests are already waiting")
        handle = GenerationHandle(prompt_ids, params, self.engine, asyncio.get_running_loop(), self._outbox,
                                  stream=stream)
        self._queue.put(handle)
        self.metrics.waiting.set(self._queue.qsize())
        return handle

    def _take(self, limit: int, *, wait: bool) -> list[GenerationHandle]:
        """Up to `limit` waiting requests. With `wait`, block for the first one, then give others the
        batch timeout to arrive; without, take only what is already queued."""
        taken: list[GenerationHandle] = []
        deadline = None
        while len(taken) < limit:
            try:
                if wait and not taken:
                    handle = self._queue.get()
                    deadline = time.perf_counter() + self.batch_timeout_s
                elif wait and deadline is not None and deadline > time.perf_counter():
                    handle = self._queue.get(timeout=deadline - time.perf_counter())
                else:
                    handle = self._queue.get_nowait()
            except queue.Empty:
                break
            if handle is None:          # the stop marker
                self._stopping.set()
                break
            if not self._drop_if_cancelled(handle):
                taken.append(handle)
        self.metrics.waiting.set(self._queue.qsize())
        return taken

    def _run(self) -> None:
        """Continuous batching: between decoding steps, waiting requests join the running batch."""
        batch = DecodeBatch(self.engine)
        window_tokens, window_start = 0, time.perf_counter()
        while not self._stopping.is_set():
            room = self.max_batch_size - len(batch) if batch.can_join else 0
            joining = self._take(room, wait=not batch) if room else []
            if self._stopping.is_set():
                for handle in joining:
                    handle.abort()
                self._outbox.flush()
                break
            try:
                if joining:
                    now = time.perf_counter()
                    for handle in joining:
                        handle.started_at = now
                        self.metrics.queue_time.observe(now - handle.arrived_at)
                    tokens = batch.add(joining)
                    self.metrics.generation_tokens.inc(tokens)
                    window_tokens += tokens
                    self._record_finished(joining)
                if batch:
                    self.metrics.batch_size.observe(len(batch))
                    self.metrics.running.set(len(batch))
                    decoding = list(batch.live)
                    tokens = batch.step()
                    self.metrics.generation_tokens.inc(tokens)
                    window_tokens += tokens
                    self._record_finished(decoding)
            except Exception:  # a model failure must not kill the worker: fail the running batch only
                log.exception("generation failed for a batch of %d", len(batch) + len(joining))
                for handle in [*batch.live, *joining]:
                    handle.abort("error")
                self._record_finished([*batch.live, *joining])
                batch = DecodeBatch(self.engine)
            self._outbox.flush()
            self.metrics.running.set(len(batch))
            now = time.perf_counter()
            if now - window_start >= 1.0 or not batch:    # tokens/s over the last second of decoding
                if window_tokens:
                    self.metrics.throughput.set(window_tokens / (now - window_start))
                window_tokens, window_start = 0, now
        live = list(batch.live)
        batch.abort_all()
        self._record_finished(live)
        self._outbox.flush()

    def _record_finished(self, handles: list[GenerationHandle]) -> None:
        for handle in handles:
            if handle.finish_reason is not None and not handle.recorded:
                handle.recorded = True
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
