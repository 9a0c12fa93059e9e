"""Shared fixtures: one offline plan per shipped stack and mode per test run.

`dev_plan`/`staging_plan`/`prod_plan` are assumed created (every value known, as after `pulumi up`);
`dev_preview_plan`/`staging_preview_plan`/`prod_preview_plan` are previews (computed values unknown,
as in `pulumi preview`).
"""

from __future__ import annotations

import pytest


def _plan(stack: str, preview: bool):
    from mladmin.engine import plan_stack

    return plan_stack(stack, preview=preview)


@pytest.fixture(scope="session")
def dev_plan():
    return _plan("dev", preview=False)


@pytest.fixture(scope="session")
def staging_plan():
    return _plan("staging", preview=False)


@pytest.fixture(scope="session")
def prod_plan():
    return _plan("prod", preview=False)


@pytest.fixture(scope="session")
def all_plans(dev_plan, staging_plan, prod_plan):
    return {"dev": dev_plan, "staging": staging_plan, "prod": prod_plan}


@pytest.fixture(scope="session")
def dev_preview_plan():
    return _plan("dev", preview=True)


@pytest.fixture(scope="session")
def staging_preview_plan():
    return _plan("staging", preview=True)


@pytest.fixture(scope="session")
def prod_preview_plan():
    return _plan("prod", preview=True)


@pytest.fixture(scope="session")
def all_preview_plans(dev_preview_plan, staging_preview_plan, prod_preview_plan):
    return {"dev": dev_preview_plan, "staging": staging_preview_plan, "prod": prod_preview_plan}
