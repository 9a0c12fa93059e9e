"""`mladmin capacity` as a user runs it: wall time of the README's example against the CLI's own start-up.

The issue's target is a ranked table in under a second. Baseline measured in the same run: `mladmin --help`,
the same interpreter, imports and typer start-up with no estimate; the ratio says what the estimate adds.
In-process, the estimate alone (every default candidate) is timed too. Run: `python benchmarks/capacity.py`.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mladmin.capacity.estimate import Request, estimate  # noqa: E402
from policies.facts.models import CATALOGUE  # noqa: E402

EXAMPLE = ["capacity", "llama-3.1-70b", "--context", "8192", "--concurrency", "32"]
TARGET_SECONDS = 1.0


def best_of(fn, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def cli(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "mladmin.cli.main", *args], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main() -> None:
    baseline = best_of(lambda: cli("--help"))
    example = best_of(lambda: cli(*EXAMPLE))
    model, request = CATALOGUE["llama-3.1-70b"], Request(context=8192, concurrency=32)
    rows = estimate(model, request)
    in_process = best_of(lambda: estimate(model, request), repeat=50)
    print(f"mladmin --help (baseline):             {baseline:.3f} s")
    print(f"mladmin {' '.join(EXAMPLE)}: {example:.3f} s = {example / baseline:.2f}x the baseline "
          f"(target < {TARGET_SECONDS:.0f} s: {'met' if example < TARGET_SECONDS else 'MISSED'})")
    print(f"estimate alone, {len(rows)} candidate types in process: {in_process * 1e3:.2f} ms "
          f"({in_process / baseline:.4f}x the baseline)")


if __name__ == "__main__":
    main()
