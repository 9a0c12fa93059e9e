"""`mladmin diff`: a stack planned at a git ref and in the working tree, compared for a reviewer."""

from __future__ import annotations

from pathlib import Path

from mladmin.engine import ConfigError, Plan

from .base import BaseRefError, finish_base_plans, repository_of, start_base_plans, worktree
from .compare import StackDiff, compare

__all__ = ["BaseRefError", "StackDiff", "compare", "diff_stacks", "stack_names"]


def stack_names(program: Path | None) -> list[str]:
    """Every stack with a config file: the shipped ones, or a program's."""
    from mladmin.engine.project import load_project
    from mladmin.engine.runner import stacks_project

    project = load_project(Path(program)) if program is not None else stacks_project()
    return project.stacks()


def diff_stacks(stacks: list[str], base_ref: str, *, program: Path | None = None, config: Path | None = None,
                preview: bool = True) -> list[StackDiff]:
    """Plan ``stacks`` at ``base_ref`` (in a subprocess, concurrently) and here, and compare them."""
    from mladmin.engine import plan_program, plan_stack
    from mladmin.engine.runner import stacks_project

    project_dir = Path(program).resolve() if program is not None else stacks_project().root
    repo = repository_of(project_dir)
    with worktree(repo, base_ref) as checkout:
        base_project = checkout / project_dir.relative_to(repo)
        config_dir = (project_dir if program is not None else stacks_project().config_dir).resolve()
        base_configs: dict[str, Path | None] = {}
        for stack in stacks:
            if config is not None:
                if not Path(config).resolve().is_relative_to(repo):
                    raise ConfigError([f"--config {config}: not inside the repository {repo} (the base ref's copy "
                                       "of the file is compared: give a config file the repository tracks)"])
                candidate = checkout / Path(config).resolve().relative_to(repo)
            else:
                candidate = checkout / config_dir.relative_to(repo) / f"Pulumi.{stack}.yaml"
            exists = candidate.is_file() and (program is None or (base_project / "Pulumi.yaml").is_file())
            base_configs[stack] = candidate if exists else None
        process = start_base_plans(checkout, base_configs, program=base_project if program else None, preview=preview)
        try:
            heads: dict[str, Plan] = {}
            for stack in stacks:
                heads[stack] = (plan_program(program, stack=stack, config_file=config, preview=preview)
                                if program is not None else plan_stack(stack, config_file=config, preview=preview))
        except BaseException:
            process.kill()
            process.communicate()
            raise
        bases = finish_base_plans(process, base_ref)
    return [_stack_diff(stack, bases.get(stack), heads[stack]) for stack in stacks]


def _stack_diff(stack: str, base, head: Plan) -> StackDiff:
    from mladmin.cost import PricingError, cost_inputs, estimate
    from stacks.settings import SettingsError

    diff = compare(stack, base.plan if base is not None else None, head)
    if base is not None and base.plan.preview != head.preview:
        diff.notes.append("the base ref's engine planned in another mode (it predates preview mode)")
    head_findings = _findings(head)
    if head_findings is None or (base is not None and base.findings is None):
        diff.notes.append("policy findings not compared: the policy pack could not run on one side")
    else:
        before = set(base.findings) if base is not None else set()
        diff.findings_new = sorted(set(head_findings) - before)
        diff.findings_fixed = sorted(before - set(head_findings))
    for side, plan in (("before", base.plan if base is not None else None), ("after", head)):
        if plan is None:
            value = 0.0
        else:
            try:
                value = estimate(plan, cost_inputs(plan).assumptions).monthly_min
            except (PricingError, SettingsError) as error:
                diff.notes.append(f"cost {side} not estimated: {str(error).splitlines()[0]}")
                value = None
        setattr(diff, f"cost_{side}", value)
    return diff


def _findings(plan: Plan) -> list[str] | None:
    try:
        from policies.runner import evaluate

        return [f"{v.enforcement} {v.policy}: {v.resource_name}: {v.message}" for v in evaluate(plan).violations]
    except Exception:  # a pack that cannot run is reported as a note, not a crash
        return None
