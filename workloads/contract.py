"""The SageMaker container contract in one place: paths, environment variables and ports.

Training (https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-training-algo.html) and
inference (.../your-algorithms-inference-code.html). The root `/opt/ml` can be moved with the
`MLADMIN_SM_ROOT` environment variable so tests run against a temporary directory.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT_ENV = "MLADMIN_SM_ROOT"
DEFAULT_ROOT = "/opt/ml"

# Serving contract.
SERVING_PORT = 8080
PING_PATH = "/ping"
INVOCATIONS_PATH = "/invocations"

# Environment variables SageMaker (and its training toolkit) sets; read with os.environ.get.
ENV_MODEL_DIR = "SM_MODEL_DIR"                  # /opt/ml/model
ENV_CHANNEL_PREFIX = "SM_CHANNEL_"              # SM_CHANNEL_TRAIN=/opt/ml/input/data/train
ENV_CHANNEL_TRAIN = "SM_CHANNEL_TRAIN"
ENV_CHANNELS = "SM_CHANNELS"                    # JSON list of channel names
ENV_HPS = "SM_HPS"                              # hyperparameters as JSON
ENV_NUM_GPUS = "SM_NUM_GPUS"
ENV_NUM_CPUS = "SM_NUM_CPUS"
ENV_HOSTS = "SM_HOSTS"                          # JSON list, e.g. ["algo-1", "algo-2"]
ENV_CURRENT_HOST = "SM_CURRENT_HOST"
ENV_OUTPUT_DATA_DIR = "SM_OUTPUT_DATA_DIR"
ENV_CHECKPOINT_DIR = "SM_CHECKPOINT_DIR"        # not set by SageMaker itself; ours, optional
ENV_MODEL_SERVER_WORKERS = "SAGEMAKER_MODEL_SERVER_WORKERS"
ENV_SERVING_PORT = "SAGEMAKER_BIND_TO_PORT"

# torchrun / torch.distributed environment.
ENV_RANK = "RANK"
ENV_LOCAL_RANK = "LOCAL_RANK"
ENV_WORLD_SIZE = "WORLD_SIZE"
ENV_MASTER_ADDR = "MASTER_ADDR"
ENV_MASTER_PORT = "MASTER_PORT"

TRAIN_CHANNEL = "train"
MODEL_CHANNEL = "model"


def root() -> Path:
    return Path(os.environ.get(ROOT_ENV, DEFAULT_ROOT))


def input_dir() -> Path:
    return root() / "input"


def config_dir() -> Path:
    return input_dir() / "config"


def hyperparameters_file() -> Path:
    return config_dir() / "hyperparameters.json"


def resource_config_file() -> Path:
    return config_dir() / "resourceconfig.json"


def input_data_config_file() -> Path:
    return config_dir() / "inputdataconfig.json"


def channel_dir(channel: str) -> Path:
    env = os.environ.get(ENV_CHANNEL_PREFIX + channel.upper())
    return Path(env) if env else input_dir() / "data" / channel


def model_dir() -> Path:
    env = os.environ.get(ENV_MODEL_DIR)
    return Path(env) if env else root() / "model"


def checkpoint_dir() -> Path:
    env = os.environ.get(ENV_CHECKPOINT_DIR)
    return Path(env) if env else root() / "checkpoints"


def output_dir() -> Path:
    return root() / "output"


def output_data_dir() -> Path:
    env = os.environ.get(ENV_OUTPUT_DATA_DIR)
    return Path(env) if env else output_dir() / "data"


def failure_file() -> Path:
    return output_dir() / "failure"


def is_sagemaker_training() -> bool:
    """True when a SageMaker-shaped training root is present (hyperparameters.json exists)."""
    return hyperparameters_file().is_file()
