"""Shared fixtures: one offline plan per shipped stack per test run."""

from __future__ import annotations

import pytest


def _plan(stack: str):
    from mladmin.engine import plan_stack

    return plan_stack(stack)


@pytest.fixture(scope="session")
def dev_plan():
    return _plan("dev")


@pytest.fixture(scope="session")
def staging_plan():
    return _plan("staging")


@pytest.fixture(scope="session")
def prod_plan():
    return _plan("prod")


@pytest.fixture(scope="session")
def all_plans(dev_plan, staging_plan, prod_plan):
    return {"dev": dev_plan, "staging": staging_plan, "prod": prod_plan}
