"""Training settings from CLI flags, a YAML file, or the SageMaker training contract.

Precedence, lowest first: defaults < YAML file (`--config`) < SageMaker hyperparameters < CLI flags.
torchrun's environment (RANK, WORLD_SIZE, ...) is read separately, in `distributed.py`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from workloads import contract


class ConfigError(Exception):
    """Bad settings or input; `problems` holds one line per problem (the CLI exits 2)."""

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class TrainConfig(BaseModel):
    """Everything one training run needs. Field names double as YAML keys and hyperparameter names."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model_dir: Path = Field(description="A transformers causal-LM directory (weights + tokenizer).")
    data: Path = Field(description="A UTF-8 text file, or a directory whose files are all read.")
    output_dir: Path = Field(description="Metrics, loss curve, and by default checkpoints/ and final/.")
    checkpoint_dir: Path | None = Field(None, description="Where checkpoints go (default: OUTPUT_DIR/checkpoints).")
    final_dir: Path | None = Field(None, description="Where the final model goes (default: OUTPUT_DIR/final).")
    max_steps: int = Field(100, ge=1, description="Optimizer steps to train in total (across restarts).")
    save_every: int = Field(50, ge=0, description="Checkpoint every K steps; 0: only on SIGTERM.")
    keep_checkpoints: int = Field(3, ge=1, description="Newest checkpoints kept on disk.")
    seed: int = Field(0, ge=0, description="Seed for data order, dropout and initial random state.")
    batch_size: int = Field(8, ge=1, description="Blocks per micro-batch per process.")
    grad_accum: int = Field(1, ge=1, description="Micro-batches per optimizer step.")
    block_size: int = Field(128, ge=2, description="Tokens per training block.")
    lr: float = Field(5e-4, gt=0, description="Peak learning rate (AdamW).")
    weight_decay: float = Field(0.0, ge=0, description="AdamW weight decay (not applied to biases and norms).")
    warmup_steps: int = Field(0, ge=0, description="Linear warm-up steps before the schedule.")
    lr_schedule: Literal["linear", "cosine", "constant"] = Field(
        "linear", description="Learning-rate decay after warm-up: linear, cosine or constant.")
    max_grad_norm: float = Field(1.0, ge=0, description="Gradient clipping; 0 turns it off.")
    mixed_precision: Literal["auto", "bf16", "no"] = Field(
        "auto", description="auto (bf16 autocast on a GPU that supports it, else fp32), bf16, or no.")
    log_every: int = Field(1, ge=1, description="Steps between metric rows (metrics.jsonl, MLflow).")
    progress_seconds: float = Field(
        10.0, ge=0, description="Outside a terminal, seconds between progress lines on stderr (first and last "
                                "step always; 0: every metric row). A terminal shows a progress bar.")

    @model_validator(mode="after")
    def _warmup_fits(self) -> TrainConfig:
        if self.warmup_steps > self.max_steps:
            raise ValueError(f"warmup_steps {self.warmup_steps} is greater than max_steps {self.max_steps}")
        return self

    @property
    def checkpoints(self) -> Path:
        return self.checkpoint_dir or self.output_dir / "checkpoints"

    @property
    def final(self) -> Path:
        return self.final_dir or self.output_dir / "final"


FIELDS = set(TrainConfig.model_fields)


CLI_FLAGS = {"model_dir": "--model"}


def flag(key: str) -> str:
    return CLI_FLAGS.get(key, "--" + key.replace("_", "-"))


def _problems(exc: ValidationError, origin: dict[str, str]) -> list[str]:
    """One line per problem, naming where the bad value came from: a flag, a file and key, or none."""
    lines = []
    for err in exc.errors():
        key = ".".join(str(part) for part in err["loc"])
        where = origin.get(key)
        if not key:  # a check across fields
            label = ", ".join(sorted(set(origin.values()))) or "settings"
            lines.append(f"{label}: {err['msg'].removeprefix('Value error, ')}")
        elif err["type"] == "missing":
            lines.append(f"{key}: required: give {flag(key)}, set {key} in the --config file, "
                         "or run under the SageMaker training contract")
        elif err["type"] == "extra_forbidden":
            lines.append(f"{where}: {key}: unknown setting (expected one of: {', '.join(sorted(FIELDS))})")
        else:
            label = flag(key) if where == "command line" else f"{where}: {key}"
            lines.append(f"{label}: {err['msg']} (got {err.get('input')!r})")
    return lines


def _normalise_keys(raw: dict[str, Any]) -> dict[str, Any]:
    return {str(key).replace("-", "_"): value for key, value in raw.items()}


def load_yaml(path: Path) -> dict[str, Any]:
    import yaml

    if not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of settings, got {type(raw).__name__}")
    return _normalise_keys(raw)


def _hyperparameter_value(value: Any) -> Any:
    """SageMaker passes every hyperparameter as a string; some SDKs JSON-encode them first ('"x"')."""
    if isinstance(value, str):
        try:
            decoded = json.loads(value)
        except ValueError:
            return value
        if isinstance(decoded, str | int | float | bool):
            return decoded
    return value


def load_sagemaker() -> dict[str, Any]:
    """Settings from the SageMaker training contract (paths from `workloads.contract`)."""
    path = contract.hyperparameters_file()
    try:
        raw = json.loads(path.read_text(encoding="utf-8") or "{}")
    except ValueError as exc:
        raise ConfigError(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a JSON object of hyperparameters")
    settings = {key: _hyperparameter_value(value) for key, value in _normalise_keys(raw).items()}
    if "model" in settings:
        settings["model_dir"] = settings.pop("model")
    settings.setdefault("model_dir", contract.channel_dir(contract.MODEL_CHANNEL))
    settings.setdefault("data", contract.channel_dir(contract.TRAIN_CHANNEL))
    settings.setdefault("output_dir", contract.output_data_dir())
    settings.setdefault("checkpoint_dir", contract.checkpoint_dir())
    settings.setdefault("final_dir", contract.model_dir())
    return settings


def resolve_config(
    cli: dict[str, Any] | None = None,
    config_file: Path | None = None,
    *,
    sagemaker: bool | None = None,
) -> TrainConfig:
    """Merge the sources into one validated config. `cli` holds only the flags the user gave.

    `sagemaker=None` means: use the SageMaker contract when no model or data was given and a
    SageMaker-shaped root (hyperparameters.json) exists.
    """
    cli = {key: value for key, value in (cli or {}).items() if value is not None}
    merged: dict[str, Any] = {}
    origin: dict[str, str] = {}

    def merge(values: dict[str, Any], source: str) -> None:
        merged.update(values)
        origin.update(dict.fromkeys(values, source))

    if config_file is not None:
        merge(load_yaml(config_file), str(config_file))
    if sagemaker is None:
        sagemaker = ("model_dir" not in cli and "data" not in cli and "model_dir" not in merged
                     and "data" not in merged and contract.is_sagemaker_training())
    if sagemaker:
        merge(load_sagemaker(), str(contract.hyperparameters_file()))
    merge(cli, "command line")
    try:
        return TrainConfig(**merged)
    except ValidationError as exc:
        raise ConfigError(_problems(exc, origin)) from None
