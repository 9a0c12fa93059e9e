"""What an estimate needs from a stack's config besides the plan: assumed volumes and the budgets.

Read from the plan's own config (``mladmin:cost``, ``mladmin:budgets``, ``mladmin:teams``), validated by the
stack settings' models, so the shipped stacks and any other program with those keys are priced alike.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from mladmin.engine import Plan
from stacks.settings import BudgetSettings, CostSettings, SettingsError, TeamSettings
from stacks.settings.messages import translate


@dataclass(frozen=True)
class CostInputs:
    assumptions: CostSettings
    monthly_limit_usd: float | None            # the environment's budget, None when the stack sets none
    team_budgets: dict[str, float] = field(default_factory=dict)  # team -> monthlyBudgetUsd


class _Sections(BaseModel):
    """The three config keys an estimate reads, so errors carry their ``mladmin:<key>`` path."""

    cost: CostSettings | None = None
    budgets: BudgetSettings | None = None
    teams: list[TeamSettings] = []


def cost_inputs(plan: Plan) -> CostInputs:
    """Raises SettingsError naming the file, key and problem, one line each."""
    source = plan.config_file or f"Pulumi.{plan.stack}.yaml"
    problems: list[str] = []
    raw_sections: dict[str, Any] = {}
    for key in _Sections.model_fields:
        raw = plan.config.get(f"mladmin:{key}")
        if isinstance(raw, str):
            try:
                raw = json.loads(raw)
            except json.JSONDecodeError as error:
                problems.append(f"{source}: mladmin:{key}: not valid JSON ({error.msg})")
                continue
        if raw is not None:
            raw_sections[key] = raw
    try:
        sections = _Sections.model_validate(raw_sections, by_alias=True, by_name=False)
    except ValidationError as error:
        problems.extend(translate(error, _Sections, source))
    if problems:
        raise SettingsError(problems)
    values = {key: getattr(sections, key) for key in raw_sections}
    budgets = values.get("budgets")
    if budgets is None and plan.project == "mladmin":
        budgets = BudgetSettings()  # the shipped stacks' documented default
    return CostInputs(
        assumptions=values.get("cost") or CostSettings(),
        monthly_limit_usd=budgets.monthly_limit_usd if budgets is not None else None,
        team_budgets={team.name: team.monthly_budget_usd for team in values.get("teams", [])
                      if team.monthly_budget_usd is not None},
    )
