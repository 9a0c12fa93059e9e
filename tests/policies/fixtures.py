"""For every policy: resources that pass and resources that fail (the catalogue test checks coverage)."""

from __future__ import annotations

from tests.policies import sdk_cases, sdk_cases_platform
from tests.policies.builders import TAGS, Case, doc, res

B = "aws:s3/bucket:Bucket"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
VER = "aws:s3/bucketVersioning:BucketVersioning"
BPOL = "aws:s3/bucketPolicy:BucketPolicy"
LOG = "aws:s3/bucketLogging:BucketLogging"
REP = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
OWN = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
SG = "aws:ec2/securityGroup:SecurityGroup"
NG = "aws:eks/nodeGroup:NodeGroup"
EPC = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
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


PASSING: dict[str, list[Case]] = {
    "iam-team-role-boundary": [Case([res(ROLE, "research-team-role", permissionsBoundary="arn:aws:iam::123456789012:policy/b", tags={**TAGS, "team": "research"}),
                                     res(ROLE, "platform-role", tags={**TAGS, "team": "ml-platform"})])],
    "iam-no-users": [Case([res(ROLE, "r")])],
    "iam-no-access-keys": [Case([res(ROLE, "r")])],
    "gpu-instance-type-allowlist": [Case([res(NG, "gpu", instanceTypes=["g5.2xlarge"]), res(NG, "cpu", instanceTypes=["m6i.xlarge"])]),
                                    Case([res(NG, "train", instanceTypes=["p5.48xlarge"])], environment="prod")],
    "gpu-budget": [Case([res(NG, "gpu", instanceTypes=["g5.12xlarge"], scalingConfig={"minSize": 0.0, "desiredSize": 0.0, "maxSize": 2.0})])],
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
    "iam-team-role-boundary": [Case([res(ROLE, "research-team-role")], "research-team-role"),
                               Case([res(ROLE, "analyst", tags={**TAGS, "team": "research"})], "analyst")],
    "iam-no-users": [Case([res("aws:iam/user:User", "ci")], "ci")],
    "iam-no-access-keys": [Case([res("aws:iam/accessKey:AccessKey", "ci-key", user="ci")], "ci-key")],
    "gpu-instance-type-allowlist": [Case([res(NG, "train", instanceTypes=["p5.48xlarge"])], "train"),
                                    Case([res(EPC, "llm", productionVariants=[{"variantName": "main", "instanceType": "ml.p4d.24xlarge"}])], "llm", environment="staging")],
    "gpu-budget": [Case([res(NG, "gpu", instanceTypes=["g5.12xlarge"], scalingConfig={"minSize": 0.0, "desiredSize": 0.0, "maxSize": 3.0})], None),
                   Case([res(EPC, "llm", productionVariants=[{"variantName": "main", "instanceType": "ml.g5.12xlarge", "initialInstanceCount": 1.0}]),
                         res("aws:sagemaker/endpoint:Endpoint", "llm-ep", endpointConfigName="llm", name="llm-ep"),
                         res("aws:appautoscaling/target:Target", "llm-scaling", resourceId="endpoint/llm-ep/variant/main", serviceNamespace="sagemaker", minCapacity=1.0, maxCapacity=3.0)], None),
                   Case([res(NG, "future", instanceTypes=["p7.96xlarge"], scalingConfig={"maxSize": 1.0})], None)],
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
for _module in (sdk_cases, sdk_cases_platform):
    PASSING.update(_module.PASSING)
    FAILING.update(_module.FAILING)
for _policy, _cases in sdk_cases.EXTRA_FAILING.items():
    FAILING[_policy] = FAILING[_policy] + _cases
