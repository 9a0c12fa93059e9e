"""The Kubernetes side of the shipped stacks: add-ons, team tenancy and workloads on the EKS cluster."""

from __future__ import annotations

import json

import pytest

from components.charts import CHARTS
from policies.facts.eks import CLUSTER_AUTOSCALER_IMAGE_TAGS, STANDARD_SUPPORT_KUBERNETES_VERSIONS
from tests.infra import kubernetes_schemas

RELEASE = "kubernetes:helm.sh/v3:Release"
NAMESPACE = "kubernetes:core/v1:Namespace"
QUOTA = "kubernetes:core/v1:ResourceQuota"
LIMIT_RANGE = "kubernetes:core/v1:LimitRange"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
CLUSTER_QUEUE = "kubernetes:kueue.x-k8s.io/v1beta2:ClusterQueue"
LOCAL_QUEUE = "kubernetes:kueue.x-k8s.io/v1beta2:LocalQueue"
POD_IDENTITY = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
JOB = "kubernetes:batch/v1:Job"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SERVICE = "kubernetes:core/v1:Service"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
GPU = "nvidia.com/gpu"


def _teams(plan) -> dict[str, dict]:
    teams = plan.config["mladmin:teams"]
    return {team["name"]: team for team in (json.loads(teams) if isinstance(teams, str) else teams)}


def _in_namespace(plan, type_: str, namespace: str) -> list:
    return [r for r in plan.of_type(type_) if r.inputs["metadata"].get("namespace") == namespace]


def _one(plan, type_: str, name: str):
    (found,) = [r for r in plan.of_type(type_) if r.inputs["metadata"]["name"] == name]
    return found


# --- schemas (issue item 7) ---

def _kubernetes_version(plan) -> str:
    cluster = plan.config["mladmin:cluster"]
    return (json.loads(cluster) if isinstance(cluster, str) else cluster)["kubernetesVersion"]


def test_prod_runs_a_kubernetes_version_in_eks_standard_support(prod_plan):
    assert _kubernetes_version(prod_plan) in STANDARD_SUPPORT_KUBERNETES_VERSIONS


def test_every_kubernetes_object_of_prod_validates_strictly_against_the_clusters_api_schema(prod_plan):
    version = _kubernetes_version(prod_plan)
    kueue = kubernetes_schemas.kueue_schemas()
    objects = list(kubernetes_schemas.api_objects(prod_plan))
    kinds = {obj["kind"] for _, obj in objects}
    assert {"Namespace", "Job", "Deployment", "ClusterQueue", "LocalQueue", "NetworkPolicy"} <= kinds
    found = {urn: kubernetes_schemas.problems(obj, version, kueue) for urn, obj in objects}
    assert {urn: p for urn, p in found.items() if p} == {}


def test_the_strict_schemas_reject_an_unknown_field():
    kueue = kubernetes_schemas.kueue_schemas()
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"},
           "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "i:1", "resource": {}}]}}}}
    queue = {"apiVersion": "kueue.x-k8s.io/v1beta2", "kind": "ClusterQueue", "metadata": {"name": "q"},
             "spec": {"cohort": "old-v1beta1-field"}}
    assert kubernetes_schemas.problems(job, "1.36", kueue)
    assert kubernetes_schemas.problems(queue, "1.36", kueue)


# --- add-ons (item 3) ---

def test_every_addon_is_a_helm_release_pinned_to_the_chart_table(prod_plan):
    releases = {r.inputs["name"]: r.inputs for r in prod_plan.of_type(RELEASE)}
    assert set(releases) == set(CHARTS)
    for name, chart in CHARTS.items():
        assert (releases[name]["chart"], releases[name]["version"], releases[name]["namespace"]) == (
            chart.chart, chart.version, chart.namespace)


def test_cluster_autoscaler_discovers_this_clusters_groups_with_the_image_of_its_version(prod_plan):
    values = next(r.inputs["values"] for r in prod_plan.of_type(RELEASE) if r.inputs["name"] == "cluster-autoscaler")
    assert values["autoDiscovery"]["clusterName"] == "mladmin-prod-eks"
    assert values["image"]["tag"] == CLUSTER_AUTOSCALER_IMAGE_TAGS[_kubernetes_version(prod_plan)] == "v1.36.1"


def test_gpu_addons_run_on_every_nvidia_instance_type_of_the_gpu_pools_and_tolerate_the_taint(prod_plan):
    expected = ["g5.2xlarge", "g6e.12xlarge", "g6e.24xlarge", "p4d.24xlarge"]
    for name in ("nvidia-device-plugin", "dcgm-exporter"):
        values = next(r.inputs["values"] for r in prod_plan.of_type(RELEASE) if r.inputs["name"] == name)
        (term,) = values["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
        assert term["matchExpressions"] == [{"key": "node.kubernetes.io/instance-type", "operator": "In",
                                             "values": expected}]
        assert {"key": GPU, "operator": "Exists", "effect": "NoSchedule"} in values["tolerations"]


def test_addons_that_call_aws_get_their_own_role_through_pod_identity(prod_plan):
    associations = {(a.inputs["namespace"], a.inputs["serviceAccount"]): a.inputs["roleArn"]
                    for a in prod_plan.of_type(POD_IDENTITY)}
    assert associations[("kube-system", "cluster-autoscaler")].endswith(":role/mladmin-prod-eks-cluster-autoscaler")
    assert associations[("kube-system", "aws-load-balancer-controller")].endswith(":role/mladmin-prod-eks-lb-controller")


# --- tenancy (item 5) ---

def test_each_team_namespace_enforces_audits_and_warns_pod_security_restricted(prod_plan):
    for team in _teams(prod_plan):
        labels = _one(prod_plan, NAMESPACE, f"team-{team}").inputs["metadata"]["labels"]
        for mode in ("enforce", "audit", "warn"):
            assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"
            assert labels[f"pod-security.kubernetes.io/{mode}-version"] == "v1.36"


def test_each_team_quota_caps_gpu_requests_at_its_gpu_quota_with_cpu_and_memory(prod_plan):
    for team, config in _teams(prod_plan).items():
        (quota,) = _in_namespace(prod_plan, QUOTA, f"team-{team}")
        hard = quota.inputs["spec"]["hard"]
        assert hard[f"requests.{GPU}"] == str(config["gpuQuota"])
        assert {"requests.cpu", "requests.memory", "limits.memory"} <= set(hard)
        assert _in_namespace(prod_plan, LIMIT_RANGE, f"team-{team}")


def test_each_team_queue_owns_its_gpu_quota_and_borrows_within_one_cohort(prod_plan):
    cohorts = set()
    for team, config in _teams(prod_plan).items():
        spec = _one(prod_plan, CLUSTER_QUEUE, f"team-{team}").inputs["spec"]
        quotas = {q["name"]: q["nominalQuota"] for q in spec["resourceGroups"][0]["flavors"][0]["resources"]}
        assert quotas[GPU] == str(config["gpuQuota"])
        assert spec["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": f"team-{team}"}
        cohorts.add(spec["cohortName"])
        (local,) = _in_namespace(prod_plan, LOCAL_QUEUE, f"team-{team}")
        assert local.inputs["spec"]["clusterQueue"] == f"team-{team}"
    assert len(cohorts) == 1


def test_each_team_namespace_denies_all_traffic_but_dns_its_own_pods_and_https(prod_plan):
    for team in _teams(prod_plan):
        policies = {p.inputs["metadata"]["name"]: p.inputs["spec"]
                    for p in _in_namespace(prod_plan, NETWORK_POLICY, f"team-{team}")}
        assert policies["default-deny"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
        dns_ports = {(p["protocol"], p["port"]) for p in policies["allow-dns"]["egress"][0]["ports"]}
        assert dns_ports == {("UDP", 53.0), ("TCP", 53.0)}
        assert policies["allow-same-namespace"]["ingress"] == [{"from": [{"podSelector": {}}]}]


def test_each_team_service_account_acts_as_the_team_role_and_is_tagged_with_the_team(prod_plan):
    for team in _teams(prod_plan):
        (association,) = [a for a in prod_plan.of_type(POD_IDENTITY) if a.inputs["namespace"] == f"team-{team}"]
        assert association.inputs["roleArn"].endswith(f":role/mladmin-prod-team-{team}")
        assert association.inputs["serviceAccount"] == "workloads"
        assert association.inputs["tags"]["team"] == team


# --- workloads (item 6) ---

def _pod(resource) -> dict:
    return resource.inputs["spec"]["template"]["spec"]


def test_training_job_asks_for_whole_gpus_on_its_pool_through_the_team_queue(prod_plan):
    job = _one(prod_plan, JOB, "llama-sft")
    (container,) = _pod(job)["containers"]
    assert container["resources"]["requests"][GPU] == container["resources"]["limits"][GPU] == "8"
    assert _pod(job)["nodeSelector"] == {"mladmin.io/node-group": "gpu-training"}
    assert _pod(job)["tolerations"] == [{"key": GPU, "operator": "Equal", "value": "true", "effect": "NoSchedule"}]
    assert job.inputs["metadata"]["labels"]["kueue.x-k8s.io/queue-name"] == "default"
    assert job.inputs["metadata"]["namespace"] == "team-research"
    assert job.inputs["spec"]["suspend"] is True


def test_training_job_runs_mladmin_train_under_torchrun_over_every_node(prod_plan):
    job = _one(prod_plan, JOB, "llama-sft")
    (container,) = _pod(job)["containers"]
    command = container["command"] + container["args"]
    assert command[0] == "torchrun" and "--nnodes=2" in command and "--nproc-per-node=8" in command
    assert command[command.index("--no-python") + 1:][:2] == ["mladmin", "train"]
    assert job.inputs["spec"]["completions"] == job.inputs["spec"]["parallelism"] == 2


def test_training_job_checkpoints_under_the_team_prefix_and_resumes_after_a_spot_reclaim(prod_plan):
    job = _one(prod_plan, JOB, "llama-sft")
    (container,) = _pod(job)["containers"]
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    assert mounts["/fsx/checkpoints"]["subPath"] == "checkpoints/teams/research/llama-sft"
    assert mounts["/fsx/datasets"] == {"name": "fsx", "mountPath": "/fsx/datasets", "readOnly": True,
                                       "subPath": "datasets/teams/research"}
    rules = job.inputs["spec"]["podFailurePolicy"]["rules"]
    assert {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]} in rules
    assert job.inputs["spec"]["backoffLimit"] > 0


def test_model_server_probes_ping_on_8080_with_a_long_startup_probe(prod_plan):
    (container,) = _pod(_one(prod_plan, DEPLOYMENT, "chat"))["containers"]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/ping", "port": 8080.0}
    startup = container["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] == 1200


@pytest.mark.parametrize("type_,name", [(JOB, "llama-sft"), (DEPLOYMENT, "chat")])
def test_workload_pods_are_non_root_read_only_and_without_capabilities(prod_plan, type_, name):
    pod = _pod(_one(prod_plan, type_, name))
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    for container in pod["containers"]:
        context = container["securityContext"]
        assert context["readOnlyRootFilesystem"] is True and context["allowPrivilegeEscalation"] is False
        assert context["capabilities"] == {"drop": ["ALL"]}
        assert container["resources"]["limits"]["cpu"] and container["resources"]["limits"]["memory"]


@pytest.mark.parametrize("type_,name,repository", [(JOB, "llama-sft", "training"), (DEPLOYMENT, "chat", "serving")])
def test_workload_images_come_from_the_stacks_repositories_pinned_by_tag(prod_plan, type_, name, repository):
    (container,) = _pod(_one(prod_plan, type_, name))["containers"]
    assert container["image"] == f"123456789012.dkr.ecr.us-east-1.amazonaws.com/mladmin-prod/{repository}:2026.12.01-3f9c2ab"


def test_model_server_has_a_cluster_ip_service_an_internal_nlb_an_hpa_and_a_pdb(prod_plan):
    services = {s.inputs["metadata"]["name"]: s.inputs for s in _in_namespace(prod_plan, SERVICE, "team-applied")}
    assert services["chat"]["spec"]["type"] == "ClusterIP"
    assert services["chat-nlb"]["spec"]["type"] == "LoadBalancer"
    assert services["chat-nlb"]["metadata"]["annotations"]["service.beta.kubernetes.io/aws-load-balancer-scheme"] == "internal"
    hpa = _one(prod_plan, HPA, "chat").inputs["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (2, 6)
    assert _one(prod_plan, PDB, "chat").inputs["spec"]["maxUnavailable"] == 1


def test_dev_serves_without_fsx_or_a_load_balancer(dev_preview_plan):
    assert not dev_preview_plan.of_type("kubernetes:core/v1:PersistentVolume")
    (container,) = _pod(_one(dev_preview_plan, DEPLOYMENT, "chat"))["containers"]
    assert all(m["name"] != "fsx" for m in container["volumeMounts"])
    assert [s.inputs["spec"]["type"] for s in dev_preview_plan.of_type(SERVICE)] == ["ClusterIP"]


# --- the policy pack on the Kubernetes side ---

KUBERNETES_POLICIES = ("k8s-no-privileged", "k8s-no-privilege-escalation", "k8s-run-as-non-root", "k8s-resource-limits",
                       "k8s-gpu-limits", "k8s-image-pinned", "k8s-no-public-load-balancer-prod", "k8s-namespace-quota",
                       "k8s-namespace-pod-security")


def test_the_pack_finds_nothing_on_the_kubernetes_side_of_prod(prod_plan):
    from policies.runner import evaluate

    report = evaluate(prod_plan)
    assert [f"{v.policy} {v.resource_name}: {v.message}" for v in report.violations] == []


def test_the_kubernetes_policies_decide_in_preview(dev_preview_plan):
    from policies.runner import evaluate

    report = evaluate(dev_preview_plan)
    assert report.mandatory_count == 0
    assert [n.policy for n in report.not_run if n.policy in KUBERNETES_POLICIES] == []


def test_a_team_namespace_losing_its_quota_is_caught(prod_plan):
    import copy

    from policies.runner import evaluate

    mutated = copy.deepcopy(prod_plan)
    mutated.resources = [r for r in mutated.resources
                         if not (r.type == QUOTA and r.inputs["metadata"]["namespace"] == "team-applied")]
    found = [v for v in evaluate(mutated).violations if v.policy == "k8s-namespace-quota"]
    assert [v.message for v in found] == ["namespace 'tenancy-applied-namespace' has no ResourceQuota"]


def test_a_training_job_on_a_cluster_without_fsx_is_one_clear_line(tmp_path):
    from pathlib import Path

    import yaml

    from mladmin.engine import plan_stack
    from mladmin.engine.errors import ProgramError

    root = Path(__file__).resolve().parents[2]
    config = yaml.safe_load((root / "stacks" / "Pulumi.dev.yaml").read_text())
    config["config"]["mladmin:workloads"]["training"] = [{
        "name": "sft", "team": "research", "image": {"repository": "training", "tag": "v1"},
        "nodeGroup": "gpu-a10g", "model": "base/m", "data": "corpora/d"}]
    stack_file = tmp_path / "Pulumi.dev.yaml"
    stack_file.write_text(yaml.safe_dump(config))
    with pytest.raises(ProgramError) as raised:
        plan_stack("dev", config_file=stack_file)
    assert str(raised.value).endswith(
        "mladmin:workloads.training[0]: 'sft' reads its data from FSx, which this stack's cluster does not have "
        "(expected FSx on in mladmin:cluster)")
    assert "\n" not in str(raised.value)
