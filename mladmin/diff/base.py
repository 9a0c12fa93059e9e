"""Planning a stack as it was at a git ref: a temporary ``git worktree`` of the repository, planned by the
ref's own code (its stacks, components and policies, and its engine when it has one) in a subprocess.

The subprocess prints one JSON document: per stack, the plan (``Plan.to_json``), its config and the
mandatory and advisory findings of the ref's policy pack, or ``null`` when the stack did not exist there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from mladmin.engine import EngineError, Plan

# Runs inside the worktree; uses only the engine's public functions so older refs plan too.
_SCRIPT = r"""
import json, sys
from pathlib import Path
request = json.loads(sys.argv[1])
from mladmin.engine import plan_program, plan_stack
try:
    from policies.runner import evaluate
except ImportError:
    evaluate = None
result = {}
for stack, spec in request["stacks"].items():
    if spec is None:
        result[stack] = None
        continue
    kwargs = {"preview": request["preview"]}
    config = Path(spec["config"]) if spec.get("config") else None
    try:
        if request.get("program"):
            plan = plan_program(Path(request["program"]), stack=stack, config_file=config, **kwargs)
        else:
            plan = plan_stack(stack, config_file=config, **kwargs)
    except TypeError:  # an engine from before preview mode: it always assumed created
        plan = plan_program(Path(request["program"]), stack=stack, config_file=config) if request.get("program") \
            else plan_stack(stack, config_file=config)
    findings = []
    if evaluate is not None:
        try:
            findings = [f"{v.enforcement} {v.policy}: {v.resource_name}: {v.message}" for v in evaluate(plan).violations]
        except Exception as exc:
            findings = None
    document = plan.to_json()
    result[stack] = {"plan": document, "config": plan.config, "findings": findings}
print(json.dumps(result, default=str))
"""


class BaseRefError(EngineError):
    """The base ref cannot be checked out or planned (message says why)."""


@dataclass
class BaseStack:
    plan: Plan
    findings: list[str] | None  # None: the ref's policy pack could not run


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise BaseRefError(f"git {' '.join(args)}: {result.stderr.strip() or 'failed'}")
    return result.stdout.strip()


def repository_of(path: Path) -> Path:
    try:
        return Path(git(path, "rev-parse", "--show-toplevel"))
    except BaseRefError:
        raise BaseRefError(f"{path} is not inside a git repository (mladmin diff compares git refs)") from None


@contextmanager
def worktree(repo: Path, ref: str) -> Iterator[Path]:
    """A detached checkout of ``ref``, removed afterwards."""
    try:
        git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except BaseRefError:
        raise BaseRefError(f"--base {ref}: not a commit in {repo} (expected a branch, tag or commit)") from None
    directory = Path(tempfile.mkdtemp(prefix="mladmin-base-"))
    git(repo, "worktree", "add", "--detach", "--quiet", str(directory), ref)
    try:
        yield directory
    finally:
        subprocess.run(["git", "-C", str(repo), "worktree", "remove", "--force", str(directory)], capture_output=True)
        subprocess.run(["git", "-C", str(repo), "worktree", "prune"], capture_output=True)


def start_base_plans(checkout: Path, stacks: dict[str, Path | None], *, program: Path | None,
                     preview: bool) -> subprocess.Popen:
    """Start planning ``stacks`` (name -> config file inside ``checkout``, None: absent there)."""
    own_root = Path(__file__).resolve().parents[2]
    engine_root = checkout if (checkout / "mladmin" / "engine").is_dir() else own_root
    path = [str(engine_root), str(checkout)] + ([str(own_root)] if engine_root != own_root else [])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path + [os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    request = {"preview": preview, "program": str(program) if program else None,
               "stacks": {name: ({"config": str(config)} if config else None)
                          for name, config in stacks.items()}}
    return subprocess.Popen([sys.executable, "-c", _SCRIPT, json.dumps(request)], cwd=engine_root, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish_base_plans(process: subprocess.Popen, ref: str) -> dict[str, BaseStack | None]:
    stdout, stderr = process.communicate()
    if process.returncode != 0:
        last = [line for line in stderr.splitlines() if line.strip()][-1:] or ["no output"]
        raise BaseRefError(f"planning --base {ref} failed: {last[0]}")
    result: dict[str, BaseStack | None] = {}
    for stack, entry in json.loads(stdout.strip().splitlines()[-1]).items():
        result[stack] = None if entry is None else BaseStack(
            Plan.from_json(entry["plan"], config=entry["config"]), entry["findings"])
    return result
