"""`mladmin plan` and `mladmin graph` as a user runs them: real processes, exit codes, no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).parents[2]
DEMO = ROOT / "tests" / "fixtures" / "programs" / "demo"


def mladmin(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = dict(os.environ, COLUMNS="200", NO_COLOR="1")
    return subprocess.run([sys.executable, "-m", "mladmin.cli.main", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_version_prints_the_package_version():
    result = mladmin("--version")
    assert result.returncode == 0 and result.stdout.startswith("mladmin 0.")


def test_plan_json_follows_the_documented_schema():
    result = mladmin("plan", "dev", "--program", str(DEMO), "--json")
    assert result.returncode == 1, result.stderr  # the demo fails mandatory policies: exit 1, as `policy`
    plan = json.loads(result.stdout)
    assert plan["schema_version"] == 2 and plan["project"] == "demo" and plan["stack"] == "dev"
    assert plan["preview"] is True and plan["unknowns"] > 0
    for resource in plan["resources"]:
        assert {"urn", "type", "name", "parent", "dependencies", "provider", "inputs", "outputs", "id",
                "custom", "property_dependencies"} <= resource.keys()
    assert plan["summary"]["by_type"]["aws:cloudwatch/logGroup:LogGroup"] == 3


def test_plan_json_prints_unknowns_as_pulumi_preview_does():
    result = mladmin("plan", "dev", "--program", str(DEMO), "--json")
    key = next(r for r in json.loads(result.stdout)["resources"] if r["name"] == "vault-key")
    assert key["id"] is None and key["outputs"]["arn"] == "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def test_plan_assume_created_knows_every_value():
    result = mladmin("plan", "dev", "--program", str(DEMO), "--json", "--assume-created")
    plan = json.loads(result.stdout)
    key = next(r for r in plan["resources"] if r["name"] == "vault-key")
    assert plan["preview"] is False and plan["unknowns"] == 0
    assert key["outputs"]["arn"] == f"arn:aws:kms:eu-west-1:123456789012:key/{key['id']}"


def test_plan_text_says_whether_it_is_a_preview():
    preview = mladmin("plan", "dev", "--program", str(DEMO)).stdout
    created = mladmin("plan", "dev", "--program", str(DEMO), "--assume-created").stdout
    assert "preview:" in preview and "values are unknown until apply" in preview
    assert "assumed created" in created and "unknown until apply" not in created


def test_plan_prints_the_component_tree_and_counts():
    result = mladmin("plan", "dev", "--program", str(DEMO))
    assert result.returncode == 1, result.stderr  # the demo fails mandatory policies
    assert "vault" in result.stdout and "demo:vault:Vault" in result.stdout
    assert "aws:cloudwatch/logGroup:LogGroup" in result.stdout and "Resources by type" in result.stdout


def test_unknown_stack_exits_2_listing_the_stacks():
    result = mladmin("plan", "qa")
    assert result.returncode == 2
    assert "unknown stack 'qa'" in result.stderr and "dev, prod, staging" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_failing_program_exits_2_without_traceback():
    result = mladmin("plan", "dev", "--program", str(ROOT / "tests" / "fixtures" / "programs" / "broken"))
    assert result.returncode == 2
    assert "the database password is not set" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize("mutate, expected", [
    (lambda c: c["config"]["mladmin:network"].update(vpcCidr="10.0.0.300/16"), "mladmin:network.vpcCidr"),
    (lambda c: c["config"]["mladmin:network"].update(natGateway="single"), "did you mean 'natGateways'"),
    (lambda c: c["config"].update({"mladmin:netwrok": {}}), "did you mean 'mladmin:network'"),
])
def test_bad_config_exits_2_naming_file_and_key(tmp_path, mutate, expected):
    config = yaml.safe_load((ROOT / "stacks" / "Pulumi.dev.yaml").read_text())
    mutate(config)
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(yaml.safe_dump(config))
    result = mladmin("plan", "dev", "--config", str(path))
    assert result.returncode == 2
    assert str(path) in result.stderr or "Pulumi.dev.yaml" in result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_graph_writes_mermaid_and_dot_naming_every_component(tmp_path):
    for suffix, marker in ((".mmd", "flowchart LR"), (".dot", "digraph")):
        out = tmp_path / f"demo{suffix}"
        result = mladmin("graph", "dev", "--program", str(DEMO), "-o", str(out))
        assert result.returncode == 0, result.stderr
        text = out.read_text()
        assert text.startswith(marker) and "vault (Vault)" in text


def test_graph_svg_without_graphviz_is_a_clear_error(tmp_path):
    from mladmin.graph import dot_available

    result = mladmin("graph", "dev", "--program", str(DEMO), "-o", str(tmp_path / "g.svg"))
    if dot_available():
        assert result.returncode == 0 and (tmp_path / "g.svg").read_text().lstrip().startswith("<")
    else:
        assert result.returncode == 2 and "Graphviz" in result.stderr


def test_the_stack_program_run_as_a_program_names_the_given_config_file():
    result = mladmin("plan", "dev", "--program", ".", "--config", "tests/fixtures/config/many-problems.yaml")
    assert result.returncode == 2
    assert "tests/fixtures/config/many-problems.yaml: mladmin:netwrok: unknown key" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_a_workload_command_without_its_extra_says_how_to_install_it(tmp_path):
    code = ("import sys; sys.modules['transformers'] = None; "
            f"sys.argv = ['mladmin', 'model', 'tiny', {str(tmp_path / 'm')!r}]; "
            "from mladmin.cli.main import run; run()")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "needs the 'workloads' extra" in result.stderr and "Traceback" not in result.stderr
