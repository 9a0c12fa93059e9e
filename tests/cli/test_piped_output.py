"""Every command, output piped at 80 columns as in CI: no id, type or message is cut (`…`) or split
across lines, and help shows option and environment variable names whole."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from mladmin.cli.main import app
from tests.cli.helpers import PROGRAMS, ROOT, mladmin

DEMO, INSECURE = PROGRAMS / "demo", PROGRAMS / "insecure"
SAMPLE = ROOT / "workloads" / "data" / "sample.txt"


def assert_whole(output: str, tokens) -> None:
    """No `…` anywhere, and each token (an id, a type, a message) inside one line."""
    assert "…" not in output
    lines = output.splitlines()
    split = [token for token in tokens if not any(token in line for line in lines)]
    assert not split, f"cut or split across lines: {split[:5]}\n{output}"


def test_plan_prints_every_type_and_name_whole():
    from mladmin.engine import plan_program

    plan = plan_program(DEMO, "dev")
    result = mladmin("plan", "dev", "--program", DEMO)
    assert result.returncode == 1, result.stderr  # the demo fails mandatory policies
    assert "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration" in result.stdout
    assert result.stdout.splitlines()[-1].startswith("cost: $")  # the monthly total, one line (mladmin cost)
    assert_whole(result.stdout, [t for r in plan.resources if r.parent for t in (r.type, r.name)])


def test_policy_prints_every_violation_whole():
    report = json.loads(mladmin("policy", "--program", INSECURE, "--format", "json").stdout)
    result = mladmin("policy", "--program", INSECURE)
    assert result.returncode == 1 and report["violations"]
    tokens = [t for v in report["violations"] for t in (v["policy"], v["resource_type"], v["message"])]
    assert_whole(result.stdout, tokens)
    verdict = result.stdout.splitlines()[-1]
    assert verdict.startswith("policy FAILED") and verdict.endswith(", dev, preview)")  # the verdict is one line


def test_policy_list_prints_every_policy_id_whole():
    from policies.catalogue import catalogue

    result = mladmin("policy", "--list")
    assert result.returncode == 0
    assert_whole(result.stdout, list(catalogue()))


def test_graph_prints_node_labels_whole():
    result = mladmin("graph", "dev", "--program", DEMO)
    assert result.returncode == 0 and "vault (Vault)" in result.stdout
    assert_whole(result.stdout, [])


def _commands(group, path: tuple[str, ...] = ()):
    yield path, group
    for name, command in getattr(group, "commands", {}).items():
        yield from _commands(command, (*path, name))


ALL_COMMANDS = list(_commands(typer.main.get_command(app)))


@pytest.mark.parametrize("path, command", ALL_COMMANDS, ids=[" ".join(p) or "mladmin" for p, _ in ALL_COMMANDS])
def test_help_at_80_columns_shows_every_option_and_env_var_whole(path, command):
    result = CliRunner(env={"COLUMNS": "80"}).invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    names = []
    for param in command.params:
        names += [*param.opts, *getattr(param, "secondary_opts", [])]
        envvar = getattr(param, "envvar", None)
        names += [envvar] if isinstance(envvar, str) else list(envvar or [])
    assert_whole(result.output, [n for n in names if n.startswith("-") or n.isupper()])
    usage = next(line for line in result.output.splitlines() if line.startswith("Usage:"))
    assert "{" not in usage and "<bool>" not in result.output, result.output


def test_serve_help_names_the_sagemaker_port_variable():
    result = mladmin("serve", "--help")
    assert result.returncode == 0 and "SAGEMAKER_BIND_TO_PORT" in result.stdout and "…" not in result.stdout


@pytest.fixture(scope="module")
def workload_outputs(tiny_model_dir, tmp_path_factory):
    """model tiny, train, eval and drift run once each, piped."""
    base = tmp_path_factory.mktemp("piped")
    window = base / "window.jsonl"
    window.write_text("".join(json.dumps({"endpoint": "/v1/completions", "status": 200, "prompt_tokens": 5 + i % 7})
                              + "\n" for i in range(40)))
    return {
        "model tiny": mladmin("model", "tiny", base / "tiny"),
        "train": mladmin("train", "--model", tiny_model_dir, "--data", SAMPLE, "--output-dir", base / "out",
                         "--max-steps", "3", "--save-every", "0", "--block-size", "32", "--batch-size", "2"),
        "eval": mladmin("eval", "--model", tiny_model_dir, "--data", SAMPLE, "--block-size", "64",
                        "--output-dir", base / "eval"),
        "drift": mladmin("drift", "--reference", SAMPLE, "--window", window, "--model", tiny_model_dir,
                         "--output", base / "drift.json"),
    }


@pytest.mark.parametrize("command", ["model tiny", "train", "eval", "drift"])
def test_workload_output_is_never_cut(workload_outputs, command):
    result = workload_outputs[command]
    assert result.returncode in (0, 1), result.stderr
    assert_whole(result.stdout + result.stderr, [])
    assert "Traceback" not in result.stderr


def test_cost_prints_every_resource_and_how_it_was_priced_whole():
    costed = PROGRAMS / "costed"
    estimate = json.loads(mladmin("cost", "dev", "--program", costed, "--json").stdout)
    result = mladmin("cost", "dev", "--program", costed, "--by", "resource")
    assert result.returncode == 0, result.stderr
    assert_whole(result.stdout, [t for item in estimate["resources"] for t in (item["name"], item["type"], item["basis"])])


def test_diff_prints_every_changed_key_and_replacement_whole(tmp_path):
    import shutil
    import subprocess

    shutil.copytree(PROGRAMS / "costed", tmp_path / "prog")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-C", str(tmp_path)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "base"], check=True)
    main = tmp_path / "prog" / "__main__.py"
    main.write_text(main.read_text().replace("costed-data", "costed-data-with-a-much-longer-bucket-name-than-80-columns"))
    result = mladmin("diff", "dev", "--program", tmp_path / "prog", "--base", "HEAD")
    assert result.returncode == 0, result.stderr
    assert_whole(result.stdout, ['bucket: "costed-data" -> "costed-data-with-a-much-longer-bucket-name-than-80-columns"',
                                 "!! REPLACE aws:s3/bucket:Bucket data (bucket): data-loss/downtime risk"])


def test_capacity_prints_every_instance_type_and_the_recommendation_whole(tiny_model_dir):
    estimate = json.loads(mladmin("capacity", tiny_model_dir, "--context", "128", "--json").stdout)
    result = mladmin("capacity", tiny_model_dir, "--context", "128")
    assert result.returncode == 0, result.stderr
    assert_whole(result.stdout, [row["instance_type"] for row in estimate["candidates"]]
                 + ["recommended: " + estimate["recommendation"]])
