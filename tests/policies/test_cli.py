"""`mladmin policy`: exit codes, formats, --program, --list, configuration errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mladmin.cli.main import app
from policies.catalogue import catalogue

ROOT = Path(__file__).resolve().parents[2]
INSECURE = ROOT / "tests" / "fixtures" / "programs" / "insecure"


def invoke(*args: str):
    return CliRunner().invoke(app, ["policy", *args])


@pytest.fixture(scope="module")
def insecure_json(tmp_path_factory):
    out = tmp_path_factory.mktemp("policy") / "insecure.json"
    result = invoke("--program", str(INSECURE), "--config", str(INSECURE / "Pulumi.dev.yaml"), "--format", "json",
                    "--output", str(out))
    return result, json.loads(out.read_text())


def test_prod_passes_with_exit_code_0():
    result = invoke("prod")
    assert result.exit_code == 0, result.output
    assert "policy passed" in result.output


def test_insecure_program_fails_with_exit_code_1_naming_all_three_resources(insecure_json):
    result, document = insecure_json
    assert result.exit_code == 1
    mandatory = {(v["policy"], v["resource_name"]) for v in document["violations"] if v["enforcement"] == "mandatory"}
    assert ("s3-public-access-block", "public-site") in mandatory
    assert ("sg-no-public-admin-ports", "open-ssh") in mandatory
    assert ("iam-no-wildcard-admin", "admin-policy") in mandatory


def test_insecure_program_text_output_names_the_resources():
    result = invoke("--program", str(INSECURE), "--config", str(INSECURE / "Pulumi.dev.yaml"))
    assert result.exit_code == 1
    for name in ("public-site", "open-ssh", "admin-policy"):
        assert name in result.output


def test_sarif_output_is_written_to_a_file(tmp_path):
    out = tmp_path / "policy.sarif"
    result = invoke("--program", str(INSECURE), "--format", "sarif", "--output", str(out))
    assert result.exit_code == 1
    document = json.loads(out.read_text())
    assert document["version"] == "2.1.0" and document["runs"][0]["results"]


def test_list_prints_the_catalogue_with_severities_and_frameworks():
    result = CliRunner().invoke(app, ["policy", "--list", "--format", "json"])
    assert result.exit_code == 0
    rows = json.loads(result.output)
    assert len(rows) == len(catalogue()) >= 40
    assert all(row["severity"] and row["frameworks"] for row in rows)


def test_list_names_the_services_each_policy_covers():
    rows = json.loads(CliRunner().invoke(app, ["policy", "--list", "--format", "json"]).output)
    services = {row["id"]: row["services"] for row in rows}
    assert services["rds-not-public"] == ["RDS"] and services["lb-internal"] == ["Elastic Load Balancing"]
    assert services["k8s-no-privileged"] == ["Kubernetes"] and services["required-tags"] == []
    covered = {s for row in rows for s in row["services"]}
    assert {"RDS", "ECS", "Lambda", "SQS", "DynamoDB", "OpenSearch", "Glue", "Redshift", "ECR"} <= covered


def test_list_as_a_table():
    result = CliRunner(env={"COLUMNS": "250"}).invoke(app, ["policy", "--list"])
    assert result.exit_code == 0
    assert "s3-public-access-block" in result.output and "critical" in result.output


def test_pack_config_for_the_real_engine_is_written(tmp_path):
    out = tmp_path / "pack-config.json"
    result = invoke("dev", "--pack-config", str(out), "--format", "json")
    assert result.exit_code == 0
    config = json.loads(out.read_text())
    assert set(config) == set(catalogue())
    assert config["s3-versioning"] == {"enforcementLevel": "advisory", "environment": "dev", "exemptions": []}
    assert config["gpu-budget"]["maxGpus"] == 8  # the dev default, spelled out for the real engine


def test_unknown_stack_is_a_usage_error():
    result = invoke("qa")
    assert result.exit_code == 2
    assert "unknown stack 'qa'" in result.output and "Traceback" not in result.output


def test_missing_stack_is_a_usage_error():
    result = invoke()
    assert result.exit_code == 2


def test_unknown_format_is_a_usage_error():
    result = invoke("prod", "--format", "html")
    assert result.exit_code == 2 and "html" in result.output


def test_bad_policy_config_exits_2_naming_the_file_and_key(tmp_path):
    config = tmp_path / "Pulumi.dev.yaml"
    config.write_text((INSECURE / "Pulumi.dev.yaml").read_text()
                      + "  mladmin:policy:\n    enforcement:\n      s3-versioning: sometimes\n")
    result = invoke("--program", str(INSECURE), "--config", str(config))
    assert result.exit_code == 2
    assert "mladmin:policy.enforcement.s3-versioning: 'sometimes' is not an enforcement level" in result.output
    assert str(config.name) in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_shipped_stacks_pass_as_a_preview_by_default(stack):
    result = invoke(stack, "--format", "json")
    document = json.loads(result.output)
    assert result.exit_code == 0 and document["preview"] is True and document["passed"] is True


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_shipped_stacks_pass_when_assumed_created(stack):
    result = invoke(stack, "--assume-created", "--format", "json")
    document = json.loads(result.output)
    assert result.exit_code == 0 and document["preview"] is False and document["not_run"] == []


def test_text_output_shows_policies_that_could_not_run_and_those_with_nothing_to_evaluate(tmp_path):
    program = tmp_path / "unknown-doc"
    program.mkdir()
    (program / "Pulumi.yaml").write_text("name: unknown-doc\nruntime: python\n")
    (program / "__main__.py").write_text(
        "import json\nimport pulumi_aws as aws\n"
        "key = aws.kms.Key('key', enable_key_rotation=True)\n"
        "aws.iam.Policy('uses-key', policy=key.arn.apply(lambda arn: json.dumps({'Version': '2012-10-17', "
        "'Statement': [{'Effect': 'Allow', 'Action': 'kms:Decrypt', 'Resource': arn}]})))\n")
    result = invoke("--program", str(program))
    text = " ".join(result.output.split())  # as wrapped at the console's width
    assert result.exit_code == 0, result.output
    assert "not run (mandatory) iam-no-wildcard-admin on 'uses-key': can't run policy 'iam-no-wildcard-admin'" in text
    assert "could not run during preview: iam-no-wildcard-admin, iam-passrole-scoped" in text
    assert "nothing to evaluate" in text and "eks-secrets-encryption" in text
