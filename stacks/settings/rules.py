"""Environment rules: what prod demands beyond a valid config, in one place.

Each rule is checked by the section it concerns (so a type error elsewhere does not hide it) and
reported as ``<file>: <key path>: <value> ... (prod requires ...)``.

Prod requires:
- network: at least 3 availability zones, ``natGateways: onePerAz``;
- storage: ``protect: true``, ``forceDestroy: false``, a ``replicationRegion`` (other than the
  stack's region, which every environment must respect);
- cluster: all five control-plane log types; ``deletionProtection: true``; system nodes ON_DEMAND
  with minSize >= 2; a public API endpoint (if any) never open to 0.0.0.0/0;
- sagemaker: domain ``appNetworkAccessType: VpcOnly``; endpoints start with >= 2 instances so
  SageMaker spreads them over zones;
- monitoring: somewhere to send alarms (alarmEmails or snsTopicArn); CloudTrail on (``cloudtrail``
  defaults to on in staging and prod, off in dev);
- budgets: someone to notify (budgets.notifyEmails or monitoring.alarmEmails).

Every environment: logs (monitoring, flow logs, S3 access logs) kept at least the environment's
minimum, shared with the policy pack (``policies.facts.environments.LOG_RETENTION_MIN_DAYS``: dev 1,
staging 14, prod 365 days); EKS control-plane logs api, audit and authenticator; GPU instance types
from the environment's allowlist (``GPU_INSTANCE_TYPES_ALLOWED``, or the stack's
``gpu-instance-type-allowlist`` policy parameter); min <= desired <= max; valid, disjoint subnets
inside the VPC, one per zone; GPU pools only on accelerator instance types and CPU pools never on them; known instance types;
SageMaker ``ml.`` types from ``allowedInstanceTypes``; team GPU quotas within the GPU pools' capacity;
team budgets within the environment's budget.
"""

from policies.facts.environments import LOG_RETENTION_MIN_DAYS

PROD_MIN_AZS = 3
LOG_RETENTION_MINIMA_TEXT = ", ".join(f"{env} {days}" for env, days in LOG_RETENTION_MIN_DAYS.items())
PROD_MIN_SYSTEM_NODES = 2
PROD_MIN_ENDPOINT_INSTANCES = 2


def log_retention_problem(days: int, environment: str | None) -> str | None:
    """Why ``days`` of log retention is too short for ``environment``, or None."""
    minimum = LOG_RETENTION_MIN_DAYS.get(environment or "", 0)
    return f"{days} is below the {environment} minimum of {minimum} days" if days < minimum else None
