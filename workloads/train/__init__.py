"""Causal-LM fine-tuning: the `mladmin train` command and the training container's entry point.

    from workloads.train import TrainConfig, resolve_config, train
    exit_code = train(resolve_config(cli={"model_dir": "m", "data": "corpus.txt", "output_dir": "out"}))
"""

from workloads.train.config import ConfigError, TrainConfig, resolve_config
from workloads.train.main import EXIT_INTERRUPTED, train

__all__ = ["ConfigError", "EXIT_INTERRUPTED", "TrainConfig", "resolve_config", "train"]
