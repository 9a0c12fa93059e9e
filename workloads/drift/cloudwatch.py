"""Publish the drift metrics to CloudWatch (boto3 `put_metric_data`) for the drift alarm.

One datum per measured metric, all with the same dimensions, plus the headline metric (the
largest measured PSI) under the caller's metric name — the one the alarm watches. CloudWatch treats
each set of dimensions as its own metric, so the headline datum carries exactly the alarm's
dimension, `EndpointName`, when an endpoint is named (the platform's `<endpoint>-drift` alarm,
components/alarms.py); the per-metric data carry every dimension (ModelName too).
"""

from __future__ import annotations

from datetime import datetime, timezone

from workloads.drift.errors import DriftInputError

DEFAULT_NAMESPACE = "mladmin/Drift"
DEFAULT_METRIC_NAME = "PromptDrift"
ALARM_DIMENSION = "EndpointName"
METRIC_NAMES = {
    "prompt_length_psi": "PromptLengthPSI",
    "token_frequency_psi": "TokenFrequencyPSI",
    "unknown_token_rate": "UnknownTokenRate",
}


def headline_value(report: dict) -> float:
    """The largest measured PSI (prompt length is always measured)."""
    values = [report["metrics"][name]["value"] for name in ("prompt_length_psi", "token_frequency_psi")]
    return max(v for v in values if v is not None)


def metric_data(report: dict, metric_name: str, dimensions: dict[str, str]) -> list[dict]:
    timestamp = datetime.now(timezone.utc)
    dims = [{"Name": name, "Value": value} for name, value in dimensions.items()]
    alarm_dims = [d for d in dims if d["Name"] == ALARM_DIMENSION] or dims
    data = [{"MetricName": metric_name, "Dimensions": alarm_dims, "Timestamp": timestamp,
             "Value": headline_value(report), "Unit": "None"}]
    for key, name in METRIC_NAMES.items():
        value = report["metrics"][key]["value"]
        if value is not None:
            data.append({"MetricName": name, "Dimensions": dims, "Timestamp": timestamp,
                         "Value": value, "Unit": "None"})
    return data


def publish(report: dict, *, namespace: str, metric_name: str, dimensions: dict[str, str],
            region: str | None, endpoint_url: str | None = None) -> dict:
    """Send the metrics; returns what was sent (for the report). Errors name what went wrong."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    problems = []
    if not namespace or namespace.startswith("AWS/"):
        problems.append(f"--namespace: {namespace!r} must be non-empty and not start with 'AWS/'")
    if not metric_name:
        problems.append("--metric-name: must not be empty")
    for name, value in dimensions.items():
        if not value:
            problems.append(f"dimension {name}: must not be empty")
    if problems:
        raise DriftInputError(problems)
    data = metric_data(report, metric_name, dimensions)
    try:
        client = boto3.client("cloudwatch", region_name=region, endpoint_url=endpoint_url)
        client.put_metric_data(Namespace=namespace, MetricData=data)
    except (BotoCoreError, ClientError) as exc:
        raise DriftInputError(f"CloudWatch put_metric_data to namespace {namespace!r} failed: {exc}") from None
    return {
        "namespace": namespace,
        "region": client.meta.region_name,
        "dimensions": dimensions,
        "metrics": {d["MetricName"]: d["Value"] for d in data},
    }
