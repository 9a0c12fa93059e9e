"""Structured request logs: one JSON object per request, one line each, on stdout.

Prompt and response text are left out by default; with `log_prompts` they are included, passed
through the PII redactor unless `redact_pii` is off. The drift job reads these lines.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from workloads.serve.redact import redact

LOGGER_NAME = "mladmin.serve.requests"


class RequestLogger:
    def __init__(self, *, model_name: str, model_version: str, log_prompts: bool = False,
                 redact_pii: bool = True, stream=None):
        self.model_name = model_name
        self.model_version = model_version
        self.log_prompts = log_prompts
        self.redact_pii = redact_pii
        self._logger = logging.getLogger(LOGGER_NAME)
        self._logger.setLevel(logging.INFO)
        self._logger.propagate = False
        if not self._logger.handlers:
            handler = logging.StreamHandler(stream or sys.stdout)
            handler.setFormatter(logging.Formatter("%(message)s"))
            self._logger.addHandler(handler)

    def _text(self, text: str | list[str] | None) -> str | list[str] | None:
        if text is None or not self.redact_pii:
            return text
        return [redact(t) for t in text] if isinstance(text, list) else redact(text)

    def log(self, *, request_id: str, method: str, endpoint: str, status: int, latency_s: float,
            details: dict[str, Any]) -> None:
        record: dict[str, Any] = {
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "request_id": request_id,
            "method": method,
            "endpoint": endpoint,
            "status": status,
            "latency_ms": round(latency_s * 1000, 2),
            "model": self.model_name,
            "model_version": self.model_version,
            "prompt_tokens": details.get("prompt_tokens"),
            "completion_tokens": details.get("completion_tokens"),
            "finish_reason": details.get("finish_reason"),
            "stream": details.get("stream"),
        }
        if "error" in details:
            record["error"] = details["error"]
        if self.log_prompts:
            record["prompt"] = self._text(details.get("prompt"))
            record["response"] = self._text(details.get("response"))
        self._logger.info(json.dumps(record, ensure_ascii=False))
