"""GPU showback: a shared GPU node group's cost, split among the teams whose workloads hold its GPUs.

Tags alone put a shared node group on its owner (team ``platform`` in the shipped stacks), so team budgets
would say nothing about what the teams' Kubernetes workloads cost. For a stack that declares
``mladmin:workloads``, each node group of the plan whose priced instance type (the first listed) has NVIDIA
GPUs is split, at minimum and at maximum size separately:

1. The group holds ``nodes x GPUs per node`` GPUs: ``minSize`` nodes at minimum, ``maxSize`` at maximum.
2. A model server (``serving[]``) holds ``replicas.min x gpus`` at minimum and ``replicas.max x gpus`` at
   maximum on its ``nodeGroup``; a training job (``training[]``) holds ``nodes x gpusPerNode`` at maximum
   only (the minimum is the cluster at rest: a job holds GPUs only while it runs).
3. A team holds at most its ``gpuQuota`` (``mladmin:teams``; its namespace's ResourceQuota) at once: when its
   workloads ask for more, each is scaled down in proportion.
4. When teams together ask for more than the group holds, they share it in proportion to what they ask, so
   shares never exceed the group.
5. A team pays ``its GPUs / the group's GPUs`` of the group's monthly figure (nodes and their disks alike).
6. What no team holds stays with the group's owner (its ``team`` tag) as ``<owner> (idle GPU capacity)``.

The split moves money between teams and never creates or loses any: a group's shares add up to its line
item, and the stack's total is unchanged. CPU and Neuron node groups stay with their tags, and so does a
stack without ``mladmin:workloads``. A workload naming a node group the plan lacks holds nothing (the
settings report it). Workloads are read from the plan's config with the settings' own models and defaults;
an entry the settings would reject is left out (they report it).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping

from mladmin.plan_config import config_section, config_value, valid_entries
from policies.facts.instance_types import accelerators_per_instance, family_of
from stacks.settings.teams import TeamSettings
from stacks.settings.workloads import ServingSettings, TrainingJobSettings

from .rules import NODE_GROUP, Context, node_group_shape

if TYPE_CHECKING:
    from .estimate import LineItem

WORKLOADS_KEY = "mladmin:workloads"
TEAMS_KEY = "mladmin:teams"
SIZES = ("min", "max")


def idle_label(owner: str) -> str:
    return f"{owner} (idle GPU capacity)"


@dataclass(frozen=True)
class Share:
    """One team's part of a node group: the GPUs it holds and what they cost, at minimum and maximum size."""

    team: str
    gpus_min: float
    gpus_max: float
    monthly_min: float
    monthly_max: float
    idle: bool = False  # the owner's unheld remainder

    def to_json(self) -> dict:
        return {"team": self.team, "idle": self.idle,
                "gpus": {"min": round(self.gpus_min, 2), "max": round(self.gpus_max, 2)},
                "min": round(self.monthly_min, 2), "max": round(self.monthly_max, 2)}


@dataclass(frozen=True)
class GroupSplit:
    """A GPU node group's line item, split by the GPUs teams hold on it."""

    node_group: str
    urn: str
    owner: str                 # its team tag: who keeps the idle remainder
    instance_type: str         # the type it is priced at
    gpus_per_node: int
    gpus_min: float            # the group's GPUs at minSize
    gpus_max: float
    shares: tuple[Share, ...]  # teams (largest first), then the idle remainder

    def to_json(self) -> dict:
        return {"node_group": self.node_group, "resource": self.urn, "owner": self.owner,
                "instance_type": self.instance_type, "gpus_per_node": self.gpus_per_node,
                "gpus": {"min": round(self.gpus_min, 2), "max": round(self.gpus_max, 2)},
                "shares": [share.to_json() for share in self.shares]}


@dataclass(frozen=True)
class Hold:
    """The GPUs one declared workload holds on its node group, at minimum and at maximum size."""

    workload: str  # serving/<team>/<name> or training/<team>/<name>
    team: str
    node_group: str
    gpus_min: int
    gpus_max: int


def holds(config: Mapping[str, Any]) -> list[Hold] | None:
    """Every declared workload's GPUs (rule 2); None when the stack declares no ``mladmin:workloads``."""
    if WORKLOADS_KEY not in config:
        return None
    section = config_section(config, WORKLOADS_KEY)
    found = []
    for server in valid_entries(section.get("serving"), ServingSettings):
        found.append(Hold(f"serving/{server.team}/{server.name}", server.team, server.node_group,
                          server.replicas.min * server.gpus, server.replicas.max * server.gpus))
    for job in valid_entries(section.get("training"), TrainingJobSettings):
        found.append(Hold(f"training/{job.team}/{job.name}", job.team, job.node_group, 0, job.nodes * job.gpus_per_node))
    return found


def quotas(config: Mapping[str, Any]) -> dict[str, int]:
    """Each declared team's ``gpuQuota`` (rule 3); a team not declared is not capped (the settings report it)."""
    return {team.name: team.gpu_quota for team in valid_entries(config_value(config, TEAMS_KEY), TeamSettings)}


def split(items: list[LineItem], ctx: Context) -> list[GroupSplit]:
    """The split of each priced NVIDIA GPU node group of the plan, in the order of ``items``."""
    wanted = holds(ctx.plan.config)
    if wanted is None:
        return []
    groups = _gpu_groups(items, ctx)
    caps = quotas(ctx.plan.config)
    held = {size: _held(wanted, groups, caps, size) for size in SIZES}
    return [_split_group(name, group, held["min"].get(name, {}), held["max"].get(name, {}))
            for name, group in groups.items()]


@dataclass(frozen=True)
class _Group:
    item: LineItem
    instance_type: str
    gpus_per_node: int
    nodes_min: float
    nodes_max: float

    def gpus(self, size: str) -> float:
        return (self.nodes_min if size == "min" else self.nodes_max) * self.gpus_per_node


def _gpu_groups(items: list[LineItem], ctx: Context) -> dict[str, _Group]:
    """Priced node groups with NVIDIA GPUs, by ``nodeGroupName``; a name two groups share is left unsplit."""
    groups: dict[str, _Group] = {}
    names: Counter[str] = Counter()
    for item in items:
        resource = ctx.by_urn[item.urn] if item.type == NODE_GROUP else None
        name = resource.inputs.get("nodeGroupName") if resource is not None else None
        if resource is None or not isinstance(name, str):
            continue
        names[name] += 1
        shape = node_group_shape(resource, ctx)
        family = family_of(shape.priced_type)
        if family is None or family.accelerator != "nvidia":
            continue
        groups[name] = _Group(item, shape.priced_type, accelerators_per_instance(shape.priced_type),
                              shape.min_nodes, shape.max_nodes)
    return {name: group for name, group in groups.items() if names[name] == 1}


def _held(wanted: list[Hold], groups: dict[str, _Group], caps: dict[str, int], size: str) -> dict[str, dict[str, float]]:
    """node group -> team -> GPUs held at ``size``, after the team's quota (rule 3) and the group's size (rule 4)."""
    asked: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))  # team -> group -> GPUs
    for hold in wanted:
        if hold.node_group in groups:
            asked[hold.team][hold.node_group] += hold.gpus_min if size == "min" else hold.gpus_max
    by_group: dict[str, dict[str, float]] = defaultdict(dict)
    for team, per_group in asked.items():
        total, quota = sum(per_group.values()), caps.get(team)
        scale = quota / total if quota is not None and total > quota else 1.0
        for name, gpus in per_group.items():
            by_group[name][team] = gpus * scale
    for name, teams in by_group.items():
        capacity, total = groups[name].gpus(size), sum(teams.values())
        if total > capacity:
            for team in teams:
                teams[team] *= capacity / total
    return by_group


def _split_group(name: str, group: _Group, held_min: dict[str, float], held_max: dict[str, float]) -> GroupSplit:
    item = group.item
    capacity_min, capacity_max = group.gpus("min"), group.gpus("max")
    shares = []
    for team in set(held_min) | set(held_max):
        gpus_min, gpus_max = held_min.get(team, 0.0), held_max.get(team, 0.0)
        if gpus_min or gpus_max:
            shares.append(Share(team, gpus_min, gpus_max, _part(item.monthly_min, gpus_min, capacity_min),
                                _part(item.monthly_max, gpus_max, capacity_max)))
    shares.sort(key=lambda s: (-s.monthly_max, -s.monthly_min, s.team))
    # The remainder, not a product of fractions, so the shares add up to the line item exactly.
    idle = Share(idle_label(item.team), capacity_min - sum(s.gpus_min for s in shares),
                 capacity_max - sum(s.gpus_max for s in shares), item.monthly_min - sum(s.monthly_min for s in shares),
                 item.monthly_max - sum(s.monthly_max for s in shares), idle=True)
    if any(abs(value) > 1e-9 for value in (idle.gpus_min, idle.gpus_max, idle.monthly_min, idle.monthly_max)):
        shares.append(idle)
    return GroupSplit(name, item.urn, item.team, group.instance_type, group.gpus_per_node, capacity_min, capacity_max,
                      tuple(shares))


def _part(monthly: float, gpus: float, capacity: float) -> float:
    return monthly * gpus / capacity if capacity else 0.0
