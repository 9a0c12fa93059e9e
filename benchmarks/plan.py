"""Offline plan speed: wall time and time per resource for the shipped stacks and for generated
environments with 1, 10, 100 and 200 teams and GPU node groups.

    .venv/bin/python benchmarks/plan.py [--repeat 3]

The cost must grow linearly with the number of resources. Resources differ in weight (a team's role
carries a policy document of a dozen outputs; a route carries two ids), so the check is the marginal
cost: the CPU time each added resource costs from one generated size to the next, which stays flat
when growth is linear (the last column compares each step with the first, in the same run).
Target: prod under 3 s on 2 cores.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

from mladmin.engine import plan_stack, stacks_project


def timed_plan(stack: str, config_file: Path | None, repeat: int) -> tuple[float, float, int]:
    """Median wall and CPU seconds (CPU time is steadier when the machine is shared)."""
    walls, cpus, count = [], [], 0
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        plan = plan_stack(stack, config_file=config_file)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        count = len(plan.custom_resources)
    return statistics.median(walls), statistics.median(cpus), count


def generated_config(base: dict, teams: int) -> dict:
    """prod's config with `teams` teams and as many GPU node groups."""
    config = copy.deepcopy(base)
    values = config["config"]
    template = (values.get("mladmin:teams") or [{"name": "team"}])[0]
    team = {k: v for k, v in template.items() if k != "monthlyBudgetUsd"} | {"gpuQuota": 1}
    values["mladmin:teams"] = [dict(copy.deepcopy(team), name=f"team-{i:03d}") for i in range(teams)]
    cluster = values.get("mladmin:cluster")
    if isinstance(cluster, dict) and cluster.get("nodeGroups"):
        group = cluster["nodeGroups"][-1]
        cluster["nodeGroups"] = [dict(copy.deepcopy(group), name=f"gpu-{i:03d}") for i in range(teams)]
    # Workloads and training jobs name the shipped teams and pools, which the generated ones replace.
    values.pop("mladmin:workloads", None)
    if isinstance(values.get("mladmin:sagemaker"), dict):
        values["mladmin:sagemaker"].pop("trainingJobs", None)
    # Room for every generated pool at maxSize: the GPU budget is not what this measures.
    policy = values.setdefault("mladmin:policy", {}) or {}
    values["mladmin:policy"] = policy
    policy.setdefault("parameters", {})["gpu-budget"] = {"maxGpus": 1_000_000}
    return config


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per row; the median is reported")
    args = parser.parse_args()

    plan_stack("dev")  # warm imports so the first row is not charged for them
    rows = []
    for stack in ("dev", "staging", "prod"):
        rows.append((stack, *timed_plan(stack, None, args.repeat)))

    base = yaml.safe_load(stacks_project().stack_file("prod").read_text())
    generated = []
    with tempfile.TemporaryDirectory() as tmp:
        for teams in (1, 10, 100, 200):
            path = Path(tmp) / f"Pulumi.gen{teams}.yaml"
            path.write_text(yaml.safe_dump(generated_config(base, teams)))
            generated.append((f"prod + {teams} teams/node groups", *timed_plan("prod", path, args.repeat)))

    print(f"{'environment':<34}{'resources':>10}{'wall s':>9}{'cpu s':>8}{'cpu ms/resource':>17}")
    for name, wall, cpu, count in rows + generated:
        print(f"{name:<34}{count:>10}{wall:>9.2f}{cpu:>8.2f}{cpu / count * 1000:>17.2f}")

    # Linear growth means each added resource costs the same: compare the marginal cost per added
    # resource of each step with the first step's.
    print(f"\n{'step':<34}{'added':>10}{'cpu ms/added resource':>23}{'vs first step':>15}")
    first = None
    for (a_name, _, a_cpu, a_count), (b_name, _, b_cpu, b_count) in zip(generated, generated[1:]):
        marginal = (b_cpu - a_cpu) / (b_count - a_count) * 1000
        first = first or marginal
        step = f"{a_name.split(' + ')[1].split(' ')[0]} -> {b_name.split(' + ')[1].split(' ')[0]} teams"
        print(f"{step:<34}{b_count - a_count:>10}{marginal:>23.2f}{marginal / first:>14.2f}x")
    prod_seconds = rows[2][1]
    print(f"\nprod plan: {prod_seconds:.2f} s (target < 3 s): {'ok' if prod_seconds < 3 else 'OVER TARGET'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
