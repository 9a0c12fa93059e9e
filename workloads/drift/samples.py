"""Read prompts: a reference corpus (text or JSONL) and a window of logged requests (JSONL).

A request log line is the server's JSON record (workloads/serve/request_log.py): a request counts
when it has a `prompt` (text; logged only when prompt logging is on) and/or `prompt_tokens` (the
server's token count). Records with neither — health checks, model listings — are skipped and
counted. A plain-text reference is split into paragraphs (blank-line separated), or into lines
when it has no blank lines: one sample each.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from workloads.drift.errors import DriftInputError

TEXT_FIELDS = ("prompt", "text")  # "text": a JSONL corpus of {"text": ...} records


@dataclass
class Sample:
    text: str | None
    tokens: int | None  # token count reported by the server, when logged


@dataclass
class SampleSet:
    path: Path
    samples: list[Sample]
    skipped: int = 0                # records without any prompt information
    statuses: dict[str, int] = field(default_factory=dict)
    models: dict[str, int] = field(default_factory=dict)


def _read_utf8(path: Path, what: str) -> str:
    if not path.is_file():
        raise DriftInputError(f"{path}: {what} file not found")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DriftInputError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def _sample_from_record(record: dict, where: str, problems: list[str]) -> list[Sample]:
    text = next((record[k] for k in TEXT_FIELDS if k in record and record[k] is not None), None)
    tokens = record.get("prompt_tokens")
    if tokens is not None and (isinstance(tokens, bool) or not isinstance(tokens, int) or tokens < 0):
        problems.append(f"{where}: prompt_tokens: expected a non-negative integer, got {tokens!r}")
        return []
    if isinstance(text, list) and all(isinstance(t, str) for t in text):  # batched prompts
        return [Sample(t, None) for t in text]
    if text is not None and not isinstance(text, str):
        problems.append(f"{where}: prompt: expected a string, got {type(text).__name__}")
        return []
    if text is None and tokens is None:
        return []
    return [Sample(text, tokens)]


def read_jsonl_samples(path: Path, what: str) -> SampleSet:
    path = Path(path)
    raw = _read_utf8(path, what)
    result = SampleSet(path, [])
    problems: list[str] = []
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{where}: invalid JSON ({exc.msg})")
            continue
        if not isinstance(record, dict):
            problems.append(f"{where}: expected a JSON object per line")
            continue
        found = _sample_from_record(record, where, problems)
        if not found:
            result.skipped += 1
            continue
        result.samples.extend(found)
        if "status" in record:
            key = str(record["status"])
            result.statuses[key] = result.statuses.get(key, 0) + 1
        if isinstance(record.get("model"), str):
            result.models[record["model"]] = result.models.get(record["model"], 0) + 1
    if problems:
        raise DriftInputError(problems[:20] + ([f"{path}: … and {len(problems) - 20} more"]
                                               if len(problems) > 20 else []))
    if not result.samples:
        raise DriftInputError(f"{path}: no requests with a prompt or prompt_tokens field "
                              f"({result.skipped} records skipped)")
    return result


def read_text_samples(path: Path) -> SampleSet:
    path = Path(path)
    raw = _read_utf8(path, "reference")
    separator = r"\n\s*\n" if re.search(r"\n\s*\n", raw.strip()) else r"\n"
    pieces = [p.strip() for p in re.split(separator, raw) if p.strip()]
    if not pieces:
        raise DriftInputError(f"{path}: reference text is empty")
    return SampleSet(path, [Sample(p, None) for p in pieces])


def read_window(path: Path) -> SampleSet:
    return read_jsonl_samples(Path(path), "window")


def read_reference_samples(path: Path) -> SampleSet:
    path = Path(path)
    return read_jsonl_samples(path, "reference") if path.suffix == ".jsonl" else read_text_samples(path)
