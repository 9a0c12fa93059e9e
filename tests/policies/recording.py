"""Props that remember what the checks read: every key looked up (present or not), by resource type
and path, with the line of policy code that read it."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from tests.policies.sdk_schema import LIST

POLICIES_DIR = Path(__file__).resolve().parents[2] / "policies"


@dataclass(frozen=True)
class Read:
    type: str
    path: tuple[str, ...]
    kind: str  # the reading policy's kind: "resource" (sees inputs) or "stack" (inputs and outputs)
    where: str  # policies/<module>.py:<line> <function>


class Reads:
    """The sink the proxies report to."""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, tuple[str, ...], str], set[str]] = {}
        self.kind = "resource"  # set by the harness before each policy runs

    def add(self, type_token: str, path: tuple[str, ...]) -> None:
        self.seen.setdefault((type_token, path, self.kind), set()).add(_caller())

    def __iter__(self) -> Iterator[Read]:
        for (type_token, path, kind), places in sorted(self.seen.items()):
            for where in sorted(places):
                yield Read(type_token, path, kind, where)


def _caller() -> str:
    """The innermost frame of policy code that made the lookup, past the shared helpers of views.py
    (except StackView.identifiers, whose probes are reported as its own)."""
    frame = sys._getframe(2)
    helper = None
    while frame is not None:
        file = Path(frame.f_code.co_filename)
        if file.is_relative_to(POLICIES_DIR):
            where = f"policies/{file.name}:{frame.f_lineno} {frame.f_code.co_name}"
            if file.name != "views.py":
                return where
            if frame.f_code.co_name == "identifiers":
                return where
            helper = helper or where
        frame = frame.f_back
    return helper or "?"


def record(value: Any, type_token: str, sink: Reads, path: tuple[str, ...] = ()) -> Any:
    if isinstance(value, Mapping):
        return RecordingMapping(value, type_token, sink, path)
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return RecordingSequence(value, type_token, sink, path + (LIST,))
    return value


class RecordingMapping(Mapping):
    def __init__(self, data: Mapping, type_token: str, sink: Reads, path: tuple[str, ...]):
        self._data, self._type, self._sink, self._path = data, type_token, sink, path

    def __getitem__(self, key: Any) -> Any:
        self._sink.add(self._type, self._path + (str(key),))
        return record(self._data[key], self._type, self._sink, self._path + (str(key),))

    def get(self, key: Any, default: Any = None) -> Any:
        self._sink.add(self._type, self._path + (str(key),))
        if key not in self._data:
            return default
        return record(self._data[key], self._type, self._sink, self._path + (str(key),))

    def __contains__(self, key: Any) -> bool:
        self._sink.add(self._type, self._path + (str(key),))
        return key in self._data

    def __iter__(self) -> Iterator:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


class RecordingSequence(Sequence):
    def __init__(self, data: Sequence, type_token: str, sink: Reads, path: tuple[str, ...]):
        self._data, self._type, self._sink, self._path = data, type_token, sink, path

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [record(v, self._type, self._sink, self._path) for v in self._data[index]]
        return record(self._data[index], self._type, self._sink, self._path)

    def __len__(self) -> int:
        return len(self._data)
