"""The settings of one stack: every ``mladmin:*`` key of ``stacks/Pulumi.<stack>.yaml``, typed."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from policies.facts.environments import GPU_BUDGET, GPU_INSTANCE_TYPES_ALLOWED

from .base import ENVIRONMENTS, Environment, Region, Scope, SettingsModel, TagValue, duplicates, show
from .aws_facts import REGIONS
from .cluster import ClusterSettings
from .cost import CostSettings
from .errors import Problems
from .instance_types import UnknownInstanceType, lookup, lookup_sagemaker
from .monitoring import BudgetSettings, MonitoringSettings
from .network import NetworkSettings
from .sagemaker import SageMakerSettings
from .storage import StorageSettings
from .teams import TeamSettings
from .workloads import WorkloadsSettings
from .training import check_training_jobs

PLATFORM_TEAM = "platform"
# The policy whose per-environment allowlist (policies.facts) the settings apply too, and its parameter.
GPU_ALLOWLIST_POLICY, GPU_ALLOWLIST_PARAMETER = "gpu-instance-type-allowlist", "allowedInstanceTypes"
GPU_BUDGET_POLICY, GPU_BUDGET_PARAMETER = "gpu-budget", "maxGpus"


class Settings(SettingsModel):
    """A whole stack's settings. Build it with ``load_settings``/``load_settings_file``; ``Settings(...)``
    and ``Settings.model_validate(...)`` work too and apply the same environment rules."""

    environment: Environment = Field(examples=["prod"], description="dev, staging or prod; decides the environment rules (mladmin:environment).")
    owner: TagValue = Field(examples=["ml-platform"], description="Owning group, the `owner` tag on every resource, e.g. ml-platform.")
    cost_center: TagValue = Field(examples=["cc-4410"], description="The `cost-center` tag on every resource, e.g. cc-4410.")
    region: Region = Field(examples=["us-east-1"], description="AWS region of the stack (aws:region).")
    network: NetworkSettings = Field(default_factory=dict, validate_default=True, description="VPC and subnets.")
    storage: StorageSettings = Field(default_factory=dict, validate_default=True, description="Data buckets.")
    cluster: ClusterSettings = Field(default_factory=dict, validate_default=True, description="EKS cluster.")
    sagemaker: SageMakerSettings = Field(default_factory=dict, validate_default=True, description="SageMaker.")
    monitoring: MonitoringSettings = Field(default_factory=dict, validate_default=True, description="Logs and alarms.")
    budgets: BudgetSettings = Field(default_factory=dict, validate_default=True, description="Cost budget.")
    cost: CostSettings = Field(default_factory=dict, validate_default=True, description="Usage assumed by `mladmin cost`.")
    teams: list[TeamSettings] = Field(default_factory=list, description="Teams using the platform. Default none.")
    workloads: WorkloadsSettings = Field(
        default_factory=dict, validate_default=True,
        description="Training jobs and model servers on the EKS cluster. Default none.",
    )
    policy: dict[str, Any] = Field(
        default_factory=dict,
        description="Policy enforcement overrides and exemptions; its schema is checked by the policy pack. Default {}.",
    )

    @classmethod
    def model_validate(cls, obj: Any, *, context: Any = None, **kwargs: Any) -> "Settings":  # type: ignore[override]
        return super().model_validate(obj, context=_with_scope(obj, context), **kwargs)

    def __init__(self, /, **data: Any) -> None:
        """``Settings(environment=..., region=..., ...)`` applies the environment's rules too."""
        __tracebackhide__ = True
        self.__pydantic_validator__.validate_python(data, self_instance=self, context=_with_scope(data, None))

    # Not a "custom init" for pydantic: validation (model_validate, nesting) must not route through
    # __init__, or it would lose the caller's context and by_alias/by_name options.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    @model_validator(mode="after")
    def _check(self) -> "Settings":
        problems = Problems()
        for index, name in duplicates([team.name for team in self.teams]):
            problems.add(("teams", index, "name"), f"{show(name)} is already used by another team")
        quota = sum(team.gpu_quota for team in self.teams)
        capacity = self.cluster.max_accelerators
        if quota > capacity:
            problems.add(
                "teams",
                f"GPU quotas add up to {quota} accelerators, more than the GPU node groups hold at maxSize "
                f"({capacity}; expected the sum of gpuQuota <= {capacity}, or larger GPU pools)",
            )
        team_budgets = sum(team.monthly_budget_usd or 0.0 for team in self.teams)
        if team_budgets > self.budgets.monthly_limit_usd:
            problems.add(
                "teams",
                f"team budgets add up to {team_budgets:g} USD, more than budgets.monthlyLimitUsd "
                f"{self.budgets.monthly_limit_usd:g} (expected the sum of monthlyBudgetUsd <= the limit)",
            )
        self._check_gpu_allowlist(problems)
        self._check_workloads(problems)
        self._check_endpoint_teams(problems)
        self._check_gpu_budget(problems)
        self._check_node_group_zones(problems)
        check_training_jobs(self, problems)
        if self.is_prod and not self.budget_recipients:
            problems.add(
                ("budgets", "notifyEmails"),
                "missing (prod budgets need a recipient: expected budgets.notifyEmails or monitoring.alarmEmails)",
            )
        problems.raise_if_any()
        return self

    def _check_gpu_allowlist(self, problems: Problems) -> None:
        """Accelerated types only from the environment's allowlist, as the policy pack will require."""
        allowed = self.gpu_instance_types_allowed
        if "allowed_instance_types" not in self.sagemaker.model_fields_set:  # the default fits the environment
            self.sagemaker.allowed_instance_types = [
                name for name in self.sagemaker.allowed_instance_types
                if name in allowed or not _accelerated(name, lookup_sagemaker)
            ]
        expected = (f"expected a type that {GPU_ALLOWLIST_POLICY} allows in {self.environment}: "
                    f"{', '.join(sorted(allowed))}; or widen it under "
                    f"mladmin:policy.parameters.{GPU_ALLOWLIST_POLICY}.{GPU_ALLOWLIST_PARAMETER}")
        for group_index, group in enumerate(self.cluster.node_groups):
            for type_index, name in enumerate(group.instance_types):
                if _accelerated(name, lookup) and name not in allowed:
                    problems.add(("cluster", "nodeGroups", group_index, "instanceTypes", type_index),
                                 f"{show(name)} is not allowed in {self.environment} ({expected})")
        for endpoint_index, endpoint in enumerate(self.sagemaker.endpoints):
            if endpoint.instance_type is None:  # serverless: CPU only
                continue
            if _accelerated(endpoint.instance_type, lookup_sagemaker) and endpoint.instance_type not in allowed:
                problems.add(("sagemaker", "endpoints", endpoint_index, "instanceType"),
                             f"{show(endpoint.instance_type)} is not allowed in {self.environment} ({expected})")
        for pipeline_index, pipeline in enumerate(self.sagemaker.retraining):
            for key, name in (("instanceType", pipeline.instance_type),
                              ("evaluationInstanceType", pipeline.evaluation_instance_type)):
                if name is not None and _accelerated(name, lookup_sagemaker) and name not in allowed:
                    problems.add(("sagemaker", "retraining", pipeline_index, key),
                                 f"{show(name)} is not allowed in {self.environment} ({expected})")
        for type_index, name in enumerate(self.sagemaker.allowed_instance_types):
            if _accelerated(name, lookup_sagemaker) and name not in allowed:
                problems.add(("sagemaker", "allowedInstanceTypes", type_index),
                             f"{show(name)} is not allowed in {self.environment} ({expected})")

    def _check_node_group_zones(self, problems: Problems) -> None:
        """A pool pinned to one zone must pin a zone the network has subnets in."""
        zones = list(self.network.availability_zones)
        pools = [(("cluster", "systemNodes"), self.cluster.system_nodes)]
        pools += [(("cluster", "nodeGroups", index), group) for index, group in enumerate(self.cluster.node_groups)]
        for where, group in pools:
            if group.availability_zone is not None and group.availability_zone not in zones:
                problems.add((*where, "availabilityZone"),
                             f"{show(group.availability_zone)} is not one of mladmin:network.availabilityZones "
                             f"(expected one of {', '.join(zones)})")

    def _check_gpu_budget(self, problems: Problems) -> None:
        """Accelerators at full scale-out within the environment's budget, as the policy pack will require."""
        budget = self._policy_parameter(GPU_BUDGET_POLICY, GPU_BUDGET_PARAMETER)
        budget = budget if isinstance(budget, int) and not isinstance(budget, bool) else GPU_BUDGET[self.environment]
        pools = sum(group.max_size * max(spec.accelerators for spec in group.specs) for group in self.cluster.node_groups)
        endpoints = sum((endpoint.max_instance_count or endpoint.initial_instance_count)
                        * lookup_sagemaker(endpoint.instance_type).accelerators for endpoint in self.sagemaker.endpoints
                        if endpoint.instance_type is not None)
        if pools + endpoints > budget:
            problems.add(
                "cluster",
                f"node groups at maxSize ({pools}) and endpoints at maxInstanceCount ({endpoints}) hold "
                f"{pools + endpoints} accelerators, more than the {self.environment} budget of {budget} (expected "
                f"smaller pools or endpoints, or a larger mladmin:policy.parameters.{GPU_BUDGET_POLICY}.{GPU_BUDGET_PARAMETER})",
            )

    def _check_endpoint_teams(self, problems: Problems) -> None:
        """An endpoint's owning team is a team of this stack."""
        teams = sorted(team.name for team in self.teams)
        for index, endpoint in enumerate(self.sagemaker.endpoints):
            if endpoint.team is not None and endpoint.team not in teams:
                problems.add(("sagemaker", "endpoints", index, "team"),
                             f"{show(endpoint.team)} is not a team of this stack (expected one of "
                             f"{', '.join(teams) or 'no teams: add one under mladmin:teams'})")

    def _check_workloads(self, problems: Problems) -> None:
        """Each workload names a team and node group of this stack, and fits the team's GPU quota."""
        teams = {team.name: team for team in self.teams}
        groups = {group.name: group for group in self.cluster.node_groups}
        for key, items in (("training", self.workloads.training), ("serving", self.workloads.serving)):
            for index, item in enumerate(items):
                where = ("workloads", key, index)
                team = teams.get(item.team)
                if team is None:
                    problems.add(where + ("team",), f"{show(item.team)} is not a team of this stack (expected one of "
                                 f"{', '.join(sorted(teams)) or 'no teams: add one under mladmin:teams'})")
                group = groups.get(item.node_group)
                if group is None:
                    problems.add(where + ("nodeGroup",), f"{show(item.node_group)} is not a node group of this stack "
                                 f"(expected one of {', '.join(sorted(groups)) or 'none'})")
                gpus = item.gpus_per_node if key == "training" else item.gpus
                if group is not None and gpus and group.accelerator != "nvidia":
                    problems.add(where + ("nodeGroup",), f"{show(item.node_group)} has no NVIDIA GPUs "
                                 f"(expected a GPU node group for a workload that asks for {gpus})")
                elif group is not None and group.gpu and not gpus:
                    problems.add(where + ("nodeGroup",), f"{show(item.node_group)} is a GPU node group "
                                 "(expected gpus >= 1 there, or a CPU node group for a CPU workload)")
                elif group is not None and gpus > group.accelerators_per_node:
                    problems.add(where, f"{gpus} GPUs per pod is more than a {show(item.node_group)} node holds "
                                 f"({group.accelerators_per_node})")
                total = gpus * (item.nodes if key == "training" else 1)
                if team is not None and total > team.gpu_quota:
                    problems.add(where, f"needs {total} GPUs at once, more than team {item.team}'s gpuQuota "
                                 f"{team.gpu_quota} (it would never be admitted)")

    def _policy_parameter(self, policy_id: str, parameter: str) -> Any:
        """A parameter the stack sets for one policy under mladmin:policy.parameters, or None."""
        parameters = self.policy.get("parameters") if isinstance(self.policy, dict) else None
        values = parameters.get(policy_id) if isinstance(parameters, dict) else None
        return values.get(parameter) if isinstance(values, dict) else None

    @property
    def gpu_instance_types_allowed(self) -> frozenset[str]:
        """The accelerated types this stack may use: its policy parameter, else the environment's default."""
        types = self._policy_parameter(GPU_ALLOWLIST_POLICY, GPU_ALLOWLIST_PARAMETER)
        if isinstance(types, list):
            return frozenset(str(name) for name in types)
        return frozenset(GPU_INSTANCE_TYPES_ALLOWED[self.environment])

    @property
    def is_prod(self) -> bool:
        return self.environment == "prod"

    @property
    def prefix(self) -> str:
        """Prefix of physical resource names, e.g. ``mladmin-prod``."""
        return f"mladmin-{self.environment}"

    @property
    def tags(self) -> dict[str, str]:
        """The tags every platform resource carries."""
        return {"owner": self.owner, "environment": self.environment, "team": PLATFORM_TEAM, "cost-center": self.cost_center}

    def team_tags(self, team: TeamSettings) -> dict[str, str]:
        """The tags of a resource that belongs to ``team``."""
        return {**self.tags, "team": team.name}

    @property
    def budget_recipients(self) -> list[str]:
        """Who gets budget alerts: budgets.notifyEmails, else monitoring.alarmEmails."""
        return list(self.budgets.notify_emails or self.monitoring.alarm_emails)


def _accelerated(name: str, find: Any) -> bool:
    try:
        return find(name).accelerator is not None
    except UnknownInstanceType:  # reported where the type is declared
        return False


def _with_scope(data: Any, context: Any) -> Any:
    """Add the environment and region (when valid) to the validation context, for the section rules."""
    if isinstance(context, dict) and "scope" in context:
        return context
    environment = region = None
    if isinstance(data, dict):
        environment = data.get("environment")
        region = data.get("region")
    scope = Scope(
        environment=environment if environment in ENVIRONMENTS else None,
        region=region if region in REGIONS else None,
    )
    return {**(context if isinstance(context, dict) else {}), "scope": scope}
