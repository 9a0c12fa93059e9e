"""Spending limits: a monthly AWS Budget for the environment and one per team, on cost-allocation tags.

Costs are attributed by the `environment` and `team` tags every resource carries (components.tags);
AWS only counts a tag once it is activated for cost allocation, so the tags are activated here too.
A budget holds at most 5 notifications (AWS Budgets quota), so forecast alerts get a budget of their
own: `<prefix>-monthly` (actual spend) and `<prefix>-monthly-forecast`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components import validation as check
from components.tags import REQUIRED_TAG_KEYS, Tags, child_opts, tags_problems

MAX_NOTIFICATIONS = 5   # per budget
MAX_EMAILS = 10         # email subscribers per notification
COST_METRIC = "UnblendedCost"


@dataclass(frozen=True)
class TeamBudget:
    name: str                  # the team's `team` tag value
    monthly_limit_usd: float
    owner_email: str           # who answers for the team's spend


@dataclass(frozen=True)
class BudgetsArgs:
    prefix: str
    environment: str                   # the `environment` tag value the budgets filter on
    tags: Tags
    monthly_limit_usd: float
    thresholds_percent: Sequence[float] = (50.0, 80.0, 100.0)
    forecast_alerts: bool = True
    notify_emails: Sequence[str] = ()
    alert_topic_arn: pulumi.Input[str] | None = None   # the alert topic (its key and policy let Budgets publish)
    teams: Sequence[TeamBudget] = field(default_factory=tuple)
    cost_allocation_tags: Sequence[str] = REQUIRED_TAG_KEYS


def tag_filter(**tags: str) -> dict:
    """A filter expression on cost-allocation tags (all must match)."""
    operands = [{"tags": {"key": key, "values": [value], "match_options": ["EQUALS"]}} for key, value in tags.items()]
    return operands[0] if len(operands) == 1 else {"ands": operands}


class Budgets(pulumi.ComponentResource):
    def __init__(self, name: str, args: BudgetsArgs, opts: pulumi.ResourceOptions | None = None):
        check.raise_if_problems("Budgets", validate(args))
        super().__init__("mladmin:budgets:Budgets", name, None, opts)
        self._name, self._args = name, args

        # Account-wide switches shared by every stack in the account: never deactivated on destroy.
        self.cost_allocation_tags = [
            aws.costexplorer.CostAllocationTag(
                f"{name}-tag-{key}", tag_key=key, status="Active",
                opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True),
            )
            for key in args.cost_allocation_tags
        ]
        environment = tag_filter(environment=args.environment)
        self.environment_budget_name = f"{args.prefix}-monthly"
        self.budgets = {
            self.environment_budget_name: self._budget(
                "monthly", self.environment_budget_name, args.monthly_limit_usd, environment,
                self._notifications("ACTUAL", args.notify_emails)),
        }
        if args.forecast_alerts:
            forecast = f"{args.prefix}-monthly-forecast"
            self.budgets[forecast] = self._budget(
                "monthly-forecast", forecast, args.monthly_limit_usd, environment,
                self._notifications("FORECASTED", args.notify_emails))
        for team in args.teams:
            budget_name = f"{args.prefix}-team-{team.name}"
            self.budgets[budget_name] = self._budget(
                f"team-{team.name}", budget_name, team.monthly_limit_usd,
                tag_filter(environment=args.environment, team=team.name),
                self._notifications("ACTUAL", [team.owner_email]), team=team.name)
        self.register_outputs({"budget_names": sorted(self.budgets)})

    def _notifications(self, kind: str, emails: Sequence[str]) -> list[dict]:
        args = self._args
        subscribers: dict = {}
        if emails:
            subscribers["subscriber_email_addresses"] = list(emails)
        if args.alert_topic_arn is not None:
            subscribers["subscriber_sns_topic_arns"] = [args.alert_topic_arn]
        return [
            {"comparison_operator": "GREATER_THAN", "threshold": float(percent), "threshold_type": "PERCENTAGE",
             "notification_type": kind, **subscribers}
            for percent in sorted(args.thresholds_percent)
        ]

    def _budget(self, suffix: str, budget_name: str, limit: float, filters: dict, notifications: list[dict],
                team: str | None = None) -> aws.budgets.Budget:
        tags = self._args.tags.for_team(team) if team else self._args.tags
        return aws.budgets.Budget(
            f"{self._name}-{suffix}",
            name=budget_name,
            budget_type="COST",
            time_unit="MONTHLY",
            limit_amount=f"{limit:.2f}",
            limit_unit="USD",
            metrics=COST_METRIC,
            filter_expression=filters,
            notifications=notifications,
            tags=tags.merged({"Name": budget_name}),
            # Budgets follow the tag activation: AWS filters on inactive tags match nothing.
            opts=child_opts(self, depends_on=self.cost_allocation_tags),
        )


def validate(args: BudgetsArgs) -> list[str]:
    problems = check.name_prefix("prefix", args.prefix, max_length=60)
    if not args.environment:
        problems.append("environment: must not be empty")
    if not args.monthly_limit_usd > 0:
        problems.append(f"monthly_limit_usd: {args.monthly_limit_usd!r} must be more than 0")
    thresholds = list(args.thresholds_percent)
    if not 1 <= len(thresholds) <= MAX_NOTIFICATIONS:
        problems.append(f"thresholds_percent: {len(thresholds)} thresholds; a budget holds 1 to {MAX_NOTIFICATIONS}")
    if len(set(thresholds)) != len(thresholds):
        problems.append(f"thresholds_percent: {thresholds} repeats a value")
    if len(args.notify_emails) > MAX_EMAILS:
        problems.append(f"notify_emails: {len(args.notify_emails)} addresses; AWS Budgets allows {MAX_EMAILS}")
    if not args.notify_emails and args.alert_topic_arn is None:
        problems.append("notify_emails: empty and no alert_topic_arn: the budgets would tell no one")
    names = [team.name for team in args.teams]
    if len(set(names)) != len(names):
        problems.append(f"teams: {names} repeats a name")
    for i, team in enumerate(args.teams):
        if not team.monthly_limit_usd > 0:
            problems.append(f"teams[{i}].monthly_limit_usd: {team.monthly_limit_usd!r} must be more than 0")
    problems += tags_problems(args.tags)
    return problems
