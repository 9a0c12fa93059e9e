"""The SageMaker Python SDK's defaults for one team's Studio work, and the lifecycle script that writes them.

A Studio user profile runs as its team's role, which starts jobs only the way `mladmin launch train`
does (components/teams.py, components/iam.py). The SDK fills the same settings in from its config
file (``SageMaker.TrainingJob.VpcConfig`` and the rest: the SDK's ``config_schema.py``,
aws/sagemaker-python-sdk v2.257.6 ``src/sagemaker/config/config_schema.py``, unchanged in v3's
``sagemaker-core/src/sagemaker/core/config/config_schema.py``), so a plain ``Estimator(...).fit()``
sends a request the guard allows.

The file is written as JSON, which YAML parsers (the SDK's ``yaml.safe_load``) read as YAML.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

# Where the SDK reads a user's config (platformdirs' user_config_dir("sagemaker") on Linux). The admin
# path, /etc/xdg/sagemaker/config.yaml, is not writable by the apps' non-root user.
USER_CONFIG_DIR = ".config/sagemaker"
# CreateStudioLifecycleConfig: StudioLifecycleConfigContent is base64 of at most 16,384 characters.
MAX_CONTENT_LENGTH = 16384
_END = "MLADMIN_SDK_CONFIG"


@dataclass(frozen=True)
class SdkDefaults:
    """What the SDK fills into a team's jobs and models when the code leaves it out."""

    subnet_ids: Sequence[pulumi.Input[str]]   # the platform's private subnets
    security_group_id: pulumi.Input[str]      # the jobs' security group (TrainingNetwork)
    kms_key_arn: pulumi.Input[str]            # outputs and volumes of jobs: a key of the account (the data key)
    bucket: pulumi.Input[str]                 # Session.default_bucket(): model artifacts, uploaded code and data
    # The team's key prefix, with its slash: the SDK lists the bucket under exactly this prefix before its
    # first upload, and the team may list teams/<team>/ but not teams/<team>.
    key_prefix: str
    # The team's job role (teamJobRoleArns): the only role a team role may pass, so the execution role of its jobs
    # and models.
    role_arn: pulumi.Input[str] = ""
    network_isolation: bool = True            # secure by default; a team may turn it off per job if IAM lets it
    encrypt_inter_container_traffic: bool = True


def sdk_config(*, subnet_ids: Sequence[str], security_group_id: str, kms_key_arn: str, bucket: str,
               key_prefix: str, role_arn: str = "", network_isolation: bool = True,
               encrypt_inter_container_traffic: bool = True) -> dict[str, Any]:
    """The config document (schema version 1.0): training jobs (and tuning jobs, which take the
    estimator's), processing jobs and models in the VPC, with the account's key and the team's prefix."""
    vpc = {"SecurityGroupIds": [security_group_id], "Subnets": list(subnet_ids)}
    role = {"RoleArn": role_arn} if role_arn else {}
    config = {
        "SchemaVersion": "1.0",
        "SageMaker": {
            "PythonSDK": {"Modules": {"Session": {"DefaultS3Bucket": bucket, "DefaultS3ObjectKeyPrefix": key_prefix}}},
            "TrainingJob": {
                **role,
                "VpcConfig": vpc,
                "EnableNetworkIsolation": network_isolation,
                "EnableInterContainerTrafficEncryption": encrypt_inter_container_traffic,
                "OutputDataConfig": {"KmsKeyId": kms_key_arn},
                # The SDK's Estimator leaves this out on types with local NVMe (sagemaker.utils.instance_supports_kms).
                "ResourceConfig": {"VolumeKmsKeyId": kms_key_arn},
            },
            "ProcessingJob": {
                **role,
                "NetworkConfig": {"VpcConfig": vpc, "EnableNetworkIsolation": network_isolation,
                                  "EnableInterContainerTrafficEncryption": encrypt_inter_container_traffic},
                "ProcessingOutputConfig": {"KmsKeyId": kms_key_arn},
                "ProcessingResources": {"ClusterConfig": {"VolumeKmsKeyId": kms_key_arn}},
            },
            "Model": {**({"ExecutionRoleArn": role_arn} if role_arn else {}), "VpcConfig": vpc},
        },
    }
    return config


def lifecycle_script(team: str, config: dict[str, Any]) -> str:
    """A JupyterLab start script that replaces the user's SDK config with ``config`` (atomically)."""
    document = json.dumps(config, indent=2, sort_keys=True)
    return f"""#!/bin/bash
# mladmin: SageMaker Python SDK defaults for team {team}: the VPC, KMS key, isolation and S3 prefix
# its role demands of every job. Rewritten at each start; pass an argument in code to override one.
set -euo pipefail
dir="${{HOME:-/home/sagemaker-user}}/{USER_CONFIG_DIR}"
mkdir -p "$dir"
tmp="$(mktemp "$dir/.config.yaml.XXXXXX")"
cat > "$tmp" <<'{_END}'
{document}
{_END}
mv -f "$tmp" "$dir/config.yaml"
"""


def lifecycle_content(team: str, values: dict[str, Any]) -> str:
    """StudioLifecycleConfigContent: the base64 of the script for ``values`` (``sdk_config``'s arguments)."""
    content = base64.b64encode(lifecycle_script(team, sdk_config(**values)).encode()).decode()
    if len(content) > MAX_CONTENT_LENGTH:
        raise ValueError(f"Studio lifecycle config of team {team!r}: {len(content)} base64 characters, over "
                         f"SageMaker's {MAX_CONTENT_LENGTH}")
    return content


def content_digest(content: str) -> str:
    """Eight hex digits of the content's SHA-256, for the lifecycle configuration's name.

    SageMaker cannot update a lifecycle configuration (the provider replaces it when its content changes)
    and names are unique: a name that follows the content lets the new one be created, the profiles
    moved to it, and only then the old one deleted.
    """
    return hashlib.sha256(content.encode()).hexdigest()[:8]


def lifecycle_content_output(team: str, defaults: SdkDefaults) -> pulumi.Output[str]:
    """``lifecycle_content`` once the ids and ARNs in ``defaults`` are known."""
    return pulumi.Output.all(
        subnet_ids=pulumi.Output.all(*defaults.subnet_ids),
        security_group_id=defaults.security_group_id,
        kms_key_arn=defaults.kms_key_arn,
        bucket=defaults.bucket,
        role_arn=defaults.role_arn,
    ).apply(lambda known: lifecycle_content(team, {
        **known, "key_prefix": defaults.key_prefix, "network_isolation": defaults.network_isolation,
        "encrypt_inter_container_traffic": defaults.encrypt_inter_container_traffic}))
