"""The offline engine sets providers up as Pulumi does: default providers from `aws:*` config,
explicit providers, and `tagsAll` as pulumi-aws's Check computes it."""

from __future__ import annotations

from pathlib import Path

import pytest
from pulumi.runtime import rpc

from mladmin.engine import plan_program
from mladmin.engine.providers import ProviderSettings

PROGRAMS = Path(__file__).parents[1] / "fixtures" / "programs"
TAGGED = PROGRAMS / "tagged"
DEFAULT_TAGS = {"owner": "data-team", "environment": "dev", "cost-center": "cc-1"}


@pytest.fixture(scope="module")
def tagged_plan():
    return plan_program(TAGGED, stack="dev")


def test_default_tags_from_stack_config_reach_tags_all(tagged_plan):
    assert tagged_plan.by_name("logs").inputs["tagsAll"] == DEFAULT_TAGS
    assert tagged_plan.by_name("logs").outputs["tagsAll"] == DEFAULT_TAGS


def test_a_resource_tag_wins_over_the_default_tag(tagged_plan):
    assert tagged_plan.by_name("data").inputs["tagsAll"] == DEFAULT_TAGS | {"environment": "dev-data", "team": "ml"}
    assert tagged_plan.by_name("data").inputs["tags"] == {"environment": "dev-data", "team": "ml"}


def test_resources_without_tags_get_no_tags_all(tagged_plan):
    assert "tagsAll" not in tagged_plan.by_name("no-tags").inputs


def test_an_explicit_provider_applies_its_own_region_and_default_tags(tagged_plan):
    created = plan_program(TAGGED, stack="dev", preview=False).by_name("replica-key")
    assert created.outputs["arn"].startswith("arn:aws:kms:ap-northeast-1:")
    key = tagged_plan.by_name("replica-key")
    assert key.inputs["tagsAll"] == {"owner": "platform", "team": "infra", "purpose": "replica"}


def test_invokes_run_in_their_providers_region(tagged_plan):
    assert tagged_plan.stack_outputs == {"region": "eu-west-1", "tokyo_region": "ap-northeast-1"}


def test_the_default_provider_is_in_the_plan_with_its_config_as_inputs(tagged_plan):
    provider = tagged_plan.by_urn("urn:pulumi:dev::tagged::pulumi:providers:aws::default_7_51_1")
    assert provider.parent is None and provider.custom
    assert provider.inputs["region"] == "eu-west-1"
    assert provider.inputs["version"] == "7.51.1"
    assert provider.inputs["defaultTags"] == '{"tags": {"owner": "data-team", "environment": "dev", "cost-center": "cc-1"}}'
    assert tagged_plan.by_name("logs").provider.startswith(provider.urn + "::")


def test_default_providers_are_not_counted_as_the_programs_resources(tagged_plan):
    assert tagged_plan.summary()["custom"] == 5  # 2 buckets, attachment, key, the explicit provider
    assert all(not r.name.startswith("default_") for r in tagged_plan.custom_resources)


def test_required_tags_counts_the_providers_default_tags(tagged_plan):
    from policies.runner import evaluate

    report = evaluate(tagged_plan)
    missing = {v.resource_name: v.message for v in report.violations if v.policy == "required-tags"}
    default_keys = " (the pack's default keys: set mladmin:policy.parameters.required-tags.requiredTags to your own)"
    assert missing == {"logs": "missing tags: team" + default_keys,
                       "replica-key": "missing tags: environment, cost-center" + default_keys}


def test_tags_all_is_unknown_when_a_tag_value_is_unknown():
    settings = ProviderSettings(default_tags={"owner": "a"})
    assert settings.tags_all({"team": rpc.UNKNOWN}) == rpc.UNKNOWN
    assert settings.tags_all({"team": "b"}) == {"owner": "a", "team": "b"}


def test_a_data_source_alone_sets_the_default_provider_up(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: lookup-only\nruntime: python\n")
    (tmp_path / "__main__.py").write_text(
        "import pulumi, pulumi_aws as aws\npulumi.export('account', aws.get_caller_identity().account_id)\n")
    plan = plan_program(tmp_path, stack="dev")
    assert [r.name for r in plan.resources if r.type == "pulumi:providers:aws"] == ["default_7_51_1"]


@pytest.mark.parametrize("type_token,has_it", [
    ("aws:s3/bucket:Bucket", True),
    ("aws:lambda/function:Function", True),          # Python module lambda_
    ("aws:inspector/resourceGroup:ResourceGroup", False),  # its tags select instances; nothing is tagged
    ("aws:iam/rolePolicyAttachment:RolePolicyAttachment", False),
    ("kubernetes:core/v1:Namespace", False),
])
def test_tags_all_is_added_to_exactly_the_types_whose_provider_computes_it(type_token, has_it):
    from mladmin.engine.providers import has_tags_all

    assert has_tags_all(type_token) is has_it
