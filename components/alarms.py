"""The platform's CloudWatch alarms as data: what each watches and when it fires.

Metric names are the services' own: SageMaker endpoint metrics in ``AWS/SageMaker`` (dimensions
EndpointName and VariantName; ModelLatency in microseconds), the NVIDIA GPU and node metrics that the
``amazon-cloudwatch-observability`` EKS add-on (Container Insights with enhanced observability)
publishes in ``ContainerInsights`` (``node_gpu_utilization`` is the DCGM exporter's
DCGM_FI_DEV_GPU_UTIL as the add-on reports it; ``cluster_failed_node_count`` counts nodes whose
Ready condition is not true), and the drift metric ``mladmin drift --publish-cloudwatch`` sends.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SAGEMAKER_NAMESPACE = "AWS/SageMaker"
CONTAINER_INSIGHTS_NAMESPACE = "ContainerInsights"
GPU_UTILIZATION_METRIC = "node_gpu_utilization"
FAILED_NODES_METRIC = "cluster_failed_node_count"
# What workloads/drift/cloudwatch.py publishes (its headline datum carries EndpointName alone).
DRIFT_NAMESPACE = "mladmin/Drift"
DRIFT_METRIC = "PromptDrift"
DRIFT_DIMENSION = "EndpointName"


@dataclass(frozen=True)
class EndpointWatch:
    """One SageMaker endpoint to watch: its physical name and its production variant."""

    name: str          # the endpoint's name in SageMaker, <prefix>-<endpoint>
    variant: str = "primary"


@dataclass(frozen=True)
class Thresholds:
    """When alarms fire (the defaults are mladmin:monitoring.alarms' defaults)."""

    error_rate_percent: float = 1.0
    latency_p99_ms: float = 2000.0
    no_invocations_minutes: int = 60
    gpu_idle_percent: float = 10.0
    gpu_idle_hours: int = 3
    gpu_saturated_percent: float = 95.0
    drift_threshold: float = 0.2


@dataclass(frozen=True)
class AlarmSpec:
    """One alarm: its physical name and the MetricAlarm inputs that say what it watches."""

    name: str
    description: str
    inputs: dict[str, Any] = field(default_factory=dict)


def endpoint_alarms(endpoint: EndpointWatch, limits: Thresholds) -> list[AlarmSpec]:
    """5xx rate, p99 model latency and no traffic, on one endpoint's variant."""
    dims = {"EndpointName": endpoint.name, "VariantName": endpoint.variant}

    def query(query_id: str, metric: str) -> dict[str, Any]:
        return {"id": query_id, "return_data": False, "metric": {
            "namespace": SAGEMAKER_NAMESPACE, "metric_name": metric, "dimensions": dims, "period": 300, "stat": "Sum"}}

    return [
        AlarmSpec(
            f"{endpoint.name}-5xx-rate",
            f"{endpoint.name}: more than {limits.error_rate_percent:g}% of invocations failed with 5xx in 5 minutes",
            {
                "comparison_operator": "GreaterThanThreshold",
                "threshold": limits.error_rate_percent,
                "evaluation_periods": 1,
                "treat_missing_data": "notBreaching",
                "metric_queries": [
                    query("errors", "Invocation5XXErrors"),
                    query("invocations", "Invocations"),
                    {"id": "rate", "label": "5xx rate (%)", "return_data": True,
                     "expression": "IF(invocations > 0, 100 * errors / invocations, 0)"},
                ],
            },
        ),
        AlarmSpec(
            f"{endpoint.name}-latency-p99",
            f"{endpoint.name}: p99 model latency above {limits.latency_p99_ms:g} ms for 15 minutes",
            {
                "namespace": SAGEMAKER_NAMESPACE, "metric_name": "ModelLatency", "dimensions": dims,
                "extended_statistic": "p99", "period": 300, "evaluation_periods": 3, "datapoints_to_alarm": 3,
                "threshold": limits.latency_p99_ms * 1000,  # ModelLatency is in microseconds
                "comparison_operator": "GreaterThanThreshold", "treat_missing_data": "notBreaching",
            },
        ),
        AlarmSpec(
            f"{endpoint.name}-no-invocations",
            f"{endpoint.name}: no invocations for {limits.no_invocations_minutes} minutes",
            {
                "namespace": SAGEMAKER_NAMESPACE, "metric_name": "Invocations", "dimensions": dims,
                "statistic": "Sum", "period": 300, "evaluation_periods": limits.no_invocations_minutes // 5,
                "threshold": 1, "comparison_operator": "LessThanThreshold",
                # An endpoint nobody calls publishes no datapoint at all: missing data is the symptom.
                "treat_missing_data": "breaching",
            },
        ),
    ]


def drift_alarm(endpoint: EndpointWatch, limits: Thresholds) -> AlarmSpec:
    """Input drift on one endpoint, named ``<endpoint>-drift``: the retraining pipeline listens for it."""
    return AlarmSpec(
        drift_alarm_name(endpoint.name),
        f"{endpoint.name}: prompt distribution drifted (PSI above {limits.drift_threshold:g}); retraining listens "
        "for this alarm",
        {
            "namespace": DRIFT_NAMESPACE, "metric_name": DRIFT_METRIC,
            "dimensions": {DRIFT_DIMENSION: endpoint.name},
            "statistic": "Maximum", "period": 3600, "evaluation_periods": 1,
            "threshold": limits.drift_threshold, "comparison_operator": "GreaterThanThreshold",
            # The drift job runs on a schedule: no datapoint between runs is not drift.
            "treat_missing_data": "notBreaching",
        },
    )


def drift_alarm_name(endpoint_name: str) -> str:
    return f"{endpoint_name}-drift"


def cluster_alarms(cluster_name: str, limits: Thresholds, *, gpu: bool) -> list[AlarmSpec]:
    """Nodes not ready, and (with GPU pools) GPUs idle for hours or saturated, from Container Insights."""
    dims = {"ClusterName": cluster_name}
    alarms = [
        AlarmSpec(
            f"{cluster_name}-nodes-not-ready",
            f"{cluster_name}: a node has not been Ready for 10 minutes",
            {
                "namespace": CONTAINER_INSIGHTS_NAMESPACE, "metric_name": FAILED_NODES_METRIC, "dimensions": dims,
                "statistic": "Maximum", "period": 300, "evaluation_periods": 2, "datapoints_to_alarm": 2,
                "threshold": 0, "comparison_operator": "GreaterThanThreshold", "treat_missing_data": "notBreaching",
            },
        )
    ]
    if gpu:
        alarms += [
            AlarmSpec(
                f"{cluster_name}-gpu-idle",
                f"{cluster_name}: GPU nodes under {limits.gpu_idle_percent:g}% utilisation for "
                f"{limits.gpu_idle_hours} hours (paid for, unused: scale the pool down)",
                {
                    "namespace": CONTAINER_INSIGHTS_NAMESPACE, "metric_name": GPU_UTILIZATION_METRIC,
                    "dimensions": dims, "statistic": "Average", "period": 3600,
                    "evaluation_periods": limits.gpu_idle_hours, "datapoints_to_alarm": limits.gpu_idle_hours,
                    "threshold": limits.gpu_idle_percent, "comparison_operator": "LessThanThreshold",
                    # GPU pools at zero nodes report nothing, and cost nothing.
                    "treat_missing_data": "notBreaching",
                },
            ),
            AlarmSpec(
                f"{cluster_name}-gpu-saturated",
                f"{cluster_name}: GPU utilisation above {limits.gpu_saturated_percent:g}% for 30 minutes "
                "(queueing work: raise the pool's maxSize or a team's quota)",
                {
                    "namespace": CONTAINER_INSIGHTS_NAMESPACE, "metric_name": GPU_UTILIZATION_METRIC,
                    "dimensions": dims, "statistic": "Average", "period": 300, "evaluation_periods": 6,
                    "datapoints_to_alarm": 6, "threshold": limits.gpu_saturated_percent,
                    "comparison_operator": "GreaterThanThreshold", "treat_missing_data": "notBreaching",
                },
            ),
        ]
    return alarms


# EventBridge: SageMaker's own event for a training job that ended in failure.
TRAINING_FAILED_PATTERN = {
    "source": ["aws.sagemaker"],
    "detail-type": ["SageMaker Training Job State Change"],
    "detail": {"TrainingJobStatus": ["Failed"]},
}
TRAINING_FAILED_INPUT = {
    "input_paths": {
        "job": "$.detail.TrainingJobName",
        "reason": "$.detail.FailureReason",
        "region": "$.region",
        "time": "$.time",
    },
    "input_template": '"SageMaker training job <job> failed at <time> in <region>: <reason>"',
}
