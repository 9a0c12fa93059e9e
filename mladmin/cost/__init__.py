"""Offline monthly cost estimates of a plan: `estimate(plan, assumptions)` prices what the plan holds by
resource type and property, with the one price table in policies/facts/prices.py."""

from .estimate import Estimate, LineItem, PricingError, estimate
from .assumptions import CostInputs, cost_inputs

__all__ = ["CostInputs", "Estimate", "LineItem", "PricingError", "cost_inputs", "estimate"]
