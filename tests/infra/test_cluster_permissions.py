"""What the cluster's roles can actually do (``policies.iam_evaluation`` over the planned IAM).

| principal | allowed | denied |
| --- | --- | --- |
| EKS service | assume the cluster role for this account | for another account |
| EC2 service | assume the node role | — |
| node role | describe the cluster, pull images, hand out Pod Identity credentials | data buckets, the data key, IAM, managing ENIs (the CNI's job) |
| Pod Identity of this cluster | assume the vpc-cni and ebs-csi roles | from another cluster or account; EC2 |
| Identity Center session tagged team=platform | assume the platform admin role | a session of another team; anyone else |
| platform admin role | describe and reach this cluster | other clusters, data buckets, IAM |
| Auto Scaling service-linked role | use the cluster key for node volumes | schedule its deletion |
"""

from __future__ import annotations

import pytest

from policies.iam_evaluation import Principal, Service
from tests.infra.iam_model import Account
from tests.infra.test_effective_permissions import assert_allowed, assert_denied, bucket, identity_center_session

STACKS = ("dev", "prod")


@pytest.fixture(scope="module")
def accounts(dev_plan, prod_plan) -> dict[str, Account]:
    return {"dev": Account.from_plan(dev_plan), "prod": Account.from_plan(prod_plan)}


def cluster_arn(acct: Account, stack: str, name: str | None = None) -> str:
    return f"arn:aws:eks:{acct.region}:{acct.account_id}:cluster/{name or f'mladmin-{stack}-eks'}"


@pytest.mark.parametrize("stack", STACKS)
def test_only_eks_for_this_account_assumes_the_cluster_role(accounts, stack):
    acct = accounts[stack]
    arn = acct.role_arn(f"mladmin-{stack}-eks-cluster")
    eks = Service("eks.amazonaws.com")
    assert_allowed(acct, eks, "sts:AssumeRole", arn, **{"aws:SourceAccount": acct.account_id})
    assert_denied(acct, eks, "sts:AssumeRole", arn, **{"aws:SourceAccount": "999999999999"})
    assert_denied(acct, Service("ec2.amazonaws.com"), "sts:AssumeRole", arn)


@pytest.mark.parametrize("stack", STACKS)
def test_the_node_role_joins_the_cluster_and_pulls_images(accounts, stack):
    acct = accounts[stack]
    assert_allowed(acct, Service("ec2.amazonaws.com"), "sts:AssumeRole", acct.role_arn(f"mladmin-{stack}-eks-node"))
    node = acct.role(f"mladmin-{stack}-eks-node")
    assert_allowed(acct, node, "eks:DescribeCluster", cluster_arn(acct, stack))
    assert_allowed(acct, node, "ecr:BatchGetImage",
                   f"arn:aws:ecr:{acct.region}:602401143452:repository/eks/kube-proxy")
    assert_allowed(acct, node, "eks-auth:AssumeRoleForPodIdentity", cluster_arn(acct, stack))


@pytest.mark.parametrize("stack", STACKS)
def test_the_node_role_reaches_no_data_no_iam_and_no_enis(accounts, stack):
    acct = accounts[stack]
    node = acct.role(f"mladmin-{stack}-eks-node")
    assert_denied(acct, node, "s3:GetObject", f"arn:aws:s3:::{bucket(acct, stack, 'datasets')}/teams/research/x")
    assert_denied(acct, node, "kms:Decrypt", acct.key_arn(f"alias/mladmin-{stack}-data"),
                  **acct.via_s3(bucket(acct, stack, "datasets")))
    assert_denied(acct, node, "iam:PassRole", acct.role_arn(f"mladmin-{stack}-platform-admin"))
    assert_denied(acct, node, "ec2:AssignPrivateIpAddresses",
                  f"arn:aws:ec2:{acct.region}:{acct.account_id}:network-interface/eni-0abc")
    assert_denied(acct, node, "ecr:PutImage", f"arn:aws:ecr:{acct.region}:{acct.account_id}:repository/mladmin/x")


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("addon", ["vpc-cni", "ebs-csi"])
def test_addon_roles_are_assumed_only_by_pod_identity_of_this_cluster(accounts, stack, addon):
    acct = accounts[stack]
    arn = acct.role_arn(f"mladmin-{stack}-eks-{addon}")
    pods = Service("pods.eks.amazonaws.com")
    own = {"aws:SourceAccount": acct.account_id, "aws:SourceArn": cluster_arn(acct, stack)}
    assert_allowed(acct, pods, "sts:AssumeRole", arn, **own)
    assert_denied(acct, pods, "sts:AssumeRole", arn, **{**own, "aws:SourceArn": cluster_arn(acct, stack, "other")})
    assert_denied(acct, pods, "sts:AssumeRole", arn, **{**own, "aws:SourceAccount": "999999999999"})
    assert_denied(acct, Service("ec2.amazonaws.com"), "sts:AssumeRole", arn, **own)


@pytest.mark.parametrize("stack", STACKS)
def test_platform_sessions_alone_assume_the_platform_admin_role(accounts, stack):
    acct = accounts[stack]
    arn = acct.role_arn(f"mladmin-{stack}-platform-admin")
    assert_allowed(acct, identity_center_session(acct, "platform"), "sts:AssumeRole", arn)
    assert_denied(acct, identity_center_session(acct, "research"), "sts:AssumeRole", arn)
    assert_denied(acct, identity_center_session(acct, "platform", account="999999999999"), "sts:AssumeRole", arn)
    tagged = Principal(acct.role_arn("ci-deployer"), tags={"team": "platform"}, identity_policies=[
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}])
    assert_denied(acct, tagged, "sts:AssumeRole", arn)


@pytest.mark.parametrize("stack", STACKS)
def test_the_platform_admin_role_reaches_this_cluster_and_nothing_else(accounts, stack):
    acct = accounts[stack]
    admin = acct.role(f"mladmin-{stack}-platform-admin")
    assert_allowed(acct, admin, "eks:DescribeCluster", cluster_arn(acct, stack))
    assert_allowed(acct, admin, "eks:AccessKubernetesApi", cluster_arn(acct, stack))
    assert_denied(acct, admin, "eks:DescribeCluster", cluster_arn(acct, stack, "mladmin-other-eks"))
    assert_denied(acct, admin, "eks:DeleteCluster", cluster_arn(acct, stack))
    assert_denied(acct, admin, "s3:GetObject", f"arn:aws:s3:::{bucket(acct, stack, 'datasets')}/teams/research/x")
    assert_denied(acct, admin, "iam:CreateRole", acct.role_arn("anything"))


@pytest.mark.parametrize("stack", STACKS)
def test_auto_scaling_uses_the_cluster_key_for_node_volumes_but_cannot_delete_it(accounts, stack):
    acct = accounts[stack]
    key = acct.key_arn(f"alias/mladmin-{stack}-cluster")
    autoscaling = Principal(f"arn:aws:iam::{acct.account_id}:role/aws-service-role/autoscaling.amazonaws.com/"
                            "AWSServiceRoleForAutoScaling")
    assert_allowed(acct, autoscaling, "kms:GenerateDataKeyWithoutPlaintext", key)
    assert_allowed(acct, autoscaling, "kms:CreateGrant", key, **{"kms:GrantIsForAWSResource": True})
    assert_denied(acct, autoscaling, "kms:ScheduleKeyDeletion", key)
