"""The README stays true: its test command is CI's, its diagram is the one the code draws."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text()


def bash_blocks() -> list[str]:
    return re.findall(r"```bash\n(.*?)```", README, flags=re.S)


def test_ci_runs_exactly_the_readme_test_command():
    ci_command = [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
                  if line and not line.startswith(("#", "set ", "cd "))]
    assert len(ci_command) == 1
    assert ci_command[0] in [block.strip() for block in bash_blocks()]


def test_readme_shows_the_main_job_and_the_test_command_first():
    first, second = (block.strip() for block in bash_blocks()[:2])
    assert first.endswith("mladmin plan prod") and "pip install" in first
    assert second.endswith("pytest") and "pip install" in second


def test_readme_architecture_diagram_is_current(prod_plan):
    from mladmin.graph import to_mermaid

    diagram = re.search(r"```mermaid\n(.*?)```", README, flags=re.S).group(1)
    assert diagram == to_mermaid(prod_plan, "components"), "regenerate: mladmin graph prod --detail components"


def test_readme_states_the_number_of_policies_the_pack_has():
    from policies.catalogue import catalogue

    stated = re.search(r"CrossGuard pack of (\d+) policies", README)
    assert stated and int(stated.group(1)) == len(catalogue())


def test_readme_capacity_example_is_what_the_command_prints():
    import shlex
    import subprocess
    import sys

    block = re.search(r"```text\n(\.venv/bin/mladmin capacity [^\n]*)\n(.*?)```", README, flags=re.S)
    command, shown = block.group(1), block.group(2)
    argv = [sys.executable, "-m", "mladmin.cli.main", *shlex.split(command)[1:]]
    printed = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert printed == shown
