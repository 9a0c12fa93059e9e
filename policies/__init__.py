"""mladmin's policy pack: CrossGuard policies for the ML platform, also runnable offline.

- `policies.catalogue.catalogue()` — every policy's metadata and check (importable, testable alone).
- `policies.pack.build_policies()` — the pulumi_policy objects the pack serves (entry point: __main__.py).
- `policies.runner.evaluate(plan)` — the same policies over an offline plan, as a `Report`.
"""
