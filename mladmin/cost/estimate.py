"""The monthly estimate of a plan: one line item per priced resource, grouped by component and team.

Each resource is priced at its minimum (node groups at ``minSize``, endpoints at their initial instance
count) and, as a second figure, at its maximum (``maxSize``, the endpoint's autoscaling maximum). Types
without a rule in ``rules.PRICERS`` carry no charge of their own (IAM, routes, policies ...). An instance
type the price table lacks is an error naming it and the resource, never $0.

A resource belongs to the team of its ``team`` tag, except a shared GPU node group, whose cost is split
among the teams whose workloads hold its GPUs (the rule: ``showback.py``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from mladmin.engine import Plan, PlanResource
from stacks.settings import CostSettings

from .rules import PRICERS, Context, Price, UnpricedError
from .showback import GroupSplit, split

UNTEAMED = "(shared)"
NO_COMPONENT = "(stack)"


class PricingError(ValueError):
    """What could not be priced, one line per resource."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class LineItem:
    urn: str
    type: str
    name: str
    component: str
    team: str
    monthly_min: float
    monthly_max: float
    basis: str  # how the figure was computed, e.g. "2 x t3.large spot x 730 h"


@dataclass
class Estimate:
    stack: str
    items: list[LineItem]
    free_resources: int               # priced at $0 by nature (no rule)
    assumptions: CostSettings
    showback: list[GroupSplit] = field(default_factory=list)  # GPU node groups split among teams

    @property
    def monthly_min(self) -> float:
        return round(sum(item.monthly_min for item in self.items), 2)

    @property
    def monthly_max(self) -> float:
        return round(sum(item.monthly_max for item in self.items), 2)

    def by(self, key: str, showback: bool = True) -> dict[str, tuple[float, float]]:
        """Totals (min, max) per ``resource`` (URN), ``component`` or ``team``, largest first; by team, a split
        GPU node group counts for the teams holding its GPUs and its idle remainder (``showback``), unless
        ``showback`` is False (each resource for the team its tag names, as the first release counted)."""
        sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
        splits = {group.urn: group for group in self.showback} if key == "team" and showback else {}
        for item in self.items:
            if item.urn in splits:
                for share in splits[item.urn].shares:
                    sums[share.team][0] += share.monthly_min
                    sums[share.team][1] += share.monthly_max
                continue
            group = item.urn if key == "resource" else getattr(item, key)
            sums[group][0] += item.monthly_min
            sums[group][1] += item.monthly_max
        return {group: (round(low, 2), round(high, 2))
                for group, (low, high) in sorted(sums.items(), key=lambda kv: (-kv[1][0], -kv[1][1], kv[0]))}

    def to_json(self) -> dict:
        return {
            "stack": self.stack,
            "currency": "USD",
            "monthly": {"min": self.monthly_min, "max": self.monthly_max},
            "by_component": {k: {"min": a, "max": b} for k, (a, b) in self.by("component").items()},
            "by_team": {k: {"min": a, "max": b} for k, (a, b) in self.by("team").items()},
            "by_team_tag": {k: {"min": a, "max": b} for k, (a, b) in self.by("team", showback=False).items()},
            "resources": [item.__dict__ for item in self.items],
            "gpu_showback": [group.to_json() for group in self.showback],
            "free_resources": self.free_resources,
            "assumptions": self.assumptions.model_dump(by_alias=True),
        }


def estimate(plan: Plan, assumptions: CostSettings | None = None) -> Estimate:
    """Price every resource of ``plan``; raises PricingError listing everything that has no price."""
    assumptions = assumptions or CostSettings()
    context = Context(plan, assumptions)
    items: list[LineItem] = []
    problems: list[str] = []
    free = 0
    for resource in plan.custom_resources:
        pricer = PRICERS.get(resource.type)
        if pricer is None:
            free += 1
            continue
        try:
            price: Price | None = pricer(resource, context)
        except UnpricedError as error:
            problems.append(f"{resource.name} ({resource.type}): {error}")
            continue
        if price is None:
            free += 1
            continue
        items.append(LineItem(resource.urn, resource.type, resource.name, _component(context, resource),
                              _team(resource), round(price.low, 4), round(price.high, 4), price.basis))
    if problems:
        raise PricingError(problems)
    return Estimate(plan.stack, items, free, assumptions, split(items, context))


def _component(context: Context, resource: PlanResource) -> str:
    """The name of the top-level component the resource belongs to (the stack's child)."""
    by_urn = context.by_urn
    current, top = resource, None
    while current.parent and current.parent in by_urn:
        parent = by_urn[current.parent]
        if parent.is_component:
            top = parent
        current = parent
    return top.name if top is not None else NO_COMPONENT


def _team(resource: PlanResource) -> str:
    for key in ("tagsAll", "tags"):
        tags = resource.inputs.get(key)
        if isinstance(tags, dict) and isinstance(tags.get("team"), str):
            return tags["team"]
    return UNTEAMED
