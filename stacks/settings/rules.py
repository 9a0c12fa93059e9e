"""Environment rules: what prod demands beyond a valid config, in one place.

Each rule is checked by the section it concerns (so a type error elsewhere does not hide it) and
reported as ``<file>: <key path>: <value> ... (prod requires ...)``.

Prod requires:
- network: at least 3 availability zones, ``natGateways: onePerAz``, flow logs kept >= 365 days;
- storage: ``protect: true``, ``forceDestroy: false``, a ``replicationRegion`` (other than the
  stack's region, which every environment must respect), access logs kept >= 365 days;
- cluster: ``deletionProtection: true``; system nodes ON_DEMAND with minSize >= 2; a public API
  endpoint (if any) never open to 0.0.0.0/0;
- sagemaker: domain ``appNetworkAccessType: VpcOnly``; endpoints start with >= 2 instances so
  SageMaker spreads them over zones;
- monitoring: log retention >= 365 days and somewhere to send alarms (alarmEmails or snsTopicArn);
- budgets: someone to notify (budgets.notifyEmails or monitoring.alarmEmails).

Every environment: min <= desired <= max; valid, disjoint subnets inside the VPC, one per zone;
GPU pools only on accelerator instance types and CPU pools never on them; known instance types;
SageMaker ``ml.`` types from ``allowedInstanceTypes``; team GPU quotas within the GPU pools' capacity;
team budgets within the environment's budget.
"""

PROD_MIN_AZS = 3
PROD_MIN_LOG_RETENTION_DAYS = 365
PROD_MIN_SYSTEM_NODES = 2
PROD_MIN_ENDPOINT_INSTANCES = 2
