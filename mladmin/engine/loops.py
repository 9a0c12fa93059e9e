"""The event loops a plan runs on."""

from __future__ import annotations

import asyncio
from typing import Any

ABANDONED_TASK = "Task was destroyed but it is pending"


def ignore_abandoned_tasks(loop: asyncio.AbstractEventLoop) -> None:
    """A program that fails leaves other resources' registrations pending on ``loop``; when they are collected,
    asyncio reports each ("Task was destroyed but it is pending!") on stderr, under the one-line error the user
    should see alone. Those reports are dropped; every other one goes to the default handler."""
    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if not str(context.get("message", "")).startswith(ABANDONED_TASK):
            loop.default_exception_handler(context)

    loop.set_exception_handler(handler)
