"""boto3 clients with one-line errors: no credentials, an unreachable endpoint or a refused call.

boto3 reads credentials the usual way (environment, profile, SSO, instance role) and honours
AWS_ENDPOINT_URL (used by the tests to point at a moto server).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from mladmin.sagemaker.errors import SageMakerCommandError


class Aws:
    """The clients of one region; ``call`` turns botocore failures into SageMakerCommandError."""

    def __init__(self, region: str):
        import boto3
        import botocore.session

        core = botocore.session.get_session()
        core.register_component("data_loader", _service_models())
        self.region = region
        self.session = boto3.session.Session(botocore_session=core, region_name=region)
        if self.session.get_credentials() is None:
            raise SageMakerCommandError(
                "no AWS credentials found (expected AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, an SSO "
                "login or an instance role)")
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.session.client(service)
        return self._clients[service]

    @property
    def sagemaker(self) -> Any:
        return self.client("sagemaker")

    @property
    def s3(self) -> Any:
        return self.client("s3")


@cache
def _service_models() -> Any:
    """One loader of botocore's API models per process: parsing the SageMaker model takes ~0.3 s."""
    import botocore.loaders

    return botocore.loaders.create_loader()


def call(operation: Callable[..., Any], /, **kwargs: Any) -> Any:
    """Run one client operation; any failure becomes one line naming the operation."""
    from botocore.exceptions import BotoCoreError, ClientError

    name = getattr(operation, "__name__", "call")
    try:
        return operation(**kwargs)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = error.get("Code") or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        message = " ".join(str(error.get("Message") or exc).split())
        raise SageMakerCommandError(f"{name}: {code}: {message}") from None
    except BotoCoreError as exc:
        raise SageMakerCommandError(f"{name}: {' '.join(str(exc).split())}") from None

