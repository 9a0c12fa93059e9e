"""The body of an environment's CloudWatch dashboard: latency, throughput, errors, GPU utilisation, spend.

A dashboard body is JSON (CloudWatch "Dashboard Body Structure and Syntax"): ``widgets``, each with a
type, a position on the 24-column grid and properties. A metric widget's ``metrics`` is a list of
arrays ``[namespace, metric name, dimension name, dimension value, ..., {rendering options}]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from components.alarms import (
    CONTAINER_INSIGHTS_NAMESPACE,
    DRIFT_DIMENSION,
    DRIFT_METRIC,
    DRIFT_NAMESPACE,
    FAILED_NODES_METRIC,
    GPU_UTILIZATION_METRIC,
    SAGEMAKER_NAMESPACE,
    EndpointWatch,
)

WIDTH, HEIGHT = 12, 6  # two widgets per row
# Billing metrics exist only in us-east-1, for the whole account (enable "Receive Billing Alerts").
BILLING_REGION = "us-east-1"


def _widget(title: str, region: str, metrics: list[list[Any]], **options: Any) -> dict[str, Any]:
    return {"type": "metric", "properties": {
        "title": title, "region": region, "metrics": metrics, "view": "timeSeries", "period": 300, **options}}


def _endpoint_metrics(endpoints: Sequence[EndpointWatch], metric: str, stat: str,
                      namespace: str = SAGEMAKER_NAMESPACE) -> list[list[Any]]:
    return [[namespace, metric, "EndpointName", e.name, "VariantName", e.variant,
             {"stat": stat, "label": f"{e.name} {metric} {stat}"}] for e in endpoints]


def dashboard_body(
    *,
    region: str,
    endpoints: Sequence[EndpointWatch],
    cluster_name: str | None,
    budget_name: str | None,
) -> dict[str, Any]:
    """Widgets for what the environment has: endpoints, a Container Insights cluster, a budget."""
    widgets: list[dict[str, Any]] = []
    if endpoints:
        widgets += [
            _widget("Model latency p99 (µs)", region, _endpoint_metrics(endpoints, "ModelLatency", "p99")),
            _widget("Throughput (invocations / 5 min)", region, _endpoint_metrics(endpoints, "Invocations", "Sum")),
            _widget("Errors (4xx and 5xx / 5 min)", region,
                    _endpoint_metrics(endpoints, "Invocation5XXErrors", "Sum")
                    + _endpoint_metrics(endpoints, "Invocation4XXErrors", "Sum")),
            _widget("Prompt drift (largest PSI)", region,
                    [[DRIFT_NAMESPACE, DRIFT_METRIC, DRIFT_DIMENSION, e.name, {"stat": "Maximum"}] for e in endpoints],
                    period=3600),
            # Endpoint instance metrics live in their own namespace.
            _widget("Endpoint GPU utilisation (%)", region,
                    _endpoint_metrics(endpoints, "GPUUtilization", "Average", "/aws/sagemaker/Endpoints")),
        ]
    if cluster_name:
        widgets += [
            _widget("Cluster GPU utilisation (%)", region, [
                [CONTAINER_INSIGHTS_NAMESPACE, GPU_UTILIZATION_METRIC, "ClusterName", cluster_name, {"stat": "Average"}],
                [CONTAINER_INSIGHTS_NAMESPACE, GPU_UTILIZATION_METRIC, "ClusterName", cluster_name, {"stat": "Maximum"}],
            ]),
            _widget("Nodes not ready", region, [
                [CONTAINER_INSIGHTS_NAMESPACE, FAILED_NODES_METRIC, "ClusterName", cluster_name, {"stat": "Maximum"}],
            ]),
        ]
    widgets.append(_widget("Spend: estimated charges this month (USD, whole account)", BILLING_REGION, [
        ["AWS/Billing", "EstimatedCharges", "Currency", "USD", {"stat": "Maximum"}]], period=21600))
    if budget_name:
        widgets.append({"type": "text", "properties": {"markdown": (
            f"**Budget** `{budget_name}`: actual and forecast spend of this environment (its `environment` "
            "cost-allocation tag) in AWS Budgets.")}})
    for index, widget in enumerate(widgets):
        widget.update({"x": (index % 2) * WIDTH, "y": (index // 2) * HEIGHT, "width": WIDTH, "height": HEIGHT})
    return {"widgets": widgets}
