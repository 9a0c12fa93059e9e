"""Believable physical ids and ARNs for resources the offline engine pretends to create.

Ids are derived from a hash of the URN, so a plan is deterministic; formats follow AWS's
(vpc-0123…, arn:aws:kms:us-east-1:123456789012:key/uuid, …) so that references between
resources resolve to values that look like the ones a real deployment produces.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

ACCOUNT_ID = "123456789012"


def digest(seed: str, length: int) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


def uuid_from(seed: str) -> str:
    h = digest(seed, 32)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def kebab(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


@dataclass(frozen=True)
class Identity:
    """Where a resource lives: the account and region the mock pretends it is in."""

    account: str
    region: str
    partition: str = "aws"


# Prefixed EC2-style ids: type token -> id prefix.
_EC2_PREFIXES = {
    "aws:ec2/vpc:Vpc": "vpc",
    "aws:ec2/subnet:Subnet": "subnet",
    "aws:ec2/securityGroup:SecurityGroup": "sg",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg",
    "aws:ec2/internetGateway:InternetGateway": "igw",
    "aws:ec2/natGateway:NatGateway": "nat",
    "aws:ec2/eip:Eip": "eipalloc",
    "aws:ec2/routeTable:RouteTable": "rtb",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce",
    "aws:ec2/flowLog:FlowLog": "fl",
    "aws:ec2/networkAcl:NetworkAcl": "acl",
    "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl": "acl",
    "aws:ec2/launchTemplate:LaunchTemplate": "lt",
    "aws:ec2/instance:Instance": "i",
    "aws:ec2/volume:Volume": "vol",
    "aws:ec2/securityGroupRule:SecurityGroupRule": "sgrule",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "sgr",
    "aws:ec2/keyPair:KeyPair": "key",
}

# The resource kind in an EC2 ARN, by id prefix (arn:aws:ec2:<region>:<account>:<kind>/<id>).
_EC2_ARN_KINDS = {"sg": "security-group", "igw": "internet-gateway", "nat": "natgateway", "rtb": "route-table",
                  "vpce": "vpc-endpoint", "fl": "vpc-flow-log", "acl": "network-acl", "lt": "launch-template",
                  "i": "instance", "vol": "volume", "eipalloc": "elastic-ip", "sgr": "security-group-rule",
                  "key": "key-pair"}

# Resources whose physical name lives in an input other than `name`.
_NAME_FIELDS = {
    "aws:s3/bucket:Bucket": "bucket",
    "aws:s3/bucketV2:BucketV2": "bucket",
    "aws:sagemaker/model:Model": "name",
    "aws:sagemaker/domain:Domain": "domainName",
    "aws:sagemaker/userProfile:UserProfile": "userProfileName",
    "aws:sagemaker/notebookInstance:NotebookInstance": "name",
    "aws:eks/nodeGroup:NodeGroup": "nodeGroupName",
    "aws:eks/addon:Addon": "addonName",
    "aws:eks/fargateProfile:FargateProfile": "fargateProfileName",
    "aws:budgets/budget:Budget": "name",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "name",
    "aws:cloudwatch/dashboard:Dashboard": "dashboardName",
    "aws:ec2/launchTemplate:LaunchTemplate": "name",
    "aws:lambda/function:Function": "name",
}

# Names AWS requires in lower case (auto-names are lowered for these).
_LOWERCASE_NAMES = {"aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2", "aws:ecr/repository:Repository"}


def physical_name(type_: str, logical: str, inputs: dict[str, Any], urn: str) -> tuple[str, str]:
    """Return (input field, name): the explicit name, or a Pulumi-style auto-name (logical-abc1234)."""
    field = _NAME_FIELDS.get(type_, "name")
    explicit = inputs.get(field)
    if isinstance(explicit, str) and explicit:
        return field, explicit
    prefix = inputs.get(f"{field}Prefix")
    base = prefix if isinstance(prefix, str) and prefix else f"{logical}-"
    name = f"{base}{digest(urn, 7)}"
    return field, name.lower() if type_ in _LOWERCASE_NAMES else name


def resource_outputs(type_: str, logical: str, urn: str, inputs: dict[str, Any], where: Identity) -> tuple[str, dict[str, Any]]:
    """The (id, extra outputs) a real create would return for this resource."""
    acct, region, part = where.account, where.region, where.partition
    field, name = physical_name(type_, logical, inputs, urn)
    out: dict[str, Any] = {field: name}  # tagsAll comes with the checked inputs (providers.py)

    if type_ in _EC2_PREFIXES:
        rid = f"{_EC2_PREFIXES[type_]}-0{digest(urn, 16)}"
        kind = _EC2_PREFIXES[type_]
        resource_kind = _EC2_ARN_KINDS.get(kind, kind)
        out["arn"] = f"arn:{part}:ec2:{region}:{acct}:{resource_kind}/{rid}"
        if "name" not in inputs:
            out.pop("name", None)
        if type_ == "aws:ec2/vpc:Vpc":
            out |= {"defaultSecurityGroupId": f"sg-0{digest(urn + 'sg', 16)}",
                    "mainRouteTableId": f"rtb-0{digest(urn + 'rtb', 16)}",
                    "defaultNetworkAclId": f"acl-0{digest(urn + 'acl', 16)}",
                    "defaultRouteTableId": f"rtb-0{digest(urn + 'rtb', 16)}",
                    "ownerId": acct}
        elif type_ == "aws:ec2/eip:Eip":
            h = int(digest(urn, 8), 16)
            out |= {"allocationId": rid, "publicIp": f"3.{(h >> 16) % 256}.{(h >> 8) % 256}.{h % 256}", "domain": "vpc"}
        elif type_ == "aws:ec2/natGateway:NatGateway":
            out |= {"networkInterfaceId": f"eni-0{digest(urn + 'eni', 16)}"}
        elif type_ == "aws:ec2/vpcEndpoint:VpcEndpoint":
            out |= {"prefixListId": f"pl-{digest(urn, 8)}", "ownerId": acct}
        elif type_ == "aws:ec2/launchTemplate:LaunchTemplate":
            out |= {"latestVersion": 1.0, "defaultVersion": 1.0}
        return rid, out

    if type_ in ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"):
        bucket_region = inputs.get("region") or region
        out |= {"arn": f"arn:{part}:s3:::{name}", "bucketDomainName": f"{name}.s3.amazonaws.com",
                "bucketRegionalDomainName": f"{name}.s3.{bucket_region}.amazonaws.com",
                "region": bucket_region, "hostedZoneId": "Z3AQBSTGFYJSTF"}
        return name, out
    if type_ == "aws:kms/key:Key":
        key_id = uuid_from(urn)
        out.pop("name", None)
        out |= {"keyId": key_id, "arn": f"arn:{part}:kms:{region}:{acct}:key/{key_id}"}
        return key_id, out
    if type_ == "aws:kms/alias:Alias":
        target = str(inputs.get("targetKeyId", ""))
        target_arn = target if target.startswith("arn:") else f"arn:{part}:kms:{region}:{acct}:key/{target}"
        out |= {"arn": f"arn:{part}:kms:{region}:{acct}:{name}", "targetKeyArn": target_arn}
        return name, out
    if type_ in ("aws:kms/replicaKey:ReplicaKey",):
        key_id = "mrk-" + digest(urn, 32)
        out.pop("name", None)
        out |= {"keyId": key_id, "arn": f"arn:{part}:kms:{region}:{acct}:key/{key_id}"}
        return key_id, out
    if type_ == "aws:iam/role:Role":
        path = inputs.get("path") or "/"
        out |= {"arn": f"arn:{part}:iam::{acct}:role{path}{name}", "uniqueId": "AROA" + digest(urn, 17).upper()}
        return name, out
    if type_ == "aws:iam/policy:Policy":
        path = inputs.get("path") or "/"
        arn = f"arn:{part}:iam::{acct}:policy{path}{name}"
        out |= {"arn": arn, "policyId": "ANPA" + digest(urn, 17).upper()}
        return arn, out
    if type_ == "aws:iam/user:User":
        out |= {"arn": f"arn:{part}:iam::{acct}:user/{name}", "uniqueId": "AIDA" + digest(urn, 17).upper()}
        return name, out
    if type_ == "aws:iam/instanceProfile:InstanceProfile":
        out |= {"arn": f"arn:{part}:iam::{acct}:instance-profile/{name}"}
        return name, out
    if type_ == "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
        url = str(inputs.get("url", "https://oidc.example")).removeprefix("https://")
        arn = f"arn:{part}:iam::{acct}:oidc-provider/{url}"
        out.pop("name", None)
        return arn, out | {"arn": arn}
    if type_ in ("aws:iam/rolePolicy:RolePolicy",):
        return f"{inputs.get('role', 'role')}:{name}", out
    if type_ in ("aws:iam/rolePolicyAttachment:RolePolicyAttachment",):
        out.pop("name", None)
        return f"{inputs.get('role', 'role')}-{digest(urn, 20)}", out
    if type_ == "aws:cloudwatch/logGroup:LogGroup":
        out |= {"arn": f"arn:{part}:logs:{region}:{acct}:log-group:{name}"}
        return name, out
    if type_ == "aws:ecr/repository:Repository":
        out |= {"arn": f"arn:{part}:ecr:{region}:{acct}:repository/{name}", "registryId": acct,
                "repositoryUrl": f"{acct}.dkr.ecr.{region}.amazonaws.com/{name}"}
        return name, out
    if type_ == "aws:eks/cluster:Cluster":
        issuer_id = digest(urn, 32).upper()
        out |= {"arn": f"arn:{part}:eks:{region}:{acct}:cluster/{name}",
                "endpoint": f"https://{issuer_id}.gr7.{region}.eks.amazonaws.com",
                "identities": [{"oidcs": [{"issuer": f"https://oidc.eks.{region}.amazonaws.com/id/{issuer_id}"}]}],
                "certificateAuthority": {"data": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg=="},
                "clusterId": uuid_from(urn), "platformVersion": "eks.1", "status": "ACTIVE"}
        vpc_config = dict(inputs.get("vpcConfig") or {})
        vpc_config["clusterSecurityGroupId"] = f"sg-0{digest(urn + 'csg', 16)}"
        vpc_config.setdefault("vpcId", f"vpc-0{digest(urn + 'vpc', 16)}")
        out["vpcConfig"] = vpc_config
        return name, out
    if type_ == "aws:eks/nodeGroup:NodeGroup":
        cluster = inputs.get("clusterName", "cluster")
        group_id = uuid_from(urn)
        out |= {"arn": f"arn:{part}:eks:{region}:{acct}:nodegroup/{cluster}/{name}/{group_id}", "status": "ACTIVE",
                # EKS names the node group's Auto Scaling group eks-<node group>-<id>.
                "resources": [{"autoscalingGroups": [{"name": f"eks-{name}-{group_id}"}]}]}
        return f"{cluster}:{name}", out
    if type_ == "aws:sns/topic:Topic":
        arn = f"arn:{part}:sns:{region}:{acct}:{name}"
        return arn, out | {"arn": arn}
    if type_ == "aws:sqs/queue:Queue":
        return f"https://sqs.{region}.amazonaws.com/{acct}/{name}", out | {"arn": f"arn:{part}:sqs:{region}:{acct}:{name}"}
    if type_ == "aws:cloudwatch/metricAlarm:MetricAlarm":
        return name, out | {"arn": f"arn:{part}:cloudwatch:{region}:{acct}:alarm:{name}"}
    if type_ == "aws:budgets/budget:Budget":
        return f"{acct}:{name}", out | {"arn": f"arn:{part}:budgets::{acct}:budget/{name}", "accountId": acct}
    if type_ == "aws:cloudtrail/trail:Trail":
        return name, out | {"arn": f"arn:{part}:cloudtrail:{region}:{acct}:trail/{name}", "homeRegion": region}
    if type_ == "aws:apigateway/restApi:RestApi":
        api_id = digest(urn, 10)
        return api_id, out | {"arn": f"arn:{part}:apigateway:{region}::/restapis/{api_id}",
                              "executionArn": f"arn:{part}:execute-api:{region}:{acct}:{api_id}",
                              "rootResourceId": digest(urn + "root", 10)}
    if type_ == "aws:apigateway/stage:Stage":
        api_id, stage = str(inputs.get("restApi", "api")), str(inputs.get("stageName", name))
        out.pop("name", None)
        return f"ags-{api_id}-{stage}", out | {
            "arn": f"arn:{part}:apigateway:{region}::/restapis/{api_id}/stages/{stage}",
            "executionArn": f"arn:{part}:execute-api:{region}:{acct}:{api_id}/{stage}",
            "invokeUrl": f"https://{api_id}.execute-api.{region}.amazonaws.com/{stage}"}
    if type_ == "aws:sagemaker/domain:Domain":
        domain_id = "d-" + digest(urn, 12)
        return domain_id, out | {"arn": f"arn:{part}:sagemaker:{region}:{acct}:domain/{domain_id}",
                                 "url": f"https://{domain_id}.studio.{region}.sagemaker.aws",
                                 "homeEfsFileSystemId": "fs-0" + digest(urn, 16)}
    if type_.startswith("aws:sagemaker/"):
        kind = kebab(type_.rsplit(":", 1)[1])
        return name, out | {"arn": f"arn:{part}:sagemaker:{region}:{acct}:{kind}/{name.lower()}"}

    if type_.startswith("pulumi:providers:"):
        return uuid_from(urn), {}
    if type_.startswith("aws:"):
        service = type_.split(":")[1].split("/")[0]
        kind = kebab(type_.rsplit(":", 1)[1])
        global_services = {"iam", "s3", "route53", "cloudfront", "organizations", "budgets"}
        arn_region = "" if service in global_services else region
        return name, out | {"arn": f"arn:{part}:{service}:{arn_region}:{acct}:{kind}/{name}"}
    # Kubernetes and other providers: a name-based id; k8s ids are "namespace/name".
    if type_.startswith("kubernetes:"):
        meta = inputs.get("metadata") or {}
        k8s_name = meta.get("name") or f"{logical}-{digest(urn, 8)}"
        namespace = meta.get("namespace")
        return (f"{namespace}/{k8s_name}" if namespace else k8s_name), {"metadata": meta | {"name": k8s_name}}
    return f"{logical}-{digest(urn, 8)}", {}
