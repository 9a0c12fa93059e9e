"""Run a Pulumi Python program in-process under the mock runtime and return its plan.

Each run happens on a fresh thread: Pulumi keeps its settings, config and root stack in context
variables, and a new thread starts with an empty context and no event loop, so runs in one
process cannot leak config, resources or loops into each other.

As Pulumi's Python host does, the program runs with its directory (the `main:` of Pulumi.yaml)
as the working directory and first on sys.path; a program with its own virtualenv runs in that
environment instead (environment.py). By default a run is a preview (computed values unknown);
`preview=False` evaluates as after `pulumi up`.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import runpy
import sys
import threading
import traceback
from pathlib import Path
from typing import Any, Callable

from .environment import foreign_interpreter, missing_module_message, plan_in_interpreter
from .errors import ConfigError, EngineError, ProgramError, UnknownStackError
from .identifiers import ACCOUNT_ID, Identity
from .loops import ignore_abandoned_tasks
from .plan import Plan
from .project import Project, as_runtime_config, load_project, read_stack_config

DEFAULT_REGION = "us-east-1"
CONFIG_SOURCE_ENV = "MLADMIN_CONFIG_SOURCE"
_RUN_LOCK = threading.Lock()  # runs chdir into the program and extend sys.path, both process-wide


def stacks_project() -> Project:
    """The project shipped with mladmin: Pulumi.yaml beside the `stacks` package."""
    import stacks

    stacks_dir = Path(stacks.__file__).resolve().parent
    root = stacks_dir.parent
    if (root / "Pulumi.yaml").is_file():
        return load_project(root)
    return Project(name="mladmin", root=root, main=stacks_dir, config_dir=stacks_dir)


def plan_stack(stack: str, config_file: Path | None = None, *, preview: bool = True,
               reads_file: Path | None = None) -> Plan:
    """Plan one of the shipped environments (or the shipped program with another config file).

    `preview=True` evaluates as `pulumi preview` does (computed values unknown); `preview=False`
    as after `pulumi up` (every value known). `reads_file` answers what the program reads from the
    world (mladmin/engine/reads.py).
    """
    project = stacks_project()
    path = Path(config_file) if config_file else project.stack_file(stack)
    if config_file is None and not path.is_file():
        raise UnknownStackError(stack, project.stacks(), _display(project.config_dir))
    from stacks.settings import SettingsError, load_settings_file

    try:
        load_settings_file(path, stack=stack)
    except SettingsError as exc:
        raise ConfigError(exc.problems, source=_display(path)) from None
    return _plan(project, stack, path, purge_modules=False, preview=preview, reads_file=reads_file)


def plan_program(program_dir: Path, stack: str = "dev", config_file: Path | None = None, *,
                 preview: bool = True, reads_file: Path | None = None) -> Plan:
    """Plan any Pulumi Python program: a directory with Pulumi.yaml plus a stack config file.

    The program runs in its own virtualenv when it has one (see environment.py), else here."""
    project, path = _program_and_config(Path(program_dir), stack, config_file)
    from .reads import Reads

    reads = Reads.load(reads_file)  # checked here, where pydantic is, before any run
    interpreter = foreign_interpreter(project)
    if interpreter is not None:
        return plan_in_interpreter(interpreter, project, stack, path, preview, reads)
    return _plan(project, stack, path, purge_modules=True, preview=preview, reads=reads)


def plan_program_here(program_dir: Path, stack: str = "dev", config_file: Path | None = None, *,
                      preview: bool = True, reads=None) -> Plan:
    """Plan a program in this process, whatever environment it declares (`reads`: loaded answers)."""
    project, path = _program_and_config(Path(program_dir), stack, config_file)
    return _plan(project, stack, path, purge_modules=True, preview=preview, reads=reads)


def _program_and_config(program_dir: Path, stack: str, config_file: Path | None) -> tuple[Project, Path | None]:
    project = load_project(program_dir)
    path = Path(config_file) if config_file else project.stack_file(stack)
    if config_file is None and not path.is_file():
        known = project.stacks()
        if known or stack != "dev":
            raise UnknownStackError(stack, known, _display(project.config_dir))
        path = None  # a program without stack files runs with empty config
    return project, path


def _display(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _plan(project: Project, stack: str, config_path: Path | None, purge_modules: bool, preview: bool,
          reads_file: Path | None = None, reads=None) -> Plan:
    from .reads import Reads

    if reads is None:
        reads = Reads.load(reads_file)
    if config_path is not None:
        config, secrets = read_stack_config(config_path, project.name)
    else:
        config, secrets = {}, []
    region = str(config.get("aws:region") or DEFAULT_REGION)
    identity = Identity(account=ACCOUNT_ID, region=region)

    def program() -> None:
        _run_program_file(project)

    source = _display(config_path) if config_path else None
    with _RUN_LOCK, _gc_paused(), _config_source(source):
        outcome = _in_fresh_thread(
            lambda: _run_under_mocks(project, stack, config, secrets, identity, program, preview, reads),
            program_dir=project.main, project=project, purge_under=project.main if purge_modules else None)
    resources, outputs = outcome
    return Plan(project=project.name, stack=stack, config=config, resources=resources,
                config_file=_display(config_path) if config_path else None, stack_outputs=outputs,
                preview=preview)


@contextlib.contextmanager
def _config_source(source: str | None):
    """Tell mladmin's settings loader which file the config came from, for its error messages."""
    previous = os.environ.get(CONFIG_SOURCE_ENV)
    if source:
        os.environ[CONFIG_SOURCE_ENV] = source
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(CONFIG_SOURCE_ENV, None)
        else:
            os.environ[CONFIG_SOURCE_ENV] = previous


@contextlib.contextmanager
def _gc_paused():
    """A plan allocates many small, long-lived objects; full collections over them mid-run cost
    time that grows with the plan's size, so the collector waits until the run is over."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _run_program_file(project: Project) -> None:
    runpy.run_path(str(project.main / "__main__.py"), run_name="__main__")


def _run_under_mocks(project: Project, stack: str, config: dict[str, Any], secrets: list[str],
                     identity: Identity, program: Callable[[], None], preview: bool,
                     reads=None) -> tuple[list, dict]:
    import pulumi
    from pulumi.runtime.mocks import set_mocks
    from pulumi.runtime.settings import get_root_resource
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    from .monitor import PlanMocks, RecordingMonitor
    from .providers import Providers

    _forget_previous_run()
    pulumi.runtime.set_all_config(as_runtime_config(config), secrets)
    mocks = PlanMocks(identity, Providers(config, identity, project=project.name, stack=stack), reads)
    monitor = RecordingMonitor(mocks, project=project.name, stack=stack, preview=preview)
    set_mocks(mocks, project=project.name, stack=stack, preview=preview, monitor=monitor)
    try:
        _sync_await(run_pulumi_func(program))
        if monitor.problems:
            raise ProgramError("\n".join(monitor.problems))
        exported = getattr(get_root_resource(), "outputs", None) or {}
        outputs = {key: _resolved(pulumi.Output.from_input(value)) for key, value in exported.items()}
        return monitor.plan_resources(), outputs
    finally:
        loop = asyncio.get_event_loop()
        loop.run_until_complete(loop.shutdown_default_executor())
        monitor.close_loops()


def _forget_previous_run() -> None:
    """Pulumi keeps pending RPCs and output tasks in a module-level object (MockSettings does not
    reset them): a run that failed leaves its tasks there, bound to its own closed loop, and the next
    run would await them ("Event loop is closed", "attached to a different loop")."""
    from pulumi.runtime.settings import SETTINGS

    SETTINGS.rpc_manager.clear()
    SETTINGS.outputs = set()


def _resolved(output) -> Any:
    """An export's value; unknown (in a preview) as the sentinel string `pulumi preview` prints."""
    from pulumi.runtime.sync_await import _sync_await

    from .computed import as_plan_value

    return as_plan_value(_sync_await(output.future(with_unknowns=True)))


def _in_fresh_thread(work: Callable[[], Any], program_dir: Path, project: Project, purge_under: Path | None) -> Any:
    """Run `work` as Pulumi's Python host runs a program: in the program's directory (the `main:` of
    Pulumi.yaml), with that directory first on sys.path so its sibling modules and packages import."""
    result: dict[str, Any] = {}
    before = set(sys.modules)

    def target() -> None:
        loop = asyncio.new_event_loop()
        ignore_abandoned_tasks(loop)
        asyncio.set_event_loop(loop)
        try:
            result["value"] = work()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            result["error"] = exc
        finally:
            if not loop.is_closed():
                try:
                    loop.run_until_complete(loop.shutdown_asyncgens())
                finally:
                    loop.close()

    previous_cwd = os.getcwd()
    os.chdir(program_dir)
    sys.path.insert(0, str(program_dir))
    try:
        thread = threading.Thread(target=target, name="mladmin-plan")
        thread.start()
        thread.join()
    finally:
        os.chdir(previous_cwd)
        sys.path.remove(str(program_dir))
        if purge_under is not None:
            _purge_modules(before, purge_under)

    if "error" in result:
        raise _as_engine_error(result["error"], project)
    return result["value"]


def _raised_by_program(exc: BaseException, project_root: Path) -> bool:
    """An import made while the program's own files ran (directly or through a library it uses)."""
    return any(not f.filename.startswith("<") and Path(f.filename).resolve().is_relative_to(project_root.resolve())
               for f in traceback.extract_tb(exc.__traceback__))


def _purge_modules(before: set[str], directory: Path) -> None:
    """Forget modules a program imported from its own directory, so the next program gets its own."""
    directory = directory.resolve()
    for name in set(sys.modules) - before:
        file = getattr(sys.modules[name], "__file__", None)
        if file and Path(file).resolve().is_relative_to(directory):
            del sys.modules[name]


def _as_engine_error(exc: BaseException, project: Project) -> BaseException:
    if isinstance(exc, EngineError):
        return exc
    import pulumi

    project_root = project.root
    if isinstance(exc, ModuleNotFoundError) and exc.name and _raised_by_program(exc, project_root):
        return ProgramError(missing_module_message(project, exc.name, f"this environment ({sys.prefix})"))

    if isinstance(exc, pulumi.RunError):  # a message meant for people, shown as the Pulumi CLI shows it
        return ProgramError(str(exc))
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if Path(f.filename).resolve().is_relative_to(project_root.resolve())]
    where = f" ({frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    return ProgramError(f"the program failed{where}: {type(exc).__name__}: {exc}")
