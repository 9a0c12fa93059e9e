"""Which resource-policy statements count as public (policies.statements, shared by every public check)."""

from __future__ import annotations

import pytest

from policies.statements import is_public, limiting_conditions, public_statements
from tests.policies.builders import doc


def anyone(condition: dict | None = None, **extra) -> dict:
    statement = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*", **extra}
    if condition is not None:
        statement["Condition"] = condition
    return statement


@pytest.mark.parametrize("condition", [
    {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}},
    {"StringEquals": {"aws:PrincipalAccount": ["123456789012"]}},
    {"ArnLike": {"aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:alerts"}},
    {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/ml-*"}},
    {"ArnEquals": {"aws:SourceArn": "arn:aws:s3:::data-bucket"}},
    {"StringEquals": {"aws:SourceAccount": "123456789012"}},
    {"StringEquals": {"aws:SourceVpce": "vpce-0abc"}},
    {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
    {"StringEquals": {"kms:CallerAccount": "123456789012", "kms:ViaService": "s3.us-east-1.amazonaws.com"}},
    {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-abc123/r-ab12/ou-ab12-11111111/*"}},
])
def test_a_condition_on_who_calls_makes_the_wildcard_principal_private(condition):
    assert limiting_conditions(anyone(condition))
    assert not is_public(anyone(condition))


@pytest.mark.parametrize("condition", [
    None,
    {"Bool": {"aws:SecureTransport": "true"}},
    {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}},
    {"StringNotEquals": {"aws:PrincipalAccount": "123456789012"}},
    {"StringEqualsIfExists": {"aws:SourceAccount": "123456789012"}},
    {"ForAllValues:StringEquals": {"aws:PrincipalOrgID": "o-abc123"}},
    {"Null": {"aws:PrincipalOrgID": "false"}},
    {"StringLike": {"aws:PrincipalArn": "*"}},
    {"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}},
    {"StringLike": {"aws:PrincipalAccount": "12345678901*"}},
    {"StringLike": {"aws:PrincipalOrgID": "o-*"}},
    {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/deploy"}},
    {"StringEquals": {"aws:SourceAccount": ["123456789012", "*"]}},
    {"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}},
])
def test_conditions_that_do_not_limit_the_caller_leave_the_statement_public(condition):
    assert is_public(anyone(condition))


@pytest.mark.parametrize("principal", ["*", {"AWS": "*"}, {"AWS": ["arn:aws:iam::123456789012:root", "*"]}])
def test_every_spelling_of_the_wildcard_principal_is_public(principal):
    assert is_public(anyone(Principal=principal))


def test_not_principal_with_allow_is_public():
    statement = anyone()
    del statement["Principal"]
    statement["NotPrincipal"] = {"AWS": "arn:aws:iam::123456789012:role/blocked"}
    assert is_public(statement)


def test_named_principals_and_deny_statements_are_not_public():
    assert not is_public(anyone(Principal={"AWS": "arn:aws:iam::123456789012:role/reader"}))
    assert not is_public(anyone(Principal={"Service": "logs.amazonaws.com"}))
    assert not is_public(anyone({"Bool": {"aws:SecureTransport": "false"}}, Effect="Deny"))


def test_public_statements_names_each_public_statement_of_a_document():
    document = doc(anyone(Sid="Open"), anyone({"StringEquals": {"aws:PrincipalOrgID": "o-1"}}, Sid="Org"),
                   anyone({"Bool": {"aws:SecureTransport": "true"}}))
    found = list(public_statements(document))
    assert len(found) == 2 and "Open" in found[0] and "#3" in found[1]
