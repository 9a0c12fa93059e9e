"""SageMaker endpoints and Studio: safe rollout (automatic rollback) and the Studio domain's KMS key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Iterator

from policies.keys import customer_key
from policies.spec import PROD_MANDATORY, STANDARD, Context, Severity, Subject, nist, resource_policy
from policies.views import StackView, depends_on, first, given, is_unknown, known_items, peek, present

ENDPOINT = "aws:sagemaker/endpoint:Endpoint"
ENDPOINT_CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
DOMAIN = "aws:sagemaker/domain:Domain"
MODEL = "aws:sagemaker/model:Model"

@resource_policy(
    id="sagemaker-endpoint-auto-rollback", area="sagemaker", title="SageMaker deployments roll back on alarms",
    description="Endpoints that deploy through a deployment config (blue/green or rolling) name CloudWatch alarms "
                "in auto_rollback_configuration, so a bad model version shifts traffic back instead of serving "
                "errors; endpoints without a deployment config are left alone (nothing shifts traffic).",
    severity=Severity.HIGH, enforcement=PROD_MANDATORY, types=(ENDPOINT,),
    remediation="Set deployment_config.auto_rollback_configuration.alarms to the endpoint's 5xx-error and "
                "model-latency alarms.",
    frameworks=[nist("CM-3"), nist("SI-2"), nist("CP-10")],
)
def sagemaker_endpoint_auto_rollback(resource: Subject, ctx: Context) -> Iterator[str]:
    deployment = first(peek(resource.props, "deploymentConfig"))
    if not isinstance(deployment, Mapping) or not deployment:
        return
    rollback = first(peek(deployment, "autoRollbackConfiguration")) or {}
    alarms = known_items(peek(rollback, "alarms")) if isinstance(rollback, Mapping) else []
    # An alarm preview cannot read yet (fed from an Alarm resource) still names one.
    if not any(present(alarm, "alarmName") if isinstance(alarm, Mapping) else alarm is not None for alarm in alarms):
        yield "the deployment config names no rollback alarms: a failing rollout keeps its traffic"


@resource_policy(
    id="sagemaker-domain-kms", area="sagemaker", title="Studio domain storage on a customer-managed key",
    description="SageMaker Studio domains set kms_key_id so the domain's EFS home directories and apps' "
                "storage are encrypted with a customer-managed KMS key (the default is an AWS-managed key).",
    severity=Severity.MEDIUM, enforcement=STANDARD, types=(DOMAIN,),
    remediation="Set kms_key_id to the data KMS key.",
    frameworks=[nist("SC-28"), nist("SC-12")],
)
def sagemaker_domain_kms(resource: Subject, ctx: Context) -> Iterator[str]:
    if not customer_key(resource.props, "kmsKeyId"):
        yield "domain storage has no customer-managed KMS key"


def serverless_only_models(stack: StackView) -> set[str]:
    """URNs of the Models that only serverless variants serve: AWS refuses a VPC config and network
    isolation for those, so the policies requiring them skip such Models.

    A variant's Model is joined by its known modelName, else (one-variant configs, names the provider
    computes in preview) by the config's property dependencies. Where a variant's Model cannot be told
    apart, every Model feeding the config counts as served the variant's way, so a Model any dedicated
    (instance-backed) variant may serve is never skipped.
    """
    models = stack.of_type_cached(MODEL)
    serverless: set[str] = set()
    dedicated: set[str] = set()
    for config in stack.of_type(ENDPOINT_CONFIG):
        fed = {dep.urn for dep in depends_on(config, "productionVariants")} & {m.urn for m in models}
        variants = given(config, "productionVariants")
        if is_unknown(variants):
            dedicated |= fed
            continue
        items = known_items(variants)
        for variant in items:
            if not isinstance(variant, Mapping):
                dedicated |= fed
                continue
            served = {m.urn for m in stack.lookup(models, peek(variant, "modelName"))} or fed
            (serverless if present(variant, "serverlessConfig") else dedicated).update(served)
    return serverless - dedicated
