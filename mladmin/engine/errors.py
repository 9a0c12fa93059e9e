"""Errors the offline engine reports to its callers (the CLI turns them into exit code 2)."""

from __future__ import annotations


class EngineError(Exception):
    """Base class: a message meant for people, never a traceback."""


class ConfigError(EngineError, ValueError):
    """A stack's configuration is invalid; one line per problem."""

    def __init__(self, problems: list[str], source: str | None = None) -> None:
        self.problems = list(problems)
        self.source = source
        super().__init__("\n".join(self.problems))


class ProgramError(EngineError):
    """The program could not be found, loaded or run."""


class UnknownStackError(EngineError):
    def __init__(self, stack: str, known: list[str], config_dir: str) -> None:
        self.stack = stack
        self.known = known
        listing = ", ".join(known) if known else "none"
        super().__init__(f"unknown stack {stack!r}: no {config_dir}/Pulumi.{stack}.yaml (stacks: {listing})")
