"""The GPU cluster each shipped stack plans: control plane, access, add-ons, node pools, FSx."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from mladmin.engine import plan_stack
from policies.facts.eks import EKS_ADDON_VERSIONS

CLUSTER = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
ASG_TAG = "aws:autoscaling/tag:Tag"
ADDON = "aws:eks/addon:Addon"
ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry"
ACCESS_POLICY = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
LUSTRE = "aws:fsx/lustreFileSystem:LustreFileSystem"
ASSOCIATION = "aws:fsx/dataRepositoryAssociation:DataRepositoryAssociation"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
COMPONENT = "mladmin:cluster:Cluster"
GPU_TAINT = {"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}
TEMPLATE = "k8s.io/cluster-autoscaler/node-template"
ROOT = Path(__file__).resolve().parents[2]


def gpu_groups(plan) -> list:
    return [g for g in plan.of_type(NODE_GROUP) if "NVIDIA" in g.inputs["amiType"]]


def group(plan, name: str):
    (found,) = [g for g in plan.of_type(NODE_GROUP) if g.inputs["nodeGroupName"] == name]
    return found


def asg_tags(plan, node_group) -> dict[str, str]:
    """The Auto Scaling group tags fed from ``node_group`` (joined by property dependency)."""
    return {t.inputs["tag"]["key"]: t.inputs["tag"]["value"] for t in plan.of_type(ASG_TAG)
            if node_group.urn in t.property_dependencies.get("autoscalingGroupName", [])}


def launch_template_of(plan, node_group):
    (urn,) = node_group.property_dependencies["launchTemplate"]
    return plan.by_urn(urn)


def private_subnet_ids(plan) -> list[str]:
    return [s.id for s in plan.of_type("aws:ec2/subnet:Subnet") if s.inputs["tags"]["tier"] == "private"]


# --- every environment -----------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_the_cluster_its_pools_and_addons_are_children_of_the_cluster_component(all_plans, stack):
    plan = all_plans[stack]
    (component,) = [c for c in plan.components if c.type == COMPONENT]
    for type_token in (CLUSTER, NODE_GROUP, LAUNCH_TEMPLATE, ADDON, ACCESS_ENTRY, ASG_TAG):
        assert plan.of_type(type_token) and all(r.parent == component.urn for r in plan.of_type(type_token))
    (cluster,) = plan.of_type(CLUSTER)
    assert cluster.inputs["name"] == f"mladmin-{stack}-eks"


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_people_reach_kubernetes_through_access_entries_only(all_plans, stack):
    (cluster,) = all_plans[stack].of_type(CLUSTER)
    assert cluster.inputs["accessConfig"]["authenticationMode"] == "API"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_platform_admin_is_cluster_admin_and_each_team_edits_only_its_namespace(all_plans, stack):
    plan = all_plans[stack]
    teams = json.loads(plan.config["mladmin:teams"]) if isinstance(plan.config["mladmin:teams"], str) \
        else plan.config["mladmin:teams"]
    grants = {a.inputs["principalArn"].rsplit("/", 1)[1]: a.inputs for a in plan.of_type(ACCESS_POLICY)}
    admin = grants.pop(f"mladmin-{stack}-platform-admin")
    assert admin["policyArn"].endswith("/AmazonEKSClusterAdminPolicy") and admin["accessScope"] == {"type": "cluster"}
    assert set(grants) == {f"mladmin-{stack}-team-{t['name']}" for t in teams}
    for role, grant in grants.items():
        assert grant["policyArn"].endswith("/AmazonEKSEditPolicy")
        assert grant["accessScope"] == {"type": "namespace", "namespaces": [f"team-{role.rsplit('-team-', 1)[1]}"]}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_managed_addons_are_pinned_to_the_facts_table(all_plans, stack):
    plan = all_plans[stack]
    (cluster,) = plan.of_type(CLUSTER)
    pinned = EKS_ADDON_VERSIONS[cluster.inputs["version"]]
    addons = {a.inputs["addonName"]: a.inputs["addonVersion"] for a in plan.of_type(ADDON)}
    assert {"vpc-cni", "coredns", "kube-proxy", "aws-ebs-csi-driver", "eks-pod-identity-agent"} <= set(addons)
    assert addons == {name: pinned[name] for name in addons}


def test_the_cni_and_ebs_driver_use_pod_identity_roles_of_their_own(prod_plan):
    associations = {a.inputs["addonName"]: a.inputs.get("podIdentityAssociations") for a in prod_plan.of_type(ADDON)}
    assert associations["vpc-cni"] == [{"serviceAccount": "aws-node",
                                        "roleArn": "arn:aws:iam::123456789012:role/mladmin-prod-eks-vpc-cni"}]
    assert associations["aws-ebs-csi-driver"] == [{"serviceAccount": "ebs-csi-controller-sa",
                                                   "roleArn": "arn:aws:iam::123456789012:role/mladmin-prod-eks-ebs-csi"}]


def test_the_node_role_only_joins_the_cluster_and_pulls_images(prod_plan):
    attached = {a.inputs["policyArn"].rsplit("/", 1)[1] for a in prod_plan.of_type(ATTACHMENT)
                if a.inputs["role"] == "mladmin-prod-eks-node"}
    assert attached == {"AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly"}


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_launch_template_requires_imdsv2_and_encrypts_a_gp3_root_at_the_pool_disk_size(all_plans, stack):
    plan = all_plans[stack]
    (cluster_key,) = [k.outputs["arn"] for k in plan.of_type("aws:kms/key:Key") if k.name.endswith("-cluster")]
    config = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]["mladmin:cluster"]
    disks = {g["name"]: g.get("diskSizeGb", 100) for g in config["nodeGroups"]}
    disks["system"] = config["systemNodes"].get("diskSizeGb", 50)
    for node_group in plan.of_type(NODE_GROUP):
        template = launch_template_of(plan, node_group).inputs
        assert template["metadataOptions"]["httpTokens"] == "required"
        assert template["metadataOptions"]["httpPutResponseHopLimit"] == 2
        (root,) = template["blockDeviceMappings"]
        assert root["ebs"] == {"volumeSize": disks[node_group.inputs["nodeGroupName"]], "volumeType": "gp3",
                               "encrypted": "true", "kmsKeyId": cluster_key, "deleteOnTermination": "true"}


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_gpu_pool_runs_the_nvidia_ami_behind_the_gpu_taint(all_plans, stack):
    pools = gpu_groups(all_plans[stack])
    assert pools
    for pool in pools:
        assert pool.inputs["amiType"] == "AL2023_x86_64_NVIDIA"
        assert GPU_TAINT in pool.inputs["taints"]


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_gpu_pool_can_scale_up_from_zero(all_plans, stack):
    """Cluster Autoscaler reads labels, taints and GPUs of an empty pool from its Auto Scaling group tags."""
    plan = all_plans[stack]
    cluster = f"mladmin-{stack}-eks"
    for pool in gpu_groups(plan):
        tags = asg_tags(plan, pool)
        assert tags["k8s.io/cluster-autoscaler/enabled"] == "true"
        assert tags[f"k8s.io/cluster-autoscaler/{cluster}"] == "owned"
        assert tags[f"{TEMPLATE}/taint/nvidia.com/gpu"] == "true:NoSchedule"
        assert int(tags[f"{TEMPLATE}/resources/nvidia.com/gpu"]) >= 1
        for key, value in pool.inputs["labels"].items():
            assert tags[f"{TEMPLATE}/label/{key}"] == value


# --- dev --------------------------------------------------------------------------------------------


def test_dev_gpu_pools_are_spot_and_scale_from_zero(dev_plan):
    for pool in gpu_groups(dev_plan):
        assert pool.inputs["capacityType"] == "SPOT"
        assert pool.inputs["scalingConfig"]["minSize"] == 0


def test_dev_a10g_pool_template_announces_one_gpu_per_node(dev_plan):
    assert asg_tags(dev_plan, group(dev_plan, "gpu-a10g"))[f"{TEMPLATE}/resources/nvidia.com/gpu"] == "1"


def test_dev_endpoint_is_public_only_to_the_configured_cidrs(dev_plan):
    (cluster,) = dev_plan.of_type(CLUSTER)
    vpc = cluster.inputs["vpcConfig"]
    assert vpc["endpointPublicAccess"] is True and vpc["publicAccessCidrs"] == ["203.0.113.0/24"]


def test_dev_has_no_fsx_by_default(dev_plan):
    assert not dev_plan.of_type(LUSTRE) and not dev_plan.of_type(ASSOCIATION)


# --- prod -------------------------------------------------------------------------------------------


def test_prod_has_at_least_two_gpu_pools(prod_plan):
    assert len(gpu_groups(prod_plan)) >= 2


def test_prod_system_pool_is_on_demand_across_three_zones(prod_plan):
    system = group(prod_plan, "system")
    assert system.inputs["capacityType"] == "ON_DEMAND"
    assert sorted(system.inputs["subnetIds"]) == sorted(private_subnet_ids(prod_plan))
    assert len(system.inputs["subnetIds"]) == 3


def test_prod_endpoint_is_private(prod_plan):
    (cluster,) = prod_plan.of_type(CLUSTER)
    assert cluster.inputs["vpcConfig"]["endpointPublicAccess"] is False
    assert cluster.inputs["vpcConfig"]["endpointPrivateAccess"] is True


def test_prod_secrets_are_envelope_encrypted_with_the_cluster_key(prod_plan):
    (cluster,) = prod_plan.of_type(CLUSTER)
    (cluster_key,) = [k.outputs["arn"] for k in prod_plan.of_type("aws:kms/key:Key") if k.name.endswith("-cluster")]
    assert cluster.inputs["encryptionConfig"] == {"resources": ["secrets"], "provider": {"keyArn": cluster_key}}


def test_prod_control_plane_logs_go_to_a_kms_log_group_kept_for_the_environment_retention(prod_plan):
    (group_,) = [g for g in prod_plan.of_type("aws:cloudwatch/logGroup:LogGroup")
                 if g.inputs["name"] == "/aws/eks/mladmin-prod-eks/cluster"]
    assert group_.inputs["retentionInDays"] == 400 and group_.inputs["kmsKeyId"].startswith("arn:aws:kms:")
    (cluster,) = prod_plan.of_type(CLUSTER)
    assert group_.urn in cluster.dependencies


def test_prod_control_plane_security_group_reaches_no_further_than_the_vpc(prod_plan):
    (sg,) = [s for s in prod_plan.of_type("aws:ec2/securityGroup:SecurityGroup")
             if s.inputs.get("name") == "mladmin-prod-eks-control-plane"]
    for rule in sg.inputs["ingress"] + sg.inputs["egress"]:
        assert rule["cidrBlocks"] == ["10.30.0.0/16"]


def test_prod_p4d_pool_gets_efa_interfaces_in_one_zone_and_a_cluster_placement_group(prod_plan):
    pool = group(prod_plan, "gpu-training")
    template = launch_template_of(prod_plan, pool).inputs
    assert [n["interfaceType"] for n in template["networkInterfaces"]] == ["efa"] * 4
    assert len(pool.inputs["subnetIds"]) == 1
    (placement,) = prod_plan.of_type("aws:ec2/placementGroup:PlacementGroup")
    assert placement.inputs["strategy"] == "cluster"
    assert template["placement"]["groupName"] == placement.inputs["name"]


def test_prod_spot_batch_pool_keeps_its_extra_taint_and_the_gpu_taint(prod_plan):
    taints = group(prod_plan, "gpu-batch-spot").inputs["taints"]
    assert GPU_TAINT in taints and {"key": "mladmin.io/spot", "value": "true", "effect": "NO_SCHEDULE"} in taints


def test_prod_fsx_is_persistent_2_encrypted_and_linked_to_datasets_and_checkpoints(prod_plan):
    (lustre,) = prod_plan.of_type(LUSTRE)
    assert lustre.inputs["deploymentType"] == "PERSISTENT_2"
    assert lustre.inputs["kmsKeyId"].startswith("arn:aws:kms:")
    assert lustre.inputs["subnetIds"] in private_subnet_ids(prod_plan)
    paths = {a.inputs["fileSystemPath"]: a.inputs["dataRepositoryPath"] for a in prod_plan.of_type(ASSOCIATION)}
    assert paths == {"/datasets": "s3://mladmin-prod-datasets-123456789012-us-east-1/",
                     "/checkpoints": "s3://mladmin-prod-checkpoints-123456789012-us-east-1/"}


# --- adding a pool is configuration only ----------------------------------------------------------


def test_adding_a_gpu_pool_to_the_stack_file_adds_a_tainted_pool_that_scales_from_zero(tmp_path):
    config = yaml.safe_load((ROOT / "stacks" / "Pulumi.dev.yaml").read_text())
    config["config"]["mladmin:cluster"]["nodeGroups"].append(
        {"name": "gpu-l4", "instanceTypes": ["g6.xlarge"], "capacityType": "SPOT", "maxSize": 1})
    config["config"]["mladmin:policy"] = {"parameters": {"gpu-instance-type-allowlist": {
        "allowedInstanceTypes": ["g5.xlarge", "g5.2xlarge", "g6.xlarge", "ml.g5.xlarge"]}}}
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(yaml.safe_dump(config))
    plan = plan_stack("dev", config_file=path, preview=False)
    pool = group(plan, "gpu-l4")
    assert GPU_TAINT in pool.inputs["taints"] and pool.inputs["scalingConfig"]["minSize"] == 0
    assert asg_tags(plan, pool)[f"{TEMPLATE}/resources/nvidia.com/gpu"] == "1"
