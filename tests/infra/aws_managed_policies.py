"""Documents of the AWS managed policies our roles attach, for the effective-permission model.

Source: the IAM console / AWS Managed Policy Reference Guide ("AmazonEKSWorkerNodePolicy" version v3,
"AmazonEC2ContainerRegistryPullOnly" v1), as published 2026. Only policies whose whole document is
written here can be evaluated; a role attaching any other AWS managed policy is refused by
``Account.role`` rather than evaluated with part of its permissions missing.
"""

from __future__ import annotations

AWS_MANAGED_POLICIES: dict[str, dict] = {
    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy": {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "WorkerNodePermissions",
            "Effect": "Allow",
            "Action": [
                "ec2:DescribeInstances", "ec2:DescribeInstanceTypes", "ec2:DescribeRouteTables",
                "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVolumes",
                "ec2:DescribeVolumesModifications", "ec2:DescribeVpcs", "eks:DescribeCluster",
                "eks-auth:AssumeRoleForPodIdentity",
            ],
            "Resource": "*",
        }],
    },
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly": {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": ["ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            "Resource": "*",
        }],
    },
}
