"""For every policy: resources that pass and resources that fail (the catalogue test checks coverage)."""

from __future__ import annotations

from tests.policies import sdk_cases
from tests.policies.builders import TAGS, Case, doc, res

B = "aws:s3/bucket:Bucket"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
VER = "aws:s3/bucketVersioning:BucketVersioning"
BPOL = "aws:s3/bucketPolicy:BucketPolicy"
LOG = "aws:s3/bucketLogging:BucketLogging"
REP = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
OWN = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
ACL = "aws:s3/bucketAcl:BucketAcl"
SG = "aws:ec2/securityGroup:SecurityGroup"
SGR = "aws:ec2/securityGroupRule:SecurityGroupRule"
SGI = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
LB = "aws:lb/loadBalancer:LoadBalancer"
NG = "aws:eks/nodeGroup:NodeGroup"
LT = "aws:ec2/launchTemplate:LaunchTemplate"
EKS = "aws:eks/cluster:Cluster"
EPC = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
NB = "aws:sagemaker/notebookInstance:NotebookInstance"
ROLE = "aws:iam/role:Role"
DEPLOY = "kubernetes:apps/v1:Deployment"
POD = "kubernetes:core/v1:Pod"

TLS_DENY = {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


def bucket_set(name: str, *, skip: tuple[str, ...] = (), replicate: bool = False, log_to: str = "logs",
               **changes: dict) -> list:
    """A bucket with every companion resource a compliant bucket has; `skip` drops some."""
    parts = {
        "pab": res(PAB, f"{name}-pab", bucket=name, **{**dict(blockPublicAcls=True, blockPublicPolicy=True,
                   ignorePublicAcls=True, restrictPublicBuckets=True), **changes.get("pab", {})}),
        "sse": res(SSE, f"{name}-sse", bucket=name, rules=[{"applyServerSideEncryptionByDefault": {
            "sseAlgorithm": changes.get("sse", {}).get("sseAlgorithm", "aws:kms"),
            "kmsMasterKeyId": "arn:aws:kms:us-east-1:123456789012:key/k"}, "bucketKeyEnabled": True}]),
        "ver": res(VER, f"{name}-versioning", bucket=name,
                   versioningConfiguration={"status": changes.get("ver", {}).get("status", "Enabled")}),
        "pol": res(BPOL, f"{name}-policy", bucket=name, policy=doc(TLS_DENY)),
        "log": res(LOG, f"{name}-logging", bucket=name, targetBucket=log_to, targetPrefix=f"{name}/"),
        "own": res(OWN, f"{name}-ownership", bucket=name, rule={"objectOwnership": "BucketOwnerEnforced"}),
    }
    if replicate:
        parts["rep"] = res(REP, f"{name}-replication", bucket=name, role="arn:aws:iam::123456789012:role/r",
                           rules=[{"id": "all", "status": "Enabled",
                                   "destination": {"bucket": f"arn:aws:s3:::{name}-replica"}}])
    bucket = res(B, name, bucket=name, tags=TAGS)
    return [bucket] + [r for key, r in parts.items() if key not in skip]


def containers(**security) -> list:
    return [{"name": "app", "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/serve:1.4.2",
             "securityContext": {"allowPrivilegeEscalation": False, "runAsNonRoot": True, **security},
             "resources": {"limits": {"cpu": "2", "memory": "4Gi"}, "requests": {"cpu": "1", "memory": "2Gi"}}}]


def deployment(name: str, containers_=None, **pod) -> object:
    return res(DEPLOY, name, metadata={"name": name},
               spec={"template": {"spec": {"containers": containers_ or containers(), **pod}}})


def wildcard_statement() -> dict:
    return {"Effect": "Allow", "Action": "*", "Resource": "*"}


PRIVATE_NET = [
    res("aws:ec2/subnet:Subnet", "private-a", id="subnet-0a", mapPublicIpOnLaunch=False),
    res("aws:ec2/subnet:Subnet", "public-a", id="subnet-1a", mapPublicIpOnLaunch=False),
    res("aws:ec2/internetGateway:InternetGateway", "igw", id="igw-0123"),
    res("aws:ec2/routeTable:RouteTable", "public-rt", id="rtb-1", routes=[{"cidrBlock": "0.0.0.0/0", "gatewayId": "igw-0123"}]),
    res("aws:ec2/routeTableAssociation:RouteTableAssociation", "public-a-rta", subnetId="subnet-1a", routeTableId="rtb-1"),
]

ENCRYPTED_LT = res(LT, "gpu-lt", id="lt-0abc", blockDeviceMappings=[{"deviceName": "/dev/xvda", "ebs": {"encrypted": "true", "volumeSize": 100.0}}],
                   metadataOptions={"httpTokens": "required", "httpPutResponseHopLimit": 2.0})

PASSING: dict[str, list[Case]] = {
    "launch-template-volume-encrypted": [Case([ENCRYPTED_LT])],
    "ecr-scan-on-push": [Case([res("aws:ecr/repository:Repository", "serve", imageScanningConfiguration={"scanOnPush": True})])],
    "ecr-immutable-tags": [Case([res("aws:ecr/repository:Repository", "serve", imageTagMutability="IMMUTABLE")])],
    "ecr-kms": [Case([res("aws:ecr/repository:Repository", "serve", encryptionConfigurations=[{"encryptionType": "KMS", "kmsKey": "arn:k"}])])],
    "sg-no-public-admin-ports": [Case([res(SG, "ssh", ingress=[{"protocol": "tcp", "fromPort": 22.0, "toPort": 22.0, "cidrBlocks": ["10.0.0.0/16"]}])])],
    "sg-no-public-ingress": [Case([res(SG, "alb-sg", id="sg-alb"),
                                   res(SGI, "alb-https", securityGroupId="sg-alb", ipProtocol="tcp", fromPort=443.0, toPort=443.0, cidrIpv4="0.0.0.0/0"),
                                   res(LB, "alb", securityGroups=["sg-alb"]),
                                   res(SG, "nodes", ingress=[{"protocol": "-1", "fromPort": 0.0, "toPort": 0.0, "cidrBlocks": ["10.0.0.0/16"]}])])],
    "ec2-default-sg-restricts-all": [Case([res("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "default", vpcId="vpc-1", ingress=[], egress=[])])],
    "vpc-flow-logs": [Case([res("aws:ec2/vpc:Vpc", "main", id="vpc-1"), res("aws:ec2/flowLog:FlowLog", "main-flow", vpcId="vpc-1", trafficType="ALL")])],
    "eks-nodes-private-subnets": [Case(PRIVATE_NET + [res(NG, "system", subnetIds=["subnet-0a"])])],
    "eks-endpoint-private": [Case([res(EKS, "prod", vpcConfig={"endpointPrivateAccess": True, "endpointPublicAccess": False})], environment="prod"),
                             Case([res(EKS, "dev", vpcConfig={"endpointPrivateAccess": True, "endpointPublicAccess": True, "publicAccessCidrs": ["203.0.113.0/24"]})])],
    "sagemaker-model-vpc": [Case([res("aws:sagemaker/model:Model", "llm", vpcConfig={"subnets": ["subnet-0a"], "securityGroupIds": ["sg-1"]})])],
    "sagemaker-domain-vpc-only": [Case([res("aws:sagemaker/domain:Domain", "studio", appNetworkAccessType="VpcOnly")])],
    "eks-secrets-encryption": [Case([res(EKS, "c", encryptionConfig={"resources": ["secrets"], "provider": {"keyArn": "arn:k"}})])],
    "eks-control-plane-logging": [Case([res(EKS, "c", enabledClusterLogTypes=["api", "audit", "authenticator"])]),
                                  Case([res(EKS, "c", enabledClusterLogTypes=["api", "audit", "authenticator", "controllerManager", "scheduler"])], environment="prod")],
    "eks-supported-version": [Case([res(EKS, "c", version="1.33")])],
    "ec2-imdsv2-required": [Case([ENCRYPTED_LT])],
    "eks-gpu-nodes-tainted": [Case([res(NG, "gpu", instanceTypes=["g5.2xlarge"], taints=[{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}]),
                                    res(NG, "system", instanceTypes=["m6i.large"])])],
    "eks-node-volumes-encrypted": [Case([ENCRYPTED_LT, res(NG, "gpu", launchTemplate={"id": "lt-0abc", "version": "1"})]),
                                   Case([res(NG, "system"), res("aws:ebs/encryptionByDefault:EncryptionByDefault", "ebs", enabled=True)])],
    "eks-node-no-remote-access": [Case([res(NG, "system", instanceTypes=["m6i.large"])])],
    "iam-no-wildcard-admin": [Case([res("aws:iam/policy:Policy", "scoped", policy=doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"}))])],
    "iam-passrole-scoped": [Case([res("aws:iam/policy:Policy", "pass", policy=doc({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::123456789012:role/sm"}))])],
    "iam-team-role-boundary": [Case([res(ROLE, "research-team-role", permissionsBoundary="arn:aws:iam::123456789012:policy/b", tags={**TAGS, "team": "research"}),
                                     res(ROLE, "platform-role", tags={**TAGS, "team": "ml-platform"})])],
    "iam-no-users": [Case([res(ROLE, "r")])],
    "iam-no-access-keys": [Case([res(ROLE, "r")])],
    "sagemaker-endpoint-kms": [Case([res(EPC, "cpu", kmsKeyArn="arn:k", productionVariants=[{"variantName": "main", "instanceType": "ml.m5.xlarge"}])]),
                               Case([res(EPC, "nvme", productionVariants=[{"variantName": "main", "instanceType": "ml.g5.2xlarge"}])])],
    "sagemaker-data-capture-prod": [Case([res(EPC, "llm", dataCaptureConfig={"enableCapture": True, "initialSamplingPercentage": 20.0, "destinationS3Uri": "s3://capture/llm"})], environment="prod")],
    "sagemaker-notebook-no-direct-internet": [Case([res(NB, "nb", directInternetAccess="Disabled", subnetId="subnet-0a", rootAccess="Disabled")])],
    "sagemaker-notebook-no-root": [Case([res(NB, "nb", rootAccess="Disabled")])],
    "sagemaker-notebook-kms": [Case([res(NB, "nb", kmsKeyId="arn:k")])],
    "sagemaker-network-isolation": [Case([res("aws:sagemaker/model:Model", "llm", enableNetworkIsolation=True)])],
    "gpu-instance-type-allowlist": [Case([res(NG, "gpu", instanceTypes=["g5.2xlarge"]), res(NG, "cpu", instanceTypes=["m6i.xlarge"])]),
                                    Case([res(NG, "train", instanceTypes=["p5.48xlarge"])], environment="prod")],
    "gpu-budget": [Case([res(NG, "gpu", instanceTypes=["g5.12xlarge"], scalingConfig={"minSize": 0.0, "desiredSize": 0.0, "maxSize": 2.0})])],
    "log-group-retention": [Case([res("aws:cloudwatch/logGroup:LogGroup", "app", retentionInDays=7.0)]),
                            Case([res("aws:cloudwatch/logGroup:LogGroup", "app", retentionInDays=365.0)], environment="prod")],
    "log-group-kms": [Case([res("aws:cloudwatch/logGroup:LogGroup", "app", kmsKeyId="arn:k")])],
    "alarm-has-actions": [Case([res("aws:cloudwatch/metricAlarm:MetricAlarm", "5xx", alarmActions=["arn:aws:sns:us-east-1:123456789012:oncall"])])],
    "sns-topic-encrypted": [Case([res("aws:sns/topic:Topic", "oncall", kmsMasterKeyId="alias/logs")])],
    "required-tags": [Case([res(B, "data", tags=TAGS), res(PAB, "data-pab", bucket="data")]),
                      Case([res(B, "data", tags={"Name": "data"}, provider="urn:pulumi:test::fixture::pulumi:providers:aws::default::p1"),
                            res("pulumi:providers:aws", "default", defaultTags={"tags": TAGS})])],
    "environment-tag-matches": [Case([res(B, "data", tags=TAGS)])],
    "k8s-no-privileged": [Case([deployment("serve")])],
    "k8s-no-host-namespaces": [Case([deployment("serve")])],
    "k8s-no-host-path": [Case([deployment("serve", volumes=[{"name": "cache", "emptyDir": {}}])])],
    "k8s-no-privilege-escalation": [Case([deployment("serve")])],
    "k8s-run-as-non-root": [Case([deployment("serve")]),
                            Case([res(POD, "p", spec={"securityContext": {"runAsUser": 1000.0}, "containers": [{"name": "c", "image": "x:1"}]})])],
    "k8s-resource-limits": [Case([deployment("serve")])],
    "k8s-gpu-limits": [Case([deployment("serve", containers_=[{**containers()[0], "resources": {"limits": {"cpu": "4", "memory": "16Gi", "nvidia.com/gpu": "1"}, "requests": {"nvidia.com/gpu": "1"}}}],
                                        tolerations=[{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}])])],
    "k8s-image-pinned": [Case([deployment("serve"), res(POD, "digest", spec={"containers": [{"name": "c", "image": "registry:5000/app@sha256:" + "a" * 64}]})])],
    "k8s-no-public-load-balancer-prod": [Case([res("kubernetes:core/v1:Service", "gateway", metadata={"annotations": {"service.beta.kubernetes.io/aws-load-balancer-scheme": "internal"}}, spec={"type": "LoadBalancer"}),
                                               res("kubernetes:core/v1:Service", "cluster-ip", spec={"type": "ClusterIP"})], environment="prod")],
    "policy-exemption-expired": [Case([res(B, "data")], policy_config={"exemptions": [{"policy": "s3-versioning", "resource": "data", "reason": "scratch data, rebuilt nightly", "expires": "2099-12-31"}]})],
}

FAILING: dict[str, list[Case]] = {
    "launch-template-volume-encrypted": [Case([res(LT, "lt", blockDeviceMappings=[{"deviceName": "/dev/xvda", "ebs": {"encrypted": "false"}}])], "lt")],
    "ecr-scan-on-push": [Case([res("aws:ecr/repository:Repository", "serve")], "serve")],
    "ecr-immutable-tags": [Case([res("aws:ecr/repository:Repository", "serve")], "serve")],
    "ecr-kms": [Case([res("aws:ecr/repository:Repository", "serve")], "serve")],
    "sg-no-public-admin-ports": [Case([res(SG, "ssh", ingress=[{"protocol": "tcp", "fromPort": 22.0, "toPort": 22.0, "cidrBlocks": ["0.0.0.0/0"]}])], "ssh"),
                                 Case([res(SGR, "rdp", type="ingress", protocol="tcp", fromPort=3389.0, toPort=3389.0, securityGroupId="sg-1", ipv6CidrBlocks=["::/0"])], "rdp")],
    "sg-no-public-ingress": [Case([res(SG, "api", id="sg-api"), res(SGI, "api-8080", securityGroupId="sg-api", ipProtocol="tcp", fromPort=8080.0, toPort=8080.0, cidrIpv4="0.0.0.0/0")], "api-8080"),
                             Case([res(SG, "web", ingress=[{"protocol": "tcp", "fromPort": 443.0, "toPort": 443.0, "cidrBlocks": ["0.0.0.0/0"]}])], "web")],
    "ec2-default-sg-restricts-all": [Case([res("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "default", ingress=[{"protocol": "-1", "self": True, "fromPort": 0.0, "toPort": 0.0}])], "default")],
    "vpc-flow-logs": [Case([res("aws:ec2/vpc:Vpc", "main", id="vpc-1")], "main")],
    "eks-nodes-private-subnets": [Case(PRIVATE_NET + [res(NG, "system", subnetIds=["subnet-0a", "subnet-1a"])], "system"),
                                  Case([res("aws:ec2/subnet:Subnet", "pub", id="subnet-9", mapPublicIpOnLaunch=True), res(NG, "ng", subnetIds=["subnet-9"])], "ng")],
    "eks-endpoint-private": [Case([res(EKS, "prod", vpcConfig={"endpointPrivateAccess": True, "endpointPublicAccess": True, "publicAccessCidrs": ["203.0.113.0/24"]})], "prod", environment="prod"),
                             Case([res(EKS, "dev", vpcConfig={"endpointPrivateAccess": True})], "dev")],
    "sagemaker-model-vpc": [Case([res("aws:sagemaker/model:Model", "llm")], "llm")],
    "sagemaker-domain-vpc-only": [Case([res("aws:sagemaker/domain:Domain", "studio")], "studio")],
    "eks-secrets-encryption": [Case([res(EKS, "c")], "c")],
    "eks-control-plane-logging": [Case([res(EKS, "c", enabledClusterLogTypes=["api"])], "c"),
                                  Case([res(EKS, "c", enabledClusterLogTypes=["api", "audit", "authenticator"])], "c", environment="prod")],
    "eks-supported-version": [Case([res(EKS, "c", version="1.24")], "c"), Case([res(EKS, "unpinned")], "unpinned")],
    "ec2-imdsv2-required": [Case([res(LT, "lt", metadataOptions={"httpTokens": "optional"})], "lt"),
                            Case([res("aws:ec2/instance:Instance", "vm")], "vm")],
    "eks-gpu-nodes-tainted": [Case([res(NG, "gpu", instanceTypes=["g5.2xlarge"])], "gpu")],
    "eks-node-volumes-encrypted": [Case([res(NG, "system")], "system"),
                                   Case([res(LT, "lt", id="lt-1", blockDeviceMappings=[{"deviceName": "/dev/xvda", "ebs": {"encrypted": "false"}}]), res(NG, "ng", launchTemplate={"id": "lt-1"})], "ng")],
    "eks-node-no-remote-access": [Case([res(NG, "system", remoteAccess={"ec2SshKey": "ops"})], "system")],
    "iam-no-wildcard-admin": [Case([res("aws:iam/policy:Policy", "admin", policy=doc(wildcard_statement()))], "admin"),
                              Case([res(ROLE, "inline", inlinePolicies=[{"name": "all", "policy": doc({"Effect": "Allow", "Action": ["*:*"], "Resource": ["*"]})}])], "inline")],
    "iam-passrole-scoped": [Case([res("aws:iam/rolePolicy:RolePolicy", "pass", role="r", policy=doc({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}))], "pass")],
    "iam-team-role-boundary": [Case([res(ROLE, "research-team-role")], "research-team-role"),
                               Case([res(ROLE, "analyst", tags={**TAGS, "team": "research"})], "analyst")],
    "iam-no-users": [Case([res("aws:iam/user:User", "ci")], "ci")],
    "iam-no-access-keys": [Case([res("aws:iam/accessKey:AccessKey", "ci-key", user="ci")], "ci-key")],
    "sagemaker-endpoint-kms": [Case([res(EPC, "cpu", productionVariants=[{"variantName": "main", "instanceType": "ml.m5.xlarge"}])], "cpu")],
    "sagemaker-data-capture-prod": [Case([res(EPC, "llm")], "llm", environment="prod"),
                                    Case([res(EPC, "llm", dataCaptureConfig={"enableCapture": True, "initialSamplingPercentage": 0.0, "destinationS3Uri": "s3://c"})], "llm", environment="prod")],
    "sagemaker-notebook-no-direct-internet": [Case([res(NB, "nb")], "nb")],
    "sagemaker-notebook-no-root": [Case([res(NB, "nb")], "nb")],
    "sagemaker-notebook-kms": [Case([res(NB, "nb")], "nb")],
    "sagemaker-network-isolation": [Case([res("aws:sagemaker/model:Model", "llm")], "llm")],
    "gpu-instance-type-allowlist": [Case([res(NG, "train", instanceTypes=["p5.48xlarge"])], "train"),
                                    Case([res(EPC, "llm", productionVariants=[{"variantName": "main", "instanceType": "ml.p4d.24xlarge"}])], "llm", environment="staging")],
    "gpu-budget": [Case([res(NG, "gpu", instanceTypes=["g5.12xlarge"], scalingConfig={"minSize": 0.0, "desiredSize": 0.0, "maxSize": 3.0})], None),
                   Case([res(EPC, "llm", productionVariants=[{"variantName": "main", "instanceType": "ml.g5.12xlarge", "initialInstanceCount": 1.0}]),
                         res("aws:sagemaker/endpoint:Endpoint", "llm-ep", endpointConfigName="llm", name="llm-ep"),
                         res("aws:appautoscaling/target:Target", "llm-scaling", resourceId="endpoint/llm-ep/variant/main", serviceNamespace="sagemaker", minCapacity=1.0, maxCapacity=3.0)], None),
                   Case([res(NG, "future", instanceTypes=["p7.96xlarge"], scalingConfig={"maxSize": 1.0})], None)],
    "log-group-retention": [Case([res("aws:cloudwatch/logGroup:LogGroup", "app")], "app"),
                            Case([res("aws:cloudwatch/logGroup:LogGroup", "app", retentionInDays=7.0)], "app", environment="prod")],
    "log-group-kms": [Case([res("aws:cloudwatch/logGroup:LogGroup", "app")], "app")],
    "alarm-has-actions": [Case([res("aws:cloudwatch/metricAlarm:MetricAlarm", "5xx")], "5xx")],
    "sns-topic-encrypted": [Case([res("aws:sns/topic:Topic", "oncall")], "oncall")],
    "required-tags": [Case([res(B, "data", tags={"owner": "ml-platform"})], "data")],
    "environment-tag-matches": [Case([res(B, "data", tags=TAGS)], "data", environment="prod")],
    "k8s-no-privileged": [Case([deployment("exporter", containers_=containers(privileged=True))], "exporter")],
    "k8s-no-host-namespaces": [Case([deployment("exporter", hostNetwork=True)], "exporter")],
    "k8s-no-host-path": [Case([deployment("exporter", volumes=[{"name": "dev", "hostPath": {"path": "/dev"}}])], "exporter")],
    "k8s-no-privilege-escalation": [Case([res(POD, "p", spec={"containers": [{"name": "c", "image": "x:1"}]})], "p")],
    "k8s-run-as-non-root": [Case([res(POD, "p", spec={"containers": [{"name": "c", "image": "x:1"}]})], "p"),
                            Case([deployment("root", containers_=containers(runAsUser=0.0))], "root")],
    "k8s-resource-limits": [Case([res(POD, "p", spec={"containers": [{"name": "c", "image": "x:1", "resources": {"limits": {"memory": "1Gi"}}}]})], "p")],
    "k8s-gpu-limits": [Case([res(POD, "p", spec={"containers": [{"name": "c", "image": "x:1", "resources": {"requests": {"nvidia.com/gpu": "1"}}}]})], "p"),
                       Case([deployment("sneaky", tolerations=[{"key": "nvidia.com/gpu", "operator": "Exists"}])], "sneaky")],
    "k8s-image-pinned": [Case([res(POD, "p", spec={"containers": [{"name": "c", "image": "nginx:latest"}]})], "p"),
                         Case([res("kubernetes:batch/v1:CronJob", "cj", spec={"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "registry:5000/app"}]}}}}})], "cj")],
    "k8s-no-public-load-balancer-prod": [Case([res("kubernetes:core/v1:Service", "gateway", spec={"type": "LoadBalancer"})], "gateway", environment="prod"),
                                         Case([res("kubernetes:networking.k8s.io/v1:Ingress", "web", metadata={"annotations": {"alb.ingress.kubernetes.io/scheme": "internet-facing"}})], "web", environment="prod")],
    "policy-exemption-expired": [Case([res(B, "data")], "data", policy_config={"exemptions": [{"policy": "s3-versioning", "resource": "data", "reason": "scratch data, rebuilt nightly", "expires": "2020-01-31"}]})],
}

# Policies whose fixtures are declared with the SDK classes and planned (sdk_cases.py) replace the
# hand-written cases above.
PASSING.update(sdk_cases.PASSING)
FAILING.update(sdk_cases.FAILING)
for _policy, _cases in sdk_cases.EXTRA_FAILING.items():
    FAILING[_policy] = FAILING[_policy] + _cases
