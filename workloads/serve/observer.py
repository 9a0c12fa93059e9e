"""ASGI middleware around every request: request id, drain refusal, body limit, metrics, request log.

A plain ASGI middleware rather than Starlette's BaseHTTPMiddleware so streamed responses pass
through untouched and latency is measured to the last byte of the stream.
"""

from __future__ import annotations

import json
import re
import time
import uuid

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from workloads.serve.errors import error_body
from workloads.serve.service import Service

KNOWN_PATHS = frozenset({"/ping", "/invocations", "/health", "/metrics", "/v1/models",
                         "/v1/completions", "/v1/chat/completions"})
UNLOGGED_PATHS = frozenset({"/ping", "/health", "/metrics"})    # probes and scrapes: metrics only
ALWAYS_SERVED = frozenset({"/metrics", "/health"})   # answered while draining: scrapes, and liveness (still alive)
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


class RequestObserver:
    def __init__(self, app: ASGIApp, service: Service):
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        path, method = scope["path"], scope["method"]
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        given_id = headers.get("x-request-id", "")
        request_id = given_id if _REQUEST_ID.fullmatch(given_id) else uuid.uuid4().hex
        details: dict = {}
        scope.setdefault("state", {})
        scope["state"].update(request_id=request_id, log=details)
        status = 500

        async def send_observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        limit = self.service.settings.max_body_bytes
        try:
            if self.service.draining and path not in ALWAYS_SERVED:
                await _send_error(send_observed, 503, "the server is shutting down", "service_unavailable")
            elif _declared_length(headers) > limit:
                await _send_error(send_observed, 413, f"the request body is larger than {limit} bytes")
            else:
                await self.app(scope, _limited(receive, limit), send_observed)
        finally:
            self._observe(path, method, status, time.perf_counter() - started, request_id, details)

    def _observe(self, path: str, method: str, status: int, seconds: float, request_id: str,
                 details: dict) -> None:
        handler = path if path in KNOWN_PATHS else ("/v1/models/{model}" if path.startswith("/v1/models/")
                                                    else "unmatched")
        self.service.metrics.http_request(handler=handler, method=method, status=status, seconds=seconds)
        if path not in UNLOGGED_PATHS:
            self.service.request_log.log(request_id=request_id, method=method, endpoint=handler, status=status,
                                         latency_s=seconds, details=details)


def _declared_length(headers: dict[str, str]) -> int:
    try:
        return int(headers.get("content-length", "0"))
    except ValueError:
        return 0


def _limited(receive: Receive, limit: int) -> Receive:
    """`receive` that fails with 413 once more than `limit` body bytes arrived (chunked bodies too)."""
    seen = 0

    async def receive_limited() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise HTTPException(413, f"the request body is larger than {limit} bytes")
        return message

    return receive_limited


async def _send_error(send: Send, status: int, message: str, type: str = "invalid_request_error") -> None:
    body = json.dumps(error_body(message, type)).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 503:
        headers.append((b"retry-after", b"1"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
