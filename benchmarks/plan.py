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


def timed_plan(stack: str, config_file: Path | None, repeat: int) -> tuple[float, int]:
    times, count = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        plan = plan_stack(stack, config_file=config_file)
        times.append(time.perf_counter() - start)
        count = len(plan.custom_resources)
    return statistics.median(times), count


def generated_config(base: dict, teams: int) -> dict:
    """prod's config with `teams` teams and as many GPU node groups."""
    config = copy.deepcopy(base)
    values = config["config"]
    template = (values.get("mladmin:teams") or [{"name": "team"}])[0]
    values["mladmin:teams"] = [dict(copy.deepcopy(template), name=f"team-{i:03d}") for i in range(teams)]
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
        seconds, count = timed_plan(stack, None, args.repeat)
        rows.append((stack, count, seconds))

    base = yaml.safe_load(stacks_project().stack_file("prod").read_text())
    generated = []
    with tempfile.TemporaryDirectory() as tmp:
        for teams in (1, 10, 100):
            path = Path(tmp) / f"Pulumi.gen{teams}.yaml"
            path.write_text(yaml.safe_dump(generated_config(base, teams)))
            seconds, count = timed_plan("prod", path, args.repeat)
            generated.append((f"prod + {teams} teams/node groups", count, seconds))

    baseline = generated[0][2] / generated[0][1]
    print(f"{'environment':<34}{'resources':>10}{'wall s':>9}{'ms/resource':>13}{'vs 1 team':>11}")
    for name, count, seconds in rows + generated:
        per = seconds / count
        ratio = f"{per / baseline:.2f}x" if (name, count, seconds) in generated else ""
        print(f"{name:<34}{count:>10}{seconds:>9.2f}{per * 1000:>13.2f}{ratio:>11}")
    prod_seconds = rows[2][2]
    print(f"\nprod plan: {prod_seconds:.2f} s (target < 3 s): {'ok' if prod_seconds < 3 else 'OVER TARGET'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
