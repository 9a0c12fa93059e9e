"""ECS and Fargate: task networking, container hardening, secrets, Container Insights.

Task definitions carry `container_definitions` as one JSON string; when the program builds it from other
resources' outputs (an image URI from a repository), `pulumi preview` cannot read it and these policies
report themselves as not run on that task definition.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Iterator

from policies.spec import STANDARD, STRICT, Context, Severity, Subject, nist, resource_policy
from policies.views import dig, as_list, known_items, peek, require, truthy

TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
SERVICE = "aws:ecs/service:Service"
CLUSTER = "aws:ecs/cluster:Cluster"
ROOT_USERS = {"root", "0"}
# Environment variable names that hold credentials: their values belong in `secrets` (valueFrom).
SECRET_NAME = re.compile(r"(pass(word|wd)?|secret|token|api[_-]?key|private[_-]?key|credential|access[_-]?key)",
                         re.IGNORECASE)


def containers(resource: Subject) -> list[Mapping[str, Any]]:
    """The task's container definitions (raises the engine's unknown error when preview cannot read them)."""
    raw = dig(resource.props, "containerDefinitions")
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return []
    return [c for c in as_list(raw) if isinstance(c, Mapping)]


def _name(container: Mapping[str, Any]) -> str:
    return str(container.get("name") or "?")


@resource_policy(
    id="ecs-no-privileged", area="containers", title="No privileged ECS containers",
    description="ECS container definitions never run privileged (root on the host's devices and kernel).",
    severity=Severity.CRITICAL, enforcement=STRICT, types=(TASK_DEFINITION,),
    remediation="Remove privileged: true; grant the specific Linux capability (linuxParameters.capabilities.add) "
                "the container needs instead.",
    frameworks=[nist("AC-6"), nist("CM-7")],
)
def ecs_no_privileged(resource: Subject, ctx: Context) -> Iterator[str]:
    for container in containers(resource):
        if truthy(container.get("privileged")):
            yield f"container '{_name(container)}' runs privileged"


@resource_policy(
    id="ecs-read-only-root", area="containers", title="ECS containers with read-only root filesystems",
    description="ECS containers mount their root filesystem read-only (writes go to declared volumes).",
    severity=Severity.MEDIUM, enforcement=STANDARD, types=(TASK_DEFINITION,),
    remediation="Set readonlyRootFilesystem: true in each container definition and mount a volume (or "
                "ephemeral storage) where the process writes (e.g. /tmp, the model cache).",
    frameworks=[nist("CM-7"), nist("SI-7")],
)
def ecs_read_only_root(resource: Subject, ctx: Context) -> Iterator[str]:
    for container in containers(resource):
        if not truthy(container.get("readonlyRootFilesystem")):
            yield f"container '{_name(container)}' has a writable root filesystem"


@resource_policy(
    id="ecs-non-root-user", area="containers", title="ECS containers run as a non-root user",
    description="ECS containers name a non-root user (without one they run as the image's user, usually root).",
    severity=Severity.MEDIUM, enforcement=STANDARD, types=(TASK_DEFINITION,),
    remediation="Set user to a non-root uid (e.g. \"1000\" or \"1000:1000\") in each container definition.",
    frameworks=[nist("AC-6")],
)
def ecs_non_root_user(resource: Subject, ctx: Context) -> Iterator[str]:
    for container in containers(resource):
        user = str(container.get("user") or "").strip()
        if not user:
            yield f"container '{_name(container)}' names no user (runs as the image's user, root by default)"
        elif user.split(":", 1)[0] in ROOT_USERS:
            yield f"container '{_name(container)}' runs as {user}"


@resource_policy(
    id="ecs-secrets-not-in-environment", area="containers", title="ECS secrets from Secrets Manager or SSM",
    description="ECS container environment variables whose names say they hold a credential (password, secret, "
                "token, api key, private key, credential, access key) are not given as plain values: they come "
                "from `secrets` (valueFrom a Secrets Manager secret or SSM SecureString).",
    severity=Severity.HIGH, enforcement=STRICT, types=(TASK_DEFINITION,),
    remediation="Move the variable to the container's secrets: [{name, valueFrom: <secret or parameter ARN>}] and "
                "let the task execution role read it.",
    frameworks=[nist("IA-5"), nist("SC-28")],
)
def ecs_secrets_not_in_environment(resource: Subject, ctx: Context) -> Iterator[str]:
    for container in containers(resource):
        exposed = sorted({str(v.get("name")) for v in as_list(container.get("environment"))
                          if isinstance(v, Mapping) and SECRET_NAME.search(str(v.get("name") or ""))
                          and str(v.get("value") or "").strip()})
        if exposed:
            yield f"container '{_name(container)}' passes {', '.join(exposed)} as plain environment values"


@resource_policy(
    id="ecs-no-public-ip", area="containers", title="ECS tasks without public IPs",
    description="ECS services do not give their tasks public IPs (assign_public_ip); tasks reach the internet "
                "through NAT and are reached through a load balancer.",
    severity=Severity.HIGH, enforcement=STRICT, types=(SERVICE,),
    remediation="Set network_configuration.assign_public_ip=False and place the tasks in private subnets.",
    frameworks=[nist("SC-7")],
)
def ecs_no_public_ip(resource: Subject, ctx: Context) -> Iterator[str]:
    assign = dig(resource.props, "networkConfiguration", "assignPublicIp")
    if truthy(assign):
        yield "tasks get public IPs (network_configuration.assign_public_ip is on)"


@resource_policy(
    id="ecs-container-insights", area="containers", title="ECS Container Insights",
    description="ECS clusters turn on Container Insights (off unless the account default says otherwise), so "
                "task CPU, memory and restarts reach CloudWatch.",
    severity=Severity.LOW, enforcement=STANDARD, types=(CLUSTER,),
    remediation="Set settings=[{name: 'containerInsights', value: 'enabled'}] (or 'enhanced').",
    frameworks=[nist("SI-4"), nist("AU-12")],
)
def ecs_container_insights(resource: Subject, ctx: Context) -> Iterator[str]:
    settings = known_items(peek(resource.props, "settings"))
    values = [peek(s, "value") for s in settings if isinstance(s, Mapping) and s.get("name") == "containerInsights"]
    if any(v in ("enabled", "enhanced") for v in values):
        return
    require(*settings, *values)
    yield "Container Insights is off" + ("" if values else " (no containerInsights setting)")
