"""Structured request logs: one JSON object per request, one line each, on stdout.

Prompt and response text are left out by default; with `log_prompts` they are included, passed
through the PII redactor unless `redact_pii` is off. The drift job reads these lines.
"""

from __future__ import annotations

import json
import sys
import threading
from datetime import UTC, datetime
from typing import Any, TextIO

from workloads.serve.redact import redact


class RequestLogger:
    def __init__(self, *, model_name: str, model_version: str, log_prompts: bool = False,
                 redact_pii: bool = True, stream: TextIO | None = None):
        self.model_name = model_name
        self.model_version = model_version
        self.log_prompts = log_prompts
        self.redact_pii = redact_pii
        self._stream = stream          # None: whatever sys.stdout is at the time of writing
        self._lock = threading.Lock()

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
        line = json.dumps(record, ensure_ascii=False) + "\n"
        stream = self._stream or sys.stdout
        with self._lock:
            stream.write(line)
            stream.flush()
