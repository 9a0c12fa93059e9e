"""The OpenAI-compatible API: /v1/models, /v1/completions, /v1/chat/completions (streaming as SSE)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Callable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse

from workloads.serve.batcher import Finished, GenerationHandle, TextDelta
from workloads.serve.engine import SamplingParams
from workloads.serve.errors import APIError, error_body
from workloads.serve.schemas import ChatCompletionRequest, CompletionRequest, _OpenAIRequest
from workloads.serve.service import Service

router = APIRouter(prefix="/v1")
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def _service(request: Request) -> Service:
    return request.app.state.service


def _sse(payload: dict | str) -> str:
    data = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return f"data: {data}\n\n"


def _usage(done: Finished) -> dict:
    return {"prompt_tokens": done.prompt_tokens, "completion_tokens": done.completion_tokens,
            "total_tokens": done.prompt_tokens + done.completion_tokens}


def check_finished(done: Finished) -> None:
    if done.reason == "error":
        raise APIError(500, "generation failed; see the server log", type="server_error")
    if done.reason == "abort":
        raise APIError(503, "the request was aborted: the server is shutting down", type="service_unavailable")


def _start(service: Service, request: Request, body: _OpenAIRequest, prompt, prompt_param: str,
           requested_max: int | None, max_param: str, default_max: int | None) -> GenerationHandle:
    """Validate what the schema cannot, then queue the generation."""
    service.check_model(body.model)
    unsupported = body.unsupported()
    if unsupported:
        raise APIError(400, unsupported[1], param=unsupported[0])
    prompt_ids = service.encode_prompt(prompt, prompt_param)
    max_tokens = service.max_tokens(requested_max, len(prompt_ids), max_param, default=default_max)
    params = SamplingParams(max_tokens=max_tokens, temperature=body.temperature, top_p=body.top_p,
                            stop=tuple(body.stop), seed=body.seed)
    details = request.state.log
    details.update(stream=body.stream, prompt_tokens=len(prompt_ids),
                   prompt=prompt if isinstance(prompt, str) else None)
    return service.submit(prompt_ids, params, stream=body.stream)


def _finish_log(request: Request, handle: GenerationHandle, done: Finished) -> None:
    request.state.log.update(completion_tokens=done.completion_tokens, finish_reason=done.reason,
                             response=handle.text)


async def _stream(request: Request, handle: GenerationHandle, include_usage: bool,
                  chunk: Callable[[str | None, str | None], dict], usage_chunk: Callable[[dict], dict],
                  first: dict | None = None) -> AsyncIterator[str]:
    try:
        if first is not None:
            yield _sse(first)
        async for event in handle.events():
            if isinstance(event, TextDelta):
                yield _sse(chunk(event.text, None))
                continue
            _finish_log(request, handle, event)
            if event.reason in ("error", "abort"):
                message = "generation failed" if event.reason == "error" else "the server is shutting down"
                yield _sse(error_body(message, type="server_error"))
            else:
                yield _sse(chunk(None, event.reason))
                if include_usage:
                    yield _sse(usage_chunk(_usage(event)))
        yield _sse("[DONE]")
    finally:
        handle.cancel()   # the client went away mid-stream (or we are done: then this is a no-op)


@router.get("/models")
async def list_models(request: Request) -> dict:
    return {"object": "list", "data": [_model_card(_service(request))]}


@router.get("/models/{model_id:path}")
async def retrieve_model(model_id: str, request: Request) -> dict:
    service = _service(request)
    service.check_model(model_id)
    return _model_card(service)


def _model_card(service: Service) -> dict:
    return {"id": service.model_name, "object": "model", "created": service.created, "owned_by": "mladmin",
            "max_model_len": service.context_length, "version": service.model_version}


@router.post("/completions")
async def completions(body: CompletionRequest, request: Request):
    service = _service(request)
    handle = _start(service, request, body, body.prompt, "prompt", body.max_tokens, "max_tokens",
                    default_max=16 if "max_tokens" not in body.model_fields_set else None)
    completion_id, created = f"cmpl-{uuid.uuid4().hex}", int(time.time())
    base = {"id": completion_id, "object": "text_completion", "created": created, "model": service.model_name,
            "system_fingerprint": f"mladmin-{service.model_version}"}

    if body.stream:
        def chunk(text: str | None, finish_reason: str | None) -> dict:
            choice = {"index": 0, "text": text or "", "logprobs": None, "finish_reason": finish_reason}
            return {**base, "choices": [choice], "usage": None}

        def usage_chunk(usage: dict) -> dict:
            return {**base, "choices": [], "usage": usage}

        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        return StreamingResponse(_stream(request, handle, include_usage, chunk, usage_chunk),
                                 media_type="text/event-stream", headers=SSE_HEADERS)

    try:
        done = await handle.result()
    finally:
        handle.cancel()
    _finish_log(request, handle, done)
    check_finished(done)
    choice = {"index": 0, "text": handle.text, "logprobs": None, "finish_reason": done.reason}
    return JSONResponse({**base, "choices": [choice], "usage": _usage(done)})


@router.post("/chat/completions")
async def chat_completions(body: ChatCompletionRequest, request: Request):
    service = _service(request)
    messages = [{"role": m.role, "content": m.text()} for m in body.messages]
    try:
        prompt = service.engine.render_chat(messages)
    except Exception as exc:  # a model's own template can reject a conversation (e.g. roles out of order)
        raise APIError(400, f"messages: the model's chat template rejected them: {exc}", param="messages") from exc
    token_param = "max_completion_tokens" if body.max_completion_tokens is not None else "max_tokens"
    handle = _start(service, request, body, prompt, "messages", body.token_limit, token_param, default_max=None)
    completion_id, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
    base = {"id": completion_id, "object": "chat.completion.chunk", "created": created,
            "model": service.model_name, "system_fingerprint": f"mladmin-{service.model_version}"}

    if body.stream:
        def chunk(text: str | None, finish_reason: str | None) -> dict:
            delta = {"content": text} if text is not None else {}
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
            return {**base, "choices": [choice], "usage": None}

        def usage_chunk(usage: dict) -> dict:
            return {**base, "choices": [], "usage": usage}

        first = {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                                      "logprobs": None, "finish_reason": None}], "usage": None}
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        return StreamingResponse(_stream(request, handle, include_usage, chunk, usage_chunk, first),
                                 media_type="text/event-stream", headers=SSE_HEADERS)

    try:
        done = await handle.result()
    finally:
        handle.cancel()
    _finish_log(request, handle, done)
    check_finished(done)
    message = {"role": "assistant", "content": handle.text}
    choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": done.reason}
    return JSONResponse({**base, "object": "chat.completion", "choices": [choice], "usage": _usage(done)})
