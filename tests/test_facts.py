"""One home per fact: what the stack settings accept and what the policy pack accepts never disagree.

Each test asks both sides the same question through their public behaviour (settings loaded from the
shipped stack files, policies run by the offline runner), so a fact copied into either side and then
changed on one of them fails here. The last test keeps the copies from coming back.
"""

from __future__ import annotations

import ast
import copy
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

from policies.facts.eks import EKS_ADDON_VERSIONS
from policies.gpu import accelerators_of, is_accelerated
from policies.runner import evaluate
from stacks.settings import SettingsError, load_settings
from stacks.settings.cluster import NodeGroupSettings
from stacks.settings.instance_types import FAMILIES
from tests.policies.builders import plan, res

ROOT = Path(__file__).resolve().parents[1]
ENVIRONMENTS = ("dev", "staging", "prod")
EKS_CLUSTER = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ENDPOINT_CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
EKS_LOG_TYPE_NAMES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
CLOUDWATCH_PERIODS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731)

ACCELERATED_TYPES = [f"{family.name}.{size}" for family in FAMILIES.values() if family.accelerator
                     for size in family.sizes]


def settings_problems(stack: str, edit: Callable[[dict], None]) -> list[str]:
    """The problems of the shipped ``stack`` config after ``edit(config)``; [] when it loads."""
    config = copy.deepcopy(yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"])
    edit(config)
    try:
        load_settings(config, source=f"stacks/Pulumi.{stack}.yaml", stack=stack)
    except SettingsError as error:
        return error.problems
    return []


def settings_accept(stack: str, key: str, edit: Callable[[dict], None]) -> bool:
    """Whether the settings accept the edit, judged by the problems that name ``key``."""
    return not [line for line in settings_problems(stack, edit) if f": {key}" in line]


def policy_findings(policy_id: str, *resources: Any, environment: str) -> list[str]:
    report = evaluate(plan(*resources, environment=environment))
    return [v.message for v in report.violations if v.policy == policy_id]


# --- accelerators per instance type -------------------------------------------------------------------


def test_gpu_policies_count_every_instance_type_the_settings_accept_as_the_settings_do():
    wrong = []
    for family in FAMILIES.values():
        for size, count in family.sizes.items():
            name = f"{family.name}.{size}"
            if accelerators_of(name) != count or accelerators_of(f"ml.{name}") != count \
                    or is_accelerated(name) != (family.accelerator is not None):
                wrong.append(f"{name}: settings {count}, policies {accelerators_of(name)}")
    assert wrong == []


def test_gpu_budget_counts_the_gpus_of_every_accelerated_type_the_settings_accept():
    groups = [res(NODE_GROUP, name.replace(".", "-"), instanceTypes=[name], scalingConfig={"maxSize": 1.0})
              for name in ACCELERATED_TYPES]
    expected = sum(FAMILIES[name.split(".")[0]].sizes[name.split(".")[1]] for name in ACCELERATED_TYPES)
    findings = policy_findings("gpu-budget", *groups, environment="dev")
    assert not [f for f in findings if "GPU count unknown" in f]
    assert any(f.startswith(f"{expected} GPUs at full scale-out") for f in findings), findings


# --- Kubernetes versions ------------------------------------------------------------------------------

CANDIDATE_VERSIONS = [f"1.{minor}" for minor in range(24, 41)]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_settings_accept_exactly_the_kubernetes_versions_the_eks_policy_accepts(environment):
    def pin(version):
        return lambda config: config["mladmin:cluster"].update(kubernetesVersion=version)

    by_settings = {v for v in CANDIDATE_VERSIONS
                   if settings_accept(environment, "mladmin:cluster.kubernetesVersion", pin(v))}
    by_policy = {v for v in CANDIDATE_VERSIONS
                 if not policy_findings("eks-supported-version", res(EKS_CLUSTER, "c", version=v),
                                        environment=environment)}
    # The settings also need the version's pinned add-ons (EKS_ADDON_VERSIONS): never looser than the policy.
    assert by_settings == by_policy & set(EKS_ADDON_VERSIONS)
    assert by_settings, "no version accepted at all"


def test_a_version_past_the_end_of_eks_extended_support_is_refused_by_both():
    # 1.31: EKS extended support ended 2026-11-26.
    assert not settings_accept("dev", "mladmin:cluster.kubernetesVersion",
                               lambda config: config["mladmin:cluster"].update(kubernetesVersion="1.31"))
    assert policy_findings("eks-supported-version", res(EKS_CLUSTER, "c", version="1.31"), environment="dev")


# --- log retention ------------------------------------------------------------------------------------

RETENTION_KEYS = {
    "mladmin:monitoring.logRetentionDays": ("mladmin:monitoring", "logRetentionDays"),
    "mladmin:network.flowLogRetentionDays": ("mladmin:network", "flowLogRetentionDays"),
    "mladmin:storage.accessLogRetentionDays": ("mladmin:storage", "accessLogRetentionDays"),
}


def _shortest_accepted(accepts: Callable[[int], bool]) -> int | None:
    return next((days for days in CLOUDWATCH_PERIODS if accepts(days)), None)


@pytest.mark.parametrize("key", RETENTION_KEYS)
@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_log_retention_minimum_of_the_settings_is_the_policys_for_the_environment(environment, key):
    section, field = RETENTION_KEYS[key]

    def keep(days):
        return lambda config: config.setdefault(section, {}).update({field: days})

    by_settings = _shortest_accepted(lambda days: settings_accept(environment, key, keep(days)))
    by_policy = _shortest_accepted(lambda days: not policy_findings(
        "log-group-retention", res(LOG_GROUP, "logs", retentionInDays=float(days)), environment=environment))
    assert by_settings == by_policy


# --- EKS control-plane logs ---------------------------------------------------------------------------

LOG_TYPE_SETS = [[t for i, t in enumerate(sorted(EKS_LOG_TYPE_NAMES)) if mask >> i & 1] for mask in range(32)]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_settings_accept_exactly_the_control_plane_log_types_the_logging_policy_accepts(environment):
    def enable(types):
        return lambda config: config["mladmin:cluster"].update(enabledLogTypes=types)

    by_settings = {tuple(types) for types in LOG_TYPE_SETS
                   if settings_accept(environment, "mladmin:cluster.enabledLogTypes", enable(types))}
    by_policy = {tuple(types) for types in LOG_TYPE_SETS
                 if not policy_findings("eks-control-plane-logging", res(EKS_CLUSTER, "c", enabledClusterLogTypes=types),
                                        environment=environment)}
    assert by_settings == by_policy


# --- GPU instance-type allowlists ---------------------------------------------------------------------


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_settings_accept_exactly_the_gpu_node_types_the_allowlist_policy_allows(environment):
    def pool(name):
        def edit(config):
            config["mladmin:cluster"]["nodeGroups"] = [
                {"name": "gpu", "instanceTypes": [name], "gpu": True, "minSize": 0, "maxSize": 1}]
            config["mladmin:teams"] = []
            config.pop("mladmin:workloads", None)  # they name the teams and pools removed here
        return edit

    by_settings = {t for t in ACCELERATED_TYPES
                   if settings_accept(environment, "mladmin:cluster.nodeGroups[0].instanceTypes", pool(t))}
    by_policy = {t for t in ACCELERATED_TYPES
                 if not policy_findings("gpu-instance-type-allowlist", res(NODE_GROUP, "gpu", instanceTypes=[t]),
                                        environment=environment)}
    assert by_settings == by_policy


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_settings_accept_exactly_the_sagemaker_gpu_types_the_allowlist_policy_allows(environment):
    def allow(name):
        return lambda config: config["mladmin:sagemaker"].update(allowedInstanceTypes=[name], endpoints=[], retraining=[])

    candidates = [f"ml.{t}" for t in ACCELERATED_TYPES]
    by_settings = {t for t in candidates
                   if settings_accept(environment, "mladmin:sagemaker.allowedInstanceTypes", allow(t))}
    by_policy = {t for t in candidates
                 if not policy_findings("gpu-instance-type-allowlist",
                                        res(ENDPOINT_CONFIG, "ep", productionVariants=[
                                            {"variantName": "primary", "instanceType": t}]),
                                        environment=environment)}
    assert by_settings == by_policy


# --- GPU budget ---------------------------------------------------------------------------------------


def _largest_accepted(accepts: Callable[[int], bool], low: int = 0, high: int = 1024) -> int:
    """The largest n in [low, high] that ``accepts`` (which holds up to some n and fails beyond it)."""
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if accepts(middle) else (low, middle - 1)
    return low


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_settings_allow_as_many_gpus_at_full_scale_out_as_the_budget_policy(environment):
    instance_type = "g5.xlarge"  # allowed everywhere, one GPU a node

    def pool(size):
        def edit(config):
            config["mladmin:cluster"]["nodeGroups"] = [
                {"name": "gpu", "instanceTypes": [instance_type], "minSize": 0, "maxSize": size}]
            config["mladmin:sagemaker"]["endpoints"] = []
            config["mladmin:sagemaker"]["retraining"] = []
            config["mladmin:sagemaker"]["trainingJobs"] = []  # they name teams
            config["mladmin:teams"] = []
            config.pop("mladmin:workloads", None)
        return edit

    by_settings = _largest_accepted(lambda size: not settings_problems(environment, pool(size)))
    by_policy = _largest_accepted(lambda size: not policy_findings(
        "gpu-budget", res(NODE_GROUP, "gpu", instanceTypes=[instance_type], scalingConfig={"maxSize": float(size)}),
        environment=environment))
    assert by_settings == by_policy


# --- accelerator taints -------------------------------------------------------------------------------


@pytest.mark.parametrize("instance_type", ["g5.2xlarge", "trn1.32xlarge", "inf2.xlarge"])
def test_the_taint_settings_give_an_accelerator_pool_satisfies_the_taint_policy(instance_type):
    group = NodeGroupSettings.model_validate({"name": "acc", "instanceTypes": [instance_type]})
    taints = [{"key": t.key, "value": t.value, "effect": t.effect} for t in group.taints]
    findings = policy_findings("eks-gpu-nodes-tainted", res(NODE_GROUP, "acc", instanceTypes=[instance_type],
                                                            taints=taints), environment="prod")
    assert findings == []


# --- no second copy -----------------------------------------------------------------------------------

FACTS_HOME = ROOT / "policies" / "facts"
SCANNED = ("stacks", "components", "policies", "mladmin")
INSTANCE_TYPE = re.compile(r"^(ml\.)?(?P<family>[a-z][a-z0-9-]*)\.[a-z0-9-]+$")
KUBERNETES_VERSION = re.compile(r"^1\.[2-4][0-9]$")


def _fact_kinds(strings: list[str]) -> set[str]:
    """Which facts a literal collection of strings tabulates (two or more values of one kind)."""
    kinds = set()
    if sum(1 for s in strings if (m := INSTANCE_TYPE.match(s)) and m["family"] in FAMILIES) >= 2:
        kinds.add("instance types")
    if sum(1 for s in strings if s in FAMILIES) >= 3:
        kinds.add("instance families")
    if sum(1 for s in strings if KUBERNETES_VERSION.match(s)) >= 2:
        kinds.add("Kubernetes versions")
    if sum(1 for s in strings if s in EKS_LOG_TYPE_NAMES) >= 2:
        kinds.add("EKS log types")
    if set(strings) == set(ENVIRONMENTS):  # a list of the environments themselves
        kinds.add("environments")
    return kinds


def _literal_tables(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            items = node.elts
        elif isinstance(node, ast.Dict):
            items = [k for k in node.keys if k is not None]
            # retention minima: {"min_retention_days": 90} or MIN_..._RETENTION = 365
            for key, value in zip(node.keys, node.values):
                if (isinstance(key, ast.Constant) and "retention" in str(key.value).lower()
                        and isinstance(value, ast.Constant) and isinstance(value.value, int)):
                    found.append((node.lineno, "a log retention minimum"))
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) \
                and isinstance(node.value.value, int) and not isinstance(node.value.value, bool):
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            if any("RETENTION" in n and "MIN" in n for n in names):
                found.append((node.lineno, "a log retention minimum"))
            continue
        else:
            continue
        strings = [e.value for e in items if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        # a {"dev": ..., "staging": ..., "prod": ...} dict keyed by environment is a per-environment table,
        # not a list of the environments
        kinds = _fact_kinds(strings) - ({"environments"} if isinstance(node, ast.Dict) else set())
        found += [(node.lineno, kind) for kind in sorted(kinds)]
    return found


def test_no_module_outside_policies_facts_tabulates_a_shared_fact():
    copies = []
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if FACTS_HOME in path.parents:
                continue
            for line, kind in _literal_tables(ast.parse(path.read_text(encoding="utf-8"))):
                copies.append(f"{path.relative_to(ROOT)}:{line}: a literal table of {kind}")
    assert copies == [], "facts belong in policies/facts:\n" + "\n".join(copies)


def test_the_copy_check_finds_a_table_of_facts():
    source = 'SUPPORTED = ["1.32", "1.33"]\nGPUS = {"g5.xlarge": 1, "g6.xlarge": 1}\nMIN_RETENTION_DAYS = 90\n'
    assert {kind for _, kind in _literal_tables(ast.parse(source))} == {
        "Kubernetes versions", "instance types", "a log retention minimum"}


# --- the pack stays publishable alone -----------------------------------------------------------------


def test_the_facts_modules_import_only_the_standard_library():
    allowed = {"__future__", "dataclasses", "datetime", "types", "typing", "policies"}
    imported = set()
    for path in FACTS_HOME.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                imported.add((node.module or "").split(".")[0])
    assert imported <= allowed


def test_the_policy_pack_loads_from_a_copy_of_policies_alone(tmp_path):
    shutil.copytree(ROOT / "policies", tmp_path / "policies", ignore=shutil.ignore_patterns("__pycache__"))
    probe = (
        "import sys, policies.catalogue, policies.pack\n"
        "policies.catalogue.catalogue()\n"
        "outside = sorted(name for name, module in sys.modules.items()\n"
        "                 if name.split('.')[0] in ('stacks', 'components', 'mladmin')\n"
        "                 or (name.split('.')[0] == 'policies' and not str(getattr(module, '__file__', '') or '')"
        ".startswith(sys.argv[1])))\n"
        "print(outside)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe, str(tmp_path)], cwd=tmp_path, capture_output=True,
                            text=True, env={**os.environ, "PYTHONPATH": str(tmp_path)}, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
