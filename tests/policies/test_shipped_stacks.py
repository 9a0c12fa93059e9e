"""The shipped dev, staging and prod stacks against the pack."""

from __future__ import annotations

import copy
import json

import pytest

from policies.accepted import ACCEPTED_ADVISORIES
from policies.runner import evaluate

STACKS = ("dev", "staging", "prod")


@pytest.fixture(scope="module")
def reports(dev_plan, staging_plan, prod_plan):
    return {"dev": evaluate(dev_plan), "staging": evaluate(staging_plan), "prod": evaluate(prod_plan)}


@pytest.mark.parametrize("stack", STACKS)
def test_shipped_stack_has_zero_mandatory_violations(reports, stack):
    report = reports[stack]
    assert report.mandatory_count == 0, [f"{v.policy} {v.resource_name}: {v.message}" for v in report.violations if v.mandatory]
    assert report.passed and report.environment == stack


@pytest.mark.parametrize("stack", STACKS)
def test_every_advisory_finding_on_a_shipped_stack_is_accepted_in_the_readme(reports, stack):
    unaccepted = [f"{v.policy} {v.resource_name}: {v.message}" for v in reports[stack].violations
                  if not any(a.covers(stack, v.policy, v.resource_name) for a in ACCEPTED_ADVISORIES)]
    assert unaccepted == []


def test_every_accepted_advisory_still_matches_a_finding(reports):
    stale = [a for a in ACCEPTED_ADVISORIES
             if not any(a.covers(stack, v.policy, v.resource_name) for stack in a.stacks for v in reports[stack].violations)]
    assert stale == []


def test_the_whole_pack_runs_on_prod(reports, prod_plan):
    assert reports["prod"].resources_evaluated == len(prod_plan.custom_resources)
    assert reports["prod"].policies_evaluated == len(reports["prod"].levels)  # nothing disabled in prod


def _without(plan, type_token: str, count: int = 1):
    mutated = copy.deepcopy(plan)
    victims = [r for r in mutated.resources if r.type == type_token][:count]
    assert victims, f"the plan has no {type_token}"
    mutated.resources = [r for r in mutated.resources if r not in victims]
    return mutated, victims


def test_a_prod_bucket_losing_its_public_access_block_is_caught(prod_plan):
    mutated, (removed,) = _without(prod_plan, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    found = [v for v in evaluate(mutated).violations if v.policy == "s3-public-access-block"]
    assert len(found) == 1 and found[0].mandatory
    bucket_id = removed.inputs["bucket"]
    assert mutated.by_urn(found[0].urn).id == bucket_id or found[0].resource_type == "aws:s3/bucket:Bucket"


def test_a_prod_bucket_losing_its_tls_policy_is_caught(prod_plan):
    mutated, _ = _without(prod_plan, "aws:s3/bucketPolicy:BucketPolicy")
    assert [v.policy for v in evaluate(mutated).violations if v.mandatory] == ["s3-tls-only"]


def test_prod_vpc_losing_its_flow_log_is_caught(prod_plan):
    mutated, _ = _without(prod_plan, "aws:ec2/flowLog:FlowLog")
    assert [v.resource_type for v in evaluate(mutated).violations if v.policy == "vpc-flow-logs"] == ["aws:ec2/vpc:Vpc"]


def test_a_prod_security_group_opened_to_the_internet_is_caught(prod_plan):
    mutated = copy.deepcopy(prod_plan)
    group = next(r for r in mutated.resources if r.type == "aws:ec2/securityGroup:SecurityGroup")
    rule = [{"protocol": "tcp", "fromPort": 22.0, "toPort": 22.0, "cidrBlocks": ["0.0.0.0/0"]}]
    group.inputs["ingress"] = rule  # resource policies see inputs
    group.outputs["ingress"] = rule  # stack policies see outputs, as after `pulumi up`
    found = [v.policy for v in evaluate(mutated).violations if v.resource_name == group.name]
    assert found == ["sg-no-public-admin-ports"]  # one rule, one finding (not again by sg-no-public-ingress)


def test_a_prod_key_policy_trusting_everyone_is_caught(prod_plan):
    mutated = copy.deepcopy(prod_plan)
    key = next(r for r in mutated.resources if r.type == "aws:kms/key:Key")
    key.inputs["policy"] = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:*", "Resource": "*"}]})
    found = [v for v in evaluate(mutated).violations if v.policy == "kms-key-policy-no-wildcard-principal"]
    assert [v.resource_name for v in found] == [key.name]


def test_a_prod_role_policy_granting_everything_is_caught(prod_plan):
    mutated = copy.deepcopy(prod_plan)
    role_policy = next(r for r in mutated.resources if r.type == "aws:iam/rolePolicy:RolePolicy")
    role_policy.inputs["policy"] = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"}]})
    found = [v for v in evaluate(mutated).violations if v.policy == "iam-no-wildcard-admin"]
    assert [v.resource_name for v in found] == [role_policy.name] and found[0].mandatory
