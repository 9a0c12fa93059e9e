"""mladmin's Pulumi components: each a ComponentResource with one frozen args dataclass.

Imports run one way: components depend on Pulumi providers only, never on stacks or the CLI.
"""

from components.budgets import Budgets, BudgetsArgs
from components.iam import Iam, IamArgs, team_role
from components.kms import Kms, KmsArgs
from components.monitoring import Monitoring, MonitoringArgs
from components.network import DEFAULT_INTERFACE_ENDPOINTS, Network, NetworkArgs
from components.storage import Storage, StorageArgs
from components.tags import REQUIRED_TAG_KEYS, Tags

__all__ = [
    "DEFAULT_INTERFACE_ENDPOINTS",
    "REQUIRED_TAG_KEYS",
    "Budgets",
    "BudgetsArgs",
    "Iam",
    "IamArgs",
    "Kms",
    "KmsArgs",
    "Monitoring",
    "MonitoringArgs",
    "Network",
    "NetworkArgs",
    "Storage",
    "StorageArgs",
    "Tags",
    "team_role",
]
