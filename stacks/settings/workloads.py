"""``mladmin:workloads``: training jobs and model servers that run on the EKS cluster."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from policies.capacity_fit import DEFAULT_DTYPE, DEFAULT_HEADROOM_PERCENT, MAX_HEADROOM_PERCENT

from .architecture import ARCHITECTURE_HELP, DTYPE_HELP, CatalogueModel, WeightsDtype, dtype_problem
from .base import Name, SettingsModel, show
from .errors import Problems

_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_PATH = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")


def _relative_path(value: str) -> str:
    if not _PATH.match(value) or ".." in value.split("/") or value.endswith("/"):
        raise ValueError(f"{show(value)} is not a relative path (expected e.g. llm/chat-v3, no '..' or leading '/')")
    return value


RelativePath = Annotated[str, AfterValidator(_relative_path)]


class ImageSettings(SettingsModel):
    """An image of the platform's ECR repositories, pinned by tag or digest."""

    repository: Literal["training", "serving"] = Field(description="ECR repository: training or serving.")
    tag: str | None = Field(None, examples=["2026.12.01-3f9c2ab"], description="Immutable tag (never latest).")
    digest: str | None = Field(None, description="sha256:<64 hex>; wins over tag when both are given.")

    @model_validator(mode="after")
    def _pinned(self) -> "ImageSettings":
        problems = Problems()
        if self.tag is None and self.digest is None:
            problems.add("tag", "missing (expected an immutable tag such as 2026.12.01-3f9c2ab, or a digest)")
        if self.tag is not None:
            if self.tag == "latest":
                problems.add("tag", "'latest' is not a pinned tag (expected an immutable tag or a digest)")
            elif not _TAG.match(self.tag):
                problems.add("tag", f"{show(self.tag)} is not a valid image tag")
        if self.digest is not None and not _DIGEST.match(self.digest):
            problems.add("digest", f"{show(self.digest)} is not a digest (expected sha256: and 64 hex digits)")
        problems.raise_if_any()
        return self


class TrainingJobSettings(SettingsModel):
    """A torchrun job: ``nodes`` pods of ``gpusPerNode`` GPUs, admitted by the team's Kueue queue."""

    name: Name = Field(examples=["llama-sft"], description="Job name, unique in the team.")
    team: Name = Field(examples=["research"], description="Team (namespace team-<team>, its queue and quota).")
    image: ImageSettings = Field(description="Training image (repository training).")
    node_group: Name = Field(
        examples=["gpu-training"], description="GPU node group the pods run on (they tolerate its taints)."
    )
    nodes: int = Field(1, ge=1, le=64, description="Pods (one per node). Default 1.")
    gpus_per_node: int = Field(1, ge=1, le=16, description="GPUs per pod (torchrun processes). Default 1.")
    cpu: int = Field(8, ge=1, description="Cores per pod. Default 8.")
    memory_gib: int = Field(64, ge=1, description="Memory per pod in GiB. Default 64.")
    model: RelativePath = Field(examples=["base/llama-3-8b"], description="Base model, under the team's datasets prefix on FSx.")
    data: RelativePath = Field(examples=["corpora/support-v2"], description="Training data, under the team's datasets prefix on FSx.")
    max_steps: int = Field(1000, ge=1, description="Optimizer steps in total. Default 1000.")
    save_every: int = Field(100, ge=0, description="Checkpoint every K steps. Default 100.")
    backoff_limit: int = Field(
        6, ge=0, le=100,
        description="Pod failures (spot reclaims) retried, each resuming from the last checkpoint. Default 6.",
    )


class ReplicaSettings(SettingsModel):
    min: int = Field(2, ge=1, description="Fewest replicas (and the disruption budget's floor). Default 2.")
    max: int = Field(4, ge=1, description="Most replicas the autoscaler adds. Default 4.")

    @model_validator(mode="after")
    def _order(self) -> "ReplicaSettings":
        if self.max < self.min:
            problems = Problems()
            problems.add("max", f"{self.max} is less than min {self.min}")
            problems.raise_if_any()
        return self


class ServingSettings(SettingsModel):
    """A model server: Deployment, ClusterIP Service, HPA and PDB in the team's namespace."""

    name: Name = Field(examples=["chat"], description="Server name, unique in the team.")
    team: Name = Field(examples=["applied"], description="Team whose namespace runs it.")
    image: ImageSettings = Field(description="Serving image (repository serving).")
    node_group: Name = Field(
        examples=["gpu-serving"], description="Node group the pods run on (they tolerate its taints)."
    )
    gpus: int = Field(1, ge=0, le=16, description="GPUs per replica; 0 runs on CPU. Default 1.")
    cpu: int = Field(4, ge=1, description="Cores per replica. Default 4.")
    memory_gib: int = Field(16, ge=1, description="Memory per replica in GiB. Default 16.")
    replicas: ReplicaSettings = Field(default_factory=ReplicaSettings, description="Replica range. Default 2-4.")
    target_cpu_percent: int = Field(70, ge=10, le=100, description="HPA CPU utilisation target. Default 70.")
    model: RelativePath | None = Field(
        None, description="Model directory under the team's checkpoints prefix on FSx. Default: baked into the image.",
    )
    architecture: CatalogueModel | None = Field(
        None, examples=["llama-3.1-8b"],
        description=ARCHITECTURE_HELP + " (not checked). A replica holds the model on its gpus GPUs of the node.",
    )
    dtype: WeightsDtype = Field(DEFAULT_DTYPE, description=DTYPE_HELP)
    startup_seconds: int = Field(
        900, ge=60, le=7200, description="How long a replica may take to load its model before it is restarted. Default 900.",
    )
    internal_load_balancer: bool = Field(
        False, description="Also expose through an internal NLB (AWS Load Balancer Controller). Default false.",
    )

    @model_validator(mode="after")
    def _architecture_on_gpus(self) -> "ServingSettings":
        problems = Problems()
        if self.architecture is not None and not self.gpus:
            problems.add("architecture", f"{show(self.architecture)} is served on GPUs (expected gpus >= 1, "
                                         "or no architecture for a CPU server)")
        if (problem := dtype_problem(self.dtype, self.architecture)) is not None:
            problems.add("dtype", problem)
        problems.raise_if_any()
        return self


class WorkloadsSettings(SettingsModel):
    """``mladmin:workloads``: what runs on the cluster."""

    training: list[TrainingJobSettings] = Field(default_factory=list, description="Training jobs. Default none.")
    serving: list[ServingSettings] = Field(default_factory=list, description="Model servers. Default none.")
    capacity_headroom_percent: int = Field(
        DEFAULT_HEADROOM_PERCENT, ge=0, le=MAX_HEADROOM_PERCENT,
        description="Share of a model server replica's usable GPU memory that must stay free once its architecture "
        f"is loaded; less is a finding in `mladmin plan` and policy k8s-model-fits-gpus. Default {DEFAULT_HEADROOM_PERCENT}.",
    )

    @model_validator(mode="after")
    def _check(self) -> "WorkloadsSettings":
        problems = Problems()
        for key, items, repository in (("training", self.training, "training"), ("serving", self.serving, "serving")):
            seen: set[tuple[str, str]] = set()
            for index, item in enumerate(items):
                if (item.team, item.name) in seen:
                    problems.add((key, index, "name"), f"{show(item.name)} is already used in team {item.team}")
                seen.add((item.team, item.name))
                if item.image.repository != repository:
                    problems.add((key, index, "image", "repository"),
                                 f"{show(item.image.repository)} is not the {repository} repository (expected {repository})")
        problems.raise_if_any()
        return self
