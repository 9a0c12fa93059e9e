"""Server settings: one frozen object built by the CLI (flags, then environment, then the contract)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from workloads import contract

ENV_MODEL_DIR = "MLADMIN_MODEL_DIR"
ENV_HOST = "MLADMIN_HOST"
ENV_PORT = "MLADMIN_PORT"
ENV_MODEL_NAME = "MLADMIN_MODEL_NAME"
ENV_MODEL_VERSION = "MLADMIN_MODEL_VERSION"

DEFAULT_HOST = "127.0.0.1"   # loopback unless asked: the container sets MLADMIN_HOST=0.0.0.0
DEFAULT_PORT = contract.SERVING_PORT


class SettingsError(ValueError):
    """A setting is missing or invalid; the message names it and what was expected."""


@dataclass(frozen=True)
class ServeSettings:
    model_dir: Path
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    model_name: str | None = None        # served name (OpenAI `model`); default: the directory's name
    model_version: str | None = None     # logged and exported; default: the eval report's fingerprint
    max_batch_size: int = 16             # requests decoded together in one batch
    batch_timeout_ms: float = 10.0       # how long the batcher waits to fill a batch
    max_queue_size: int = 256            # requests waiting beyond this get 429
    max_prompt_tokens: int | None = None  # default: the model's context length minus one
    max_new_tokens_limit: int = 512      # the largest max_tokens a request may ask for
    max_body_bytes: int = 1_000_000      # request bodies beyond this get 413
    grace_period_s: float = 20.0         # SIGTERM: time to finish in-flight requests
    log_prompts: bool = False            # prompt and response text in request logs (off: privacy)
    redact_pii: bool = True              # when prompts are logged, mask emails, phones, cards, IPs
    device: str = "auto"                 # auto | cpu | cuda
    cpu_threads: int | None = None       # torch intra-op threads on CPU; None: torch's default (all cores)

    def validate(self) -> None:
        problems = []
        if not 1 <= self.port <= 65535:
            problems.append(f"--port: {self.port} is not a TCP port (1-65535)")
        if self.max_batch_size < 1:
            problems.append(f"--max-batch-size: {self.max_batch_size} must be at least 1")
        if self.batch_timeout_ms < 0:
            problems.append(f"--batch-timeout-ms: {self.batch_timeout_ms} must not be negative")
        if self.max_queue_size < 1:
            problems.append(f"--max-queue-size: {self.max_queue_size} must be at least 1")
        if self.max_prompt_tokens is not None and self.max_prompt_tokens < 1:
            problems.append(f"--max-prompt-tokens: {self.max_prompt_tokens} must be at least 1")
        if self.max_new_tokens_limit < 1:
            problems.append(f"--max-new-tokens-limit: {self.max_new_tokens_limit} must be at least 1")
        if self.grace_period_s < 0:
            problems.append(f"--grace-period: {self.grace_period_s} must not be negative")
        if self.cpu_threads is not None and self.cpu_threads < 1:
            problems.append(f"--cpu-threads: {self.cpu_threads} must be at least 1")
        if self.device not in ("auto", "cpu", "cuda"):
            problems.append(f"--device: {self.device!r} is not one of auto, cpu, cuda")
        if problems:
            raise SettingsError("\n".join(problems))


def resolve_model_dir(flag: Path | None) -> Path:
    """The model directory: the flag, else $MLADMIN_MODEL_DIR, else the SageMaker model dir if present."""
    if flag is not None:
        source, path = "--model", Path(flag)
    elif os.environ.get(ENV_MODEL_DIR):
        source, path = ENV_MODEL_DIR, Path(os.environ[ENV_MODEL_DIR])
    elif contract.model_dir().is_dir():
        source, path = "the SageMaker model directory", contract.model_dir()
    else:
        raise SettingsError(
            f"no model given: pass --model DIR, set {ENV_MODEL_DIR}, or mount one at {contract.model_dir()}"
        )
    if not path.is_dir():
        raise SettingsError(f"{path}: model directory ({source}) does not exist or is not a directory")
    if not (path / "config.json").is_file():
        raise SettingsError(f"{path}: not a transformers model directory ({source}): config.json is missing")
    return path


def model_fingerprint(model_dir: Path) -> str:
    """The default model version: the same content fingerprint the evaluation report records
    (sha256 over the weight, config and tokenizer files), so request logs join eval reports."""
    from workloads.evaluate.model import fingerprint_model_dir

    return fingerprint_model_dir(model_dir)[0]
