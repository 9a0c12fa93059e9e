"""The offline engine runs any Pulumi Python program under mocks and records a believable plan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mladmin.engine import ConfigError, ProgramError, UnknownStackError, plan_program

DEMO = Path(__file__).parents[1] / "fixtures" / "programs" / "demo"
BROKEN = Path(__file__).parents[1] / "fixtures" / "programs" / "broken"


@pytest.fixture(scope="module")
def demo_plan():
    return plan_program(DEMO, stack="dev", preview=False)


def test_urns_carry_the_full_parent_type_chain(demo_plan):
    bucket = demo_plan.by_name("vault-bucket")
    assert bucket.urn == "urn:pulumi:dev::demo::demo:vault:Vault$aws:s3/bucket:Bucket::vault-bucket"
    assert bucket.parent == "urn:pulumi:dev::demo::demo:vault:Vault::vault"


def test_top_level_resources_are_parented_to_the_stack(demo_plan):
    stack = demo_plan.by_name("demo-dev")
    assert stack.type == "pulumi:pulumi:Stack" and stack.parent is None
    assert demo_plan.by_name("vault").parent == stack.urn


def test_ids_and_arns_follow_aws_formats_in_the_configured_region(demo_plan):
    key = demo_plan.by_name("vault-key")
    assert key.outputs["arn"] == f"arn:aws:kms:eu-west-1:123456789012:key/{key.id}"
    bucket = demo_plan.by_name("vault-bucket")
    assert bucket.outputs["arn"] == f"arn:aws:s3:::{bucket.id}"


def test_references_between_resources_resolve_to_the_referenced_values(demo_plan):
    encryption = demo_plan.by_name("vault-encryption")
    key, bucket = demo_plan.by_name("vault-key"), demo_plan.by_name("vault-bucket")
    assert encryption.inputs["bucket"] == bucket.id
    rule = encryption.inputs["rules"][0]["applyServerSideEncryptionByDefault"]
    assert rule["kmsMasterKeyId"] == key.outputs["arn"]


def test_dependencies_are_recorded_from_inputs(demo_plan):
    encryption = demo_plan.by_name("vault-encryption")
    assert set(encryption.dependencies) == {demo_plan.by_name("vault-key").urn, demo_plan.by_name("vault-bucket").urn}


def test_resource_options_are_recorded(demo_plan):
    assert demo_plan.by_name("vault-bucket").protect is True
    assert demo_plan.by_name("vault-key").protect is False


def test_explicit_provider_and_its_region_are_used(demo_plan):
    replica = demo_plan.by_name("replica")
    provider = [r for r in demo_plan.resources if r.type == "pulumi:providers:aws"][0]
    assert replica.provider.startswith(provider.urn + "::")
    assert replica.outputs["region"] == "ap-southeast-2"


def test_default_providers_are_named_like_the_engine_names_them(demo_plan):
    assert "::pulumi:providers:aws::default_7_51_1::" in demo_plan.by_name("vault-key").provider


def test_policy_documents_render_as_aws_iam_json(demo_plan):
    policy = json.loads(demo_plan.by_name("vault-policy").inputs["policy"])
    statement = policy["Statement"][0]
    bucket_arn = demo_plan.by_name("vault-bucket").outputs["arn"]
    assert policy["Version"] == "2012-10-17"
    assert statement["Action"] == ["s3:GetObject", "s3:ListBucket"]
    assert statement["Resource"] == [bucket_arn, f"{bucket_arn}/*"]
    assert statement["Principal"] == {"Service": "sagemaker.amazonaws.com"}
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}


def test_structured_config_and_exports_reach_the_program(demo_plan):
    assert demo_plan.stack_outputs["settings"] == {"owner": "data-team", "replicas": [1, 2]}
    assert demo_plan.stack_outputs["account"] == "123456789012"
    assert len(demo_plan.of_type("aws:cloudwatch/logGroup:LogGroup")) == 3


def test_plans_are_deterministic(demo_plan):
    again = plan_program(DEMO, stack="dev", preview=False)
    assert [r.to_json() for r in again.resources] == [r.to_json() for r in demo_plan.resources]


def test_config_does_not_leak_between_runs(demo_plan):
    other = plan_program(DEMO, stack="other", preview=False)
    assert other.stack_outputs["settings"] is None
    assert len(other.of_type("aws:cloudwatch/logGroup:LogGroup")) == 1
    assert other.by_name("vault-key").outputs["arn"].startswith("arn:aws:kms:us-west-2:")
    assert all(r.urn.startswith("urn:pulumi:other::demo::") for r in other.resources)


def test_a_config_file_can_be_given_explicitly(tmp_path):
    config = tmp_path / "mine.yaml"
    config.write_text("config:\n  aws:region: eu-central-1\n  demo:size: 2\n")
    plan = plan_program(DEMO, stack="dev", config_file=config)
    assert len(plan.of_type("aws:cloudwatch/logGroup:LogGroup")) == 2


def test_unknown_stack_lists_the_known_ones():
    with pytest.raises(UnknownStackError, match=r"stacks: dev, other"):
        plan_program(DEMO, stack="nope")


def test_invalid_yaml_names_the_file_and_line(tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text("config:\n  demo:size: [1, 2\n")
    with pytest.raises(ConfigError, match=r"bad.yaml: not valid YAML \(line 3"):
        plan_program(DEMO, stack="dev", config_file=config)


def test_a_failing_program_reports_the_error_and_where():
    with pytest.raises(ProgramError, match=r"__main__.py:3\): RuntimeError: the database password is not set"):
        plan_program(BROKEN)


def test_a_directory_without_a_project_is_rejected(tmp_path):
    with pytest.raises(ProgramError, match="no Pulumi.yaml"):
        plan_program(tmp_path)


def test_a_run_error_is_reported_as_its_message_alone(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: halts\nruntime: python\n")
    (tmp_path / "__main__.py").write_text("import pulumi\nraise pulumi.RunError('mladmin:owner: missing')\n")
    with pytest.raises(ProgramError) as raised:
        plan_program(tmp_path)
    assert str(raised.value) == "mladmin:owner: missing"


# Preview mode (the default), as `pulumi preview` evaluates a program before anything exists.
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


@pytest.fixture(scope="module")
def demo_preview():
    return plan_program(DEMO, stack="dev")


def test_plans_are_previews_by_default(demo_preview, demo_plan):
    assert demo_preview.preview is True and demo_plan.preview is False


def test_in_a_preview_ids_and_arns_are_unknown(demo_preview):
    key = demo_preview.by_name("vault-key")
    assert key.id is None
    assert key.outputs["arn"] == UNKNOWN and key.outputs["keyId"] == UNKNOWN


def test_in_a_preview_inputs_fed_by_computed_outputs_are_unknown(demo_preview):
    encryption = demo_preview.by_name("vault-encryption")
    assert encryption.inputs["bucket"] == UNKNOWN
    assert encryption.inputs["rules"][0]["applyServerSideEncryptionByDefault"] == {
        "kmsMasterKeyId": UNKNOWN, "sseAlgorithm": "aws:kms"}


def test_in_a_preview_names_regions_and_given_inputs_are_known(demo_preview):
    bucket = demo_preview.by_name("replica")
    assert bucket.outputs["bucket"].startswith("replica-") and bucket.outputs["region"] == "ap-southeast-2"
    assert demo_preview.by_name("vault-key").inputs == {"enableKeyRotation": True, "tagsAll": {}}
    assert demo_preview.by_name("vault-key").outputs["region"] == "eu-west-1"


def test_exports_of_computed_values_are_unknown_in_a_preview(demo_preview, demo_plan):
    assert demo_preview.stack_outputs["key_arn"] == UNKNOWN
    assert demo_plan.stack_outputs["key_arn"] == demo_plan.by_name("vault-key").outputs["arn"]
    assert demo_preview.stack_outputs["bucket"].startswith("vault-bucket-")  # a name: known at preview


def test_property_dependencies_name_the_resources_feeding_each_input(demo_preview):
    encryption = demo_preview.by_name("vault-encryption")
    assert encryption.property_dependencies == {
        "bucket": [demo_preview.by_name("vault-bucket").urn],
        "rules": [demo_preview.by_name("vault-key").urn],
    }


def test_assumed_created_every_computed_output_has_a_value(demo_plan):
    bucket = demo_plan.by_name("vault-bucket")
    assert bucket.outputs["websiteEndpoint"].startswith("https://")
    assert all(value is not None and value != UNKNOWN for value in bucket.outputs.values())
    assert demo_plan.unknown_count() == 0


def test_shipped_stacks_preview_with_unknown_arns_and_known_tags(prod_preview_plan):
    assert prod_preview_plan.preview is True and prod_preview_plan.unknown_count() > 0
    keys = prod_preview_plan.of_type("aws:kms/key:Key")
    assert keys and all(k.outputs["arn"] == UNKNOWN for k in keys)
    assert all(isinstance(k.outputs["tagsAll"], dict) and UNKNOWN not in k.outputs["tagsAll"].values() for k in keys)


def test_a_run_the_engine_rejects_midway_does_not_break_the_next_run(monkeypatch, tmp_path):
    """An error raised inside the engine (an unanswerable invoke, a rejected resource) leaves
    Pulumi's pending tasks behind; the next run must not wait on them."""
    from mladmin.engine import monitor

    register = monitor.RecordingMonitor.RegisterResource

    def reject_one(self, request):
        if request.name == "rejected":
            raise ProgramError("rejected by the engine")
        return register(self, request)

    (tmp_path / "Pulumi.yaml").write_text("name: rejected\nruntime: python\n")
    (tmp_path / "__main__.py").write_text(
        "import pulumi_aws as aws\nfirst = aws.s3.Bucket('first')\n"
        "aws.s3.BucketPolicy('rejected', bucket=first.id, policy='{}')\n"
        "for i in range(10):\n    aws.s3.Bucket(f'more-{i}')\n")
    monkeypatch.setattr(monitor.RecordingMonitor, "RegisterResource", reject_one)
    with pytest.raises(ProgramError, match="rejected by the engine"):
        plan_program(tmp_path)
    monkeypatch.setattr(monitor.RecordingMonitor, "RegisterResource", register)
    assert len(plan_program(DEMO, stack="dev").of_type("aws:cloudwatch/logGroup:LogGroup")) == 3
