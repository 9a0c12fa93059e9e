"""Errors of the SageMaker commands; each message is one line for people (the CLI adds no traceback)."""

from __future__ import annotations


class SageMakerCommandError(Exception):
    """Missing credentials or outputs, bad input, or a refused AWS call: exit 2."""


class GateFailed(Exception):
    """A model package whose evaluation report failed its release gate: exit 1 (a finding)."""
