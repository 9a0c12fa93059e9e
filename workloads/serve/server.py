"""Run the server: load the model, build the app, serve with uvicorn, drain on SIGTERM.

SIGTERM (SageMaker and Kubernetes both send it before killing a container) starts a drain: new
requests get 503, the listening socket closes, in-flight requests finish within the grace period,
and the process exits 0.
"""

from __future__ import annotations

import logging
import signal
import socket

import uvicorn

from workloads.serve.engine import Engine
from workloads.serve.service import Service
from workloads.serve.settings import ServeSettings, SettingsError, model_fingerprint

log = logging.getLogger("mladmin.serve")


class _DrainingServer(uvicorn.Server):
    """uvicorn's server, but a signal marks the service as draining and is not re-raised at exit.

    uvicorn re-raises the captured signal after shutting down, which would end the process with
    -SIGTERM instead of 0; a graceful drain is a normal exit.
    """

    def __init__(self, config: uvicorn.Config, service: Service):
        super().__init__(config)
        self.service = service

    def handle_exit(self, sig: int, frame) -> None:
        if not self.service.draining:
            log.info("received %s: draining (grace period %.0fs)", signal.Signals(sig).name,
                     self.config.timeout_graceful_shutdown or 0)
        self.service.draining = True
        if self.should_exit and sig == signal.SIGINT:
            self.force_exit = True   # a second Ctrl+C: stop waiting
        self.should_exit = True


def bind(settings: ServeSettings) -> socket.socket:
    """Take the listening address first, before the model loads: a busy port is one SettingsError
    (the CLI's exit 2), not an "Application startup complete" followed by a failure."""
    try:
        family = socket.getaddrinfo(settings.host, settings.port, type=socket.SOCK_STREAM)[0][0]
    except socket.gaierror as exc:
        raise SettingsError(f"--host: cannot resolve {settings.host!r} ({exc.strerror})") from None
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn: restart over TIME_WAIT
        sock.bind((settings.host, settings.port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise SettingsError(f"--port {settings.port}: cannot listen on {settings.host}:{settings.port}: "
                            f"{exc.strerror or exc}") from None
    return sock


def build_service(settings: ServeSettings) -> Service:
    """Load the model (raises ModelLoadError) and wrap it in a Service with its batcher."""
    settings.validate()
    engine = Engine.load(settings.model_dir, settings.device, settings.cpu_threads)
    return Service(settings, engine,
                   model_name=settings.model_name or settings.model_dir.resolve().name,
                   model_version=settings.model_version or model_fingerprint(settings.model_dir))


def serve(settings: ServeSettings, service: Service | None = None, sock: socket.socket | None = None) -> None:
    """Serve until SIGTERM/SIGINT on `sock` (default: bind settings.host:port now); returns after a
    graceful drain."""
    from workloads.serve.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    sock = sock or bind(settings)
    service = service or build_service(settings)
    config = uvicorn.Config(
        create_app(service), host=settings.host, port=settings.port,
        timeout_graceful_shutdown=settings.grace_period_s,  # type: ignore[arg-type]  (uvicorn takes a float)
        access_log=False,               # the request log replaces it
        log_level="info", lifespan="on", server_header=False,
    )
    host, port = sock.getsockname()[:2]
    log.info("listening on http://%s:%d (Ctrl+C or SIGTERM drains and stops)",
             f"[{host}]" if ":" in host else host, port)
    _DrainingServer(config, service).run(sockets=[sock])
