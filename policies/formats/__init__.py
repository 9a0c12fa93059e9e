"""Report renderers: text, json, sarif, junit. Each is `render(report) -> str`."""

from __future__ import annotations

from typing import Callable

from policies.report import Report

FORMATS = ("text", "json", "sarif", "junit")


def renderer(name: str) -> Callable[[Report], str]:
    if name not in FORMATS:
        raise ValueError(f"unknown format {name!r} (expected one of {', '.join(FORMATS)})")
    import importlib

    return importlib.import_module(f"policies.formats.{name}_format").render
