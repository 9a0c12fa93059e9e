"""Policy-pack throughput: (policies x resources) evaluated per second.

Over the prod plan and over a generated plan of 10,000 resources (copies of prod's resources with
fresh names, ids and references, so joins stay realistic). Baseline measured in the same run: the
offline engine's time to plan prod. Run: `python benchmarks/policy.py`.
"""

from __future__ import annotations

import copy
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mladmin.engine import plan_stack  # noqa: E402
from policies.runner import evaluate  # noqa: E402

TARGET_RESOURCES = 10_000


def timed(fn, repeat: int = 3):
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def generated_plan(base, size: int):
    """`base`'s custom resources copied until the plan holds `size` resources, each copy renamed."""
    plan = copy.deepcopy(base)
    originals = [r for r in base.resources if r.custom]
    copy_index = 0
    while len(plan.resources) < size:
        copy_index += 1
        suffix = f"-g{copy_index}"
        renames = {r.id: f"{r.id}{suffix}" for r in originals if r.id}
        renames.update({r.urn: f"{r.urn}{suffix}" for r in originals})
        for original in originals:
            if len(plan.resources) >= size:
                break
            clone = copy.deepcopy(original)
            clone.urn, clone.name = f"{original.urn}{suffix}", f"{original.name}{suffix}"
            clone.id = renames.get(original.id, original.id)
            clone.inputs = _rename(clone.inputs, renames)
            clone.outputs = _rename(clone.outputs, renames)
            clone.dependencies = [renames.get(d, d) for d in clone.dependencies]
            plan.resources.append(clone)
    return plan


def _rename(value, renames):
    if isinstance(value, dict):
        return {k: _rename(v, renames) for k, v in value.items()}
    if isinstance(value, list):
        return [_rename(v, renames) for v in value]
    if isinstance(value, str):
        return renames.get(value, value)
    return value


def main() -> None:
    plan_seconds, prod = timed(lambda: plan_stack("prod"), repeat=1)
    rows = []
    for label, plan, repeat in (("prod", prod, 5), (f"generated {TARGET_RESOURCES:,}", generated_plan(prod, TARGET_RESOURCES), 1)):
        seconds, report = timed(lambda: evaluate(plan), repeat=repeat)
        pairs = report.policies_evaluated * report.resources_evaluated
        rows.append((label, report.resources_evaluated, report.policies_evaluated, seconds, pairs / seconds,
                     len(report.violations)))
    print(f"baseline: offline plan of prod ({len(prod.resources)} resources) {plan_seconds:.3f} s")
    print(f"{'plan':<18}{'resources':>10}{'policies':>10}{'eval s':>9}{'pairs/s':>12}{'vs plan':>9}{'findings':>10}")
    for label, resources, policies, seconds, rate, findings in rows:
        print(f"{label:<18}{resources:>10,}{policies:>10}{seconds:>9.3f}{rate:>12,.0f}{seconds / plan_seconds:>8.2f}x{findings:>10}")
    per_resource = [seconds / resources * 1e6 for _, resources, _, seconds, _, _ in rows]
    print(f"time per resource: prod {per_resource[0]:.0f} us, generated {per_resource[1]:.0f} us "
          f"(ratio {per_resource[1] / per_resource[0]:.2f}; 1.0 = linear)")


if __name__ == "__main__":
    main()
