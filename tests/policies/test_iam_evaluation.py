"""The offline IAM evaluator against the IAM User Guide's documented evaluation logic and examples."""

from __future__ import annotations

import pytest

from policies.iam_conditions import UnsupportedCondition, arn_matches, conditions_hold, normalise_context
from policies.iam_evaluation import Principal, Service, evaluate

ACCT = "111122223333"
OTHER = "444455556666"
BUCKET = "arn:aws:s3:::amzn-s3-demo-bucket"
KEY = f"arn:aws:kms:us-east-1:{ACCT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ROLE = f"arn:aws:iam::{ACCT}:role/analyst"
USER = f"arn:aws:iam::{ACCT}:user/ShirleyRodriguez"


def doc(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action, resource="*", **extra) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action, resource="*", **extra) -> dict:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


# --- evaluation order ---------------------------------------------------------------------------


def test_nothing_allows_by_default():
    assert not evaluate(Principal(ROLE), "s3:GetObject", f"{BUCKET}/a")


def test_an_explicit_deny_wins_over_every_allow():
    role = Principal(ROLE, identity_policies=[doc(allow("s3:*")), doc(deny("s3:DeleteObject", f"{BUCKET}/*"))])
    assert evaluate(role, "s3:GetObject", f"{BUCKET}/a")
    decision = evaluate(role, "s3:DeleteObject", f"{BUCKET}/a")
    assert not decision and "explicit deny" in decision.reason


def test_a_deny_in_the_resource_policy_wins_over_an_identity_allow():
    bucket_policy = doc(deny("s3:*", [BUCKET, f"{BUCKET}/*"], Principal="*",
                             Condition={"Bool": {"aws:SecureTransport": "false"}}))
    role = Principal(ROLE, identity_policies=[doc(allow("s3:GetObject", f"{BUCKET}/*"))])
    assert evaluate(role, "s3:GetObject", f"{BUCKET}/a", resource_policy=bucket_policy,
                    context={"aws:SecureTransport": True})
    assert not evaluate(role, "s3:GetObject", f"{BUCKET}/a", resource_policy=bucket_policy,
                        context={"aws:SecureTransport": False})


def test_the_boundary_intersects_identity_permissions():
    # The User Guide's example: a boundary allowing S3, CloudWatch and EC2; a policy allowing iam:CreateUser.
    boundary = doc(allow(["s3:*", "cloudwatch:*", "ec2:*"]))
    user = Principal(USER, identity_policies=[doc(allow(["iam:CreateUser", "s3:GetObject"]))], permissions_boundary=boundary)
    assert not evaluate(user, "iam:CreateUser", f"arn:aws:iam::{ACCT}:user/x")
    assert evaluate(user, "s3:GetObject", f"{BUCKET}/a")
    # ...and the boundary grants nothing on its own.
    assert not evaluate(user, "ec2:RunInstances", "*")


def test_a_deny_in_the_boundary_wins():
    role = Principal(ROLE, identity_policies=[doc(allow("s3:*"))],
                     permissions_boundary=doc(allow("*"), deny("s3:DeleteBucket")))
    assert not evaluate(role, "s3:DeleteBucket", BUCKET)


def test_a_resource_policy_alone_grants_a_user_in_the_same_account_despite_its_boundary():
    bucket_policy = doc(allow("s3:GetObject", f"{BUCKET}/*", Principal={"AWS": USER}))
    user = Principal(USER, permissions_boundary=doc(allow("sts:GetCallerIdentity")))
    assert evaluate(user, "s3:GetObject", f"{BUCKET}/a", resource_policy=bucket_policy)


def test_a_resource_policy_naming_a_role_arn_is_still_limited_by_the_roles_boundary():
    bucket_policy = doc(allow("s3:GetObject", f"{BUCKET}/*", Principal={"AWS": ROLE}))
    bounded = Principal(ROLE, permissions_boundary=doc(allow("sts:GetCallerIdentity")))
    unbounded = Principal(ROLE)
    assert evaluate(unbounded, "s3:GetObject", f"{BUCKET}/a", resource_policy=bucket_policy)
    decision = evaluate(bounded, "s3:GetObject", f"{BUCKET}/a", resource_policy=bucket_policy)
    assert not decision and "boundary" in decision.reason


def test_a_resource_policy_naming_the_role_session_is_not_limited_by_the_boundary():
    bounded = Principal(ROLE, permissions_boundary=doc(allow("sts:GetCallerIdentity")), session_name="alice")
    bucket_policy = doc(allow("s3:GetObject", f"{BUCKET}/*",
                              Principal={"AWS": f"arn:aws:sts::{ACCT}:assumed-role/analyst/alice"}))
    assert evaluate(bounded, "s3:GetObject", f"{BUCKET}/a", resource_policy=bucket_policy)


def test_a_wildcard_principal_with_a_principal_arn_condition_is_not_limited_by_the_boundary():
    bucket_policy = doc(allow("s3:GetObject", f"{BUCKET}/*", Principal="*",
                              Condition={"ArnEquals": {"aws:PrincipalArn": ROLE}}))
    bounded = Principal(ROLE, permissions_boundary=doc(allow("sts:GetCallerIdentity")))
    assert evaluate(bounded, "s3:GetObject", f"{BUCKET}/a", resource_policy=bucket_policy)
    someone_else = Principal(f"arn:aws:iam::{ACCT}:role/other")
    assert not evaluate(someone_else, "s3:GetObject", f"{BUCKET}/a", resource_policy=bucket_policy)


def test_a_resource_policy_naming_the_account_only_delegates_to_iam():
    bucket_policy = doc(allow("s3:GetObject", f"{BUCKET}/*", Principal={"AWS": f"arn:aws:iam::{ACCT}:root"}))
    assert not evaluate(Principal(ROLE), "s3:GetObject", f"{BUCKET}/a", resource_policy=bucket_policy)
    reader = Principal(ROLE, identity_policies=[doc(allow("s3:GetObject", f"{BUCKET}/*"))])
    assert evaluate(reader, "s3:GetObject", f"{BUCKET}/a", resource_policy=bucket_policy)


def test_cross_account_access_needs_both_the_identity_and_the_resource_policy():
    other_role = f"arn:aws:iam::{OTHER}:role/reader"
    bucket_policy = doc(allow("s3:GetObject", f"{BUCKET}/*", Principal={"AWS": other_role}))
    without_identity = Principal(other_role)
    with_identity = Principal(other_role, identity_policies=[doc(allow("s3:GetObject", f"{BUCKET}/*"))])
    assert not evaluate(without_identity, "s3:GetObject", f"{BUCKET}/a", resource_policy=bucket_policy,
                        resource_account=ACCT)
    assert evaluate(with_identity, "s3:GetObject", f"{BUCKET}/a", resource_policy=bucket_policy, resource_account=ACCT)
    assert not evaluate(with_identity, "s3:GetObject", f"{BUCKET}/a", resource_policy=None, resource_account=ACCT)


# --- KMS key policies and trust policies: the resource policy must allow ------------------------


def test_an_iam_policy_alone_never_opens_a_kms_key():
    user = Principal(ROLE, identity_policies=[doc(allow("kms:Decrypt", KEY))])
    key_policy = doc(allow("kms:*", "*", Principal={"AWS": f"arn:aws:iam::{OTHER}:root"}))
    decision = evaluate(user, "kms:Decrypt", KEY, resource_policy=key_policy, resource_policy_required=True)
    assert not decision and "does not allow" in decision.reason


def test_the_key_policys_root_statement_delegates_key_access_to_iam():
    key_policy = doc(allow("kms:*", "*", Principal={"AWS": f"arn:aws:iam::{ACCT}:root"}))
    reader = Principal(ROLE, identity_policies=[doc(allow("kms:Decrypt", KEY))])
    assert evaluate(reader, "kms:Decrypt", KEY, resource_policy=key_policy, resource_policy_required=True)
    assert not evaluate(Principal(ROLE), "kms:Decrypt", KEY, resource_policy=key_policy, resource_policy_required=True)


def test_a_via_service_condition_in_the_key_policy_limits_use_to_calls_through_that_service():
    key_policy = doc(allow("kms:Decrypt", "*", Principal={"AWS": f"arn:aws:iam::{ACCT}:root"},
                           Condition={"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com",
                                                       "kms:CallerAccount": ACCT}}))
    reader = Principal(ROLE, identity_policies=[doc(allow("kms:Decrypt", KEY))])
    via_s3 = {"kms:ViaService": "s3.us-east-1.amazonaws.com", "kms:CallerAccount": ACCT}
    assert evaluate(reader, "kms:Decrypt", KEY, resource_policy=key_policy, resource_policy_required=True, context=via_s3)
    assert not evaluate(reader, "kms:Decrypt", KEY, resource_policy=key_policy, resource_policy_required=True,
                        context={"kms:CallerAccount": ACCT})


def test_a_service_principal_is_judged_by_the_resource_policy_alone():
    trust = doc({"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole",
                 "Condition": {"StringEquals": {"aws:SourceAccount": ACCT}}})
    sagemaker = Service("sagemaker.amazonaws.com")
    assert evaluate(sagemaker, "sts:AssumeRole", ROLE, resource_policy=trust, context={"aws:SourceAccount": ACCT})
    assert not evaluate(sagemaker, "sts:AssumeRole", ROLE, resource_policy=trust, context={"aws:SourceAccount": OTHER})
    assert not evaluate(Service("ec2.amazonaws.com"), "sts:AssumeRole", ROLE, resource_policy=trust,
                        context={"aws:SourceAccount": ACCT})


# --- Action, Resource and their Not forms -------------------------------------------------------


def test_actions_match_case_insensitively_with_wildcards():
    role = Principal(ROLE, identity_policies=[doc(allow(["S3:get*", "ec2:Describe?pcs"]))])
    assert evaluate(role, "s3:GetObject", f"{BUCKET}/a")
    assert evaluate(role, "ec2:DescribeVpcs", "*")
    assert not evaluate(role, "s3:PutObject", f"{BUCKET}/a")


def test_not_action_deny_covers_every_other_action():
    # The documented region-restriction pattern: deny everything except global services outside us-east-1.
    role = Principal(ROLE, identity_policies=[doc(
        allow("*"),
        {"Effect": "Deny", "NotAction": ["iam:*", "sts:*"], "Resource": "*",
         "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1"]}}},
    )])
    assert not evaluate(role, "s3:GetObject", f"{BUCKET}/a", context={"aws:RequestedRegion": "eu-west-1"})
    assert evaluate(role, "s3:GetObject", f"{BUCKET}/a", context={"aws:RequestedRegion": "us-east-1"})
    assert evaluate(role, "iam:GetRole", ROLE, context={"aws:RequestedRegion": "eu-west-1"})


def test_not_action_allow_grants_everything_else():
    role = Principal(ROLE, identity_policies=[doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})])
    assert evaluate(role, "s3:GetObject", f"{BUCKET}/a")
    assert not evaluate(role, "iam:CreateRole", ROLE)


def test_not_resource_excludes_the_listed_resources():
    role = Principal(ROLE, identity_policies=[doc({"Effect": "Allow", "Action": "s3:GetObject",
                                                   "NotResource": f"{BUCKET}/secret/*"})])
    assert evaluate(role, "s3:GetObject", f"{BUCKET}/public/a")
    assert not evaluate(role, "s3:GetObject", f"{BUCKET}/secret/a")


def test_arn_wildcards_stay_within_their_segment():
    assert arn_matches("arn:aws:iam::*:role/team-*", f"arn:aws:iam::{ACCT}:role/team-a")
    assert not arn_matches("arn:aws:iam::*:role/team-*", f"arn:aws:iam::{ACCT}:user/team-a")
    assert arn_matches("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b/c")
    assert not arn_matches(f"arn:aws:logs:us-east-1:{ACCT}:*", f"arn:aws:logs:us-west-2:{ACCT}:log-group:x")


# --- conditions and policy variables ------------------------------------------------------------


def ctx(**keys) -> dict:
    return normalise_context({k.replace("__", ":").replace("_SLASH_", "/"): v for k, v in keys.items()})


def test_the_home_folder_example_substitutes_the_user_name():
    user = Principal(USER, identity_policies=[doc(
        allow("s3:ListBucket", BUCKET, Condition={"StringLike": {"s3:prefix": ["home/${aws:username}/*"]}}),
        allow(["s3:GetObject", "s3:PutObject"], f"{BUCKET}/home/${{aws:username}}/*"),
    )])
    assert evaluate(user, "s3:PutObject", f"{BUCKET}/home/ShirleyRodriguez/notes.txt")
    assert not evaluate(user, "s3:PutObject", f"{BUCKET}/home/someone-else/notes.txt")
    assert evaluate(user, "s3:ListBucket", BUCKET, context={"s3:prefix": "home/ShirleyRodriguez/"})
    assert not evaluate(user, "s3:ListBucket", BUCKET, context={"s3:prefix": "home/"})


def test_a_principal_tag_variable_without_a_value_matches_nothing():
    policy = doc(allow("s3:GetObject", "arn:aws:s3:::b/teams/${aws:PrincipalTag/team}/*"))
    tagged = Principal(ROLE, identity_policies=[policy], tags={"team": "nlp"})
    untagged = Principal(ROLE, identity_policies=[policy])
    assert evaluate(tagged, "s3:GetObject", "arn:aws:s3:::b/teams/nlp/x")
    assert not evaluate(untagged, "s3:GetObject", "arn:aws:s3:::b/teams//x")


def test_variables_are_literal_text_in_the_2008_policy_language():
    old = {"Version": "2008-10-17", "Statement": [allow("s3:GetObject", f"{BUCKET}/${{aws:username}}/*")]}
    assert not evaluate(Principal(USER, identity_policies=[old]), "s3:GetObject", f"{BUCKET}/ShirleyRodriguez/a")


def test_a_missing_key_fails_positive_operators_and_passes_negated_ones():
    assert not conditions_hold({"StringEquals": {"aws:RequestedRegion": "us-east-1"}}, ctx())
    assert conditions_hold({"StringNotEquals": {"aws:RequestedRegion": "us-east-1"}}, ctx())
    assert conditions_hold({"StringEqualsIfExists": {"aws:RequestedRegion": "us-east-1"}}, ctx())
    assert not conditions_hold({"StringEqualsIfExists": {"aws:RequestedRegion": "us-east-1"}},
                               ctx(aws__RequestedRegion="eu-west-1"))


def test_set_operators_on_multivalued_keys():
    tags = {"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "owner"]}}
    assert conditions_hold(tags, ctx(aws__TagKeys=["team"]))
    assert not conditions_hold(tags, ctx(aws__TagKeys=["team", "cost"]))
    assert conditions_hold(tags, ctx())  # ForAllValues holds for a missing key (the documented trap)
    any_alias = {"ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/data"}}
    assert conditions_hold(any_alias, ctx(kms__ResourceAliases=["alias/other", "alias/data"]))
    assert not conditions_hold(any_alias, ctx())


def test_null_bool_numeric_arn_and_ip_operators():
    assert conditions_hold({"Null": {"aws:TokenIssueTime": "true"}}, ctx())
    assert not conditions_hold({"Null": {"aws:TokenIssueTime": "false"}}, ctx())
    assert conditions_hold({"Bool": {"aws:MultiFactorAuthPresent": "true"}}, ctx(aws__MultiFactorAuthPresent=True))
    assert not conditions_hold({"Bool": {"aws:MultiFactorAuthPresent": "true"}}, ctx())
    assert conditions_hold({"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}, ctx(aws__MultiFactorAuthAge=60))
    assert not conditions_hold({"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}, ctx(aws__MultiFactorAuthAge=7200))
    assert conditions_hold({"ArnLike": {"aws:SourceArn": "arn:aws:s3:::logs-*"}}, ctx(aws__SourceArn="arn:aws:s3:::logs-1"))
    assert conditions_hold({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, ctx(aws__SourceIp="203.0.113.9"))
    assert conditions_hold({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, ctx(aws__SourceIp="198.51.100.1"))


def test_condition_keys_are_case_insensitive_and_values_of_one_key_are_ored():
    cond = {"StringEquals": {"AWS:RequestedRegion": ["us-east-1", "us-west-2"]}}
    assert conditions_hold(cond, ctx(aws__requestedregion="us-west-2"))
    assert not conditions_hold(cond, ctx(aws__requestedregion="eu-west-1"))


def test_an_unknown_operator_is_refused_rather_than_guessed():
    with pytest.raises(UnsupportedCondition, match="DateLessThanish"):
        conditions_hold({"DateLessThanish": {"aws:CurrentTime": "2020-01-01"}}, ctx())
