"""The AWS services (and Kubernetes) a policy covers, derived from the resource types it judges."""

from __future__ import annotations

from collections import Counter
from typing import Iterable

# Provider module (the part of a type token before '/') -> the service's name as AWS writes it.
SERVICE_NAMES = {
    "aws:acmpca": "ACM Private CA", "aws:alb": "Elastic Load Balancing", "aws:lb": "Elastic Load Balancing",
    "aws:amp": "Managed Prometheus", "aws:backup": "Backup", "aws:bedrock": "Bedrock",
    "aws:cloudsearch": "CloudSearch", "aws:cloudtrail": "CloudTrail", "aws:cloudwatch": "CloudWatch",
    "aws:oam": "CloudWatch", "aws:codeartifact": "CodeArtifact", "aws:codebuild": "CodeBuild",
    "aws:dsql": "Aurora DSQL", "aws:dynamodb": "DynamoDB", "aws:ebs": "EBS", "aws:ec2": "EC2/VPC",
    "aws:vpc": "EC2/VPC", "aws:ecr": "ECR", "aws:ecs": "ECS", "aws:efs": "EFS", "aws:eks": "EKS",
    "aws:elasticache": "ElastiCache", "aws:elasticsearch": "OpenSearch", "aws:opensearch": "OpenSearch",
    "aws:opensearchingest": "OpenSearch", "aws:glacier": "S3 Glacier", "aws:glue": "Glue", "aws:iam": "IAM",
    "aws:kinesis": "Kinesis", "aws:kms": "KMS", "aws:lambda": "Lambda", "aws:mediastore": "MediaStore",
    "aws:msk": "MSK", "aws:networkfirewall": "Network Firewall", "aws:pinpoint": "End User Messaging",
    "aws:rds": "RDS", "aws:redshift": "Redshift", "aws:redshiftserverless": "Redshift", "aws:s3": "S3",
    "aws:s3control": "S3", "aws:s3tables": "S3", "aws:sagemaker": "SageMaker", "aws:schemas": "EventBridge",
    "aws:secretsmanager": "Secrets Manager", "aws:ses": "SES", "aws:sesv2": "SES", "aws:sns": "SNS",
    "aws:sqs": "SQS", "aws:vpclattice": "VPC Lattice", "aws:xray": "X-Ray",
}


def service_of(type_token: str) -> str:
    module = type_token.split("/", 1)[0]
    if module.startswith("kubernetes:"):
        return "Kubernetes"
    return SERVICE_NAMES.get(module, module.split(":", 1)[-1])


def services_of(types: Iterable[str]) -> list[str]:
    """The services of a policy's resource types, in first-seen order ([]: it judges any resource or the config)."""
    return list(dict.fromkeys(service_of(t) for t in types))


def coverage(rows: Iterable[dict]) -> dict[str, int]:
    """Service -> how many policies cover it, most covered first."""
    counts = Counter(s for row in rows for s in row["services"])
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
