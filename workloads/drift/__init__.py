"""Input drift: compare a window of logged requests with the training reference.

PSI on the prompt-length distribution (quantile bins from the reference) and on the token-frequency
distribution (the reference's top-K tokens plus an "other" bucket), and the rate of tokens the
reference never contained. A JSON report, an exit code, and optionally CloudWatch metrics for the
drift alarm. Entry points: `workloads.drift.run.check_drift` and `workloads.drift.run.make_profile`.
"""

from workloads.drift.errors import DriftInputError

__all__ = ["DriftInputError"]
