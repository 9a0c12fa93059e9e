"""Errors raised for invalid stack configuration.

Every problem is one line: ``<file>: <key path>: <bad value> <what was expected>``, e.g.
``stacks/Pulumi.prod.yaml: mladmin:cluster.nodeGroups[1].maxSize: 0 is less than minSize 2``.
"""

from __future__ import annotations

from collections.abc import Iterable

Loc = tuple[str | int, ...]


class SettingsError(ValueError):
    """A stack's configuration is invalid; ``problems`` holds one line per problem."""

    def __init__(self, problems: Iterable[str]):
        self.problems: list[str] = list(problems)
        super().__init__("\n".join(self.problems))

    def __str__(self) -> str:
        return "\n".join(self.problems)


class RuleViolations(ValueError):
    """Raised inside a model validator to report several cross-field problems at once.

    Each problem is ``(loc, message)`` where ``loc`` is relative to the model that raised it
    (camelCase keys, list indexes) and ``message`` starts with the bad value.
    The loader turns them into full lines; pydantic only sees one ValueError.
    """

    def __init__(self, problems: list[tuple[Loc, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{_dotted(loc)}: {msg}" for loc, msg in problems))


def _dotted(loc: Loc) -> str:
    return ".".join(str(part) for part in loc)


class Problems:
    """Collects rule violations in a validator; ``raise_if_any()`` at the end."""

    def __init__(self) -> None:
        self._items: list[tuple[Loc, str]] = []

    def add(self, loc: Loc | str | int, message: str) -> None:
        if not isinstance(loc, tuple):
            loc = (loc,)
        self._items.append((loc, message))

    def extend(self, prefix: Loc, other: "Problems") -> None:
        self._items.extend((prefix + loc, msg) for loc, msg in other._items)

    def __bool__(self) -> bool:
        return bool(self._items)

    def raise_if_any(self) -> None:
        if self._items:
            raise RuleViolations(list(self._items))
