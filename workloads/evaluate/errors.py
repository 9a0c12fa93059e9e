"""The one error evaluation raises for bad input: every problem, each naming its file and key."""

from __future__ import annotations


class EvalInputError(Exception):
    """Input the evaluation cannot use (missing file, malformed JSONL/YAML, bad option).

    `problems` holds one line per problem, e.g. `gate.yaml: accuracy.min: 'high' is not a number`.
    """

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))
