"""The catalogue: every policy of the pack, in a stable order, with its metadata."""

from __future__ import annotations

from functools import lru_cache

from policies.spec import REGISTRY, PolicySpec

# Importing an area module registers its policies; this order is the catalogue's order.
AREAS = ("storage", "encryption", "resource_policies", "network", "eks", "iam", "sagemaker", "sagemaker_endpoints", "gpu",
         "observability", "kubernetes", "rds", "elb", "ecs", "serverless", "data_services", "analytics",
         "exemptions")


@lru_cache(maxsize=1)
def catalogue() -> dict[str, PolicySpec]:
    import importlib

    for area in AREAS:
        importlib.import_module(f"policies.{area}")
    order = {area: i for i, area in enumerate(AREAS)}
    module_of = {spec.id: spec.check.__module__.rsplit(".", 1)[-1] for spec in REGISTRY.values()}
    specs = sorted(REGISTRY.values(), key=lambda s: (order[module_of[s.id]], list(REGISTRY).index(s.id)))
    return {spec.id: spec for spec in specs}


def get(policy_id: str) -> PolicySpec:
    return catalogue()[policy_id]
