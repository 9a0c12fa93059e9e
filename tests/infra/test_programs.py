"""Programs nobody here wrote run as Pulumi runs them (issue 14): their own modules, files, callbacks
over computed outputs, dynamic providers and virtualenvs."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from mladmin.engine import ProgramError, plan_program

PROGRAMS = Path(__file__).parents[1] / "fixtures" / "programs"
MULTIFILE = PROGRAMS / "multifile"


@pytest.fixture(scope="module")
def multifile_plan():
    return plan_program(MULTIFILE, stack="dev")


# Class 1: the program's own modules and files, from the directory Pulumi runs it in.
def test_sibling_modules_and_packages_of_the_program_import(multifile_plan):
    network = multifile_plan.by_name("web-net")
    assert network.type == "multifile:network:Network"
    assert multifile_plan.by_name("web-net-vpc").parent == network.urn


def test_the_program_runs_in_its_main_directory_so_relative_files_open(multifile_plan):
    index = multifile_plan.by_name("index")
    assert index.inputs["content"] == (MULTIFILE / "infra" / "www" / "index.html").read_text()


def test_file_assets_and_archives_are_recorded_as_pulumi_prints_them(multifile_plan):
    code = next(r for r in multifile_plan.of_type("aws:lambda/function:Function")).inputs["code"]
    logo = multifile_plan.by_name("logo").inputs["source"]
    assert code == {"4dabf18193072939515e22adb298388d": "0def7320c3a5731c473e5ecbe6d01bc7", "path": "./app"}
    assert logo == {"4dabf18193072939515e22adb298388d": "c44067f5952c0a294b673a41bacd8c17", "path": "./www/logo.svg"}


def test_a_missing_asset_file_is_one_error_naming_the_resource_and_path(tmp_path):
    program = shutil.copytree(MULTIFILE, tmp_path / "multifile")
    (program / "infra" / "www" / "logo.svg").unlink()
    with pytest.raises(ProgramError, match=r"'logo': asset path './www/logo.svg' does not exist"):
        plan_program(program, stack="dev")


def test_the_working_directory_and_sys_path_are_restored_after_a_run(multifile_plan):
    cwd, path = os.getcwd(), list(sys.path)
    plan_program(MULTIFILE, stack="dev")
    assert os.getcwd() == cwd and sys.path == path and "naming" not in sys.modules


def _program(root: Path, name: str, prefix: str) -> Path:
    root.mkdir()
    (root / "Pulumi.yaml").write_text(f"name: {name}\nruntime: python\n")
    (root / "naming.py").write_text(f"PREFIX = {prefix!r}\n")
    (root / "__main__.py").write_text("import pulumi_aws as aws\nimport naming\n"
                                      "aws.s3.Bucket(naming.PREFIX + '-bucket')\n")
    return root


def test_each_program_gets_its_own_sibling_modules(tmp_path):
    first = plan_program(_program(tmp_path / "one", "one", "alpha"))
    second = plan_program(_program(tmp_path / "two", "two", "beta"))
    assert [r.name for r in first.of_type("aws:s3/bucket:Bucket")] == ["alpha-bucket"]
    assert [r.name for r in second.of_type("aws:s3/bucket:Bucket")] == ["beta-bucket"]


# Class 2: callbacks over values the provider computes never receive None.
CALLBACKS = PROGRAMS / "callbacks"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


@pytest.fixture(scope="module")
def callbacks_preview():
    return plan_program(CALLBACKS)


@pytest.fixture(scope="module")
def callbacks_created():
    return plan_program(CALLBACKS, preview=False)


def _secret_value(value):
    return value["value"] if isinstance(value, dict) and "value" in value else value


def test_in_a_preview_concatenation_over_a_computed_arn_is_unknown(callbacks_preview):
    permission = callbacks_preview.by_name("invoke")
    assert permission.inputs["sourceArn"] == UNKNOWN
    assert permission.property_dependencies["sourceArn"] == [callbacks_preview.by_name("prod").urn]


def test_in_a_preview_join_and_f_strings_over_computed_ids_are_unknown(callbacks_preview):
    assert _secret_value(callbacks_preview.by_name("subnet-ids").inputs["value"]) == UNKNOWN
    assert callbacks_preview.stack_outputs["url"] == UNKNOWN


def test_assumed_created_concatenation_gets_the_real_execution_arn(callbacks_created):
    stage = callbacks_created.by_name("prod")
    assert stage.outputs["executionArn"].startswith("arn:aws:execute-api:us-east-1:123456789012:")
    assert callbacks_created.by_name("invoke").inputs["sourceArn"] == stage.outputs["executionArn"] + "/*/*"


def test_assumed_created_join_and_f_strings_get_real_ids(callbacks_created):
    subnets = [callbacks_created.by_name(f"subnet-{i}").id for i in range(2)]
    assert _secret_value(callbacks_created.by_name("subnet-ids").inputs["value"]) == ",".join(subnets)
    api_id = callbacks_created.by_name("api").id
    assert callbacks_created.stack_outputs["url"] == f"https://{api_id}.execute-api.us-east-1.amazonaws.com/prod"


def test_a_dynamic_provider_resource_plans_in_a_preview(callbacks_preview):
    slug = callbacks_preview.by_name("slug")
    assert slug.type == "pulumi-python:dynamic:Resource" and slug.id is None and slug.inputs["length"] == 8
    assert callbacks_preview.stack_outputs["slug"] == UNKNOWN


def test_a_dynamic_provider_resource_plans_assumed_created_without_running_its_create(callbacks_created):
    slug = callbacks_created.by_name("slug")
    assert slug.id and slug.inputs["length"] == 8
    assert callbacks_created.stack_outputs["slug"] == UNKNOWN  # only its Python create knows; not run offline


# Class 5: a program's own virtualenv, as Pulumi uses it.
OWNVENV = PROGRAMS / "ownvenv"


def _virtualenv_with_pulumi_and(venv: Path, module: str, source: str) -> Path:
    """A real virtualenv whose site-packages sees this environment's pulumi (through a .pth file)
    and also holds a module that this environment lacks."""
    import subprocess
    import sysconfig

    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60)
    site = next((venv / "lib").glob("python3*/site-packages"))
    (site / "mladmin_test_base.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    (site / f"{module}.py").write_text(source)
    return venv


@pytest.fixture(scope="module")
def ownvenv_program(tmp_path_factory):
    program = shutil.copytree(OWNVENV, tmp_path_factory.mktemp("ownvenv") / "ownvenv")
    _virtualenv_with_pulumi_and(program / "venv", "teamnames",
                                "def bucket_name(team):\n    return f'{team}-artifacts'\n")
    return program


def test_this_environment_lacks_the_programs_package():
    with pytest.raises(ModuleNotFoundError):
        __import__("teamnames")


def test_a_program_with_its_own_virtualenv_plans_with_that_interpreter(ownvenv_program):
    plan = plan_program(ownvenv_program, preview=False)
    assert [b.id for b in plan.of_type("aws:s3/bucket:Bucket")] == ["vision-artifacts"]
    assert Path(plan.stack_outputs["interpreter_prefix"]) == ownvenv_program / "venv"


def test_a_plan_from_a_virtualenv_is_a_preview_with_property_dependencies(ownvenv_program):
    plan = plan_program(ownvenv_program)
    bucket = plan.by_name("vision-artifacts")
    assert plan.preview is True and bucket.id is None and bucket.outputs["arn"] == UNKNOWN
    assert plan.stack_outputs["bucket"] == "vision-artifacts"


def test_the_policy_pack_runs_over_a_program_with_its_own_virtualenv(ownvenv_program):
    import json

    from typer.testing import CliRunner

    from mladmin.cli.main import app

    result = CliRunner().invoke(app, ["policy", "--program", str(ownvenv_program), "--format", "json",
                                      "--assume-created"])
    report = json.loads(result.stdout)
    assert result.exit_code in (0, 1), result.output
    assert report["resources_evaluated"] >= 1
    assert "vision-artifacts" in {v["resource_name"] for v in report["violations"]}


def test_a_package_missing_from_the_virtualenv_is_one_line_saying_how_to_install_it(ownvenv_program, tmp_path):
    program = shutil.copytree(ownvenv_program, tmp_path / "missing", symlinks=True)
    (program / "__main__.py").write_text("import tensorboardx_not_here\n")
    with pytest.raises(ProgramError) as raised:
        plan_program(program)
    message = str(raised.value)
    assert "\n" not in message
    assert f"imports 'tensorboardx_not_here', which its virtualenv {program / 'venv'} lacks" in message
    assert f"{program / 'venv'}/bin/pip install -r {program / 'requirements.txt'}" in message


def test_without_a_virtualenv_a_missing_package_says_how_to_create_one(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: novenv\nruntime: python\n")
    (tmp_path / "requirements.txt").write_text("teamnames\n")
    (tmp_path / "__main__.py").write_text("import teamnames\n")
    with pytest.raises(ProgramError, match=r"imports 'teamnames', which .* lacks: give the program a virtualenv "
                                           r"\(python -m venv venv && venv/bin/pip install -r "):
        plan_program(tmp_path)
