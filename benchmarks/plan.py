"""Offline plan speed: wall time and time per resource for the shipped stacks and for generated
environments with 1, 10 and 100 teams and GPU node groups.

    .venv/bin/python benchmarks/plan.py [--repeat 3]

The cost must grow linearly with the number of resources: the last column compares each generated
environment's time per resource with the 1-team environment's, measured in the same run.
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
        for teams in (1, 10, 100):
            path = Path(tmp) / f"Pulumi.gen{teams}.yaml"
            path.write_text(yaml.safe_dump(generated_config(base, teams)))
            generated.append((f"prod + {teams} teams/node groups", *timed_plan("prod", path, args.repeat)))

    baseline = generated[0][2] / generated[0][3]
    print(f"{'environment':<34}{'resources':>10}{'wall s':>9}{'cpu s':>8}{'cpu ms/resource':>17}{'vs 1 team':>11}")
    for row in rows + generated:
        name, wall, cpu, count = row
        per = cpu / count
        ratio = f"{per / baseline:.2f}x" if row in generated else ""
        print(f"{name:<34}{count:>10}{wall:>9.2f}{cpu:>8.2f}{per * 1000:>17.2f}{ratio:>11}")
    prod_seconds = rows[2][1]
    print(f"\nprod plan: {prod_seconds:.2f} s (target < 3 s): {'ok' if prod_seconds < 3 else 'OVER TARGET'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
