"""IAM policy matching: wildcards, ARNs, policy variables and condition operators.

Pure Python (no Pulumi import) so the pack stays publishable alone. Follows the IAM User Guide's
"Condition operators", "Policy variables" and "Resource" element pages:

- Action names match case-insensitively; ``*`` and ``?`` are wildcards.
- ARNs match segment by segment (the six colon-separated parts), each part a case-sensitive glob.
- A condition block is the AND of its operators, each the AND of its keys, each key the OR of its
  values. A key missing from the request fails a positive operator and passes a negated one;
  ``...IfExists`` passes when the key is missing. ``ForAnyValue:``/``ForAllValues:`` compare
  multi-valued keys as sets (ForAllValues is true for a missing or empty key).
- ``${key}`` variables in Resource and condition values are replaced from the request context;
  a variable with no value (and no ``${key, 'default'}``) makes that value match nothing.

Operators this module does not know raise ``UnsupportedCondition``: a wrong answer is worse than none.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

Context = Mapping[str, Any]   # lower-cased condition key -> str | bool | number | list of those

_NO_VALUE = object()          # a policy variable with no value: matches nothing
_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_SPECIAL = {"*": "*", "?": "?", "$": "$"}


class UnsupportedCondition(ValueError):
    """A condition operator the offline evaluator cannot decide."""


def as_list(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


@lru_cache(maxsize=4096)
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    parts = [".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern]
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def glob_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    return _glob(pattern, ignore_case).fullmatch(value) is not None


def action_matches(pattern: str, action: str) -> bool:
    return glob_match(pattern, action, ignore_case=True)


def arn_matches(pattern: str, arn: str) -> bool:
    """Resource and ArnLike matching: ``*`` alone matches anything, otherwise segment by segment."""
    if pattern == "*":
        return True
    if not pattern.startswith("arn:") or not arn.startswith("arn:"):
        return glob_match(pattern, arn)
    want, have = pattern.split(":", 5), arn.split(":", 5)
    if len(want) != 6 or len(have) != 6:
        return glob_match(pattern, arn)
    return all(glob_match(w, h) for w, h in zip(want, have))


def substitute(text: str, context: Context) -> Any:
    """Replace ``${...}`` policy variables; ``_NO_VALUE`` when one has no value and no default."""
    missing = False

    def replace(match: re.Match[str]) -> str:
        nonlocal missing
        body = match.group(1)
        if body in _SPECIAL:
            return _SPECIAL[body]
        key, _, default = body.partition(",")
        value = context.get(key.strip().lower())
        if isinstance(value, (list, tuple)) or value is None:
            default = default.strip()
            if default.startswith("'") and default.endswith("'") and len(default) >= 2:
                return default[1:-1]
            missing = True
            return ""
        return _text(value)

    result = _VARIABLE.sub(replace, text)
    return _NO_VALUE if missing else result


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --- operators -----------------------------------------------------------------------------------


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _ip_in(value: str, network: str) -> bool:
    try:
        return ipaddress.ip_address(value) in ipaddress.ip_network(network, strict=False)
    except ValueError:
        return False


def _numeric(compare):
    def match(policy: str, request: Any) -> bool:
        a, b = _number(request), _number(policy)
        return a is not None and b is not None and compare(a, b)
    return match


# Base operator -> (negated?, match(policy_value, request_value)). A negated operator is true when
# the request value matches none of the policy values.
_OPERATORS = {
    "stringequals": (False, lambda p, r: p == _text(r)),
    "stringnotequals": (True, lambda p, r: p == _text(r)),
    "stringequalsignorecase": (False, lambda p, r: p.lower() == _text(r).lower()),
    "stringnotequalsignorecase": (True, lambda p, r: p.lower() == _text(r).lower()),
    "stringlike": (False, lambda p, r: glob_match(p, _text(r))),
    "stringnotlike": (True, lambda p, r: glob_match(p, _text(r))),
    "arnequals": (False, lambda p, r: arn_matches(p, _text(r))),
    "arnlike": (False, lambda p, r: arn_matches(p, _text(r))),
    "arnnotequals": (True, lambda p, r: arn_matches(p, _text(r))),
    "arnnotlike": (True, lambda p, r: arn_matches(p, _text(r))),
    "bool": (False, lambda p, r: p.lower() == _text(r).lower()),
    "numericequals": (False, _numeric(lambda a, b: a == b)),
    "numericnotequals": (True, _numeric(lambda a, b: a == b)),
    "numericlessthan": (False, _numeric(lambda a, b: a < b)),
    "numericlessthanequals": (False, _numeric(lambda a, b: a <= b)),
    "numericgreaterthan": (False, _numeric(lambda a, b: a > b)),
    "numericgreaterthanequals": (False, _numeric(lambda a, b: a >= b)),
    "ipaddress": (False, lambda p, r: _ip_in(_text(r), p)),
    "notipaddress": (True, lambda p, r: _ip_in(_text(r), p)),
}


def _split_operator(operator: str) -> tuple[str | None, str, bool]:
    """``ForAnyValue:StringLikeIfExists`` -> ("foranyvalue", "stringlike", True)."""
    name = operator.lower()
    qualifier = None
    if ":" in name:
        qualifier, name = name.split(":", 1)
        if qualifier not in ("foranyvalue", "forallvalues"):
            raise UnsupportedCondition(f"condition operator {operator!r}: unknown qualifier")
    if_exists = name.endswith("ifexists") and name != "ifexists"
    if if_exists:
        name = name[: -len("ifexists")]
    if name != "null" and name not in _OPERATORS:
        raise UnsupportedCondition(f"condition operator {operator!r} is not supported offline")
    return qualifier, name, if_exists


def _key_holds(operator: str, key: str, policy_values: list, context: Context, variables: bool) -> bool:
    qualifier, name, if_exists = _split_operator(operator)
    present = key.lower() in context
    request = context.get(key.lower())
    if name == "null":
        wanted = {_text(v).lower() for v in policy_values}
        return ("true" if not present else "false") in wanted
    if not present:
        if if_exists or qualifier == "forallvalues":
            return True
        if qualifier == "foranyvalue":
            return False
        return _OPERATORS[name][0]  # negated operators hold for a missing key
    negated, match = _OPERATORS[name]
    values = [substitute(v, context) if variables and isinstance(v, str) else _text(v) for v in policy_values]
    values = [v for v in values if v is not _NO_VALUE]

    def matches_any(one: Any) -> bool:
        return any(match(v, one) for v in values)

    requests = as_list(request)
    if qualifier == "forallvalues":
        return all((not matches_any(r)) if negated else matches_any(r) for r in requests)
    if qualifier == "foranyvalue":
        return any((not matches_any(r)) if negated else matches_any(r) for r in requests)
    hit = any(matches_any(r) for r in requests)
    return not hit if negated else hit


def conditions_hold(condition: Mapping[str, Mapping[str, Any]] | None, context: Context, *, variables: bool = True) -> bool:
    """Whether a statement's Condition block holds for a request context (keys lower-cased)."""
    for operator, keys in (condition or {}).items():
        for key, values in keys.items():
            if not _key_holds(operator, key, as_list(values), context, variables):
                return False
    return True


def normalise_context(context: Mapping[str, Any]) -> dict[str, Any]:
    """Condition keys are case-insensitive: index them lower-cased."""
    return {str(k).lower(): v for k, v in context.items()}


def resources_match(patterns: Sequence[str], resource: str, context: Context, *, variables: bool) -> bool:
    for pattern in patterns:
        value = substitute(pattern, context) if variables else pattern
        if value is not _NO_VALUE and arn_matches(value, resource):
            return True
    return False
