"""A real moto server on 127.0.0.1 for the SageMaker commands, plus the two SageMaker APIs it lacks.

moto 5.2.1 (and 5.2.5, the newest on PyPI) has no UpdateEndpoint and no StopTrainingJob; its
CreateModel drops EnableNetworkIsolation and its CreateEndpointConfig rejects g5/g6 instance
types (an old enum). `add_update_endpoint` gives the in-process server an UpdateEndpoint that
records each request and switches the endpoint to the new config, the state AWS reaches when a
blue/green deployment completes. The traffic shifting and alarm rollback happen inside AWS and are
not emulated; the request's RetainDeploymentConfig (which keeps the endpoint's deployment config)
is asserted from the recording. StopTrainingJob is tested against botocore's Stubber instead.
"""

from __future__ import annotations

from typing import Any

UPDATE_ENDPOINT_REQUESTS: list[dict[str, Any]] = []


def add_update_endpoint() -> None:
    from moto.core.responses import ActionResult
    from moto.sagemaker.responses import SageMakerResponse

    if hasattr(SageMakerResponse, "update_endpoint"):
        return

    def update_endpoint(self: Any) -> Any:
        request = {key: self._get_param(key) for key in ("EndpointName", "EndpointConfigName",
                                                         "RetainAllVariantProperties", "RetainDeploymentConfig",
                                                         "DeploymentConfig")}
        UPDATE_ENDPOINT_REQUESTS.append(request)
        backend = self.sagemaker_backend
        backend.describe_endpoint_config(request["EndpointConfigName"])  # a missing config is an error, as in AWS
        endpoint = backend.endpoints[request["EndpointName"]]
        endpoint.endpoint_config_name = request["EndpointConfigName"]
        return ActionResult({"EndpointArn": endpoint.arn})

    SageMakerResponse.update_endpoint = update_endpoint  # type: ignore[attr-defined]


def start() -> tuple[Any, str]:
    from moto.server import ThreadedMotoServer

    add_update_endpoint()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return server, f"http://{host}:{port}"


def reset(endpoint: str) -> None:
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=10).read()
    UPDATE_ENDPOINT_REQUESTS.clear()
