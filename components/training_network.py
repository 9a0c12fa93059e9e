"""The one security group of SageMaker training and processing jobs in the platform VPC: the jobs of
`mladmin launch train` and the retraining pipelines' train and evaluate steps.

A job's instances talk to each other (torchrun, NCCL, and IPsec when inter-container traffic is
encrypted) and, over HTTPS, to the VPC's interface endpoints and to S3 through the gateway
endpoint. Nothing else: no ingress from outside the group, no route to the internet from it. Both
kinds of job need exactly this (their data comes from S3 in File mode, not FSx; a pipeline's group of
its own allowed HTTPS to anywhere, which its network-isolated steps never used), so they share the
group. Its members may reach one another, as the jobs of different teams always could; network
isolation (always on in pipeline steps, the default of launch jobs) keeps a job's container from
calling out at all.

```python
training = TrainingNetwork("training", TrainingNetworkArgs(
    vpc_id=network.vpc_id, vpc_cidr_block=network.vpc_cidr_block,
    s3_prefix_list_id=network.s3_endpoint.prefix_list_id, tags=tags))
training.security_group_id  # VpcConfig.SecurityGroupIds of `mladmin launch train` and of RetrainingArgs
```
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components import validation as check
from components.tags import Tags, child_opts, tags_problems

# Marks the group for IAM: roles that run jobs may attach ENIs with it and with no other group
# (components.iam.job_eni_statements). Its id is unknown in a preview; the tag is not.
JOB_SECURITY_GROUP_TAGS = {"purpose": "sagemaker-jobs"}


@dataclass(frozen=True)
class TrainingNetworkArgs:
    """Where training jobs attach: the VPC, its CIDR (interface endpoints) and the S3 prefix list."""

    vpc_id: pulumi.Input[str]
    vpc_cidr_block: str                       # HTTPS to the interface endpoints in the VPC
    s3_prefix_list_id: pulumi.Input[str]      # the S3 gateway endpoint's prefix list
    tags: Tags


class TrainingNetwork(pulumi.ComponentResource):
    def __init__(self, name: str, args: TrainingNetworkArgs, opts: pulumi.ResourceOptions | None = None):
        _, problems = check.ipv4_network("vpc_cidr_block", args.vpc_cidr_block)
        check.raise_if_problems("TrainingNetwork", problems + tags_problems(args.tags))
        super().__init__("mladmin:sagemaker:TrainingNetwork", name, None, opts)
        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description="SageMaker training jobs: their own instances, HTTPS to VPC endpoints and S3",
            ingress=[{"description": "Between the instances of a job", "protocol": "-1", "from_port": 0,
                      "to_port": 0, "self": True}],
            egress=[
                {"description": "Between the instances of a job", "protocol": "-1", "from_port": 0,
                 "to_port": 0, "self": True},
                {"description": "HTTPS to the interface endpoints", "protocol": "tcp", "from_port": 443,
                 "to_port": 443, "cidr_blocks": [args.vpc_cidr_block]},
                {"description": "HTTPS to S3 through the gateway endpoint", "protocol": "tcp", "from_port": 443,
                 "to_port": 443, "prefix_list_ids": [args.s3_prefix_list_id]},
            ],
            tags=args.tags.merged({"Name": f"{name}-jobs"}, JOB_SECURITY_GROUP_TAGS),
            opts=child_opts(self),
        )
        self.security_group_id = self.security_group.id
        self.register_outputs({"security_group_id": self.security_group_id})
