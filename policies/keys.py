"""What counts as a customer-managed KMS key, and the parameter that asks for one per environment.

A key input given (an ARN, a key id, an alias of our own, or a key created in the same update and so
unknown in preview) is customer-managed unless it names an AWS-managed alias (`alias/aws/<service>`),
which the account cannot govern with its own key policy.
"""

from __future__ import annotations

from typing import Any

from policies.facts.environments import CUSTOMER_MANAGED_KEY_REQUIRED
from policies.spec import Params
from policies.views import Unknown, peek


class KeyParams(Params):
    require_customer_key: bool


KEY_DEFAULTS = {env: {"require_customer_key": required} for env, required in CUSTOMER_MANAGED_KEY_REQUIRED.items()}
KEY_NOTE = ("customer-managed keys are required in "
            + " and ".join(env for env, required in CUSTOMER_MANAGED_KEY_REQUIRED.items() if required)
            + " (parameter requireCustomerKey)")


def aws_managed_alias(value: Any) -> bool:
    return isinstance(value, str) and ("alias/aws/" in value)


def customer_key(props: Any, *path: str) -> bool:
    """Whether `props[path]` names a customer-managed key (an unknown one counts: fed from a key resource)."""
    value = peek(props, *path)
    if isinstance(value, Unknown):
        return True
    return bool(value) and not aws_managed_alias(value)
