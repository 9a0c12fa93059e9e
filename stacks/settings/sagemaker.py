"""SageMaker settings: the Studio domain and the real-time inference endpoints."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, ValidationInfo, model_validator

from policies.facts.environments import SAGEMAKER_DEFAULT_INSTANCE_TYPES

from .base import Name, SettingsModel, duplicates, scope_of, show
from .errors import Problems
from .instance_types import UnknownInstanceType, lookup_sagemaker
from .rules import PROD_MIN_ENDPOINT_INSTANCES
from .training import TrainingJobSettings


def _sagemaker_type(value: str) -> str:
    try:
        lookup_sagemaker(value)
    except UnknownInstanceType as error:
        raise ValueError(str(error)) from None
    return value


_VARIANT = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
_MODEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$")


def _variant(value: str) -> str:
    if not _VARIANT.match(value):
        raise ValueError(f"{show(value)} is not a variant name (expected letters, digits and '-', at most 63)")
    return value


def _model(value: str) -> str:
    if not _MODEL.match(value):
        raise ValueError(
            f"{show(value)} is not a model name (expected letters, digits, '.', '_', '-' or '/', at most 128)"
        )
    return value


SageMakerInstanceType = Annotated[str, AfterValidator(_sagemaker_type)]
VariantName = Annotated[str, AfterValidator(_variant)]
ModelName = Annotated[str, AfterValidator(_model)]

DEFAULT_ALLOWED_INSTANCE_TYPES = list(SAGEMAKER_DEFAULT_INSTANCE_TYPES)


class SageMakerDomainSettings(SettingsModel):
    """The SageMaker Studio domain the teams work in."""

    enabled: bool = Field(True, description="Create the Studio domain. Default true.")
    name: Name | None = Field(None, description="Domain name. Default mladmin-<environment>.")
    auth_mode: Literal["IAM", "SSO"] = Field("IAM", description="IAM or SSO (IAM Identity Center). Default IAM.")
    app_network_access_type: Literal["VpcOnly", "PublicInternetOnly"] = Field(
        "VpcOnly",
        description="VpcOnly keeps Studio traffic in the VPC (AWS's own default is PublicInternetOnly). "
        "Default VpcOnly; prod requires it.",
    )
    default_instance_type: SageMakerInstanceType = Field(
        "ml.t3.medium", description="Instance type of Studio apps. Default ml.t3.medium."
    )


class EndpointSettings(SettingsModel):
    """One real-time inference endpoint with one production variant."""

    name: Name = Field(examples=["chat-prod"], description="Endpoint name, unique in the environment.")
    model: ModelName = Field(examples=["chat-llm"], description="Model to serve: its name under the artifacts bucket's models/ prefix.")
    instance_type: SageMakerInstanceType = Field(examples=["ml.g5.xlarge"], description="An ml. instance type from allowedInstanceTypes.")
    initial_instance_count: int = Field(1, ge=1, description="Instances at creation. Default 1 (prod requires >= 2).")
    max_instance_count: int | None = Field(
        None, ge=1, description="Upper bound for autoscaling. Default: initialInstanceCount (no autoscaling)."
    )
    variant_name: VariantName = Field("primary", description="Production variant name. Default primary.")
    data_capture_percent: int | None = Field(
        None, ge=0, le=100, description="Share of requests captured for drift analysis. Default: sagemaker.dataCapturePercent."
    )

    @model_validator(mode="after")
    def _check(self) -> "EndpointSettings":
        if self.max_instance_count is None:
            self.max_instance_count = self.initial_instance_count
        elif self.max_instance_count < self.initial_instance_count:
            problems = Problems()
            problems.add(
                "maxInstanceCount",
                f"{self.max_instance_count} is less than initialInstanceCount {self.initial_instance_count}",
            )
            problems.raise_if_any()
        return self


class SageMakerSettings(SettingsModel):
    """``mladmin:sagemaker``: Studio domain, endpoints and the instance types teams may use."""

    domain: SageMakerDomainSettings = Field(
        default_factory=SageMakerDomainSettings, description="The Studio domain. Default: enabled, VpcOnly, IAM auth."
    )
    endpoints: list[EndpointSettings] = Field(default_factory=list, description="Inference endpoints. Default none.")
    allowed_instance_types: list[SageMakerInstanceType] = Field(
        default_factory=lambda: list(DEFAULT_ALLOWED_INSTANCE_TYPES),
        min_length=1,
        description="ml. instance types endpoints and team jobs may use (also enforced in IAM). "
        f"Default {', '.join(DEFAULT_ALLOWED_INSTANCE_TYPES)}, less the GPU types the environment does not allow "
        "(policy gpu-instance-type-allowlist).",
    )
    data_capture_percent: int = Field(
        20, ge=0, le=100, description="Share of endpoint requests captured to S3 for drift analysis; 0 disables. Default 20."
    )
    training_jobs: list[TrainingJobSettings] = Field(
        default_factory=list, description="Training jobs `mladmin launch train` submits. Default none."
    )

    @model_validator(mode="after")
    def _check(self, info: ValidationInfo) -> "SageMakerSettings":
        scope = scope_of(info)
        problems = Problems()
        for index, name in duplicates([endpoint.name for endpoint in self.endpoints]):
            problems.add(("endpoints", index, "name"), f"{show(name)} is already used by another endpoint")
        for index, name in duplicates(self.allowed_instance_types):
            problems.add(("allowedInstanceTypes", index), f"{show(name)} is listed twice")
        allowed = ", ".join(self.allowed_instance_types)
        for index, endpoint in enumerate(self.endpoints):
            if endpoint.instance_type not in self.allowed_instance_types:
                problems.add(
                    ("endpoints", index, "instanceType"),
                    f"{show(endpoint.instance_type)} is not in allowedInstanceTypes (expected one of {allowed})",
                )
            if scope.is_prod and endpoint.initial_instance_count < PROD_MIN_ENDPOINT_INSTANCES:
                problems.add(
                    ("endpoints", index, "initialInstanceCount"),
                    f"{endpoint.initial_instance_count} is below the prod minimum of {PROD_MIN_ENDPOINT_INSTANCES} "
                    "(SageMaker spreads instances over zones)",
                )
        if scope.is_prod and self.domain.enabled and self.domain.app_network_access_type != "VpcOnly":
            problems.add(
                ("domain", "appNetworkAccessType"),
                f"{show(self.domain.app_network_access_type)} is not allowed in prod (expected 'VpcOnly')",
            )
        problems.raise_if_any()
        return self

    def capture_percent(self, endpoint: EndpointSettings) -> int:
        """The data capture share that applies to ``endpoint``."""
        return self.data_capture_percent if endpoint.data_capture_percent is None else endpoint.data_capture_percent
