"""A stack's outputs: from `pulumi stack output --json`, a file holding that JSON, or the offline plan.

The offline plan (`--from-plan`) evaluates the stack as after `pulumi up` under the mock engine: its
names are the real ones (buckets, roles, repositories), its ids and key ARNs are the engine's
placeholders (vpc-…, subnet-…, account 123456789012). Good for moto and dry runs, not for AWS.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mladmin.sagemaker.errors import SageMakerCommandError

PULUMI_TIMEOUT_S = 120


@dataclass(frozen=True)
class StackOutputs:
    stack: str
    source: str              # where they came from, for messages
    values: dict[str, Any]

    def get(self, *path: str) -> Any:
        """The output at ``path`` (``"buckets", "models"``); a missing one is one clear error."""
        value: Any = self.values
        for depth, key in enumerate(path):
            if not isinstance(value, dict) or key not in value or value[key] in (None, "", [], {}):
                where = ".".join(path[: depth + 1])
                present = ", ".join(sorted(value)) if isinstance(value, dict) and value else "none"
                raise SageMakerCommandError(
                    f"{self.source}: stack output {where} is missing (have: {present}; expected after "
                    f"`pulumi up` of stack {self.stack} with this version of mladmin)")
            value = value[key]
        return value


def load_outputs(stack: str, *, outputs_file: Path | None = None, from_plan: bool = False,
                 config_file: Path | None = None) -> StackOutputs:
    if outputs_file is not None:
        return StackOutputs(stack, str(outputs_file), _read_file(outputs_file))
    if from_plan:
        return StackOutputs(stack, f"offline plan of {stack}", _from_plan(stack, config_file))
    return StackOutputs(stack, f"pulumi stack output --stack {stack}", _from_pulumi(stack))


def _read_file(path: Path) -> dict[str, Any]:
    try:
        values = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SageMakerCommandError(f"{path}: file not found (expected `pulumi stack output --json` saved "
                                    "to a file)") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise SageMakerCommandError(f"{path}: not a JSON object of stack outputs ({exc})") from None
    if not isinstance(values, dict):
        raise SageMakerCommandError(f"{path}: not a JSON object of stack outputs")
    return values


def _from_plan(stack: str, config_file: Path | None) -> dict[str, Any]:
    from mladmin.engine import EngineError, plan_stack

    try:
        return plan_stack(stack, config_file=config_file, preview=False).stack_outputs
    except EngineError as exc:
        raise SageMakerCommandError(str(exc)) from None


def _from_pulumi(stack: str) -> dict[str, Any]:
    from mladmin.engine import stacks_project

    pulumi = shutil.which("pulumi")
    if pulumi is None:
        raise SageMakerCommandError(
            "the Pulumi CLI is not on PATH: install it and log in to the stack's backend, or pass "
            "--outputs FILE (`pulumi stack output --json` saved elsewhere) or --from-plan (offline plan)")
    project = stacks_project().root
    try:
        done = subprocess.run([pulumi, "stack", "output", "--json", "--stack", stack], cwd=project,
                              capture_output=True, text=True, timeout=PULUMI_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise SageMakerCommandError(f"pulumi stack output --stack {stack}: no answer in {PULUMI_TIMEOUT_S} s") from None
    if done.returncode != 0:
        detail = next((line.strip() for line in reversed(done.stderr.splitlines()) if line.strip()),
                      f"exit code {done.returncode}")
        raise SageMakerCommandError(f"pulumi stack output --stack {stack} failed: {detail}")
    try:
        values = json.loads(done.stdout or "{}")
    except ValueError:
        raise SageMakerCommandError(f"pulumi stack output --stack {stack}: did not print JSON") from None
    if not isinstance(values, dict):
        raise SageMakerCommandError(f"pulumi stack output --stack {stack}: did not print a JSON object")
    return values
