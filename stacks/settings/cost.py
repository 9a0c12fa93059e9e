"""``mladmin:cost``: the usage `mladmin cost` assumes where the plan cannot say (data volumes, requests).

Prices themselves live in policies/facts/prices.py; these are the volumes they are multiplied by. Every
default is stated in its field's description and printed by `mladmin cost` next to the estimate.
"""

from __future__ import annotations

from pydantic import Field

from policies.facts.prices import SPOT_PRICE_FACTOR

from .base import SettingsModel


class CostSettings(SettingsModel):
    """``mladmin:cost``: assumed volumes for the monthly estimate (no effect on what is created)."""

    spot_price_factor: float = Field(
        SPOT_PRICE_FACTOR, gt=0, le=1,
        description=f"Spot price as a fraction of on-demand. Default {SPOT_PRICE_FACTOR} (policies/facts/prices.py).",
    )
    nat_gb_per_month: float = Field(100.0, ge=0, description="GB processed per NAT gateway per month. Default 100.")
    s3_gb_per_bucket: float = Field(50.0, ge=0, description="GB stored per S3 bucket (Standard). Default 50.")
    ecr_gb_per_repository: float = Field(10.0, ge=0, description="GB of images per ECR repository. Default 10.")
    log_gb_per_group_month: float = Field(
        1.0, ge=0, description="GB ingested per CloudWatch log group per month (stored for its retention). Default 1.",
    )
    prometheus_samples_per_month: float = Field(
        438_000_000, ge=0,
        description="Samples ingested per Prometheus workspace per month. Default 438,000,000 "
        "(10,000 active series scraped every 60 s).",
    )
    grafana_editors: int = Field(1, ge=0, description="Editor/admin users per Grafana workspace. Default 1.")
    serverless_requests_per_month: float = Field(
        100_000, ge=0, description="Requests per serverless SageMaker endpoint per month. Default 100,000.",
    )
    serverless_seconds_per_request: float = Field(
        1.0, gt=0, description="Compute seconds per serverless request. Default 1.0.",
    )
