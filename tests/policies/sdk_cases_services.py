"""SDK-declared, engine-planned fixtures (see sdk_cases.py) for the service policies: RDS, load balancers,
ECS, Lambda, data services, Glue and Redshift. Each builder declares a compliant resource; a case changes
one argument (None leaves it out, as a program that never sets it)."""

from __future__ import annotations

import json

import pulumi_aws as aws

from tests.policies.builders import Case, planned
from tests.policies.sdk_cases import ACCOUNT, KEY_ARN, TAGS

ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/platform"
QUEUE_ARN = f"arn:aws:sqs:us-east-1:{ACCOUNT}:failures"
SECRET_ARN = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:hf-token"
LB_ARN = f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:loadbalancer/app/serve/0123456789abcdef"
TG_ARN = f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:targetgroup/serve/0123456789abcdef"
CERT_ARN = f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/0b1c2d3e-0000-4000-8000-000000000002"


def _with(defaults: dict, changes: dict) -> dict:
    merged = {**defaults, **changes}
    return {k: v for k, v in merged.items() if v is not None}


# --- RDS / Aurora -------------------------------------------------------------------------------

DB = dict(engine="postgres", engine_version="16.4", instance_class="db.t4g.medium", allocated_storage=20,
          username="mlflow", manage_master_user_password=True, storage_encrypted=True, kms_key_id=KEY_ARN,
          backup_retention_period=14, deletion_protection=True, multi_az=True, publicly_accessible=False,
          enabled_cloudwatch_logs_exports=["postgresql"], db_subnet_group_name="private", tags=TAGS)


def db_instance(**changes) -> aws.rds.Instance:
    return aws.rds.Instance("mlflow-db", **_with(DB, changes))


def db(**changes) -> list:
    return planned(lambda: db_instance(**changes))


def aurora(instances: int = 2, **changes) -> list:
    def build():
        cluster = aws.rds.Cluster("features", **_with(dict(
            engine="aurora-postgresql", engine_version="16.4", master_username="features",
            manage_master_user_password=True, storage_encrypted=True, kms_key_id=KEY_ARN, backup_retention_period=14,
            deletion_protection=True, enabled_cloudwatch_logs_exports=["postgresql"], tags=TAGS), changes))
        for i in range(instances):
            aws.rds.ClusterInstance(f"features-{i}", cluster_identifier=cluster.id, instance_class="db.r6g.large",
                                    engine="aurora-postgresql", publicly_accessible=False, tags=TAGS)
    return planned(build)


# --- load balancers -----------------------------------------------------------------------------

ALB = dict(internal=True, load_balancer_type="application", subnets=["subnet-0a", "subnet-0b"],
           security_groups=["sg-0abc"], drop_invalid_header_fields=True, enable_deletion_protection=True,
           access_logs={"bucket": "alb-logs", "prefix": "serve", "enabled": True}, tags=TAGS)


def alb(**changes) -> list:
    return planned(lambda: aws.lb.LoadBalancer("serve-alb", **_with(ALB, changes)))


HTTPS = dict(load_balancer_arn=LB_ARN, port=443, protocol="HTTPS", ssl_policy="ELBSecurityPolicy-TLS13-1-2-2021-06",
             certificate_arn=CERT_ARN, default_actions=[{"type": "forward", "target_group_arn": TG_ARN}], tags=TAGS)
REDIRECT = [{"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "status_code": "HTTP_301"}}]


def listener(name: str = "https", **changes) -> list:
    return planned(lambda: aws.lb.Listener(name, **_with(HTTPS, changes)))


def http_listener(actions) -> list:
    return listener("http", port=80, protocol="HTTP", ssl_policy=None, certificate_arn=None, default_actions=actions)


# --- ECS ----------------------------------------------------------------------------------------

CONTAINER = {"name": "serve", "image": f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/serve:1.4.2", "essential": True,
             "user": "1000:1000", "readonlyRootFilesystem": True, "privileged": False,
             "environment": [{"name": "MODEL_ID", "value": "llama-3-8b"}],
             "secrets": [{"name": "HF_TOKEN", "valueFrom": SECRET_ARN}]}


def task(**container_changes) -> list:
    container = {k: v for k, v in {**CONTAINER, **container_changes}.items() if v is not None}
    return planned(lambda: aws.ecs.TaskDefinition(
        "serve", family="serve", requires_compatibilities=["FARGATE"], network_mode="awsvpc", cpu="1024",
        memory="2048", execution_role_arn=ROLE_ARN, container_definitions=json.dumps([container]), tags=TAGS))


def ecs_service(assign_public_ip: bool) -> list:
    return planned(lambda: aws.ecs.Service(
        "serve", cluster="ml", task_definition="serve:1", desired_count=1, launch_type="FARGATE", tags=TAGS,
        network_configuration={"subnets": ["subnet-0a"], "security_groups": ["sg-0abc"],
                               "assign_public_ip": assign_public_ip}))


def ecs_cluster(settings) -> list:
    return planned(lambda: aws.ecs.Cluster("ml", settings=settings, tags=TAGS))


# --- Lambda -------------------------------------------------------------------------------------

FUNCTION = dict(role=ROLE_ARN, package_type="Image", image_uri=f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/drift:1.0",
                environment={"variables": {"LOG_LEVEL": "INFO"}}, kms_key_arn=KEY_ARN, tags=TAGS)


def function(**changes) -> list:
    return planned(lambda: aws.lambda_.Function("drift", **_with(FUNCTION, changes)))


def s3_triggered(keep: str | None) -> list:
    """A function S3 invokes asynchronously; `keep` is how it keeps failed events: dlq, destination or None."""
    def build():
        fn = aws.lambda_.Function("ingest", **_with(FUNCTION, {
            "dead_letter_config": {"target_arn": QUEUE_ARN} if keep == "dlq" else None}))
        aws.lambda_.Permission("ingest-from-s3", function=fn.name, action="lambda:InvokeFunction",
                               principal="s3.amazonaws.com", source_arn="arn:aws:s3:::datasets-bucket",
                               source_account=ACCOUNT)
        if keep == "destination":
            aws.lambda_.FunctionEventInvokeConfig("ingest-async", function_name=fn.name,
                                                  destination_config={"on_failure": {"destination": QUEUE_ARN}})
    return planned(build)


# --- data services ------------------------------------------------------------------------------

def table(**changes) -> list:
    return planned(lambda: aws.dynamodb.Table("features", **_with(dict(
        hash_key="id", attributes=[{"name": "id", "type": "S"}], billing_mode="PAY_PER_REQUEST",
        point_in_time_recovery={"enabled": True}, server_side_encryption={"enabled": True, "kms_key_arn": KEY_ARN},
        tags=TAGS), changes)))


def secret(rotated: bool = True, **changes) -> list:
    def build():
        s = aws.secretsmanager.Secret("db-password", **_with(dict(kms_key_id=KEY_ARN, tags=TAGS), changes))
        if rotated:
            aws.secretsmanager.SecretRotation("db-password-rotation", secret_id=s.id,
                                              rotation_lambda_arn=f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:rotate",
                                              rotation_rules={"automatically_after_days": 30})
    return planned(build)


def replication_group(**changes) -> list:
    return planned(lambda: aws.elasticache.ReplicationGroup("features-cache", **_with(dict(
        description="online features", engine="redis", node_type="cache.t4g.small", num_cache_clusters=2,
        at_rest_encryption_enabled=True, kms_key_id=KEY_ARN, transit_encryption_enabled=True,
        user_group_ids=["features-users"], tags=TAGS), changes)))


SEARCH = dict(domain_name="vectors", engine_version="OpenSearch_2.13",
              cluster_config={"instance_type": "r6g.large.search", "instance_count": 2},
              ebs_options={"ebs_enabled": True, "volume_size": 20},
              vpc_options={"subnet_ids": ["subnet-0a", "subnet-0b"], "security_group_ids": ["sg-0abc"]},
              advanced_security_options={"enabled": True, "internal_user_database_enabled": False,
                                         "master_user_options": {"master_user_arn": ROLE_ARN}},
              encrypt_at_rest={"enabled": True, "kms_key_id": KEY_ARN}, node_to_node_encryption={"enabled": True},
              domain_endpoint_options={"enforce_https": True, "tls_security_policy": "Policy-Min-TLS-1-2-2019-07"},
              tags=TAGS)


def search(**changes) -> list:
    return planned(lambda: aws.opensearch.Domain("vectors", **_with(SEARCH, changes)))


# --- Glue, Redshift -----------------------------------------------------------------------------

def glue(security_configuration: str | None = "etl-encrypted") -> list:
    return planned(lambda: (
        aws.glue.Job("etl", **_with(dict(role_arn=ROLE_ARN, command={"script_location": "s3://scripts-bucket/etl.py"},
                                         security_configuration=security_configuration, tags=TAGS), {})),
        aws.glue.Crawler("datasets", **_with(dict(database_name="ml", role=ROLE_ARN,
                                                  s3_targets=[{"path": "s3://datasets-bucket/"}],
                                                  security_configuration=security_configuration, tags=TAGS), {}))))


def redshift(logged: bool = True, **changes) -> list:
    def build():
        cluster = aws.redshift.Cluster("warehouse", **_with(dict(
            cluster_identifier="warehouse", node_type="ra3.xlplus", master_username="admin", manage_master_password=True,
            encrypted="true", kms_key_id=KEY_ARN, enhanced_vpc_routing=True, tags=TAGS), changes))
        if logged:
            aws.redshift.Logging("warehouse-audit", cluster_identifier=cluster.id, log_destination_type="cloudwatch",
                                 log_exports=["connectionlog", "userlog", "useractivitylog"])
    return planned(build)


PASSING = {
    "rds-storage-encrypted": [Case(db(), environment="prod"), Case(db(kms_key_id=None)), Case(aurora(), environment="prod"),
                              Case(db(replicate_source_db="mlflow-primary", storage_encrypted=None, kms_key_id=None),
                                   environment="prod"),
                              Case(aurora(engine_mode="serverless", storage_encrypted=None, kms_key_id=None, instances=0))],
    "rds-not-public": [Case(db()), Case(aurora())],
    "rds-backup-retention": [Case(db(), environment="prod"), Case(db(backup_retention_period=None))],
    "rds-deletion-protection-prod": [Case(db(), environment="prod"), Case(aurora(), environment="prod")],
    "rds-multi-az-prod": [Case(db(), environment="prod"), Case(aurora(), environment="prod")],
    "rds-managed-credentials": [Case(db()), Case(db(manage_master_user_password=None,
                                                    iam_database_authentication_enabled=True))],
    "rds-engine-supported": [Case(db()), Case(db(engine_version=None)), Case(aurora(engine="aurora-mysql",
                                                                                    engine_version="8.0.mysql_aurora.3.08.0",
                                                                                    enabled_cloudwatch_logs_exports=["error"]))],
    "rds-logs-exported": [Case(db()), Case(aurora())],
    "lb-listener-https": [Case(listener()), Case(http_listener(REDIRECT))],
    "lb-tls-policy": [Case(listener()), Case(http_listener(REDIRECT))],
    "lb-access-logs": [Case(alb())],
    "lb-drop-invalid-headers": [Case(alb()), Case(alb(load_balancer_type="network", drop_invalid_header_fields=None))],
    "lb-deletion-protection-prod": [Case(alb(), environment="prod")],
    "lb-internal": [Case(alb()), Case(alb(internal=False, tags={**TAGS, "mladmin:internet-facing": "true"}))],
    "ecs-no-privileged": [Case(task())],
    "ecs-read-only-root": [Case(task())],
    "ecs-non-root-user": [Case(task())],
    "ecs-secrets-not-in-environment": [Case(task())],
    "ecs-no-public-ip": [Case(ecs_service(False))],
    "ecs-container-insights": [Case(ecs_cluster([{"name": "containerInsights", "value": "enabled"}]))],
    "lambda-environment-cmk": [Case(function(), environment="prod"), Case(function(kms_key_arn=None))],
    "lambda-async-failure-destination": [Case(s3_triggered("dlq")), Case(s3_triggered("destination")), Case(function())],
    "sqs-encrypted": [Case(planned(lambda: aws.sqs.Queue("jobs", kms_master_key_id=KEY_ARN, tags=TAGS)), environment="prod"),
                      Case(planned(lambda: aws.sqs.Queue("jobs", tags=TAGS)))],
    "kinesis-stream-encrypted": [Case(planned(lambda: aws.kinesis.Stream(
        "events", shard_count=1, encryption_type="KMS", kms_key_id=KEY_ARN, tags=TAGS)), environment="prod")],
    "dynamodb-pitr": [Case(table())],
    "dynamodb-customer-key": [Case(table(), environment="prod"), Case(table(server_side_encryption=None))],
    "secret-customer-key": [Case(secret(), environment="prod"), Case(secret(kms_key_id=None))],
    "secret-rotation": [Case(secret())],
    "efs-encrypted": [Case(planned(lambda: aws.efs.FileSystem("shared", encrypted=True, kms_key_id=KEY_ARN, tags=TAGS)),
                           environment="prod")],
    "elasticache-encrypted": [Case(replication_group()), Case(replication_group(engine="valkey", at_rest_encryption_enabled=None))],
    "elasticache-auth": [Case(replication_group())],
    "opensearch-in-vpc": [Case(search())],
    "opensearch-fine-grained-access": [Case(search())],
    "opensearch-encrypted": [Case(search())],
    "glue-security-configuration": [Case(glue())],
    "redshift-encrypted": [Case(redshift(), environment="prod"), Case(redshift(encrypted=None, kms_key_id=None))],
    "redshift-audit-logging": [Case(redshift())],
    "redshift-enhanced-vpc-routing": [Case(redshift())],
}

FAILING = {
    "rds-storage-encrypted": [Case(db(storage_encrypted=None, kms_key_id=None), "mlflow-db"),
                              Case(db(kms_key_id=None), "mlflow-db", environment="prod"),
                              Case(aurora(storage_encrypted=False, kms_key_id=None), "features")],
    "rds-not-public": [Case(db(publicly_accessible=True), "mlflow-db"),
                       Case(planned(lambda: aws.rds.ClusterInstance("features-0", cluster_identifier="features",
                                                                    instance_class="db.r6g.large", engine="aurora-postgresql",
                                                                    publicly_accessible=True)), "features-0")],
    "rds-backup-retention": [Case(db(backup_retention_period=0), "mlflow-db"),
                             Case(db(backup_retention_period=None), "mlflow-db", environment="prod")],
    "rds-deletion-protection-prod": [Case(db(deletion_protection=None), "mlflow-db", environment="prod"),
                                     Case(aurora(deletion_protection=False), "features", environment="prod")],
    "rds-multi-az-prod": [Case(db(multi_az=None), "mlflow-db", environment="prod"),
                          Case(aurora(instances=1), "features", environment="prod")],
    "rds-managed-credentials": [Case(db(manage_master_user_password=None), "mlflow-db"),
                                Case(aurora(manage_master_user_password=None), "features")],
    "rds-engine-supported": [Case(db(engine_version="13.12"), "mlflow-db"),
                             Case(db(engine="mysql", engine_version="5.6.51", enabled_cloudwatch_logs_exports=["error"]),
                                  "mlflow-db")],
    "rds-logs-exported": [Case(db(enabled_cloudwatch_logs_exports=None), "mlflow-db"),
                          Case(db(engine="mysql", engine_version="8.4.3", enabled_cloudwatch_logs_exports=["slowquery"]),
                               "mlflow-db")],
    "lb-listener-https": [Case(http_listener([{"type": "forward", "target_group_arn": TG_ARN}]), "http")],
    "lb-tls-policy": [Case(listener(ssl_policy="ELBSecurityPolicy-2016-08"), "https"),
                      Case(listener(ssl_policy=None), "https")],
    "lb-access-logs": [Case(alb(access_logs=None), "serve-alb")],
    "lb-drop-invalid-headers": [Case(alb(drop_invalid_header_fields=None), "serve-alb")],
    "lb-deletion-protection-prod": [Case(alb(enable_deletion_protection=None), "serve-alb", environment="prod")],
    "lb-internal": [Case(alb(internal=None), "serve-alb"), Case(alb(internal=False), "serve-alb")],
    "ecs-no-privileged": [Case(task(privileged=True), "serve")],
    "ecs-read-only-root": [Case(task(readonlyRootFilesystem=None), "serve")],
    "ecs-non-root-user": [Case(task(user=None), "serve"), Case(task(user="0"), "serve")],
    "ecs-secrets-not-in-environment": [Case(task(environment=[{"name": "HF_TOKEN", "value": "hf_abc"}]), "serve")],
    "ecs-no-public-ip": [Case(ecs_service(True), "serve")],
    "ecs-container-insights": [Case(ecs_cluster(None), "ml"),
                               Case(ecs_cluster([{"name": "containerInsights", "value": "disabled"}]), "ml")],
    "lambda-environment-cmk": [Case(function(kms_key_arn=None), "drift", environment="staging")],
    "lambda-async-failure-destination": [Case(s3_triggered(None), "ingest")],
    "sqs-encrypted": [Case(planned(lambda: aws.sqs.Queue("jobs", sqs_managed_sse_enabled=False, tags=TAGS)), "jobs"),
                      Case(planned(lambda: aws.sqs.Queue("jobs", tags=TAGS)), "jobs", environment="prod")],
    "kinesis-stream-encrypted": [
        Case(planned(lambda: aws.kinesis.Stream("events", shard_count=1, tags=TAGS)), "events"),
        Case(planned(lambda: aws.kinesis.Stream("events", shard_count=1, encryption_type="KMS",
                                                kms_key_id="alias/aws/kinesis", tags=TAGS)), "events", environment="prod")],
    "dynamodb-pitr": [Case(table(point_in_time_recovery=None), "features")],
    "dynamodb-customer-key": [Case(table(server_side_encryption=None), "features", environment="prod"),
                              Case(table(server_side_encryption={"enabled": True}), "features", environment="prod")],
    "secret-customer-key": [Case(secret(kms_key_id=None), "db-password", environment="prod")],
    "secret-rotation": [Case(secret(rotated=False), "db-password")],
    "efs-encrypted": [Case(planned(lambda: aws.efs.FileSystem("shared", tags=TAGS)), "shared"),
                      Case(planned(lambda: aws.efs.FileSystem("shared", encrypted=True, tags=TAGS)), "shared",
                           environment="prod")],
    "elasticache-encrypted": [Case(replication_group(at_rest_encryption_enabled=None, kms_key_id=None), "features-cache"),
                              Case(replication_group(transit_encryption_enabled=False), "features-cache"),
                              Case(planned(lambda: aws.elasticache.Cluster("sessions", engine="memcached",
                                                                           node_type="cache.t4g.small", num_cache_nodes=1,
                                                                           tags=TAGS)), "sessions")],
    "elasticache-auth": [Case(replication_group(user_group_ids=None), "features-cache")],
    "opensearch-in-vpc": [Case(search(vpc_options=None), "vectors")],
    "opensearch-fine-grained-access": [Case(search(advanced_security_options=None), "vectors")],
    "opensearch-encrypted": [Case(search(encrypt_at_rest={"enabled": False}, node_to_node_encryption=None), "vectors"),
                             Case(search(domain_endpoint_options={"enforce_https": True,
                                                                  "tls_security_policy": "Policy-Min-TLS-1-0-2019-07"}),
                                  "vectors")],
    "glue-security-configuration": [Case(glue(None), "etl"), Case(glue(None), "datasets")],
    "redshift-encrypted": [Case(redshift(encrypted="false", kms_key_id=None), "warehouse"),
                           Case(redshift(kms_key_id=None), "warehouse", environment="prod")],
    "redshift-audit-logging": [Case(redshift(logged=False), "warehouse")],
    "redshift-enhanced-vpc-routing": [Case(redshift(enhanced_vpc_routing=None), "warehouse")],
}
