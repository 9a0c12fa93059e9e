"""The replace-forcing table: every entry is a real input of its type, and changing it is a replacement."""

from __future__ import annotations

import json

import pytest
from pulumi.runtime.rpc import UNKNOWN

from mladmin.diff.compare import MASK, compare
from mladmin.diff.replacements import REPLACE_ON_CHANGE
from tests.policies import sdk_schema
from tests.policies.builders import plan, res

ENTRIES = [(token, path) for token, paths in REPLACE_ON_CHANGE.items() for path in paths]


def _nested(path: str, value):
    head, _, rest = path.partition(".")
    return {head: _nested(rest, value) if rest else value}


@pytest.mark.parametrize("token, path", ENTRIES, ids=[f"{t.split(':')[-1]}.{p}" for t, p in ENTRIES])
def test_each_replace_forcing_property_is_an_input_of_its_type(token, path):
    assert sdk_schema.input_problem(token, tuple(path.split("."))) is None


@pytest.mark.parametrize("token, path", ENTRIES, ids=[f"{t.split(':')[-1]}.{p}" for t, p in ENTRIES])
def test_a_change_to_each_replace_forcing_property_is_a_replacement(token, path):
    before = plan(res(token, "thing", **_nested(path, "old")))
    after = plan(res(token, "thing", **_nested(path, "new")))
    [change] = compare("test", before, after).changed
    assert change.replaced and [c.path for c in change.changes] == [path]


def test_a_change_to_another_property_is_an_update_in_place():
    before = plan(res("aws:eks/nodeGroup:NodeGroup", "gpu", scalingConfig={"maxSize": 2.0}, instanceTypes=["g5.xlarge"]))
    after = plan(res("aws:eks/nodeGroup:NodeGroup", "gpu", scalingConfig={"maxSize": 4.0}, instanceTypes=["g5.xlarge"]))
    [change] = compare("test", before, after).changed
    assert not change.replaced and [(c.path, c.old, c.new) for c in change.changes] == [("scalingConfig.maxSize", "2.0", "4.0")]


def test_values_unknown_in_both_previews_compare_equal():
    before = plan(res("aws:s3/bucketPolicy:BucketPolicy", "p", bucket=UNKNOWN), preview=True)
    after = plan(res("aws:s3/bucketPolicy:BucketPolicy", "p", bucket=UNKNOWN), preview=True)
    assert compare("test", before, after).empty


def test_secret_values_are_masked():
    before = plan(res("aws:rds/instance:Instance", "db", password="hunter2"))
    after = plan(res("aws:rds/instance:Instance", "db", password="hunter3"))
    [change] = compare("test", before, after).changed
    assert (change.changes[0].old, change.changes[0].new) == (MASK, MASK)


def test_a_stack_absent_at_the_base_counts_every_resource_as_added():
    head = plan(res("aws:s3/bucket:Bucket", "a"), res("aws:kms/key:Key", "k"))
    diff = compare("test", None, head)
    assert [r.name for r in diff.added] == ["a", "k"] and not diff.base_existed


def test_a_policy_document_change_names_the_statement_and_key_that_changed():
    def policy(actions):
        return json.dumps({"Version": "2012-10-17", "Statement": [
            {"Sid": "Read", "Effect": "Allow", "Action": actions, "Resource": "*"},
            {"Sid": "Deny", "Effect": "Deny", "Action": "s3:*", "Resource": "*"}]})

    before = plan(res("aws:iam/policy:Policy", "p", policy=policy(["s3:GetObject"])))
    after = plan(res("aws:iam/policy:Policy", "p", policy=policy(["s3:GetObject", "s3:PutObject"])))
    [change] = compare("test", before, after).changed
    assert [(c.path, c.old, c.new) for c in change.changes] == [
        ("policy.Statement[Read].Action", '["s3:GetObject"]', '["s3:GetObject", "s3:PutObject"]')]
