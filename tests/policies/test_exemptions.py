"""Exemptions: per resource, with a reason and an expiry; an expired one is a finding."""

from __future__ import annotations

from policies.runner import evaluate
from tests.policies.builders import plan, res
from tests.policies.fixtures import SG

OPEN_SSH = res(SG, "bastion-sg", ingress=[{"protocol": "tcp", "fromPort": 22.0, "toPort": 22.0, "cidrBlocks": ["0.0.0.0/0"]}])


def exemption(resource="bastion-sg", expires="2099-12-31"):
    return {"exemptions": [{"policy": "sg-no-public-admin-ports", "resource": resource,
                            "reason": "break-glass bastion until SSM rollout (SEC-142)", "expires": expires}]}


def policy_findings(report, policy_id):
    return [v for v in report.violations if v.policy == policy_id]


def test_an_exemption_hides_the_finding_and_is_listed():
    report = evaluate(plan(OPEN_SSH, policy=exemption()))
    assert policy_findings(report, "sg-no-public-admin-ports") == []
    assert [(e.policy, e.resource_name) for e in report.exempted] == [("sg-no-public-admin-ports", "bastion-sg")]
    assert report.exempted[0].reason.startswith("break-glass")


def test_exemptions_match_urn_globs():
    report = evaluate(plan(OPEN_SSH, policy=exemption(resource="urn:pulumi:*::aws:ec2/securityGroup:SecurityGroup::bastion-*")))
    assert policy_findings(report, "sg-no-public-admin-ports") == []


def test_an_exemption_covers_only_its_policy_and_resource():
    report = evaluate(plan(OPEN_SSH, policy=exemption(resource="other-sg")))
    assert policy_findings(report, "sg-no-public-admin-ports")  # another resource's exemption
    exempted = evaluate(plan(OPEN_SSH, policy=exemption()))
    assert policy_findings(exempted, "required-tags")  # not exempted: a different policy


def test_an_expired_exemption_no_longer_hides_the_finding():
    report = evaluate(plan(OPEN_SSH, policy=exemption(expires="2024-01-31")))
    found = policy_findings(report, "sg-no-public-admin-ports")
    assert found and "exemption expired on 2024-01-31" in found[0].message
    assert not report.passed


def test_an_expired_exemption_is_its_own_finding():
    report = evaluate(plan(OPEN_SSH, policy=exemption(expires="2024-01-31")))
    expired = policy_findings(report, "policy-exemption-expired")
    assert [v.resource_name for v in expired] == ["bastion-sg"]
    assert "expired on 2024-01-31" in expired[0].message


def test_an_expired_exemption_that_matches_nothing_is_reported_on_the_stack():
    report = evaluate(plan(OPEN_SSH, policy=exemption(resource="gone-sg", expires="2024-01-31")))
    expired = policy_findings(report, "policy-exemption-expired")
    assert [v.resource_type for v in expired] == ["pulumi:pulumi:Stack"]
    assert "matches no resource" in expired[0].message
