"""Stacks share an AWS account: no two stacks may choose the same name for an account-scoped resource,
or the second `pulumi up` in the account fails with "already exists".

The shipped stacks plan into one account (the engine's caller identity) and one region, as a team
running dev, staging and prod side by side in one account would.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

# Resource type -> (scope, how to read the physical name). Bucket names are global; IAM names are
# per account; the others per account and region.
ACCOUNT_SCOPED = {
    "aws:s3/bucket:Bucket": ("global", lambda r: r.inputs.get("bucket") or r.outputs.get("bucket")),
    "aws:iam/role:Role": ("account", lambda r: r.outputs.get("name")),
    "aws:iam/policy:Policy": ("account", lambda r: r.outputs.get("name")),
    "aws:cloudwatch/logGroup:LogGroup": ("region", lambda r: r.inputs.get("name")),
    "aws:kms/alias:Alias": ("region", lambda r: r.inputs.get("name")),
    "aws:ecr/repository:Repository": ("region", lambda r: r.inputs.get("name")),
    "aws:eks/cluster:Cluster": ("region", lambda r: r.inputs.get("name")),
    "aws:ec2/launchTemplate:LaunchTemplate": ("region", lambda r: r.inputs.get("name")),
    "aws:ec2/placementGroup:PlacementGroup": ("region", lambda r: r.inputs.get("name")),
    "aws:sns/topic:Topic": ("region", lambda r: r.inputs.get("name")),
    "aws:cloudwatch/metricAlarm:MetricAlarm": ("region", lambda r: r.inputs.get("name")),
    "aws:cloudwatch/eventRule:EventRule": ("region", lambda r: r.inputs.get("name")),
    "aws:cloudwatch/dashboard:Dashboard": ("account", lambda r: r.inputs.get("dashboardName")),
    "aws:cloudtrail/trail:Trail": ("region", lambda r: r.inputs.get("name")),
    "aws:budgets/budget:Budget": ("account", lambda r: r.inputs.get("name")),
}


def physical_names(plan) -> dict[tuple[str, str, str], str]:
    """(type, scope, name) -> resource name, for every account-scoped resource of the plan."""
    default_region = plan.config["aws:region"]
    names = {}
    for type_token, (scope, read) in ACCOUNT_SCOPED.items():
        for resource in plan.of_type(type_token):
            name = read(resource)
            assert name, f"{resource.name}: no physical name"
            where = {"global": "", "account": ""}.get(scope, resource.inputs.get("region") or default_region)
            names[(type_token, where, name)] = resource.name
    return names


def test_every_account_scoped_type_is_planned(all_plans):
    planned = {r.type for r in all_plans["prod"].resources}
    assert set(ACCOUNT_SCOPED) <= planned


@pytest.mark.parametrize("first, second", [("dev", "staging"), ("dev", "prod"), ("staging", "prod")])
def test_two_stacks_in_one_account_choose_no_common_name(all_plans, first, second):
    seen: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for stack in (first, second):
        for key, resource in physical_names(all_plans[stack]).items():
            seen[key].append(f"{stack}:{resource}")
    collisions = {f"{t} {n}": owners for (t, _, n), owners in seen.items() if len(owners) > 1}
    assert not collisions, f"names chosen by both stacks: {collisions}"


def test_flow_log_group_is_named_after_the_stack_prefix(all_plans):
    for stack, plan in all_plans.items():
        groups = [g.inputs["name"] for g in plan.of_type("aws:cloudwatch/logGroup:LogGroup")]
        assert f"/aws/vpc/flow-logs/mladmin-{stack}" in groups
