"""Fixtures declared with the real pulumi-aws classes and planned by the offline engine (builders.planned):
the props each policy sees are exactly what the SDK sends. fixtures.py merges these tables over its
hand-written ones."""

from __future__ import annotations

import json

import pulumi_aws as aws

from tests.policies.builders import Case, planned

ACCOUNT = "123456789012"
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/0b1c2d3e-0000-4000-8000-000000000001"
TAGS = {"owner": "ml-platform", "environment": "dev", "team": "research", "cost-center": "cc-1"}


def document(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def anyone(action: str, resource: str = "*", condition: dict | None = None, sid: str = "Anyone") -> dict:
    statement = {"Sid": sid, "Effect": "Allow", "Principal": "*", "Action": action, "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return statement


ORG_ONLY = {"StringEquals": {"aws:PrincipalOrgID": "o-abc123def4"}}
TLS_ONLY = {"Bool": {"aws:SecureTransport": "true"}}
ACCOUNT_ROOT = {"Sid": "Account", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "*", "Resource": "*"}




# --- S3: a bucket and the companion resources a compliant bucket has --------------------------


def bucket(name: str, *, skip: tuple[str, ...] = (), log_to: aws.s3.Bucket | None = None,
           replicate_to: aws.s3.Bucket | None = None, sse: str = "aws:kms", versioning: str = "Enabled",
           restrict_public_buckets: bool = True, policy_statements: tuple[dict, ...] = (),
           ownership: str = "BucketOwnerEnforced", website: bool = False) -> aws.s3.Bucket:
    """Declare a bucket with its public access block, encryption, versioning, TLS-only policy,
    ownership controls and access logging; `skip` leaves some out."""
    b = aws.s3.Bucket(name, bucket=f"{name}-bucket", tags=TAGS)
    if "pab" not in skip:
        aws.s3.BucketPublicAccessBlock(f"{name}-pab", bucket=b.id, block_public_acls=True, block_public_policy=True,
                                       ignore_public_acls=True, restrict_public_buckets=restrict_public_buckets)
    if "sse" not in skip:
        aws.s3.BucketServerSideEncryptionConfiguration(f"{name}-sse", bucket=b.id, rules=[{
            "apply_server_side_encryption_by_default": {
                "sse_algorithm": sse, **({"kms_master_key_id": KEY_ARN} if sse != "AES256" else {})},
            "bucket_key_enabled": True}])
    if "ver" not in skip:
        aws.s3.BucketVersioning(f"{name}-versioning", bucket=b.id, versioning_configuration={"status": versioning})
    if "pol" not in skip:
        arn = f"arn:aws:s3:::{name}-bucket"  # from the name, so `pulumi preview` knows the document
        aws.s3.BucketPolicy(f"{name}-policy", bucket=b.id, policy=document(
            {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
             "Resource": [arn, f"{arn}/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
            *policy_statements))
    if "own" not in skip:
        aws.s3.BucketOwnershipControls(f"{name}-ownership", bucket=b.id, rule={"object_ownership": ownership})
    if website:
        aws.s3.BucketWebsiteConfiguration(f"{name}-website", bucket=b.id, index_document={"suffix": "index.html"})
    if log_to is not None and "log" not in skip:
        aws.s3.BucketLogging(f"{name}-logging", bucket=b.id, target_bucket=log_to.id, target_prefix=f"{name}/")
    if replicate_to is not None:
        aws.s3.BucketReplicationConfig(f"{name}-replication", bucket=b.id, role=f"arn:aws:iam::{ACCOUNT}:role/replication",
                                       rules=[{"id": "all", "status": "Enabled",
                                               "destination": {"bucket": replicate_to.arn, "storage_class": "STANDARD"}}])
    return b


def data_and_logs(**data_options) -> list:
    """A compliant log bucket (SSE-S3, as S3 server access logging requires) and a data bucket logging to it."""
    def build():
        logs = bucket("logs", sse="AES256")
        bucket("data", log_to=logs, **data_options)
    return planned(build)


def replicated(replicate: bool) -> list:
    def build():
        logs = bucket("logs", sse="AES256")
        replica = bucket("data-replica", log_to=logs)
        bucket("data", log_to=logs, replicate_to=replica if replicate else None)
    return planned(build)


def legacy_bucket(**inline) -> list:
    """A bucket configured through pulumi-aws 7's deprecated inline arguments."""
    def build():
        logs = bucket("logs", sse="AES256")
        aws.s3.Bucket("legacy", bucket="legacy-bucket", tags=TAGS, **{
            "server_side_encryption_configuration": {"rule": {"apply_server_side_encryption_by_default": {
                "sse_algorithm": "aws:kms", "kms_master_key_id": KEY_ARN}, "bucket_key_enabled": True}},
            "versioning": {"enabled": True}, "logging": {"target_bucket": logs.id, "target_prefix": "legacy/"},
            **inline})
    return planned(build)


def _iam_role(name: str, trust: dict, **kwargs) -> aws.iam.Role:
    return aws.iam.Role(name, assume_role_policy=document(trust), tags=TAGS, **kwargs)


SERVICE_TRUST = {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}
OIDC = "oidc.eks.us-east-1.amazonaws.com/id/ABC"


def web_identity(**conditions: str) -> dict:
    return {"Effect": "Allow", "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/{OIDC}"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {f"{OIDC}:{k}": v for k, v in conditions.items()}}}


def trail(name: str = "trail", **options) -> list:
    return planned(lambda: aws.cloudtrail.Trail(name, s3_bucket_name="audit-trail-bucket", tags=TAGS, **options))


GOOD_TRAIL = dict(is_multi_region_trail=True, enable_log_file_validation=True, kms_key_id=KEY_ARN)


def training_job(instance_type: str = "ml.g5.2xlarge", instance_count: int = 2, **options) -> list:
    return planned(lambda: aws.sagemaker.TrainingJob(
        "finetune", role_arn=f"arn:aws:iam::{ACCOUNT}:role/sagemaker", training_job_name="finetune",
        algorithm_specification={"training_image": f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/train:1.0",
                                 "training_input_mode": "File"},
        output_data_config={"s3_output_path": "s3://checkpoints/finetune", "kms_key_id": KEY_ARN},
        resource_config={"instance_type": instance_type, "instance_count": instance_count, "volume_size_in_gb": 100,
                         "volume_kms_key_id": KEY_ARN},
        stopping_condition={"max_runtime_in_seconds": 86400}, tags=TAGS, **options))


def data_quality_job(**options) -> list:
    return planned(lambda: aws.sagemaker.DataQualityJobDefinition(
        "drift", role_arn=f"arn:aws:iam::{ACCOUNT}:role/sagemaker",
        data_quality_app_specification={"image_uri": f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/monitor:1.0"},
        data_quality_job_input={"endpoint_input": {"endpoint_name": "llm"}},
        data_quality_job_output_config={"monitoring_outputs": {"s3_output": {"s3_uri": "s3://capture/drift"}},
                                        "kms_key_id": KEY_ARN},
        job_resources={"cluster_config": {"instance_count": 1, "instance_type": "ml.m5.xlarge", "volume_size_in_gb": 20}},
        tags=TAGS, **options))


def node_group(name: str = "system", **options) -> list:
    return planned(lambda: aws.eks.NodeGroup(
        name, cluster_name="ml", node_role_arn=f"arn:aws:iam::{ACCOUNT}:role/nodes", subnet_ids=["subnet-0a"],
        instance_types=["m6i.large"], scaling_config={"min_size": 1, "desired_size": 1, "max_size": 2}, tags=TAGS,
        **options))


def lambda_permission(**options) -> list:
    return planned(lambda: aws.lambda_.Permission(
        "invoke", function="arn:aws:lambda:us-east-1:123456789012:function:drift", **options))


PASSING = {
    "s3-public-access-block": [Case(data_and_logs())],
    "s3-no-public-acl": [Case(planned(lambda: aws.s3.BucketAcl("data-acl", bucket="data-bucket", acl="private")))],
    "s3-bucket-policy-not-public": [Case(data_and_logs(policy_statements=(
        anyone("s3:GetObject", "arn:aws:s3:::data-bucket/*", ORG_ONLY, sid="Organisation"),)))],
    "s3-sse-kms": [Case(data_and_logs()), Case(legacy_bucket()), Case(data_and_logs(website=True, skip=("sse",)))],
    "s3-versioning": [Case(data_and_logs()), Case(legacy_bucket())],
    "s3-tls-only": [Case(data_and_logs())],
    "s3-access-logging": [Case(data_and_logs()), Case(legacy_bucket())],
    "s3-replication-prod": [Case(replicated(True), environment="prod")],
    "s3-bucket-owner-enforced": [Case(data_and_logs()), Case(data_and_logs(skip=("own",)))],
    "ebs-volume-encrypted": [Case(planned(lambda: (
        aws.ebs.Volume("scratch", availability_zone="us-east-1a", size=100, encrypted=True, kms_key_id=KEY_ARN, tags=TAGS),
        aws.ec2.Instance("bastion", ami="ami-0abc", instance_type="t3.micro", root_block_device={"encrypted": True},
                         ebs_block_devices=[{"device_name": "/dev/sdf", "encrypted": True, "volume_size": 10}]))))],
    "kms-key-rotation": [Case(planned(lambda: (
        aws.kms.Key("data", enable_key_rotation=True),
        aws.kms.Key("signing", customer_master_key_spec="RSA_2048", key_usage="SIGN_VERIFY"))))],
    "kms-key-policy-no-wildcard-principal": [Case(planned(lambda: aws.kms.Key("data", enable_key_rotation=True, policy=document(
        ACCOUNT_ROOT,
        anyone("kms:Decrypt", condition={"StringEquals": {"kms:CallerAccount": ACCOUNT,
                                                          "kms:ViaService": "s3.us-east-1.amazonaws.com"}})))))],
    "iam-no-admin-managed-policies": [Case(planned(lambda: aws.iam.RolePolicyAttachment(
        "ro", role="analyst", policy_arn="arn:aws:iam::aws:policy/ReadOnlyAccess")))],
    "iam-trust-policy-pinned": [Case(planned(lambda: (
        _iam_role("irsa", web_identity(sub="system:serviceaccount:ml:train", aud="sts.amazonaws.com")),
        _iam_role("svc", SERVICE_TRUST),
        _iam_role("org", {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
                          "Condition": ORG_ONLY}))))],
    "sagemaker-inter-container-encryption": [
        Case(training_job(enable_inter_container_traffic_encryption=True)),
        Case(data_quality_job(network_config={"enable_inter_container_traffic_encryption": True}))],
    "eks-node-no-remote-access": [Case(node_group())],
    "sns-topic-policy-not-public": [Case(planned(lambda: (
        aws.sns.Topic("alerts", kms_master_key_id="alias/logs", tags=TAGS, policy=document(
            {"Sid": "CloudWatch", "Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
             "Action": "sns:Publish", "Resource": "*", "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}})),
        aws.sns.TopicPolicy("alerts-org", arn=f"arn:aws:sns:us-east-1:{ACCOUNT}:alerts",
                            policy=document(anyone("sns:Subscribe", condition=ORG_ONLY))))))],
    "sqs-queue-policy-not-public": [Case(planned(lambda: aws.sqs.QueuePolicy(
        "jobs", queue_url=f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/jobs", policy=document(
            {"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
             "Resource": "*", "Condition": {"ArnEquals": {"aws:SourceArn": f"arn:aws:sns:us-east-1:{ACCOUNT}:alerts"}}}))))],
    "ecr-repository-policy-not-public": [Case(planned(lambda: aws.ecr.RepositoryPolicy(
        "serve", repository="serve", policy=document(anyone("ecr:BatchGetImage", condition=ORG_ONLY)))))],
    "secret-policy-not-public": [Case(planned(lambda: aws.secretsmanager.SecretPolicy(
        "hf-token", secret_arn=f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:hf-token", block_public_policy=True,
        policy=document({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/train"},
                         "Action": "secretsmanager:GetSecretValue", "Resource": "*"}))))],
    "lambda-not-public": [Case(lambda_permission(action="lambda:InvokeFunction", principal="s3.amazonaws.com",
                                                  source_arn="arn:aws:s3:::data-bucket", source_account=ACCOUNT)),
                          Case(planned(lambda: aws.lambda_.FunctionUrl("drift-url", function_name="drift",
                                                                        authorization_type="AWS_IAM")))],
    "resource-policy-not-public": [Case(planned(lambda: (
        aws.efs.FileSystemPolicy("shared", file_system_id="fs-0abc", policy=document(
            anyone("elasticfilesystem:ClientMount", condition={"StringEquals": {"aws:SourceVpce": "vpce-0abc"}}))),
        aws.opensearch.DomainPolicy("search", domain_name="search", access_policies=document(
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/search"}, "Action": "es:ESHttp*",
             "Resource": "*"})))))],
    "cloudtrail-multi-region": [Case(trail(**GOOD_TRAIL))],
    "cloudtrail-log-validation": [Case(trail(**GOOD_TRAIL))],
    "cloudtrail-kms": [Case(trail(**GOOD_TRAIL))],
}

FAILING = {
    "s3-public-access-block": [Case(data_and_logs(skip=("pab",)), "data"),
                               Case(data_and_logs(restrict_public_buckets=False), "data")],
    "s3-no-public-acl": [Case(planned(lambda: aws.s3.Bucket("site", acl="public-read")), "site"),
                         Case(planned(lambda: aws.s3.BucketAcl("site-acl", bucket="site", access_control_policy={
                             "owner": {"id": "owner-id"},
                             "grants": [{"grantee": {"type": "Group", "uri": "http://acs.amazonaws.com/groups/global/AllUsers"},
                                         "permission": "READ"}]})), "site-acl"),
                         Case(planned(lambda: aws.s3.Bucket("site", grants=[{
                             "type": "Group", "uri": "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
                             "permissions": ["READ"]}])), "site")],
    "s3-bucket-policy-not-public": [
        Case(data_and_logs(policy_statements=(anyone("s3:GetObject", "arn:aws:s3:::data-bucket/*"),)), "data-policy"),
        Case(data_and_logs(policy_statements=(anyone("s3:GetObject", "arn:aws:s3:::data-bucket/*", TLS_ONLY),)), "data-policy")],
    "s3-sse-kms": [Case(data_and_logs(skip=("sse",)), "data"), Case(data_and_logs(sse="AES256"), "data"),
                   Case(legacy_bucket(server_side_encryption_configuration={"rule": {
                       "apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}}), "legacy")],
    "s3-versioning": [Case(data_and_logs(skip=("ver",)), "data"), Case(data_and_logs(versioning="Suspended"), "data"),
                      Case(legacy_bucket(versioning={"enabled": False}), "legacy")],
    "s3-tls-only": [Case(data_and_logs(skip=("pol",)), "data")],
    "s3-access-logging": [Case(data_and_logs(skip=("log",)), "data")],
    "s3-replication-prod": [Case(replicated(False), "data", environment="prod")],
    "s3-bucket-owner-enforced": [Case(data_and_logs(ownership="ObjectWriter"), "data")],
    "ebs-volume-encrypted": [
        Case(planned(lambda: aws.ebs.Volume("scratch", availability_zone="us-east-1a", size=100)), "scratch"),
        Case(planned(lambda: aws.ec2.Instance("bastion", ami="ami-0abc", instance_type="t3.micro")), "bastion"),
        Case(planned(lambda: aws.ec2.Instance("worker", ami="ami-0abc", instance_type="t3.micro",
                                               root_block_device={"encrypted": True},
                                               ebs_block_devices=[{"device_name": "/dev/sdf", "volume_size": 10}])), "worker")],
    "kms-key-rotation": [Case(planned(lambda: aws.kms.Key("data")), "data")],
    "kms-key-policy-no-wildcard-principal": [
        Case(planned(lambda: aws.kms.KeyPolicy("data-policy", key_id="k", policy=document(anyone("kms:*")))), "data-policy"),
        Case(planned(lambda: aws.kms.Key("data", enable_key_rotation=True, policy=document(ACCOUNT_ROOT, anyone(
            "kms:Decrypt", condition={"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}})))), "data")],
    "iam-no-admin-managed-policies": [
        Case(planned(lambda: aws.iam.RolePolicyAttachment("admin", role="ops", policy_arn="arn:aws:iam::aws:policy/AdministratorAccess")), "admin"),
        Case(planned(lambda: aws.iam.PolicyAttachment("admins", roles=["ops"],
                                                      policy_arn="arn:aws:iam::aws:policy/IAMFullAccess")), "admins"),
        Case(planned(lambda: aws.iam.Role("power", assume_role_policy=document(SERVICE_TRUST),
                                          managed_policy_arns=["arn:aws:iam::aws:policy/PowerUserAccess"])), "power"),
        Case(planned(lambda: aws.iam.RolePolicyAttachmentsExclusive("ops-exclusive", role_name="ops",
                                                                     policy_arns=["arn:aws:iam::aws:policy/PowerUserAccess"])), "ops-exclusive")],
    "iam-trust-policy-pinned": [
        Case(planned(lambda: _iam_role("open", {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"})), "open"),
        Case(planned(lambda: _iam_role("tls", {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
                                                "Condition": TLS_ONLY})), "tls"),
        Case(planned(lambda: _iam_role("irsa", web_identity(aud="sts.amazonaws.com"))), "irsa"),
        Case(planned(lambda: _iam_role("ci", {**web_identity(aud="sts.amazonaws.com"), "Condition": {
            "StringEquals": {f"{OIDC}:aud": "sts.amazonaws.com"}, "StringLike": {f"{OIDC}:sub": "*"}}})), "ci")],
    "sagemaker-inter-container-encryption": [Case(training_job(), "finetune"), Case(data_quality_job(), "drift")],
    "eks-node-no-remote-access": [Case(node_group(remote_access={"ec2_ssh_key": "ops"}), "system"),
                                  Case(node_group(remote_access={"source_security_group_ids": ["sg-0abc"]}), "system")],
    "sns-topic-policy-not-public": [
        Case(planned(lambda: aws.sns.Topic("alerts", kms_master_key_id="alias/logs", policy=document(anyone("sns:Publish")))), "alerts"),
        Case(planned(lambda: aws.sns.TopicPolicy("alerts-policy", arn=f"arn:aws:sns:us-east-1:{ACCOUNT}:alerts",
                                                  policy=document(anyone("sns:Subscribe", condition=TLS_ONLY)))), "alerts-policy")],
    "sqs-queue-policy-not-public": [
        Case(planned(lambda: aws.sqs.Queue("jobs", policy=document(anyone("sqs:SendMessage")))), "jobs"),
        Case(planned(lambda: aws.sqs.QueuePolicy("jobs-policy", queue_url=f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/jobs",
                                                  policy=document(anyone("sqs:*", condition={"StringNotEquals": {"aws:PrincipalAccount": "999999999999"}})))), "jobs-policy")],
    "ecr-repository-policy-not-public": [Case(planned(lambda: aws.ecr.RepositoryPolicy(
        "serve", repository="serve", policy=document(anyone(["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"])))), "serve")],
    "secret-policy-not-public": [
        Case(planned(lambda: aws.secretsmanager.Secret("hf-token", policy=document(anyone("secretsmanager:GetSecretValue")))), "hf-token"),
        Case(planned(lambda: aws.secretsmanager.SecretPolicy("hf-token-policy", secret_arn=f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:hf",
                                                              policy=document(anyone("secretsmanager:GetSecretValue", condition=TLS_ONLY)))), "hf-token-policy")],
    "lambda-not-public": [Case(lambda_permission(action="lambda:InvokeFunction", principal="*"), "invoke"),
                          Case(planned(lambda: aws.lambda_.FunctionUrl("drift-url", function_name="drift",
                                                                        authorization_type="NONE")), "drift-url")],
    "resource-policy-not-public": [
        Case(planned(lambda: aws.opensearch.DomainPolicy("search", domain_name="search", access_policies=document(
            anyone("es:ESHttp*", condition=TLS_ONLY)))), "search"),
        Case(planned(lambda: aws.glacier.Vault("archive", access_policy=document(anyone("glacier:InitiateJob")))), "archive"),
        Case(planned(lambda: aws.efs.FileSystemPolicy("shared", file_system_id="fs-0abc",
                                                       policy=document(anyone("elasticfilesystem:ClientMount")))), "shared")],
    "cloudtrail-multi-region": [Case(trail(enable_log_file_validation=True, kms_key_id=KEY_ARN), "trail"),
                                Case(trail(**GOOD_TRAIL, include_global_service_events=False), "trail")],
    "cloudtrail-log-validation": [Case(trail(is_multi_region_trail=True, kms_key_id=KEY_ARN), "trail")],
    "cloudtrail-kms": [Case(trail(is_multi_region_trail=True, enable_log_file_validation=True), "trail")],
}

# Cases added to a policy's hand-written ones (fixtures.py keeps those).
EXTRA_FAILING = {
    "gpu-instance-type-allowlist": [Case(training_job("ml.p4d.24xlarge", 1), "finetune")],
    "gpu-budget": [Case(training_job("ml.p4d.24xlarge", 2), None)],
}
