"""The one error drift detection raises for bad input: every problem, each naming its file/field."""

from __future__ import annotations


class DriftInputError(Exception):
    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))
