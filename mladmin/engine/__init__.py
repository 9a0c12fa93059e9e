"""The offline engine: runs a Pulumi program under the mock runtime and returns its plan."""

from .errors import ConfigError, EngineError, ProgramError, UnknownStackError
from .plan import Plan, PlanResource
from .runner import plan_program, plan_stack, stacks_project

__all__ = ["ConfigError", "EngineError", "Plan", "PlanResource", "ProgramError", "UnknownStackError",
           "plan_program", "plan_stack", "stacks_project"]
