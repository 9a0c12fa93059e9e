"""The insecure fixture program's resources that earlier versions of the pack let through."""

from __future__ import annotations

from pathlib import Path

import pytest

from mladmin.engine import plan_program
from policies.runner import evaluate

INSECURE = Path(__file__).resolve().parents[1] / "fixtures" / "programs" / "insecure"


@pytest.fixture(scope="module")
def mandatory():
    report = evaluate(plan_program(INSECURE))
    return {(v.policy, v.resource_name) for v in report.violations if v.mandatory}


def test_an_unencrypted_ebs_volume_is_caught(mandatory):
    assert ("ebs-volume-encrypted", "scratch-volume") in mandatory


def test_a_topic_policy_open_to_anyone_over_tls_is_caught(mandatory):
    assert ("sns-topic-policy-not-public", "alerts-policy") in mandatory
