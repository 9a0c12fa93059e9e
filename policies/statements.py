"""When a resource-policy statement opens a resource to anyone: the one test every public check uses.

A statement is public when it allows (Effect Allow) the wildcard principal ("*", {"AWS": "*"}, or
any principal through NotPrincipal) and no condition limits who the caller can be. Only conditions
on the caller's identity, organisation, account or network count (PRINCIPAL_KEYS), and only with an
operator that restricts: negated operators (StringNotEquals), `...IfExists` (a request without the
key passes), `Null` and `ForAllValues:` (true for an empty set) do not, nor does a value that is
itself a wildcard ("*", 0.0.0.0/0, an account id with a wildcard, an ARN whose account is a wildcard).
`aws:SecureTransport`, `aws:CurrentTime` and the like say
nothing about who calls, so `Principal: "*"` with only those is public.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Iterator

from policies.views import as_list, is_allow, principals, statements

# Condition keys (lower-case) that limit who the caller is or where the call comes from.
PRINCIPAL_KEYS = frozenset(key.lower() for key in (
    "aws:PrincipalOrgID", "aws:PrincipalOrgPaths", "aws:PrincipalAccount", "aws:PrincipalArn",
    "aws:SourceAccount", "aws:SourceArn", "aws:SourceOwner", "aws:SourceOrgID", "aws:SourceOrgPaths",
    "aws:SourceVpc", "aws:SourceVpce", "aws:SourceIp", "aws:userid",
    "kms:CallerAccount", "s3:DataAccessPointAccount", "s3:DataAccessPointArn",
))
# Base operators (after stripping a ForAnyValue: prefix) that restrict to the listed values.
RESTRICTING_OPERATORS = frozenset(op.lower() for op in (
    "StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike", "IpAddress",
))
# Keys whose value is an identifier: a wildcard anywhere in it matches callers we do not know.
IDENTIFIER_KEYS = frozenset(key.lower() for key in (
    "aws:PrincipalOrgID", "aws:PrincipalAccount", "aws:SourceAccount", "aws:SourceOwner", "aws:SourceOrgID",
    "aws:SourceVpc", "aws:SourceVpce", "kms:CallerAccount", "s3:DataAccessPointAccount",
))
ARN_KEYS = frozenset(key.lower() for key in ("aws:PrincipalArn", "aws:SourceArn", "s3:DataAccessPointArn"))
WORLD_CIDRS = frozenset({"0.0.0.0/0", "::/0"})


def _operator_restricts(operator: str) -> bool:
    op = operator.strip().lower()
    if op.endswith("ifexists"):
        return False
    if op.startswith("forallvalues:"):
        return False
    if op.startswith("foranyvalue:"):
        op = op.split(":", 1)[1]
    return op in RESTRICTING_OPERATORS


def _value_restricts(key: str, value: str) -> bool:
    if not value or set(value) <= {"*", "?"} or value in WORLD_CIDRS:
        return False
    if key in IDENTIFIER_KEYS:
        return "*" not in value and "?" not in value
    if key in ARN_KEYS:  # arn:partition:service:region:account:resource - the account must be pinned
        parts = value.split(":", 5)
        return len(parts) == 6 and "*" not in parts[4] and "?" not in parts[4] and "*" not in parts[2]
    return True


def _values_restrict(key: str, values: Any) -> bool:
    listed = [str(v).strip() for v in as_list(values)]
    return bool(listed) and all(_value_restricts(key, v) for v in listed)


def restricting_conditions(statement: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(operator, lower-case key) for each condition that pins its key to values that are not wildcards,
    with an operator that restricts: the keys a request must match, whatever they mean."""
    found: list[tuple[str, str]] = []
    condition = statement.get("Condition")
    if not isinstance(condition, Mapping):
        return found
    for operator, block in condition.items():
        if not isinstance(block, Mapping) or not _operator_restricts(str(operator)):
            continue
        for key, values in block.items():
            if _values_restrict(str(key).lower(), values):
                found.append((str(operator), str(key).lower()))
    return found


def limiting_conditions(statement: Mapping[str, Any]) -> list[str]:
    """The `operator key` pairs of a statement that limit its principal (empty: none do)."""
    return [f"{operator} {key}" for operator, key in restricting_conditions(statement) if key in PRINCIPAL_KEYS]


def allows_anyone(statement: Mapping[str, Any]) -> bool:
    """An Allow statement for the wildcard principal (or for everyone but some, via NotPrincipal)."""
    if not is_allow(statement):
        return False
    return "*" in principals(statement) or statement.get("NotPrincipal") is not None


def is_public(statement: Mapping[str, Any]) -> bool:
    return allows_anyone(statement) and not limiting_conditions(statement)


def public_statements(document: Any) -> Iterator[str]:
    """One description per public statement of a policy document (a JSON string or a dict)."""
    for index, statement in enumerate(statements(document)):
        if is_public(statement):
            label = statement.get("Sid") or f"#{index + 1}"
            actions = ", ".join(str(a) for a in as_list(statement.get("Action"))) or "(no Action)"
            yield f"statement {label} allows anyone {actions} (no condition limits the principal)"
