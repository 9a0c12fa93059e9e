"""Typed stack settings: the only code that reads Pulumi config.

    from stacks.settings import load_settings_file
    settings = load_settings_file(Path("stacks/Pulumi.prod.yaml"), "prod")
    settings.cluster.node_groups[0].max_size
"""

from .cluster import ClusterSettings, NodeGroupSettings, SystemNodesSettings, TaintSettings
from .cost import CostSettings
from .errors import SettingsError
from .loader import load_settings, load_settings_file, settings_from_pulumi
from .model import Settings
from .monitoring import BudgetSettings, MonitoringSettings
from .network import NetworkSettings
from .sagemaker import EndpointSettings, SageMakerDomainSettings, SageMakerSettings
from .storage import StorageSettings
from .teams import TeamMemberSettings, TeamSettings

__all__ = [
    "BudgetSettings",
    "ClusterSettings",
    "CostSettings",
    "EndpointSettings",
    "MonitoringSettings",
    "NetworkSettings",
    "NodeGroupSettings",
    "SageMakerDomainSettings",
    "SageMakerSettings",
    "Settings",
    "SettingsError",
    "StorageSettings",
    "SystemNodesSettings",
    "TaintSettings",
    "TeamMemberSettings",
    "TeamSettings",
    "load_settings",
    "load_settings_file",
    "settings_from_pulumi",
]
