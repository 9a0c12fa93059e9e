"""The SageMaker inference contract: `GET /ping` and `POST /invocations`.

`/invocations` takes the Hugging Face text-generation body (as TGI and the HF DLC do):

    {"inputs": "Once upon a time" | ["prompt 1", "prompt 2"],
     "parameters": {"max_new_tokens": 64, "temperature": 0.7, "top_p": 0.9, "do_sample": true,
                    "stop": ["\\n"], "seed": 1, "return_full_text": false, "details": false}}

and answers one object per input, in order: `[{"generated_text": "..."}]` (with `details`:
`"details": {"finish_reason", "prompt_tokens", "generated_tokens"}`). A body holding `messages`
instead is an OpenAI chat completion (non-streaming) and gets the chat completion response.
"""

from __future__ import annotations

import asyncio
import json

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError

from workloads.serve import api_openai
from workloads.serve.engine import SamplingParams
from workloads.serve.errors import APIError, validation_error
from workloads.serve.schemas import ChatCompletionRequest, InvocationRequest
from workloads.serve.service import Service

router = APIRouter()
DEFAULT_MAX_NEW_TOKENS = 64


@router.get("/ping")
async def ping(request: Request) -> Response:
    """200 once the model is loaded and the batcher runs; 503 while starting or draining."""
    service: Service = request.app.state.service
    if service.ready:
        return JSONResponse({"status": "healthy", "model": service.model_name, "version": service.model_version})
    return JSONResponse({"status": "unavailable"}, status_code=503)


@router.post("/invocations")
async def invocations(request: Request):
    service: Service = request.app.state.service
    content_type = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if content_type not in ("application/json", "*/*", ""):
        raise APIError(415, f"Content-Type {content_type!r} is not supported; send application/json")
    raw = await request.body()
    try:
        payload = json.loads(raw) if raw else None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise APIError(400, f"the request body is not valid JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise APIError(400, "the request body must be a JSON object with an `inputs` field")

    if "messages" in payload:
        try:
            chat = ChatCompletionRequest.model_validate(payload)
        except ValidationError as exc:
            raise validation_error(list(exc.errors())) from exc
        if chat.stream:
            raise APIError(400, "stream is not supported on /invocations; use /v1/chat/completions", param="stream")
        return await api_openai.chat_completions(chat, request)

    try:
        body = InvocationRequest.model_validate(payload)
    except ValidationError as exc:
        raise validation_error(list(exc.errors())) from exc
    inputs = [body.inputs] if isinstance(body.inputs, str) else body.inputs
    if len(inputs) > service.settings.max_batch_size:
        raise APIError(400, f"inputs: {len(inputs)} prompts in one request; at most "
                            f"{service.settings.max_batch_size} are accepted", param="inputs")
    p = body.parameters
    sampling = p.do_sample if p.do_sample is not None else (p.temperature or 0) > 0 or p.top_p is not None
    temperature = (p.temperature if p.temperature is not None else 1.0) if sampling else 0.0

    prompts = [service.encode_prompt(text, f"inputs[{i}]" if len(inputs) > 1 else "inputs")
               for i, text in enumerate(inputs)]
    handles = []
    for ids in prompts:
        max_tokens = service.max_tokens(p.max_new_tokens, len(ids), "parameters.max_new_tokens",
                                        default=DEFAULT_MAX_NEW_TOKENS)
        params = SamplingParams(max_tokens=max_tokens, temperature=temperature, top_p=p.top_p or 1.0,
                                stop=tuple(p.stop), seed=p.seed)
        handles.append((ids, params))
    request.state.log.update(stream=False, prompt_tokens=sum(len(ids) for ids in prompts), prompt=body.inputs)
    submitted = []
    try:
        for ids, params in handles:
            submitted.append(service.submit(ids, params))
        results = await asyncio.gather(*(h.result() for h in submitted))
    finally:
        for handle in submitted:
            handle.cancel()

    texts = [h.text for h in submitted]
    request.state.log.update(completion_tokens=sum(r.completion_tokens for r in results),
                             finish_reason=",".join(sorted({r.reason for r in results})),
                             response=texts if isinstance(body.inputs, list) else texts[0])
    for done in results:
        api_openai.check_finished(done)
    outputs = []
    for text, handle, done in zip(inputs, submitted, results):
        item = {"generated_text": text + handle.text if p.return_full_text else handle.text}
        if p.details:
            item["details"] = {"finish_reason": done.reason, "prompt_tokens": done.prompt_tokens,
                               "generated_tokens": done.completion_tokens}
        outputs.append(item)
    return JSONResponse(outputs)
