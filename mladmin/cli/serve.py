"""`mladmin serve`: the model server (SageMaker contract + OpenAI-compatible API), also the container entry point."""

from __future__ import annotations

from pathlib import Path

import typer

from mladmin.cli.common import fail
from mladmin.cli.helpformat import Command


def register(app: typer.Typer) -> None:
    @app.command("serve", cls=Command)
    def serve(
        model: Path = typer.Option(
            None, "--model", help="Model directory (transformers format). "
            "Default: $MLADMIN_MODEL_DIR, else the SageMaker model dir (/opt/ml/model) if present."),
        host: str = typer.Option("127.0.0.1", "--host", envvar="MLADMIN_HOST",
                                 help="Address to bind (the container sets 0.0.0.0)."),
        port: int = typer.Option(8080, "--port", envvar=["MLADMIN_PORT", "SAGEMAKER_BIND_TO_PORT"],
                                 help="TCP port (SageMaker: 8080)."),
        model_name: str = typer.Option(None, "--model-name", envvar="MLADMIN_MODEL_NAME",
                                       help="Name clients pass as `model` (default: the directory's name)."),
        model_version: str = typer.Option(None, "--model-version", envvar="MLADMIN_MODEL_VERSION",
                                          help="Version for logs and metrics (default: the eval report's sha256 "
                                               "fingerprint of the model files)."),
        max_batch_size: int = typer.Option(16, "--max-batch-size", help="Requests decoded together."),
        batch_timeout_ms: float = typer.Option(10.0, "--batch-timeout-ms",
                                               help="How long to wait for a batch to fill."),
        max_queue_size: int = typer.Option(256, "--max-queue-size", help="Waiting requests beyond this get 429."),
        max_prompt_tokens: int = typer.Option(None, "--max-prompt-tokens",
                                              help="Longest prompt accepted (default: the model's context - 1)."),
        max_new_tokens_limit: int = typer.Option(512, "--max-new-tokens-limit",
                                                 help="Largest max_tokens a request may ask for."),
        grace_period: float = typer.Option(20.0, "--grace-period",
                                           help="Seconds to finish in-flight requests after SIGTERM."),
        log_prompts: bool = typer.Option(False, "--log-prompts/--no-log-prompts",
                                         help="Include prompt and response text in request logs."),
        redact_pii: bool = typer.Option(True, "--redact-pii/--no-redact-pii",
                                        help="Mask emails, phone and card numbers, IPs in logged text."),
        device: str = typer.Option("auto", "--device", help="auto | cpu | cuda."),
        cpu_threads: int = typer.Option(None, "--cpu-threads", envvar="MLADMIN_CPU_THREADS",
                                        help="torch threads on CPU (default: all cores; 1 suits tiny models)."),
    ) -> None:
        """Serve a model: /ping, /invocations, /v1/models, /v1/completions, /v1/chat/completions, /metrics."""
        from workloads.serve.settings import ServeSettings, SettingsError, resolve_model_dir

        try:  # settings first: a usage error is reported before torch is imported
            settings = ServeSettings(
                model_dir=resolve_model_dir(model), host=host, port=port, model_name=model_name,
                model_version=model_version, max_batch_size=max_batch_size, batch_timeout_ms=batch_timeout_ms,
                max_queue_size=max_queue_size, max_prompt_tokens=max_prompt_tokens,
                max_new_tokens_limit=max_new_tokens_limit, grace_period_s=grace_period,
                log_prompts=log_prompts, redact_pii=redact_pii, device=device, cpu_threads=cpu_threads,
            )
            settings.validate()
        except SettingsError as exc:
            fail(str(exc))

        from workloads.serve.engine import ModelLoadError
        from workloads.serve.server import bind, build_service, serve as run_server

        try:
            sock = bind(settings)  # a busy port: exit 2 now, before the model loads
            service = build_service(settings)
        except (SettingsError, ModelLoadError) as exc:
            fail(str(exc))
        run_server(settings, service, sock)
