"""Resource policies (who may use a resource, written on the resource itself) never open it to anyone.

Each service's policy document lives in a different input (SNS `policy`, OpenSearch `accessPolicies`,
Glacier `accessPolicy`, ...); the tables below name it per type token, held against pulumi-aws by
tests/policies/test_provider_schema.py. What counts as public is decided in one place,
policies/statements.py. S3 bucket policies and KMS key policies have their own policies
(storage.py, encryption.py). Not judged here: VPC endpoint policies (their '*' principal is the
norm: they filter what passes through the endpoint, they grant nothing), API Gateway REST API
policies (a public API is often intended and is guarded by its authorizers), ECR Public
repositories (public by design).
"""

from __future__ import annotations

from typing import Iterator, Mapping

from policies.exemptions import exemption_hint
from policies.spec import STRICT, Context, Severity, Subject, nist, resource_policy
from policies.statements import public_statements
from policies.views import present

SNS = {"aws:sns/topic:Topic": "policy", "aws:sns/topicPolicy:TopicPolicy": "policy"}
SQS = {"aws:sqs/queue:Queue": "policy", "aws:sqs/queuePolicy:QueuePolicy": "policy"}
ECR = {"aws:ecr/repositoryPolicy:RepositoryPolicy": "policy", "aws:ecr/registryPolicy:RegistryPolicy": "policy"}
SECRETS = {"aws:secretsmanager/secret:Secret": "policy", "aws:secretsmanager/secretPolicy:SecretPolicy": "policy"}
OTHERS = {
    "aws:opensearch/domain:Domain": "accessPolicies",
    "aws:opensearch/domainPolicy:DomainPolicy": "accessPolicies",
    "aws:elasticsearch/domain:Domain": "accessPolicies",
    "aws:elasticsearch/domainPolicy:DomainPolicy": "accessPolicies",
    "aws:efs/fileSystemPolicy:FileSystemPolicy": "policy",
    "aws:glacier/vault:Vault": "accessPolicy",
    "aws:backup/vaultPolicy:VaultPolicy": "policy",
    "aws:s3/accessPoint:AccessPoint": "policy",
    "aws:s3control/accessPointPolicy:AccessPointPolicy": "policy",
    "aws:s3control/bucketPolicy:BucketPolicy": "policy",
    "aws:cloudwatch/eventBusPolicy:EventBusPolicy": "policy",
    "aws:cloudwatch/logDestinationPolicy:LogDestinationPolicy": "accessPolicy",
    "aws:kinesis/resourcePolicy:ResourcePolicy": "policy",
    "aws:dynamodb/resourcePolicy:ResourcePolicy": "policy",
    "aws:glue/resourcePolicy:ResourcePolicy": "policy",
    "aws:codeartifact/domainPermissions:DomainPermissions": "policyDocument",
    "aws:codeartifact/repositoryPermissionsPolicy:RepositoryPermissionsPolicy": "policyDocument",
    "aws:sagemaker/modelPackageGroupPolicy:ModelPackageGroupPolicy": "resourcePolicy",
    "aws:mediastore/containerPolicy:ContainerPolicy": "policy",
    "aws:acmpca/policy:Policy": "policy",
    "aws:amp/resourcePolicy:ResourcePolicy": "policyDocument",
    "aws:bedrock/agentcoreResourcePolicy:AgentcoreResourcePolicy": "policy",
    "aws:cloudsearch/domainServiceAccessPolicy:DomainServiceAccessPolicy": "accessPolicy",
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": "policyDocument",
    "aws:codebuild/resourcePolicy:ResourcePolicy": "policy",
    "aws:dsql/clusterPolicy:ClusterPolicy": "policy",
    "aws:glacier/vaultLock:VaultLock": "policy",
    "aws:lambda/resourcePolicy:ResourcePolicy": "policy",
    "aws:msk/clusterPolicy:ClusterPolicy": "policy",
    "aws:networkfirewall/resourcePolicy:ResourcePolicy": "policy",
    "aws:oam/sinkPolicy:SinkPolicy": "policy",
    "aws:opensearchingest/resourcePolicy:ResourcePolicy": "policy",
    "aws:pinpoint/smsvoicev2ResourcePolicy:Smsvoicev2ResourcePolicy": "policy",
    "aws:redshift/resourcePolicy:ResourcePolicy": "policy",
    "aws:redshiftserverless/resourcePolicy:ResourcePolicy": "policy",
    "aws:s3/filesFileSystemPolicy:FilesFileSystemPolicy": "policy",
    "aws:s3/vectorsVectorBucketPolicy:VectorsVectorBucketPolicy": "policy",
    "aws:s3control/accessGrantsInstanceResourcePolicy:AccessGrantsInstanceResourcePolicy": "policy",
    "aws:s3control/objectLambdaAccessPointPolicy:ObjectLambdaAccessPointPolicy": "policy",
    "aws:s3tables/tableBucketPolicy:TableBucketPolicy": "resourcePolicy",
    "aws:s3tables/tablePolicy:TablePolicy": "resourcePolicy",
    "aws:schemas/registryPolicy:RegistryPolicy": "policy",
    "aws:ses/identityPolicy:IdentityPolicy": "policy",
    "aws:sesv2/emailIdentityPolicy:EmailIdentityPolicy": "policy",
    "aws:vpclattice/resourcePolicy:ResourcePolicy": "policy",
    "aws:xray/resourcePolicy:ResourcePolicy": "policyDocument",
}
# Types with a policy-like input that no policy here judges, and why (tests/policies/test_provider_schema.py
# checks that every such type of pulumi-aws is judged somewhere or listed here).
NOT_JUDGED = {
    "aws:ec2/vpcEndpoint:VpcEndpoint": "endpoint policy: filters what passes through the endpoint, grants nothing",
    "aws:ec2/vpcEndpointPolicy:VpcEndpointPolicy": "endpoint policy: filters what passes through the endpoint",
    "aws:vpclattice/authPolicy:AuthPolicy": "auth policy: applies only to callers inside the service network",
    "aws:apigateway/restApi:RestApi": "a public API is often intended; its authorizers guard it",
    "aws:apigateway/restApiPolicy:RestApiPolicy": "a public API is often intended; its authorizers guard it",
    "aws:apigateway/domainName:DomainName": "private custom domain policy, as for REST APIs",
    "aws:ecrpublic/repositoryPolicy:RepositoryPolicy": "ECR Public repositories are public by design",
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": "image expiry rules, not an access policy",
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": "a session policy: it can only narrow the role",
    "aws:transfer/access:Access": "a session policy: it can only narrow the role",
    "aws:transfer/user:User": "a session policy: it can only narrow the role",
    "aws:iot/policy:Policy": "IoT policies name the device actions of attached certificates, not principals",
    "aws:iot/policyAttachment:PolicyAttachment": "names an IoT policy, holds no document",
    "aws:opensearch/serverlessAccessPolicy:ServerlessAccessPolicy": "OpenSearch Serverless data access rules, not IAM",
    "aws:opensearch/serverlessLifecyclePolicy:ServerlessLifecyclePolicy": "index retention rules, not access",
    "aws:opensearch/serverlessSecurityPolicy:ServerlessSecurityPolicy": "encryption/network rules, not IAM",
    "aws:verifiedaccess/endpoint:Endpoint": "Cedar policy evaluated on trust-provider claims, not IAM",
    "aws:verifiedaccess/group:Group": "Cedar policy evaluated on trust-provider claims, not IAM",
    "aws:networkmanager/coreNetworkPolicyAttachment:CoreNetworkPolicyAttachment": "network topology, not access",
    "aws:resiliencehub/resiliencyPolicy:ResiliencyPolicy": "recovery objectives, not access",
    "aws:ses/receiptFilter:ReceiptFilter": "an IP allow/block filter, not a principal policy",
    "aws:sns/dataProtectionPolicy:DataProtectionPolicy": "data masking rules, not access",
    "aws:cloudwatch/logDataProtectionPolicy:LogDataProtectionPolicy": "data masking rules, not access",
    "aws:cloudwatch/logIndexPolicy:LogIndexPolicy": "field indexes, not access",
    "aws:cloudwatch/logAccountPolicy:LogAccountPolicy": "account-wide masking/subscription settings, not access",
}
LAMBDA_PERMISSION = "aws:lambda/permission:Permission"
LAMBDA_FUNCTION_URL = "aws:lambda/functionUrl:FunctionUrl"
# A Lambda permission for '*' is limited by any of these inputs (AWS turns them into conditions).
LAMBDA_LIMITS = ("sourceArn", "sourceAccount", "principalOrgId")

_NOT_PUBLIC_REMEDIATION = (
    "Name the principals (account roles or service principals) in the Allow statement; where '*' is needed, "
    "add a StringEquals/ArnLike condition on aws:PrincipalOrgID, aws:PrincipalAccount, aws:SourceAccount, "
    "aws:SourceArn or aws:SourceVpce. aws:SecureTransport and other conditions that do not limit the caller "
    "leave the resource public."
)


def _check_documents(resource: Subject, inputs: Mapping[str, str]) -> Iterator[str]:
    yield from public_statements(resource.props.get(inputs[resource.type]))


@resource_policy(
    id="sns-topic-policy-not-public", area="resource-policies", title="No public SNS topic policy",
    description="SNS topic policies (the topic's policy or an aws.sns.TopicPolicy) do not let anyone publish "
                "or subscribe: a '*' principal needs a condition that limits the caller.",
    severity=Severity.CRITICAL, enforcement=STRICT, types=tuple(SNS),
    remediation=_NOT_PUBLIC_REMEDIATION + " For AWS services publishing alarms or events, name the service "
                "principal (cloudwatch.amazonaws.com) with aws:SourceAccount.",
    frameworks=[nist("AC-3"), nist("AC-6"), nist("SC-7")],
)
def sns_topic_policy_not_public(resource: Subject, ctx: Context) -> Iterator[str]:
    yield from _check_documents(resource, SNS)


@resource_policy(
    id="sqs-queue-policy-not-public", area="resource-policies", title="No public SQS queue policy",
    description="SQS queue policies (the queue's policy or an aws.sqs.QueuePolicy) do not let anyone send, "
                "receive or delete messages.",
    severity=Severity.CRITICAL, enforcement=STRICT, types=tuple(SQS),
    remediation=_NOT_PUBLIC_REMEDIATION + " For an SNS subscription or S3 notification, name the service "
                "principal with aws:SourceArn set to the topic or bucket.",
    frameworks=[nist("AC-3"), nist("AC-6"), nist("SC-7")],
)
def sqs_queue_policy_not_public(resource: Subject, ctx: Context) -> Iterator[str]:
    yield from _check_documents(resource, SQS)


@resource_policy(
    id="ecr-repository-policy-not-public", area="resource-policies", title="No public ECR repository policy",
    description="ECR repository and registry policies do not let anyone pull or push images (model-serving "
                "images carry weights and code).",
    severity=Severity.CRITICAL, enforcement=STRICT, types=tuple(ECR),
    remediation=_NOT_PUBLIC_REMEDIATION + " To share images with the organisation, use aws:PrincipalOrgID.",
    frameworks=[nist("AC-3"), nist("AC-6"), nist("CM-14")],
)
def ecr_repository_policy_not_public(resource: Subject, ctx: Context) -> Iterator[str]:
    yield from _check_documents(resource, ECR)


@resource_policy(
    id="secret-policy-not-public", area="resource-policies", title="No public Secrets Manager secret policy",
    description="Secrets Manager secret policies (the secret's policy or an aws.secretsmanager.SecretPolicy) "
                "do not let anyone read the secret.",
    severity=Severity.CRITICAL, enforcement=STRICT, types=tuple(SECRETS),
    remediation=_NOT_PUBLIC_REMEDIATION + " Also set block_public_policy=True on aws.secretsmanager.SecretPolicy.",
    frameworks=[nist("AC-3"), nist("AC-6"), nist("IA-5")],
)
def secret_policy_not_public(resource: Subject, ctx: Context) -> Iterator[str]:
    yield from _check_documents(resource, SECRETS)


@resource_policy(
    id="lambda-not-public", area="resource-policies", title="No public Lambda permission or function URL",
    description="Lambda permissions for the '*' principal carry a source_arn, source_account or "
                "principal_org_id, and function URLs require IAM authentication; a URL that is public on purpose "
                "(authorization type NONE) needs an exemption with its reason and expiry.",
    severity=Severity.CRITICAL, enforcement=STRICT, types=(LAMBDA_PERMISSION, LAMBDA_FUNCTION_URL),
    remediation="Give aws.lambda_.Permission a service or account principal with source_arn/source_account "
                "(or principal_org_id), and set authorization_type='AWS_IAM' on aws.lambda_.FunctionUrl.",
    frameworks=[nist("AC-3"), nist("SC-7")],
)
def lambda_not_public(resource: Subject, ctx: Context) -> Iterator[str]:
    props = resource.props
    if resource.type == LAMBDA_FUNCTION_URL:
        if props.get("authorizationType") == "NONE":
            yield ("function URL has authorization type NONE: anyone on the internet can invoke it; "
                   + exemption_hint("lambda-not-public", resource.name, "it is a public endpoint"))
        return
    # A limit fed from another resource (a source ARN unknown until apply) still limits.
    if props.get("principal") == "*" and not any(present(props, limit) for limit in LAMBDA_LIMITS):
        yield f"permission lets any principal call {props.get('action') or 'the function'} (no {', '.join(LAMBDA_LIMITS)})"


@resource_policy(
    id="resource-policy-not-public", area="resource-policies", title="No public resource policies",
    description="Other resource policies (OpenSearch/Elasticsearch domains, EFS file systems, Glacier vaults and "
                "locks, Backup vaults, S3 access points, tables and vector buckets, EventBridge buses, CloudWatch "
                "Logs, Kinesis, DynamoDB, Glue, CodeArtifact, CodeBuild, MSK, Redshift, Lambda, SES, X-Ray, "
                "SageMaker model package groups and more: see resource_policies.OTHERS) do not allow anyone.",
    severity=Severity.CRITICAL, enforcement=STRICT, types=tuple(OTHERS),
    remediation=_NOT_PUBLIC_REMEDIATION,
    frameworks=[nist("AC-3"), nist("AC-6")],
)
def resource_policy_not_public(resource: Subject, ctx: Context) -> Iterator[str]:
    yield from _check_documents(resource, OTHERS)
