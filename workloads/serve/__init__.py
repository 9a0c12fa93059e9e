"""The model server: SageMaker's inference contract and an OpenAI-compatible API in one FastAPI app.

    settings.py     flags/env → ServeSettings; model directory resolution; model fingerprint
    engine.py       model + tokenizer; batched step-wise decoding with a KV cache
    textstream.py   incremental detokenisation with stop strings
    batcher.py      the request queue and the worker thread that batches requests
    service.py      what endpoints share: limits, engine, batcher, metrics, request log
    schemas.py      request bodies (OpenAI completions/chat, SageMaker /invocations)
    api_openai.py   /v1/models, /v1/completions, /v1/chat/completions (SSE streaming)
    api_sagemaker.py /ping, /invocations
    metrics.py      Prometheus metrics (vLLM names)
    request_log.py  one JSON line per request; redact.py masks PII in logged text
    observer.py     ASGI middleware: request id, drain refusal, body limit, metrics, logs
    app.py          the FastAPI app factory; server.py runs it with uvicorn and drains on SIGTERM
"""
