"""SageMaker settings: the Studio domain and the real-time inference endpoints."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, ValidationInfo, model_validator

from policies.capacity_fit import DEFAULT_DTYPE, DEFAULT_HEADROOM_PERCENT, MAX_HEADROOM_PERCENT
from policies.facts.environments import SAGEMAKER_DEFAULT_INSTANCE_TYPES
from policies.facts.models import CATALOGUE

from .architecture import ARCHITECTURE_HELP, DTYPE_HELP, CatalogueModel, WeightsDtype, dtype_problem
from .base import Name, SettingsModel, duplicates, scope_of, show
from .errors import Problems
from .instance_types import UnknownInstanceType, lookup_sagemaker
from .rules import PROD_MIN_ENDPOINT_INSTANCES
from .sagemaker_deploy import (
    AutoscalingSettings,
    DeploymentSettings,
    ImageTag,
    RetrainingSettings,
    ServerlessSettings,
)
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
    architecture: CatalogueModel | None = Field(
        None, examples=["llama-3.1-8b"], description=ARCHITECTURE_HELP + " (model itself when it is a catalogue name)."
    )
    dtype: WeightsDtype = Field(DEFAULT_DTYPE, description=DTYPE_HELP)
    team: Name | None = Field(
        None, examples=["applied"], description="Team that owns the endpoint: its resources carry team=<team>, so "
        "`mladmin cost` counts them for that team and its monthlyBudgetUsd. Default: the platform's.",
    )
    image_tag: ImageTag = Field(examples=["1.4.2"], description="Tag of the serving image in the serving repository (pinned; never latest).")
    instance_type: SageMakerInstanceType | None = Field(
        None, examples=["ml.g5.xlarge"], description="An ml. instance type from allowedInstanceTypes (required unless serverless)."
    )
    serverless: ServerlessSettings | None = Field(
        None, description="Serve from a serverless variant instead of instances (dev only). Default none."
    )
    allow_outbound: bool = Field(
        False, description="Let the model container open network connections (turns network isolation off). Default false."
    )
    deployment: DeploymentSettings = Field(
        default_factory=DeploymentSettings, description="Blue/green rollout with automatic rollback. Default: see its keys."
    )
    autoscaling: AutoscalingSettings | None = Field(
        None, description="Target tracking between initialInstanceCount and maxInstanceCount. Default: on with "
        "its defaults when maxInstanceCount > initialInstanceCount."
    )
    initial_instance_count: int = Field(1, ge=1, description="Instances at creation. Default 1 (prod requires >= 2).")
    max_instance_count: int | None = Field(
        None, ge=1, description="Upper bound for autoscaling. Default: initialInstanceCount (no autoscaling)."
    )
    variant_name: VariantName = Field("primary", description="Production variant name. Default primary.")
    data_capture_percent: int | None = Field(
        None, ge=0, le=100, description="Share of requests captured for drift analysis. Default: sagemaker.dataCapturePercent."
    )

    @model_validator(mode="after")
    def _check(self, info: ValidationInfo) -> "EndpointSettings":
        problems = Problems()
        if (problem := dtype_problem(self.dtype, self.catalogue_model)) is not None:
            problems.add("dtype", problem)
        if self.serverless is not None:
            self._check_serverless(problems, scope_of(info).environment)
        elif self.instance_type is None:
            problems.add("instanceType", "missing (expected an ml. instance type, or serverless for a dev endpoint)")
        if self.max_instance_count is None:
            self.max_instance_count = self.initial_instance_count
        elif self.max_instance_count < self.initial_instance_count:
            problems.add(
                "maxInstanceCount",
                f"{self.max_instance_count} is less than initialInstanceCount {self.initial_instance_count}",
            )
        if self.autoscaling is not None and self.max_instance_count == self.initial_instance_count:
            problems.add("autoscaling", f"needs maxInstanceCount above initialInstanceCount {self.initial_instance_count}")
        shifting = self.deployment.traffic_shifting
        if shifting in ("canary", "linear") and self.initial_instance_count < 2:
            problems.add(
                ("deployment", "trafficShifting"),
                f"{show(shifting)} needs initialInstanceCount >= 2 (a canary or linear step is at most half the "
                "fleet; expected allAtOnce for a single instance)",
            )
        if self.deployment.step_percent is not None and self.deployment.shifting(self.initial_instance_count) == "allAtOnce":
            problems.add(("deployment", "stepPercent"), "is only used by canary or linear traffic shifting")
        problems.raise_if_any()
        return self

    def _check_serverless(self, problems: Problems, environment: str | None) -> None:
        if environment is not None and environment != "dev":
            problems.add("serverless", f"is not allowed in {environment} (serverless endpoints have no VPC, network "
                                       "isolation or data capture; expected instanceType)")
        excluded = {"instance_type": "instanceType", "max_instance_count": "maxInstanceCount",
                    "initial_instance_count": "initialInstanceCount", "autoscaling": "autoscaling",
                    "data_capture_percent": "dataCapturePercent", "allow_outbound": "allowOutbound"}
        for field, key in excluded.items():
            if field in self.model_fields_set:
                problems.add(key, "does not apply to a serverless endpoint (expected it removed, or serverless removed)")

    @property
    def catalogue_model(self) -> str | None:
        """The catalogue model its capacity is checked as: architecture, else model when that is a catalogue name."""
        return self.architecture or (self.model.lower() if self.model.lower() in CATALOGUE else None)

    @property
    def is_serverless(self) -> bool:
        return self.serverless is not None

    @property
    def scales(self) -> bool:
        """Autoscaling applies: instance-based with room above the initial count."""
        return not self.is_serverless and (self.max_instance_count or 0) > self.initial_instance_count

    @property
    def scaling(self) -> AutoscalingSettings:
        return self.autoscaling or AutoscalingSettings()


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
    capacity_headroom_percent: int = Field(
        DEFAULT_HEADROOM_PERCENT, ge=0, le=MAX_HEADROOM_PERCENT,
        description="Share of an endpoint's usable GPU memory that must stay free once its catalogue model "
        "(weights at its dtype and one 4,096-token sequence) is loaded; less is a finding in `mladmin plan` and policy "
        f"sagemaker-model-fits-instance. Default {DEFAULT_HEADROOM_PERCENT}.",
    )
    retraining: list[RetrainingSettings] = Field(
        default_factory=list, description="Retraining pipelines, one per model family served by the endpoints. Default none."
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
            if endpoint.instance_type is not None and endpoint.instance_type not in self.allowed_instance_types:
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
        self._check_retraining(problems, allowed)
        first_by_slug: dict[str, str] = {}
        for index, endpoint in enumerate(self.endpoints):
            other = first_by_slug.setdefault(model_slug(endpoint.model), endpoint.model)
            if other != endpoint.model:
                problems.add(("endpoints", index, "model"), f"{show(endpoint.model)} gives the same model package "
                                                            f"group name as {show(other)} (expected distinct names)")
        if scope.is_prod and self.domain.enabled and self.domain.app_network_access_type != "VpcOnly":
            problems.add(
                ("domain", "appNetworkAccessType"),
                f"{show(self.domain.app_network_access_type)} is not allowed in prod (expected 'VpcOnly')",
            )
        problems.raise_if_any()
        return self

    def _check_retraining(self, problems: Problems, allowed: str) -> None:
        served = {endpoint.model for endpoint in self.endpoints}
        for index, name in duplicates([pipeline.model for pipeline in self.retraining]):
            problems.add(("retraining", index, "model"), f"{show(name)} already has a retraining pipeline")
        for index, pipeline in enumerate(self.retraining):
            if pipeline.model not in served:
                problems.add(("retraining", index, "model"), f"{show(pipeline.model)} is not served by any endpoint "
                                                             f"(expected one of {', '.join(sorted(served)) or 'none'})")
            if len(model_slug(pipeline.model)) > MAX_MODEL_SLUG:
                problems.add(("retraining", index, "model"), f"{show(pipeline.model)} is too long for the pipeline's "
                                                             f"role name (expected at most {MAX_MODEL_SLUG} characters)")
            for key, value in (("instanceType", pipeline.instance_type),
                               ("evaluationInstanceType", pipeline.evaluation_instance_type)):
                if value is None:
                    continue
                try:
                    _sagemaker_type(value)
                except ValueError as error:
                    problems.add(("retraining", index, key), str(error))
                    continue
                if value not in self.allowed_instance_types:
                    problems.add(("retraining", index, key),
                                 f"{show(value)} is not in allowedInstanceTypes (expected one of {allowed})")

    def capture_percent(self, endpoint: EndpointSettings) -> int:
        """The data capture share that applies to ``endpoint`` (0 for serverless: not supported there)."""
        if endpoint.is_serverless:
            return 0
        return self.data_capture_percent if endpoint.data_capture_percent is None else endpoint.data_capture_percent

    def models(self) -> list[str]:
        """Every model family the endpoints serve, in order of first use."""
        return list(dict.fromkeys(endpoint.model for endpoint in self.endpoints))


# Role names are at most 64 characters: "<prefix>-retrain-<model>" with the longest prefix (mladmin-staging).
MAX_MODEL_SLUG = 64 - len("mladmin-staging-retrain-")


def model_slug(model: str) -> str:
    """A model name as it appears in resource names: model package group ``<prefix>-<slug>``."""
    return re.sub(r"[^A-Za-z0-9]+", "-", model).strip("-").lower()
