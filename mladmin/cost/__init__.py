"""Offline monthly cost estimates of a plan: `estimate(plan, assumptions)` prices what the plan holds by
resource type and property, with the one price table in policies/facts/prices.py; shared GPU node groups are
split among the teams whose workloads hold their GPUs (showback.py)."""

from .estimate import Estimate, LineItem, PricingError, estimate
from .assumptions import CostInputs, cost_inputs

__all__ = ["CostInputs", "Estimate", "LineItem", "PricingError", "cost_inputs", "estimate"]
