"""`mladmin diff` between two commits of a small program in a temporary git repository."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from mladmin.diff import diff_stacks
from mladmin.diff.compare import compare
from mladmin.diff.render import GITHUB_COMMENT_LIMIT, markdown, text_lines
from mladmin.engine import ConfigError
from tests.cli.helpers import PROGRAMS, mladmin
from tests.policies.builders import plan, res

GIT = ["git", "-c", "user.name=test", "-c", "user.email=test@example.com"]


def _commit(repo, message):
    subprocess.run([*GIT, "-C", str(repo), "add", "-A"], check=True)
    subprocess.run([*GIT, "-C", str(repo), "commit", "-qm", message], check=True)


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    """Three commits: a README only; the costed program; its node group's types and bucket name changed."""
    root = tmp_path_factory.mktemp("repo")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "README.md").write_text("test\n")
    _commit(root, "empty")
    shutil.copytree(PROGRAMS / "costed", root / "prog")
    _commit(root, "program")
    source = (root / "prog" / "__main__.py").read_text()
    edited = source.replace('"t3.large", "t3a.large"', '"m6i.large"').replace("costed-data", "costed-datasets")
    assert edited != source
    (root / "prog" / "__main__.py").write_text(edited)
    _commit(root, "change")
    return root


@pytest.fixture(scope="module")
def change(repo):
    [diff] = diff_stacks(["dev"], "HEAD~1", program=repo / "prog")
    return diff


def test_a_changed_bucket_name_is_reported_as_a_replacement(change):
    bucket = next(c for c in change.replaced if c.name == "data")
    assert [(k.path, k.old, k.new) for k in bucket.changes] == [("bucket", '"costed-data"', '"costed-datasets"')]


def test_changed_node_group_instance_types_are_reported_as_a_replacement(change):
    nodes = next(c for c in change.replaced if c.name == "system")
    assert [(k.path, k.new) for k in nodes.changes] == [("instanceTypes", '["m6i.large"]')]


def test_only_the_changed_resources_are_reported(change):
    assert {c.name for c in change.changed} == {"data", "system"} and not change.added and not change.removed


def test_the_monthly_cost_before_and_after_is_reported(change):
    # two spot t3.large (0.0832/h) become one type m6i.large (0.096/h): 2 x (0.096 - 0.0832) x 0.3 x 730
    assert change.cost_after - change.cost_before == pytest.approx(2 * (0.096 - 0.0832) * 0.3 * 730, abs=0.01)


def test_the_text_flags_each_replacement_loudly(change):
    loud = [line for line in text_lines(change, "HEAD~1") if line.startswith("!! REPLACE")]
    assert len(loud) == 2 and all("data-loss/downtime risk" in line for line in loud)


def test_a_base_where_the_stack_did_not_exist_counts_every_resource_as_added(repo):
    [diff] = diff_stacks(["dev"], "HEAD~2", program=repo / "prog")
    assert not diff.base_existed and len(diff.added) == 13 and diff.cost_before == 0.0


def test_an_unknown_base_ref_is_one_error_line(repo):
    result = mladmin("diff", "dev", "--program", repo / "prog", "--base", "no-such-ref")
    assert result.returncode == 2 and result.stderr.count("error:") == 1 and "no-such-ref" in result.stderr


def test_a_config_file_outside_the_repository_is_one_error_line(repo, tmp_path):
    outside = tmp_path / "Pulumi.dev.yaml"
    outside.write_text((repo / "prog" / "Pulumi.dev.yaml").read_text())
    with pytest.raises(ConfigError, match="not inside the repository"):
        diff_stacks(["dev"], "HEAD", program=repo / "prog", config=outside)


def test_markdown_stays_under_githubs_limit_on_a_plan_of_3000_resources():
    before = plan(*[res("aws:s3/bucket:Bucket", f"bucket-{i:04d}", bucket=f"b-{i}") for i in range(1500)])
    after = plan(*[res("aws:s3/bucket:Bucket", f"bucket-{i:04d}", bucket=f"renamed-{i}") for i in range(1500)],
                 *[res("aws:kms/key:Key", f"key-{i:04d}") for i in range(1500)])
    diffs = [compare(stack, before, after) for stack in ("dev", "staging", "prod")]
    text = markdown(diffs, "main")
    assert len(text) <= GITHUB_COMMENT_LIMIT
    assert text.count("<details") == 3 and "more lines left out to stay under GitHub's" in text
    assert text.count("| 1500 | 0 | **1500** :warning: |") == 3  # the summary table is never cut
