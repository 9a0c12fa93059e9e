"""Findings say what was found, and nothing AWS already applies by default is reported as missing."""

from __future__ import annotations

from policies.runner import evaluate
from tests.policies.builders import plan
from tests.policies.sdk_cases import data_and_logs
from tests.policies.sdk_cases_workloads import tagged_bucket


def findings(resources, policy_id: str, **options) -> list:
    return [v for v in evaluate(plan(*resources, **options)).violations if v.policy == policy_id]


def test_a_bucket_without_encryption_config_is_told_the_sse_s3_default_applies():
    (finding,) = findings(data_and_logs(skip=("sse",)), "s3-sse-kms")
    assert finding.message == ("bucket 'data' has no default-encryption configuration, so S3 applies SSE-S3 "
                               "(AES256, its default since January 2023), not SSE-KMS")
    assert "found: none" not in finding.message


def test_a_bucket_without_ownership_controls_keeps_the_bucket_owner_enforced_default():
    assert findings(data_and_logs(skip=("own",)), "s3-bucket-owner-enforced") == []


def test_ownership_controls_that_enable_acls_are_reported_with_what_they_set():
    (finding,) = findings(data_and_logs(ownership="BucketOwnerPreferred"), "s3-bucket-owner-enforced")
    assert "set BucketOwnerPreferred" in finding.message


def test_required_tags_takes_keys_and_enforcement_from_the_stack_policy_config():
    config = {"enforcement": {"required-tags": "mandatory"}, "parameters": {"required-tags": {"requiredTags": ["squad"]}}}
    (finding,) = findings(tagged_bucket({"owner": "ml-platform"}), "required-tags", policy=config)
    assert finding.mandatory and finding.message == "missing tags: squad (keys from mladmin:policy)"


def test_required_tags_is_advisory_in_prod_without_policy_config():
    found = findings(tagged_bucket({"owner": "ml-platform"}), "required-tags", environment="prod")
    assert found and not any(v.mandatory for v in found)
