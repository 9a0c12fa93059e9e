"""Input properties whose change makes the provider replace the resource (delete and create anew).

The real source is each provider's schema (``forceNew`` in the Terraform bridge, ``replaceOnChanges``):
pulumi-aws 7.51.1 does not ship its schema in the Python package (``pulumi_aws/pulumi-plugin.json`` holds
only the name and version; ``pulumi_aws/schemas`` is the AWS EventBridge Schemas service), so the
replace-forcing properties of the types the stacks use are kept here, from the Terraform AWS provider's
``ForceNew`` attributes (registry.terraform.io/providers/hashicorp/aws, checked 2026-12).
tests/diff/test_replacements.py checks every entry against the SDK's input classes and that a change to
it is reported as a replacement. Paths are camelCase input names, nested with dots.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

REPLACE_ON_CHANGE: Mapping[str, tuple[str, ...]] = MappingProxyType({
    # storage and keys: a new bucket or key is an empty one
    "aws:s3/bucket:Bucket": ("bucket", "bucketPrefix", "objectLockEnabled"),
    "aws:kms/key:Key": ("customerMasterKeySpec", "keyUsage", "multiRegion"),
    "aws:kms/alias:Alias": ("name", "namePrefix"),
    "aws:ecr/repository:Repository": ("name",),
    "aws:fsx/lustreFileSystem:LustreFileSystem": ("deploymentType", "subnetIds", "kmsKeyId", "storageType",
                                                  "securityGroupIds"),
    "aws:cloudwatch/logGroup:LogGroup": ("name", "namePrefix", "logGroupClass"),
    # network: replacing these cuts traffic
    "aws:ec2/vpc:Vpc": ("cidrBlock",),
    "aws:ec2/subnet:Subnet": ("vpcId", "cidrBlock", "availabilityZone", "availabilityZoneId"),
    "aws:ec2/natGateway:NatGateway": ("subnetId", "allocationId", "connectivityType"),
    "aws:ec2/eip:Eip": ("domain",),
    "aws:ec2/securityGroup:SecurityGroup": ("name", "namePrefix", "vpcId", "description"),
    "aws:ec2/routeTable:RouteTable": ("vpcId",),
    "aws:ec2/vpcEndpoint:VpcEndpoint": ("vpcId", "serviceName", "vpcEndpointType"),
    # cluster: a new control plane or node group drains every pod
    "aws:eks/cluster:Cluster": ("name", "roleArn", "vpcConfig.subnetIds", "kubernetesNetworkConfig",
                                "bootstrapSelfManagedAddons"),
    "aws:eks/nodeGroup:NodeGroup": ("nodeGroupName", "nodeGroupNamePrefix", "clusterName", "nodeRoleArn",
                                    "subnetIds", "instanceTypes", "capacityType", "diskSize", "remoteAccess"),
    "aws:eks/addon:Addon": ("addonName", "clusterName"),
    # SageMaker: an endpoint configuration is immutable (a new one rolls the endpoint onto new instances)
    "aws:sagemaker/endpointConfiguration:EndpointConfiguration": (
        "name", "productionVariants", "kmsKeyArn", "dataCaptureConfig", "asyncInferenceConfig",
        "shadowProductionVariants"),
    "aws:sagemaker/endpoint:Endpoint": ("name",),
    "aws:sagemaker/model:Model": ("name", "primaryContainer", "containers", "executionRoleArn", "vpcConfig"),
    "aws:sagemaker/domain:Domain": ("domainName", "authMode", "vpcId", "kmsKeyId"),
    # identity and observability
    "aws:iam/role:Role": ("name", "namePrefix", "path"),
    "aws:iam/policy:Policy": ("name", "namePrefix", "path", "description"),
    "aws:sns/topic:Topic": ("name", "namePrefix", "fifoTopic"),
    "aws:cloudtrail/trail:Trail": ("name",),
    "aws:cloudwatch/metricAlarm:MetricAlarm": ("name",),
})


def replacing(type_token: str, changed_path: str) -> str | None:
    """The replace-forcing property a change at ``changed_path`` touches, or None."""
    for forcing in REPLACE_ON_CHANGE.get(type_token, ()):
        if changed_path == forcing or changed_path.startswith(forcing + ".") or forcing.startswith(changed_path + "."):
            return forcing
    return None
