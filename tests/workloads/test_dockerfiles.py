"""workloads/Dockerfile.train and Dockerfile.serve follow the SageMaker container contracts.

No container engine runs here, so the Dockerfiles are parsed; the serve image's ENTRYPOINT + CMD,
ENV and HEALTHCHECK are then exercised for real: `mladmin serve` started with no flags and the
image's environment (loopback host and a free port swapped in), probed with the HEALTHCHECK command.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from workloads import contract

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILES = {"train": ROOT / "workloads/Dockerfile.train", "serve": ROOT / "workloads/Dockerfile.serve"}
SECRET_NAME = re.compile(r"(SECRET|PASSWORD|PASSWD|TOKEN|ACCESS_KEY|PRIVATE_KEY|CREDENTIAL|API_KEY)", re.I)


@dataclass
class Instruction:
    keyword: str
    args: str
    line: int

    def exec_form(self) -> list[str] | None:
        try:
            value = json.loads(self.args)
        except json.JSONDecodeError:
            return None
        return value if isinstance(value, list) and all(isinstance(v, str) for v in value) else None


@dataclass
class Stage:
    image: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def last(self, keyword: str) -> Instruction | None:
        found = self.all(keyword)
        return found[-1] if found else None

    def env(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for instruction in self.all("ENV"):
            for token in shlex.split(instruction.args):
                key, _, value = token.partition("=")
                values[key] = value
        return values


def parse_dockerfile(path: Path) -> tuple[dict[str, str], list[Stage]]:
    """(global ARG defaults, stages): continuation lines joined, comments dropped, FROM's ${ARG}s
    resolved from the ARGs declared before the first FROM."""
    logical: list[tuple[int, str]] = []
    buffer, start = "", 0
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith("#") or (not stripped and not buffer):
            continue
        if not buffer:
            start = number
        if stripped.endswith("\\"):
            buffer += stripped[:-1] + " "
            continue
        logical.append((start, buffer + stripped))
        buffer = ""
    assert not buffer, f"{path}: dangling line continuation"

    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    for number, text in logical:
        keyword, _, args = text.partition(" ")
        keyword, args = keyword.upper(), args.strip()
        if keyword == "FROM":
            words = args.split()
            image = re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: global_args[m.group(1) or m.group(2)], words[0])
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append(Stage(image, name))
        elif not stages:
            assert keyword == "ARG", f"{path}:{number}: only ARG may precede FROM"
            key, _, default = args.partition("=")
            global_args[key] = default
        else:
            stages[-1].instructions.append(Instruction(keyword, args, number))
    return global_args, stages


@pytest.fixture(scope="module", params=sorted(DOCKERFILES))
def dockerfile(request):
    global_args, stages = parse_dockerfile(DOCKERFILES[request.param])
    return request.param, global_args, stages


def final(stages: list[Stage]) -> Stage:
    return stages[-1]


def test_every_base_image_is_pinned_to_a_version(dockerfile):
    _, _, stages = dockerfile
    for stage in stages:
        if stage.image in {s.name for s in stages}:
            continue  # FROM an earlier stage
        name, _, digest = stage.image.partition("@")
        tag = name.rpartition(":")[2] if ":" in name.rpartition("/")[2] else ""
        assert digest.startswith("sha256:") or (tag and tag != "latest" and re.search(r"\d+\.\d+", tag)), \
            f"{stage.image}: pin the base image to a version tag or digest"


def test_final_stage_runs_as_a_non_root_user_set_before_the_entrypoint(dockerfile):
    _, _, stages = dockerfile
    stage = final(stages)
    user = stage.last("USER")
    assert user is not None, "the final stage must set USER"
    assert user.args.split(":")[0] not in ("root", "0")
    assert user.line < stage.last("ENTRYPOINT").line


def test_entrypoint_is_mladmin_so_sagemaker_arguments_become_subcommands(dockerfile):
    kind, _, stages = dockerfile
    stage = final(stages)
    assert stage.last("ENTRYPOINT").exec_form() == ["mladmin"]
    assert stage.last("CMD").exec_form() == [kind]


def test_entrypoint_subcommands_exist_in_the_cli():
    from mladmin.cli.main import app

    names = {command.name for command in app.registered_commands}
    assert {"train", "serve"} <= names


def test_torch_is_pinned_to_the_projects_exact_version(dockerfile):
    _, _, stages = dockerfile
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    pinned = next(d for d in extras["workloads"] if d.startswith("torch=="))
    build_args = {i.args.partition("=")[0]: i.args.partition("=")[2] for s in stages for i in s.all("ARG")}
    assert f"torch=={build_args['TORCH_VERSION']}" == pinned
    assert build_args["TORCH_VARIANT"] == "cpu"


def test_the_project_is_installed_with_the_workloads_extra(dockerfile):
    _, _, stages = dockerfile
    runs = " ".join(i.args for s in stages for i in s.all("RUN"))
    assert '"/src[workloads]"' in runs


def test_copied_sources_exist_and_pass_the_dockerignore(dockerfile):
    kind, _, stages = dockerfile
    ignore = (ROOT / f"workloads/Dockerfile.{kind}.dockerignore").read_text().splitlines()
    allowed = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    for instruction in (i for s in stages for i in s.all("COPY") if not i.args.startswith("--from")):
        for source in instruction.args.split()[:-1]:
            assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
            assert source in allowed, f"COPY {source}: excluded by the .dockerignore"


def test_no_secrets_in_env_args_or_labels(dockerfile):
    _, global_args, stages = dockerfile
    names = list(global_args) + [i.args.partition("=")[0] for s in stages for i in s.all("ARG")]
    for stage in stages:
        names += list(stage.env())
    assert not [name for name in names if SECRET_NAME.search(name)]
    text = " ".join(i.args for s in stages for i in s.instructions)
    assert not re.search(r"AKIA[0-9A-Z]{16}", text)


def test_runtime_user_owns_the_opt_ml_directories_it_writes(dockerfile):
    kind, _, stages = dockerfile
    runs = " ".join(i.args for i in final(stages).all("RUN"))
    install = re.search(r"install -d -o (\w+) -g (\w+)[^&]*", runs)
    assert install and "--uid 1000" in runs
    needed = ["/opt/ml/model", "/opt/ml/output", "/opt/ml/checkpoints", "/opt/ml/input/data"] \
        if kind == "train" else ["/opt/ml/model"]
    for path in needed:
        assert path in install.group(0).split(), f"{path} is not created for the runtime user"


def test_train_image_has_no_network_model_downloads():
    env = final(parse_dockerfile(DOCKERFILES["train"])[1]).env()
    assert env["HF_HUB_OFFLINE"] == "1" and env["TRANSFORMERS_OFFLINE"] == "1"


@pytest.fixture(scope="module")
def serve_stage() -> Stage:
    return final(parse_dockerfile(DOCKERFILES["serve"])[1])


def test_serve_image_exposes_the_sagemaker_port(serve_stage):
    assert serve_stage.last("EXPOSE").args.split() == [str(contract.SERVING_PORT)]


def test_serve_image_configures_the_server_through_its_environment(serve_stage):
    env = serve_stage.env()
    assert env["MLADMIN_HOST"] == "0.0.0.0"
    assert env["MLADMIN_PORT"] == str(contract.SERVING_PORT)
    assert env["MLADMIN_MODEL_DIR"] == str(contract.DEFAULT_ROOT + "/model")


def test_serve_healthcheck_probes_ping(serve_stage):
    healthcheck = serve_stage.last("HEALTHCHECK")
    assert healthcheck is not None
    command = healthcheck.args[healthcheck.args.index("CMD") + 3:].strip()
    assert contract.PING_PATH in command and "--interval=" in healthcheck.args


def _healthcheck_argv(stage: Stage) -> list[str]:
    args = stage.last("HEALTHCHECK").args
    argv = json.loads(args[args.index("CMD") + 3:])
    return [sys.executable if argv[0] == "python" else argv[0], *argv[1:]]


def _wait_until_listening(port: int, server: subprocess.Popen, log: Path) -> None:
    import urllib.request

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert server.poll() is None, f"server exited with {server.returncode}:\n{log.read_text()}"
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{contract.PING_PATH}", timeout=1)
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"server never answered /ping:\n{log.read_text()}")


def test_container_command_serves_and_passes_its_own_healthcheck(serve_stage, tiny_model_dir, tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, **serve_stage.env(), "PATH": os.environ["PATH"],
           "MLADMIN_HOST": "127.0.0.1", "MLADMIN_PORT": str(port), "MLADMIN_MODEL_DIR": str(tiny_model_dir)}
    env.pop("HF_HOME")
    argv = [*serve_stage.last("ENTRYPOINT").exec_form(), *serve_stage.last("CMD").exec_form()]
    log = tmp_path / "serve.log"
    server = subprocess.Popen([sys.executable, "-m", "mladmin.cli.main", *argv[1:]], env=env,
                              stdout=log.open("wb"), stderr=subprocess.STDOUT)
    healthcheck = _healthcheck_argv(serve_stage)
    try:
        _wait_until_listening(port, server, log)
        assert subprocess.run(healthcheck, env=env, capture_output=True).returncode == 0
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
    assert server.returncode == 0
    assert subprocess.run(healthcheck, env=env, capture_output=True).returncode != 0
