"""Lambda: environment variables under a customer-managed key, failures of asynchronous invocations kept.

Function URLs without authentication are judged by `lambda-not-public` (resource_policies.py): a URL meant
to be public needs an exemption with its reason under `mladmin:policy.exemptions`.
"""

from __future__ import annotations

from typing import Iterator

from policies.keys import KEY_DEFAULTS, KEY_NOTE, KeyParams, customer_key
from policies.spec import STANDARD, Context, Severity, Subject, nist, resource_policy, stack_policy
from policies.views import StackView, given, peek, present, require

FUNCTION = "aws:lambda/function:Function"
PERMISSION = "aws:lambda/permission:Permission"
INVOKE_CONFIG = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"
# Services that invoke a function asynchronously (events are queued; failures are dropped after retries).
ASYNC_PRINCIPALS = ("s3.amazonaws.com", "sns.amazonaws.com", "events.amazonaws.com", "ses.amazonaws.com",
                    "logs.amazonaws.com", "iot.amazonaws.com", "config.amazonaws.com",
                    "lambda.alarms.cloudwatch.amazonaws.com", "codecommit.amazonaws.com")


@resource_policy(
    id="lambda-environment-cmk", area="serverless", title="Lambda environment encrypted with a customer key",
    description="Lambda functions with environment variables encrypt them with a customer-managed KMS key where "
                "the environment requires one; otherwise Lambda uses the AWS-managed key aws/lambda, which "
                "every principal allowed to read the function's configuration can decrypt through.",
    severity=Severity.MEDIUM, enforcement=STANDARD, types=(FUNCTION,),
    remediation="Set kms_key_arn to the platform's KMS key (and keep credentials out of the environment: read "
                "them from Secrets Manager at start-up).",
    frameworks=[nist("SC-28"), nist("SC-12")],
    params=KeyParams, param_defaults=KEY_DEFAULTS,
)
def lambda_environment_cmk(resource: Subject, ctx: Context) -> Iterator[str]:
    if not ctx.params.require_customer_key or not present(resource.props, "environment"):
        return
    variables = peek(resource.props, "environment", "variables")
    if not variables or customer_key(resource.props, "kmsKeyArn"):
        return
    yield (f"{len(variables) if hasattr(variables, '__len__') else 'its'} environment variable(s) are encrypted "
           f"with the AWS-managed key aws/lambda ({KEY_NOTE})")


@stack_policy(
    id="lambda-async-failure-destination", area="serverless", title="Lambda async failures kept",
    description="Lambda functions that AWS services invoke asynchronously (a permission for S3, SNS, "
                "EventBridge, SES, CloudWatch Logs, IoT, Config or CloudWatch alarms) keep the events that "
                "fail: a dead-letter queue or an on-failure destination; otherwise Lambda drops them after two "
                "retries.",
    types=(FUNCTION,),
    severity=Severity.MEDIUM, enforcement=STANDARD,
    remediation="Set dead_letter_config.target_arn to an SQS queue or SNS topic, or add an "
                "aws.lambda_.FunctionEventInvokeConfig with destination_config.on_failure.destination.",
    frameworks=[nist("SI-11"), nist("CP-10")],
)
def lambda_async_failure_destination(stack: StackView, ctx: Context) -> Iterator[tuple[str, str]]:
    functions = stack.of_type(FUNCTION)
    invoked_by: dict[str, set[str]] = {}
    for permission in stack.of_type(PERMISSION):
        principal = peek(permission.props, "principal")
        if principal in ASYNC_PRINCIPALS:
            for function in stack.referenced(permission, "function", functions):
                invoked_by.setdefault(function.urn, set()).add(str(principal))
    kept: set[str] = set()
    for config in stack.of_type(INVOKE_CONFIG):
        if present(given(config, "destinationConfig", "onFailure") or {}, "destination"):
            kept.update(f.urn for f in stack.referenced(config, "functionName", functions))
    for function in functions:
        if function.urn not in invoked_by or function.urn in kept:
            continue
        target = given(function, "deadLetterConfig", "targetArn")
        if target:
            continue
        require(target)
        callers = ", ".join(sorted(invoked_by[function.urn]))
        yield function.urn, (f"function '{function.name}' is invoked asynchronously by {callers} but has no dead-letter "
                             "queue or on-failure destination: failed events are dropped")
