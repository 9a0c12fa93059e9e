"""Evaluate a causal LM: perplexity, zero-shot classification with cross-validation, a
counterfactual bias probe and a release gate, written up as a JSON and a Markdown report.

Entry point: `workloads.evaluate.run.evaluate(EvalSettings(...))`; the report schema is
`report.schema.json` next to this file (documented in README.md).
"""

from workloads.evaluate.errors import EvalInputError

__all__ = ["EvalInputError"]
