"""Storage settings: the data buckets (datasets, artifacts, checkpoints, access logs)."""

from __future__ import annotations

from pydantic import Field, ValidationInfo, model_validator

from .base import Region, SettingsModel, scope_of, show
from .errors import Problems
from .rules import LOG_RETENTION_MINIMA_TEXT as _MINIMA, log_retention_problem


class StorageSettings(SettingsModel):
    """``mladmin:storage``: buckets are always encrypted (SSE-KMS), versioned and private."""

    protect: bool = Field(
        True,
        description="Protect the buckets and keys from deletion (Pulumi protect + retainOnDelete). "
        "Default true; prod requires it.",
    )
    force_destroy: bool = Field(
        False,
        description="Let `pulumi destroy` delete non-empty buckets. Default false; never allowed in prod "
        "or together with protect.",
    )
    replication_region: Region | None = Field(
        None,
        description="Region that the datasets, artifacts and checkpoints buckets replicate to "
        "(cross-region replication). Default none; prod requires one other than aws:region.",
    )
    checkpoint_noncurrent_version_days: int = Field(
        30, ge=1, description="Days before overwritten/deleted checkpoint versions expire. Default 30."
    )
    dataset_tiering_days: int | None = Field(
        0,
        ge=0,
        description="Days after which dataset objects move to S3 Intelligent-Tiering; null keeps them in "
        "Standard. Default 0 (at once).",
    )
    access_log_retention_days: int = Field(
        90, ge=1, description=f"Days the S3 server access logs are kept. Default 90; at least {_MINIMA} days."
    )
    abort_incomplete_upload_days: int = Field(
        7, ge=1, description="Days before incomplete multipart uploads are aborted. Default 7."
    )

    @model_validator(mode="after")
    def _check(self, info: ValidationInfo) -> "StorageSettings":
        scope = scope_of(info)
        problems = Problems()
        if self.force_destroy and self.protect:
            problems.add("forceDestroy", "true contradicts protect: true (expected false while the data is protected)")
        if self.replication_region and self.replication_region == scope.region:
            problems.add(
                "replicationRegion",
                f"{show(self.replication_region)} is the stack's own region (expected another region than aws:region)",
            )
        if scope.is_prod:
            if not self.protect:
                problems.add("protect", "false is not allowed in prod (expected true: prod data is protected from deletion)")
            if self.force_destroy and not self.protect:
                problems.add("forceDestroy", "true is not allowed in prod (expected false)")
            if self.replication_region is None:
                problems.add(
                    "replicationRegion",
                    "missing (prod requires cross-region replication: expected a region other than aws:region, e.g. us-west-2)",
                )
        retention = log_retention_problem(self.access_log_retention_days, scope.environment)
        if retention:
            problems.add("accessLogRetentionDays", retention)
        problems.raise_if_any()
        return self
