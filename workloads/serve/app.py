"""The FastAPI application: SageMaker contract + OpenAI API + /metrics, around one Service."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import Response

from workloads.serve import api_openai, api_sagemaker
from workloads.serve.errors import install_error_handlers
from workloads.serve.metrics import CONTENT_TYPE
from workloads.serve.observer import RequestObserver
from workloads.serve.service import Service


def create_app(service: Service) -> FastAPI:
    """An app serving `service`; its batcher starts and stops with the app's lifespan."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        service.batcher.start()
        try:
            yield
        finally:
            service.draining = True
            service.batcher.stop()

    app = FastAPI(title="mladmin model server", version=service.model_version, lifespan=lifespan,
                  docs_url=None, redoc_url=None)
    app.state.service = service
    install_error_handlers(app)
    app.include_router(api_sagemaker.router)
    app.include_router(api_openai.router)

    @app.get("/health")
    async def health(request: Request) -> Response:
        """Liveness for Kubernetes (vLLM's path): 200 while the batcher runs."""
        return Response(status_code=200 if service.batcher.alive else 503)

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(service.metrics.render(), media_type=CONTENT_TYPE)

    app.add_middleware(RequestObserver, service=service)
    return app
