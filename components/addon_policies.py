"""IAM for the cluster add-ons that call AWS: trust through EKS Pod Identity, least-privilege access.

Each add-on gets its own role, assumable only by the EKS Pod Identity service for one cluster of this
account (``aws:SourceAccount`` and ``aws:SourceArn``), and only for what the add-on does:

- Cluster Autoscaler changes the size of, and terminates instances in, the Auto Scaling groups EKS
  tags ``k8s.io/cluster-autoscaler/<cluster>: owned`` (every managed node group of the cluster);
  it may describe anything (describe calls have no resource-level permissions).
- AWS Load Balancer Controller follows AWS's published policy (v2.x ``iam_policy.json``), with
  the tag conditions pinned to this cluster's name rather than any cluster's tag, and resources to
  this account and Region.
"""

from __future__ import annotations

from components.policy_documents import Document, document, statement

POD_IDENTITY_SERVICE = "pods.eks.amazonaws.com"
LBC_CLUSTER_TAG = "elbv2.k8s.aws/cluster"


def cluster_arn(region: str, account_id: str, cluster_name: str) -> str:
    return f"arn:aws:eks:{region}:{account_id}:cluster/{cluster_name}"


def pod_identity_trust_policy(account_id: str, cluster_arn_: str) -> Document:
    """Trust EKS Pod Identity, for pods of one cluster of this account (session tags included)."""
    return document({
        "Sid": "EksPodIdentityOfThisCluster",
        "Effect": "Allow",
        "Principal": {"Service": POD_IDENTITY_SERVICE},
        "Action": ["sts:AssumeRole", "sts:TagSession"],
        "Condition": {"StringEquals": {"aws:SourceAccount": account_id},
                      "ArnEquals": {"aws:SourceArn": cluster_arn_}},
    })


def cluster_autoscaler_policy(region: str, account_id: str, cluster_name: str) -> Document:
    groups = f"arn:aws:autoscaling:{region}:{account_id}:autoScalingGroup:*:autoScalingGroupName/*"
    return document(
        statement("DescribeScalingInputs", [
            "autoscaling:DescribeAutoScalingGroups", "autoscaling:DescribeAutoScalingInstances",
            "autoscaling:DescribeLaunchConfigurations", "autoscaling:DescribeScalingActivities",
            "autoscaling:DescribeTags", "ec2:DescribeImages", "ec2:DescribeInstanceTypes",
            "ec2:DescribeLaunchTemplateVersions", "ec2:GetInstanceTypesFromInstanceRequirements",
        ], "*"),
        statement("DescribeOwnNodeGroups", ["eks:DescribeNodegroup"],
                  [f"arn:aws:eks:{region}:{account_id}:nodegroup/{cluster_name}/*/*"]),
        statement("ScaleOnlyThisClustersGroups",
                  ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"], [groups],
                  conditions={"StringEquals": {f"aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster_name}": "owned"}}),
    )


def load_balancer_controller_policy(region: str, account_id: str, cluster_name: str) -> Document:
    elb = f"arn:aws:elasticloadbalancing:{region}:{account_id}"
    ec2 = f"arn:aws:ec2:{region}:{account_id}"
    balancers = [f"{elb}:loadbalancer/net/*/*", f"{elb}:loadbalancer/app/*/*", f"{elb}:targetgroup/*/*"]
    listeners = [f"{elb}:listener/net/*/*/*", f"{elb}:listener/app/*/*/*",
                 f"{elb}:listener-rule/net/*/*/*", f"{elb}:listener-rule/app/*/*/*"]
    ours = {"StringEquals": {f"aws:ResourceTag/{LBC_CLUSTER_TAG}": cluster_name}}
    tagging_ours = {"StringEquals": {f"aws:RequestTag/{LBC_CLUSTER_TAG}": cluster_name}}
    return document(
        statement("CreateElbServiceLinkedRole", ["iam:CreateServiceLinkedRole"], "*",
                  conditions={"StringEquals": {"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}}),
        # Describe and Get calls have no resource-level permissions.
        statement("Describe", [
            "ec2:DescribeAccountAttributes", "ec2:DescribeAddresses", "ec2:DescribeAvailabilityZones",
            "ec2:DescribeInternetGateways", "ec2:DescribeVpcs", "ec2:DescribeVpcPeeringConnections",
            "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeInstances",
            "ec2:DescribeNetworkInterfaces", "ec2:DescribeTags", "ec2:DescribeCoipPools",
            "ec2:GetCoipPoolUsage", "ec2:DescribeRouteTables", "ec2:GetSecurityGroupsForVpc",
            "ec2:DescribeIpamPools", "elasticloadbalancing:Describe*", "acm:ListCertificates",
            "acm:DescribeCertificate", "cognito-idp:DescribeUserPoolClient", "iam:ListServerCertificates",
            "iam:GetServerCertificate", "waf-regional:GetWebACL", "waf-regional:GetWebACLForResource",
            "wafv2:GetWebACL", "wafv2:GetWebACLForResource", "shield:GetSubscriptionState",
            "shield:DescribeProtection",
        ], "*"),
        statement("CreateSecurityGroupsForItsBalancers", ["ec2:CreateSecurityGroup"],
                  [f"{ec2}:security-group/*", f"{ec2}:vpc/*"]),
        statement("TagSecurityGroupsAsItCreatesThem", ["ec2:CreateTags"], [f"{ec2}:security-group/*"],
                  conditions={"StringEquals": {"ec2:CreateAction": "CreateSecurityGroup",
                                               f"aws:RequestTag/{LBC_CLUSTER_TAG}": cluster_name}}),
        statement("ManageItsSecurityGroups", [
            "ec2:CreateTags", "ec2:DeleteTags", "ec2:AuthorizeSecurityGroupIngress",
            "ec2:RevokeSecurityGroupIngress", "ec2:DeleteSecurityGroup",
        ], [f"{ec2}:security-group/*"], conditions=ours),
        statement("CreateBalancersTaggedForThisCluster",
                  ["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"],
                  balancers, conditions=tagging_ours),
        statement("TagBalancersAsItCreatesThem", ["elasticloadbalancing:AddTags"], balancers,
                  conditions={"StringEquals": {
                      "elasticloadbalancing:CreateAction": ["CreateTargetGroup", "CreateLoadBalancer"],
                      f"aws:RequestTag/{LBC_CLUSTER_TAG}": cluster_name}}),
        statement("ManageItsBalancers", [
            "elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags",
            "elasticloadbalancing:ModifyLoadBalancerAttributes", "elasticloadbalancing:SetIpAddressType",
            "elasticloadbalancing:SetSecurityGroups", "elasticloadbalancing:SetSubnets",
            "elasticloadbalancing:DeleteLoadBalancer", "elasticloadbalancing:ModifyTargetGroup",
            "elasticloadbalancing:ModifyTargetGroupAttributes", "elasticloadbalancing:DeleteTargetGroup",
            "elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets",
            "elasticloadbalancing:CreateListener", "elasticloadbalancing:CreateRule",
        ], balancers, conditions=ours),
        statement("ManageItsListeners", [
            "elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags",
            "elasticloadbalancing:ModifyListener", "elasticloadbalancing:DeleteListener",
            "elasticloadbalancing:ModifyRule", "elasticloadbalancing:DeleteRule",
            "elasticloadbalancing:AddListenerCertificates", "elasticloadbalancing:RemoveListenerCertificates",
            "elasticloadbalancing:SetWebAcl",
        ], listeners, conditions=ours),
    )
