"""SDK-declared, engine-planned fixtures (see sdk_cases.py) for the Kubernetes workload policies
(pulumi-kubernetes turns the snake_case dict keys into the API's camelCase), GPU governance, IAM
identities and tags."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from tests.policies.builders import HAND_WRITTEN_URN, Case, planned, res
from tests.policies.sdk_cases import ACCOUNT, TAGS, document

BUCKET = "aws:s3/bucket:Bucket"
PROVIDER_URN = f"{HAND_WRITTEN_URN}pulumi:providers:aws::tagged"
IMAGE = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/serve:1.4.2"
GPU = "nvidia.com/gpu"


def container(name: str = "app", image: str = IMAGE, resources: dict | None = None, **security) -> dict:
    return {"name": name, "image": image,
            "security_context": {"allow_privilege_escalation": False, "run_as_non_root": True, **security},
            "resources": resources or {"limits": {"cpu": "2", "memory": "4Gi"}, "requests": {"cpu": "1", "memory": "2Gi"}}}


def pod_spec(containers: list | None = None, **pod) -> dict:
    return {"containers": containers or [container()], **pod}


def deployment(name: str = "serve", containers: list | None = None, **pod) -> list:
    labels = {"app": name}
    return planned(lambda: k8s.apps.v1.Deployment(name, metadata={"name": name}, spec={
        "selector": {"match_labels": labels},
        "template": {"metadata": {"labels": labels}, "spec": pod_spec(containers, **pod)}}))


def pod(name: str = "p", containers: list | None = None, **pod_options) -> list:
    return planned(lambda: k8s.core.v1.Pod(name, metadata={"name": name}, spec=pod_spec(containers, **pod_options)))


def bare(image: str = "x:1", **fields) -> dict:
    """A container with nothing but a name and an image (and `fields`)."""
    return {"name": "c", "image": image, **fields}


def service(name: str, annotations: dict | None = None, kind: str = "LoadBalancer") -> list:
    return planned(lambda: k8s.core.v1.Service(name, metadata={"name": name, "annotations": annotations or {}},
                                               spec={"type": kind, "ports": [{"port": 443, "target_port": 8443}]}))


def gpu_node_group(name: str, instance_type: str, max_size: int) -> list:
    return planned(lambda: aws.eks.NodeGroup(
        name, cluster_name="ml", node_role_arn=f"arn:aws:iam::{ACCOUNT}:role/nodes", subnet_ids=["subnet-0a"],
        instance_types=[instance_type], scaling_config={"min_size": 0, "desired_size": 0, "max_size": max_size},
        taints=[{"key": GPU, "value": "true", "effect": "NO_SCHEDULE"}], tags=TAGS))


def model_server(architecture: str | None, gpus: int, node_group: tuple[str, str] | None = ("serving", "g5.2xlarge"),
                 headroom: str | None = None, selector: dict | None = None, dtype: str | None = None) -> list:
    """A Deployment annotated with a catalogue architecture, asking ``gpus`` GPUs per pod, selecting a node group
    (name, instance type) by its mladmin.io/node-group label."""
    def build():
        if node_group is not None:
            group, instance_type = node_group
            aws.eks.NodeGroup(
                group, cluster_name="ml", node_role_arn=f"arn:aws:iam::{ACCOUNT}:role/nodes", subnet_ids=["subnet-0a"],
                instance_types=[instance_type], labels={"mladmin.io/node-group": group},
                scaling_config={"min_size": 0, "desired_size": 0, "max_size": 2},
                taints=[{"key": GPU, "value": "true", "effect": "NO_SCHEDULE"}], tags=TAGS)
        annotations = {"mladmin.io/architecture": architecture} if architecture else {}
        if headroom is not None:
            annotations["mladmin.io/capacity-headroom-percent"] = headroom
        if dtype is not None:
            annotations["mladmin.io/dtype"] = dtype
        limits = {"cpu": "4", "memory": "16Gi", **({GPU: str(gpus)} if gpus else {})}
        k8s.apps.v1.Deployment("chat", metadata={"name": "chat", "annotations": annotations}, spec={
            "selector": {"match_labels": {"app": "chat"}},
            "template": {"metadata": {"labels": {"app": "chat"}}, "spec": pod_spec(
                [container(resources={"limits": limits, "requests": limits})],
                node_selector=selector if selector is not None else {"mladmin.io/node-group": (node_group or ("",))[0]})}})
    return planned(build)


def labelled_namespace(name: str, labels: dict | None) -> list:
    return planned(lambda: k8s.core.v1.Namespace(name, metadata={"name": name, "labels": labels or {}}))


def namespace_with_quota(name: str = "team-a", hard: dict | None = None, *, by_reference: bool = False,
                         quota: bool = True) -> list:
    """A namespace and (unless ``quota`` is False) a quota in it, named literally or from the namespace's output."""
    def build():
        namespace = k8s.core.v1.Namespace(name, metadata={"name": name})
        if quota:
            where = namespace.metadata.name if by_reference else name
            k8s.core.v1.ResourceQuota(f"{name}-quota", metadata={"name": "quota", "namespace": where},
                                      spec={"hard": hard if hard is not None else {"requests.cpu": "8", f"requests.{GPU}": "2"}})
    return planned(build)


def scaled_endpoint(max_capacity: int) -> list:
    def build():
        config = aws.sagemaker.EndpointConfiguration("llm", tags=TAGS, production_variants=[
            {"variant_name": "main", "model_name": "llm", "instance_type": "ml.g5.12xlarge", "initial_instance_count": 1}])
        endpoint = aws.sagemaker.Endpoint("llm-ep", name="llm-ep", endpoint_config_name=config.name, tags=TAGS)
        aws.appautoscaling.Target("llm-scaling", service_namespace="sagemaker",
                                  scalable_dimension="sagemaker:variant:DesiredInstanceCount",
                                  resource_id=pulumi.Output.concat("endpoint/", endpoint.name, "/variant/main"),
                                  min_capacity=1, max_capacity=max_capacity)
    return planned(build)


SERVICE_TRUST = document({"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"})


def role(name: str, **options) -> list:
    return planned(lambda: aws.iam.Role(name, assume_role_policy=SERVICE_TRUST, **options))


def tagged_bucket(tags: dict, provider_tags: dict | None = None) -> list:
    def build():
        opts = None
        if provider_tags is not None:
            opts = pulumi.ResourceOptions(provider=aws.Provider("tagged", region="us-east-1",
                                                                default_tags={"tags": provider_tags}))
        aws.s3.Bucket("data", bucket="data-bucket", tags=tags, opts=opts)
    return planned(build)


PASSING = {
    "k8s-namespace-pod-security": [
        Case(labelled_namespace("team-a", {"pod-security.kubernetes.io/enforce": "restricted"})),
        Case(labelled_namespace("tools", {"pod-security.kubernetes.io/enforce": "baseline"}))],
    "k8s-namespace-quota": [Case(namespace_with_quota()), Case(namespace_with_quota("team-b", by_reference=True)),
                            Case(namespace_with_quota("cpu-only", {f"requests.{GPU}": "0", "requests.cpu": "4"}))],
    "k8s-no-privileged": [Case(deployment())],
    "k8s-no-host-namespaces": [Case(deployment())],
    "k8s-no-host-path": [Case(deployment(volumes=[{"name": "cache", "empty_dir": {}}]))],
    "k8s-no-privilege-escalation": [Case(deployment())],
    "k8s-run-as-non-root": [Case(deployment()), Case(pod(containers=[bare()], security_context={"run_as_user": 1000}))],
    "k8s-resource-limits": [Case(deployment())],
    "k8s-gpu-limits": [Case(deployment(containers=[container(resources={
        "limits": {"cpu": "4", "memory": "16Gi", GPU: "1"}, "requests": {GPU: "1"}})],
        tolerations=[{"key": GPU, "operator": "Exists", "effect": "NoSchedule"}]))],
    "k8s-image-pinned": [Case(deployment() + pod("digest", containers=[bare("registry:5000/app@sha256:" + "a" * 64)]))],
    "k8s-model-fits-gpus": [
        # 8.03e9 x 2 + 131,072 x 4,096 bytes = 15.5 GiB of 22,888 MiB x 0.9 = 20.1 GiB: 23.2 % free
        Case(model_server("llama-3.1-8b", 1)),
        # 70B does not fit one A10G, but a pod is only checked on the node groups its nodeSelector picks: none here
        Case(model_server("llama-3.1-70b", 2, selector={"mladmin.io/node-group": "elsewhere"})),
        Case(model_server("my-own-model", 1)),                     # outside the catalogue: not checked
        Case(model_server("llama-3.1-70b", 1, ("big", "g6e.xlarge"), dtype="int4")),  # 34.1 GiB of one L40S's 40.2
        Case(model_server(None, 1))],
    "k8s-no-public-load-balancer-prod": [Case(service("gateway", {"service.beta.kubernetes.io/aws-load-balancer-scheme": "internal"})
                                              + service("cluster-ip", kind="ClusterIP"), environment="prod")],
    "gpu-instance-type-allowlist": [Case(gpu_node_group("gpu", "g5.2xlarge", 2)),
                                    Case(gpu_node_group("train", "p5.48xlarge", 1), environment="prod")],
    "gpu-budget": [Case(gpu_node_group("gpu", "g5.12xlarge", 2))],
    "iam-team-role-boundary": [Case(role("research-team-role", permissions_boundary=f"arn:aws:iam::{ACCOUNT}:policy/boundary",
                                         tags={**TAGS, "team": "research"})
                                    + role("platform-role", tags={**TAGS, "team": "ml-platform"}))],
    "iam-no-users": [Case(role("r"))],
    "iam-no-access-keys": [Case(role("r"))],
    "required-tags": [Case(tagged_bucket(TAGS)), Case(tagged_bucket({"Name": "data"}, provider_tags=TAGS)),
                      # An engine that does not compute tagsAll: the policy works the tags out itself.
                      Case([res(BUCKET, "data", tags={"Name": "data"}, provider=f"{PROVIDER_URN}::p1"),
                            res("pulumi:providers:aws", "tagged", defaultTags=json.dumps({"tags": TAGS}))])],
    "environment-tag-matches": [Case(tagged_bucket(TAGS))],
    "policy-exemption-expired": [Case(tagged_bucket(TAGS), policy_config={"exemptions": [{
        "policy": "s3-versioning", "resource": "data", "reason": "scratch data, rebuilt nightly", "expires": "2099-12-31"}]})],
}

FAILING = {
    "k8s-namespace-pod-security": [
        Case(labelled_namespace("open", None), "open"),
        Case(labelled_namespace("privileged", {"pod-security.kubernetes.io/enforce": "privileged"}), "privileged")],
    "k8s-namespace-quota": [Case(namespace_with_quota("team-c", quota=False), "team-c"),
                            Case(namespace_with_quota("team-d", {"requests.cpu": "8"}, by_reference=True), "team-d")],
    "k8s-no-privileged": [Case(deployment("exporter", containers=[container(privileged=True)]), "exporter"),
                          Case(planned(lambda: k8s.core.v1.PodTemplate("tpl", metadata={"name": "tpl"}, template={
                              "spec": pod_spec([container(privileged=True)])})), "tpl")],
    "k8s-no-host-namespaces": [Case(deployment("exporter", host_network=True), "exporter"),
                               Case(pod(containers=[container()], host_pid=True), "p")],
    "k8s-no-host-path": [Case(deployment("exporter", volumes=[{"name": "dev", "host_path": {"path": "/dev"}}]), "exporter")],
    "k8s-no-privilege-escalation": [Case(pod(containers=[bare()]), "p")],
    "k8s-run-as-non-root": [Case(pod(containers=[bare()]), "p"),
                            Case(deployment("root", containers=[container(run_as_user=0)]), "root")],
    "k8s-resource-limits": [Case(pod(containers=[bare(resources={"limits": {"memory": "1Gi"}})]), "p")],
    "k8s-gpu-limits": [Case(pod(containers=[bare(resources={"requests": {GPU: "1"}})]), "p"),
                       Case(deployment("sneaky", tolerations=[{"key": GPU, "operator": "Exists"}]), "sneaky")],
    "k8s-model-fits-gpus": [
        Case(model_server("llama-3.1-70b", 1), "chat"),                               # 112.5 GiB short of one A10G
        Case(model_server("llama-3.1-70b", 2, ("batch", "g6e.12xlarge")), "chat"),   # 2 of its 4 L40S: 52.2 GiB short
        Case(model_server("llama-3.1-8b", 1, ("small", "g5.xlarge"), headroom="25"), "chat"),  # 23.2 % free < 25 %
        Case(model_server("llama-3.1-8b", 0), "chat"),                               # no GPU asked for
        Case(model_server("llama-3.1-8b", 8), "chat")],                              # 8 GPUs, a 1-GPU node
    "k8s-image-pinned": [
        Case(pod(containers=[bare("nginx:latest")]), "p"),
        Case(planned(lambda: k8s.batch.v1.CronJob("cj", spec={"schedule": "0 * * * *", "job_template": {"spec": {
            "template": {"spec": {"restart_policy": "Never", "containers": [bare("registry:5000/app")]}}}}})), "cj")],
    "k8s-no-public-load-balancer-prod": [
        Case(service("gateway"), "gateway", environment="prod"),
        Case(planned(lambda: k8s.networking.v1.Ingress("web", metadata={
            "name": "web", "annotations": {"alb.ingress.kubernetes.io/scheme": "internet-facing"}})), "web", environment="prod")],
    "gpu-instance-type-allowlist": [
        Case(gpu_node_group("train", "p5.48xlarge", 1), "train"),
        Case(planned(lambda: aws.ec2.Instance("gpu-box", ami="ami-0abc", instance_type="p4d.24xlarge")), "gpu-box"),
        Case(planned(lambda: aws.ec2.LaunchTemplate("train-lt", instance_type="p5.48xlarge")), "train-lt"),
        Case(planned(lambda: aws.sagemaker.NotebookInstance("nb", role_arn=f"arn:aws:iam::{ACCOUNT}:role/sagemaker",
                                                            instance_type="ml.p4d.24xlarge")), "nb")],
    "gpu-budget": [Case(gpu_node_group("gpu", "g5.12xlarge", 3), None),
                   Case(scaled_endpoint(3), None),
                   Case(gpu_node_group("future", "p7.96xlarge", 1), None)],
    "iam-team-role-boundary": [Case(role("research-team-role"), "research-team-role"),
                               Case(role("analyst", tags={**TAGS, "team": "research"}), "analyst")],
    "iam-no-users": [Case(planned(lambda: aws.iam.User("ci")), "ci"),
                     Case(planned(lambda: aws.iam.UserLoginProfile("ci-console", user="ci")), "ci-console")],
    "iam-no-access-keys": [Case(planned(lambda: aws.iam.AccessKey("ci-key", user="ci")), "ci-key")],
    "required-tags": [Case(tagged_bucket({"owner": "ml-platform"}), "data")],
    "environment-tag-matches": [Case(tagged_bucket(TAGS), "data", environment="prod")],
    "policy-exemption-expired": [Case(tagged_bucket(TAGS), "data", policy_config={"exemptions": [{
        "policy": "s3-versioning", "resource": "data", "reason": "scratch data, rebuilt nightly", "expires": "2020-01-31"}]})],
}
