"""The program behind `tests.policies.builders.planned`: declares whatever its current builder declares."""

from tests.policies import builders

builders.run_current_builder()
