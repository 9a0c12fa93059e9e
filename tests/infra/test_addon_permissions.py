"""What the cluster add-ons' roles can actually do (planned on the stand-in cluster, prod settings).

| principal | allowed | denied |
| --- | --- | --- |
| EKS Pod Identity | assume each add-on role for this cluster of this account | for another cluster or account |
| eks-cluster-autoscaler | describe groups; resize and terminate in groups tagged owned by this cluster | groups of another cluster, EC2 termination, node groups of another cluster |
| eks-lb-controller | create balancers and security groups tagged for this cluster; manage its own | untagged or another cluster's balancers and groups; other service-linked roles; PassRole |
"""

from __future__ import annotations

import pytest

from policies.iam_evaluation import Service
from tests.infra.iam_model import Account

CLUSTER = "mladmin-prod-eks"
AUTOSCALER, CONTROLLER = "mladmin-prod-eks-cluster-autoscaler", "mladmin-prod-eks-lb-controller"


@pytest.fixture(scope="module")
def acct(prod_plan) -> Account:
    return Account.from_plan(prod_plan)


def cluster_arn(acct: Account, name: str = CLUSTER) -> str:
    return f"arn:aws:eks:{acct.region}:{acct.account_id}:cluster/{name}"


def group(acct: Account, name: str = "eks-gpu-training-1a2b") -> str:
    return f"arn:aws:autoscaling:{acct.region}:{acct.account_id}:autoScalingGroup:0f1e2d3c:autoScalingGroupName/{name}"


def balancer(acct: Account, kind: str = "net") -> str:
    return f"arn:aws:elasticloadbalancing:{acct.region}:{acct.account_id}:loadbalancer/{kind}/k8s-chat/0123456789abcdef"


def allowed(acct, caller, action, resource, **context) -> bool:
    return acct.can(caller, action, resource, **context).allowed


@pytest.mark.parametrize("role", [AUTOSCALER, CONTROLLER])
def test_pod_identity_assumes_an_addon_role_only_for_this_cluster_of_this_account(acct, role):
    pods = Service("pods.eks.amazonaws.com")
    arn = acct.role_arn(role)
    mine = {"aws:SourceAccount": acct.account_id, "aws:SourceArn": cluster_arn(acct)}
    assert allowed(acct, pods, "sts:AssumeRole", arn, **mine)
    assert allowed(acct, pods, "sts:TagSession", arn, **mine)
    assert not allowed(acct, pods, "sts:AssumeRole", arn, **{**mine, "aws:SourceArn": cluster_arn(acct, "other-eks")})
    assert not allowed(acct, pods, "sts:AssumeRole", arn, **{**mine, "aws:SourceAccount": "999999999999"})
    assert not allowed(acct, Service("ec2.amazonaws.com"), "sts:AssumeRole", arn, **mine)


def test_cluster_autoscaler_resizes_only_the_groups_this_cluster_owns(acct):
    role = acct.role(AUTOSCALER)
    owned = {f"aws:ResourceTag/k8s.io/cluster-autoscaler/{CLUSTER}": "owned"}
    assert allowed(acct, role, "autoscaling:DescribeAutoScalingGroups", "*")
    assert allowed(acct, role, "ec2:DescribeLaunchTemplateVersions", "*")
    assert allowed(acct, role, "autoscaling:SetDesiredCapacity", group(acct), **owned)
    assert allowed(acct, role, "autoscaling:TerminateInstanceInAutoScalingGroup", group(acct), **owned)
    assert allowed(acct, role, "eks:DescribeNodegroup",
                   f"arn:aws:eks:{acct.region}:{acct.account_id}:nodegroup/{CLUSTER}/gpu-training/abc")


def test_cluster_autoscaler_cannot_touch_other_groups_or_instances(acct):
    role = acct.role(AUTOSCALER)
    other = {"aws:ResourceTag/k8s.io/cluster-autoscaler/other-eks": "owned"}
    assert not allowed(acct, role, "autoscaling:SetDesiredCapacity", group(acct, "other"), **other)
    assert not allowed(acct, role, "autoscaling:SetDesiredCapacity", group(acct))
    assert not allowed(acct, role, "autoscaling:UpdateAutoScalingGroup", group(acct),
                       **{f"aws:ResourceTag/k8s.io/cluster-autoscaler/{CLUSTER}": "owned"})
    assert not allowed(acct, role, "ec2:TerminateInstances", f"arn:aws:ec2:{acct.region}:{acct.account_id}:instance/i-0abc")
    assert not allowed(acct, role, "eks:DescribeNodegroup",
                       f"arn:aws:eks:{acct.region}:{acct.account_id}:nodegroup/other-eks/gpu/abc")
    assert not allowed(acct, role, "iam:PassRole", acct.role_arn("mladmin-prod-team-research"))


def test_load_balancer_controller_creates_and_manages_balancers_tagged_for_this_cluster(acct):
    role = acct.role(CONTROLLER)
    tag = "elbv2.k8s.aws/cluster"
    assert allowed(acct, role, "elasticloadbalancing:CreateLoadBalancer", balancer(acct), **{f"aws:RequestTag/{tag}": CLUSTER})
    assert allowed(acct, role, "elasticloadbalancing:DeleteLoadBalancer", balancer(acct), **{f"aws:ResourceTag/{tag}": CLUSTER})
    assert allowed(acct, role, "elasticloadbalancing:DescribeLoadBalancers", "*")
    sg = f"arn:aws:ec2:{acct.region}:{acct.account_id}:security-group/sg-0abc"
    assert allowed(acct, role, "ec2:AuthorizeSecurityGroupIngress", sg, **{f"aws:ResourceTag/{tag}": CLUSTER})
    assert allowed(acct, role, "iam:CreateServiceLinkedRole", "*",
                   **{"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"})


def test_load_balancer_controller_cannot_touch_untagged_or_other_clusters_resources(acct):
    role = acct.role(CONTROLLER)
    tag = "elbv2.k8s.aws/cluster"
    assert not allowed(acct, role, "elasticloadbalancing:CreateLoadBalancer", balancer(acct))
    assert not allowed(acct, role, "elasticloadbalancing:DeleteLoadBalancer", balancer(acct),
                       **{f"aws:ResourceTag/{tag}": "other-eks"})
    sg = f"arn:aws:ec2:{acct.region}:{acct.account_id}:security-group/sg-0abc"
    assert not allowed(acct, role, "ec2:DeleteSecurityGroup", sg)
    assert not allowed(acct, role, "iam:CreateServiceLinkedRole", "*", **{"iam:AWSServiceName": "autoscaling.amazonaws.com"})
    assert not allowed(acct, role, "iam:PassRole", acct.role_arn(AUTOSCALER))
    assert not allowed(acct, role, "s3:GetObject", f"arn:aws:s3:::mladmin-prod-datasets-{acct.account_id}-{acct.region}/x")
