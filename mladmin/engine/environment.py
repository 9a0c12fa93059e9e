"""The Python environment a program runs in, as Pulumi chooses it, and running the engine there.

Pulumi runs a Python program with the interpreter of the virtualenv that Pulumi.yaml names
(`runtime.options.virtualenv`), so the program sees its own dependencies (other providers, its
libraries). When that environment is not mladmin's own, the engine runs in a child process with
that interpreter: the engine core needs only pulumi and PyYAML, which every Pulumi Python
environment has. The child loads this package from its files under a private name (so nothing
of mladmin, and no module named like one of the program's, lands on its sys.path), plans the
program and writes the plan back as JSON; policies are then evaluated here, in mladmin's process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from .errors import ConfigError, EngineError, ProgramError, UnknownStackError
from .plan import Plan
from .project import Project

ENGINE_DIR = Path(__file__).resolve().parent
CONVENTIONAL_VENVS = ("venv", ".venv")  # what `pulumi new` creates; an activated venv stands in for it
_CHILD_TIMEOUT_S = 600

# Loads this package in the child under a private name, then runs its bootstrap.
_LOADER = (
    "import importlib.util, sys\n"
    "spec = importlib.util.spec_from_file_location('_mladmin_engine', sys.argv[1] + '/__init__.py',"
    " submodule_search_locations=[sys.argv[1]])\n"
    "engine = importlib.util.module_from_spec(spec)\n"
    "sys.modules['_mladmin_engine'] = engine\n"
    "spec.loader.exec_module(engine)\n"
    "from _mladmin_engine.bootstrap import main\n"
    "sys.exit(main(sys.argv[2]))\n"
)


def program_virtualenv(project: Project) -> Path | None:
    """The program's own virtualenv: the one Pulumi.yaml declares, else a conventional one beside it."""
    if project.virtualenv is not None:
        return project.virtualenv
    for name in CONVENTIONAL_VENVS:
        if (project.root / name / "pyvenv.cfg").is_file():
            return project.root / name
    return None


def interpreter_of(venv: Path) -> Path | None:
    for candidate in (venv / "bin" / "python", venv / "Scripts" / "python.exe"):
        if candidate.is_file():
            return candidate
    return None


def foreign_interpreter(project: Project) -> Path | None:
    """The program's interpreter when its environment exists and is not the one running mladmin."""
    venv = program_virtualenv(project)
    if venv is None or not (venv / "pyvenv.cfg").is_file():
        return None
    if venv.resolve() == Path(sys.prefix).resolve():
        return None
    return interpreter_of(venv)


def missing_module_message(project: Project, module: str, where: str) -> str:
    """One line: which module is missing, in which environment, and how to install it."""
    top = module.split(".")[0]
    venv = program_virtualenv(project)
    requirements = project.root / "requirements.txt"
    install = f"-r {requirements}" if requirements.is_file() else top.replace("_", "-")
    if venv is not None and (venv / "pyvenv.cfg").is_file():
        return (f"the program imports {top!r}, which its virtualenv {venv} lacks: "
                f"{venv}/bin/pip install {install}")
    if venv is not None:
        return (f"the program imports {top!r}, which {where} lacks, and its virtualenv {venv} "
                f"(runtime.options.virtualenv) does not exist: "
                f"python -m venv {venv} && {venv}/bin/pip install {install}")
    return (f"the program imports {top!r}, which {where} lacks: give the program a virtualenv "
            f"(python -m venv venv && venv/bin/pip install {install}, and `virtualenv: venv` under "
            f"runtime.options in Pulumi.yaml), or pip install it into mladmin's environment")


def plan_in_interpreter(interpreter: Path, project: Project, stack: str, config_file: Path | None,
                        preview: bool, reads=None) -> Plan:
    """Plan the program in a child process running `interpreter`; what it prints goes to stderr."""
    with tempfile.TemporaryDirectory(prefix="mladmin-plan-") as scratch:
        result = Path(scratch) / "result.json"
        request = Path(scratch) / "request.json"
        request.write_text(json.dumps({
            "program": str(project.root), "stack": stack, "config_file": str(config_file) if config_file else None,
            "preview": preview, "result": str(result),
            "reads": reads.to_json() if reads is not None else None,
        }))
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
        try:
            completed = subprocess.run([str(interpreter), "-c", _LOADER, str(ENGINE_DIR), str(request)],
                                       env=env, capture_output=True, text=True, timeout=_CHILD_TIMEOUT_S)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ProgramError(f"{interpreter}: cannot run the program's interpreter: {exc}") from None
        if completed.stdout:  # what the program printed; stdout stays for the plan (--json)
            sys.stderr.write(completed.stdout)
        if not result.is_file():
            raise ProgramError(_child_failure(interpreter, completed.stderr))
        document = json.loads(result.read_text())
    if "error" in document:
        raise _error_from_json(document["error"])
    return Plan.from_json(document["plan"], config=document["config"])


def _child_failure(interpreter: Path, stderr: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    last = lines[-1] if lines else "no output"
    if "No module named 'pulumi'" in stderr or "No module named 'yaml'" in stderr:
        venv = interpreter.parent.parent
        return (f"the program's virtualenv {venv} has no Pulumi SDK: "
                f"{venv}/bin/pip install -r requirements.txt (or pip install pulumi)")
    return f"the engine could not run under {interpreter}: {last}"


def error_to_json(exc: EngineError) -> dict[str, Any]:
    document: dict[str, Any] = {"kind": type(exc).__name__, "message": str(exc)}
    if isinstance(exc, ConfigError):
        document |= {"problems": exc.problems, "source": exc.source}
    if isinstance(exc, UnknownStackError):
        document |= {"stack": exc.stack, "known": exc.known}
    return document


def _error_from_json(document: dict[str, Any]) -> EngineError:
    if document["kind"] == "ConfigError":
        return ConfigError(document["problems"], source=document.get("source"))
    if document["kind"] == "UnknownStackError":
        error = UnknownStackError(document["stack"], document["known"], "")
        error.args = (document["message"],)
        return error
    return ProgramError(document["message"])
