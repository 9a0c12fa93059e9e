"""SDK-declared, engine-planned fixtures (see sdk_cases.py) for the network, EKS, ECR, SageMaker and
observability policies. Joins (a node group's subnets, a flow log's VPC) go through real outputs."""

from __future__ import annotations

import pulumi_aws as aws

from tests.policies.builders import Case, planned
from tests.policies.sdk_cases import ACCOUNT, KEY_ARN, TAGS, document

ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/platform"
WORLD = "0.0.0.0/0"


def vpc() -> aws.ec2.Vpc:
    return aws.ec2.Vpc("main", cidr_block="10.0.0.0/16", tags=TAGS)


def encrypted_launch_template(**overrides) -> aws.ec2.LaunchTemplate:
    options = dict(
        block_device_mappings=[{"device_name": "/dev/xvda",
                                "ebs": {"encrypted": "true", "kms_key_id": KEY_ARN, "volume_size": 100}}],
        metadata_options={"http_tokens": "required", "http_put_response_hop_limit": 2, "http_endpoint": "enabled"},
        tags=TAGS)
    options.update(overrides)
    return aws.ec2.LaunchTemplate("gpu-lt", **options)


def node_group(name: str, subnet_ids, *, instance_types=("m6i.large",), max_size: int = 2, **options):
    return aws.eks.NodeGroup(name, cluster_name="ml", node_role_arn=ROLE_ARN, subnet_ids=subnet_ids,
                             instance_types=list(instance_types), tags=TAGS,
                             scaling_config={"min_size": 0, "desired_size": 0, "max_size": max_size}, **options)


def subnets_and_routes():
    """A private subnet and a public one (routed to an internet gateway)."""
    network = vpc()
    private = aws.ec2.Subnet("private-a", vpc_id=network.id, cidr_block="10.0.0.0/20", tags=TAGS)
    public = aws.ec2.Subnet("public-a", vpc_id=network.id, cidr_block="10.0.16.0/20", tags=TAGS)
    gateway = aws.ec2.InternetGateway("igw", vpc_id=network.id, tags=TAGS)
    table = aws.ec2.RouteTable("public-rt", vpc_id=network.id, routes=[{"cidr_block": WORLD, "gateway_id": gateway.id}])
    aws.ec2.RouteTableAssociation("public-a-rta", subnet_id=public.id, route_table_id=table.id)
    return private, public


def eks_cluster(name: str = "ml", **options) -> list:
    return planned(lambda: aws.eks.Cluster(name, role_arn=ROLE_ARN, tags=TAGS, **{
        "vpc_config": {"subnet_ids": ["subnet-0a", "subnet-0b"], "endpoint_private_access": True,
                       "endpoint_public_access": False}, **options}))


def endpoint_config(name: str, instance_type: str, **options) -> list:
    tags = {**TAGS, **options.pop("extra_tags", {})}
    return planned(lambda: aws.sagemaker.EndpointConfiguration(name, tags=tags, production_variants=[
        {"variant_name": "main", "model_name": "llm", "instance_type": instance_type, "initial_instance_count": 1}],
        **options))


def notebook(**options) -> list:
    return planned(lambda: aws.sagemaker.NotebookInstance("nb", role_arn=ROLE_ARN, instance_type="ml.t3.medium",
                                                          tags=TAGS, **options))


def model(**options) -> list:
    return planned(lambda: aws.sagemaker.Model("llm", execution_role_arn=ROLE_ARN, tags=TAGS, primary_container={
        "image": f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/serve:1.4.2"}, **options))


def repository(**options) -> list:
    return planned(lambda: aws.ecr.Repository("serve", tags=TAGS, **options))


def log_group(**options) -> list:
    return planned(lambda: aws.cloudwatch.LogGroup("app", tags=TAGS, **options))


def alarm(**options) -> list:
    return planned(lambda: aws.cloudwatch.MetricAlarm(
        "5xx", comparison_operator="GreaterThanThreshold", evaluation_periods=1, metric_name="5XXError",
        namespace="AWS/ApiGateway", period=60, statistic="Sum", threshold=5, tags=TAGS, **options))


def budget(**options) -> list:
    return planned(lambda: aws.budgets.Budget("monthly", budget_type="COST", time_unit="MONTHLY",
                                              limit_amount="100", limit_unit="USD", tags=TAGS, **options))


def notification(**subscribers) -> dict:
    return {"comparison_operator": "GREATER_THAN", "threshold": 80, "threshold_type": "PERCENTAGE",
            "notification_type": "ACTUAL", **subscribers}


def prometheus(**options) -> list:
    return planned(lambda: aws.amp.Workspace("metrics", alias="metrics", tags=TAGS, **options))


LOG_GROUP_ARN = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/prometheus/metrics:*"


def ingress(port: int, cidr: str, protocol: str = "tcp") -> dict:
    return {"protocol": protocol, "from_port": port, "to_port": port, "cidr_blocks": [cidr]}


def load_balanced_https() -> list:
    def build():
        group = aws.ec2.SecurityGroup("alb-sg", vpc_id="vpc-0abc", tags=TAGS)
        aws.vpc.SecurityGroupIngressRule("alb-https", security_group_id=group.id, ip_protocol="tcp",
                                         from_port=443, to_port=443, cidr_ipv4=WORLD)
        aws.lb.LoadBalancer("alb", security_groups=[group.id], subnets=["subnet-1a", "subnet-1b"], tags=TAGS)
        aws.ec2.SecurityGroup("nodes", tags=TAGS, ingress=[{"protocol": "-1", "from_port": 0, "to_port": 0,
                                                             "cidr_blocks": ["10.0.0.0/16"]}])
    return planned(build)


def open_api_port() -> list:
    def build():
        group = aws.ec2.SecurityGroup("api", tags=TAGS)
        aws.vpc.SecurityGroupIngressRule("api-8080", security_group_id=group.id, ip_protocol="tcp",
                                         from_port=8080, to_port=8080, cidr_ipv4=WORLD)
    return planned(build)


def public_by_route_resource() -> list:
    """A subnet made public by a separate aws.ec2.Route to the internet gateway, and a node group in it."""
    def build():
        network = vpc()
        subnet = aws.ec2.Subnet("public-b", vpc_id=network.id, cidr_block="10.0.32.0/20", tags=TAGS)
        gateway = aws.ec2.InternetGateway("igw", vpc_id=network.id, tags=TAGS)
        table = aws.ec2.RouteTable("public-rt", vpc_id=network.id, tags=TAGS)
        aws.ec2.Route("default-route", route_table_id=table.id, destination_cidr_block=WORLD, gateway_id=gateway.id)
        aws.ec2.RouteTableAssociation("public-b-rta", subnet_id=subnet.id, route_table_id=table.id)
        node_group("system", [subnet.id])
    return planned(build)


def gpu_by_launch_template(tainted: bool) -> list:
    """A node group whose GPU instance type comes from its launch template, not instance_types."""
    def build():
        template = encrypted_launch_template(instance_type="g5.2xlarge")
        aws.eks.NodeGroup("gpu", cluster_name="ml", node_role_arn=ROLE_ARN, subnet_ids=["subnet-0a"], tags=TAGS,
                          scaling_config={"min_size": 0, "desired_size": 0, "max_size": 1},
                          launch_template={"id": template.id, "version": "1"},
                          taints=[GPU_TAINT] if tainted else None)
    return planned(build)


def private_node_group(*subnets: str) -> list:
    def build():
        private, public = subnets_and_routes()
        node_group("system", [{"private": private, "public": public}[s].id for s in subnets])
    return planned(build)


def node_group_with_template(template_options: dict | None) -> list:
    def build():
        if template_options is None:
            node_group("system", ["subnet-0a"])
            return
        template = encrypted_launch_template(**template_options)
        node_group("gpu", ["subnet-0a"], launch_template={"id": template.id, "version": "1"})
    return planned(build)


CAPTURE = {"enable_capture": True, "initial_sampling_percentage": 20, "destination_s3_uri": "s3://capture/llm",
           "kms_key_id": KEY_ARN, "capture_options": [{"capture_mode": "Input"}, {"capture_mode": "Output"}]}
GPU_TAINT = {"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}

PASSING = {
    "launch-template-volume-encrypted": [Case(planned(encrypted_launch_template))],
    "ec2-imdsv2-required": [Case(planned(encrypted_launch_template))],
    "ecr-scan-on-push": [Case(repository(image_scanning_configuration={"scan_on_push": True}))],
    "ecr-immutable-tags": [Case(repository(image_tag_mutability="IMMUTABLE"))],
    "ecr-kms": [Case(repository(encryption_configurations=[{"encryption_type": "KMS", "kms_key": KEY_ARN}]))],
    "sg-no-public-admin-ports": [Case(planned(lambda: aws.ec2.SecurityGroup("ssh", ingress=[ingress(22, "10.0.0.0/16")])))],
    "sg-no-public-ingress": [Case(load_balanced_https())],
    "ec2-default-sg-restricts-all": [Case(planned(lambda: aws.ec2.DefaultSecurityGroup("default", vpc_id=vpc().id,
                                                                                       ingress=[], egress=[])))],
    "vpc-flow-logs": [Case(planned(lambda: aws.ec2.FlowLog("main-flow", vpc_id=vpc().id, traffic_type="ALL",
                                                           log_destination_type="s3",
                                                           log_destination="arn:aws:s3:::flow-logs")))],
    "eks-nodes-private-subnets": [Case(private_node_group("private"))],
    "eks-node-volumes-encrypted": [Case(node_group_with_template({})),
                                   Case(planned(lambda: (node_group("system", ["subnet-0a"]),
                                                         aws.ebs.EncryptionByDefault("ebs", enabled=True))))],
    "eks-gpu-nodes-tainted": [Case(planned(lambda: (
        node_group("gpu", ["subnet-0a"], instance_types=("g5.2xlarge",), taints=[GPU_TAINT]),
        node_group("system", ["subnet-0a"])))),
        Case(gpu_by_launch_template(tainted=True))],
    "eks-endpoint-private": [Case(eks_cluster(), environment="prod"),
                             Case(eks_cluster(vpc_config={"subnet_ids": ["subnet-0a"], "endpoint_private_access": True,
                                                          "endpoint_public_access": True,
                                                          "public_access_cidrs": ["203.0.113.0/24"]}))],
    "eks-secrets-encryption": [Case(eks_cluster(encryption_config={"resources": ["secrets"], "provider": {"key_arn": KEY_ARN}}))],
    "eks-control-plane-logging": [
        Case(eks_cluster(enabled_cluster_log_types=["api", "audit", "authenticator"])),
        Case(eks_cluster(enabled_cluster_log_types=["api", "audit", "authenticator", "controllerManager", "scheduler"]),
             environment="prod")],
    "eks-supported-version": [Case(eks_cluster(version="1.33"))],
    # 1.33 is in extended support, 1.34's standard support ended on the calendar's day; no version: EKS's default.
    "eks-version-standard-support": [Case(eks_cluster(version="1.36")), Case(eks_cluster(version="1.35")),
                                     Case(eks_cluster())],
    # As of 2026-12-02: 1.35 leaves standard support in 115 days, 1.36 in 243; 1.33 has left it (the other policy).
    "eks-standard-support-ending": [
        Case(eks_cluster(version="1.35"), policy_config={"parameters": {"eks-standard-support-ending": {"asOf": "2026-12-02"}}}),
        Case(eks_cluster(version="1.36"), environment="prod", policy_config={"parameters": {
            "eks-standard-support-ending": {"daysAhead": 120, "asOf": "2026-12-02"}}}),
        Case(eks_cluster(version="1.33"), policy_config={"parameters": {"eks-standard-support-ending": {"asOf": "2026-12-02"}}})],
    "sagemaker-model-vpc": [Case(model(vpc_config={"subnets": ["subnet-0a"], "security_group_ids": ["sg-0abc"]}))],
    "sagemaker-network-isolation": [Case(model(enable_network_isolation=True))],
    "sagemaker-domain-vpc-only": [Case(planned(lambda: aws.sagemaker.Domain(
        "studio", domain_name="studio", auth_mode="IAM", vpc_id="vpc-0abc", subnet_ids=["subnet-0a"],
        app_network_access_type="VpcOnly", default_user_settings={"execution_role": ROLE_ARN})))],
    "sagemaker-endpoint-kms": [Case(endpoint_config("cpu", "ml.m5.xlarge", kms_key_arn=KEY_ARN)),
                               Case(endpoint_config("nvme", "ml.g5.2xlarge"))],
    "sagemaker-data-capture-prod": [Case(endpoint_config("llm", "ml.g5.2xlarge", data_capture_config=CAPTURE),
                                         environment="prod")],
    "sagemaker-model-fits-instance": [
        Case(endpoint_config("small", "ml.g5.2xlarge", extra_tags={"mladmin:model": "llama-3.1-8b"})),
        Case(endpoint_config("own", "ml.g5.xlarge", extra_tags={"mladmin:model": "chat-llm"})),  # not in the catalogue
        Case(endpoint_config("tight", "ml.g5.xlarge", extra_tags={"mladmin:model": "llama-3.1-8b"})),  # 23.2% free > 10%
        # A fine-tune under its own name, sized as the catalogue model it is built on.
        Case(endpoint_config("tuned", "ml.g5.2xlarge", extra_tags={"mladmin:model": "chat-llm",
                                                                   "mladmin:architecture": "llama-3.1-8b"})),
        Case(endpoint_config("inf2", "ml.inf2.xlarge", extra_tags={"mladmin:model": "llama-3.1-8b"})),  # Inferentia2
        # an int4 (AWQ) checkpoint of 70B: 34.1 GiB of four A10Gs' 80.5 GiB
        Case(endpoint_config("awq", "ml.g5.12xlarge", extra_tags={"mladmin:model": "llama-3.1-70b",
                                                                  "mladmin:dtype": "int4"}))],
    "sagemaker-notebook-no-direct-internet": [Case(notebook(direct_internet_access="Disabled", subnet_id="subnet-0a",
                                                            security_groups=["sg-0abc"]))],
    "sagemaker-notebook-no-root": [Case(notebook(root_access="Disabled"))],
    "sagemaker-notebook-kms": [Case(notebook(kms_key_id=KEY_ARN))],
    "log-group-retention": [Case(log_group(retention_in_days=7)),
                            Case(log_group(retention_in_days=365), environment="prod")],
    "log-group-kms": [Case(log_group(kms_key_id=KEY_ARN))],
    "alarm-has-actions": [Case(alarm(alarm_actions=[f"arn:aws:sns:us-east-1:{ACCOUNT}:oncall"]))],
    "sns-topic-encrypted": [Case(planned(lambda: aws.sns.Topic("oncall", kms_master_key_id="alias/logs", tags=TAGS)))],
    "budget-notifies": [
        Case(budget(notifications=[notification(subscriber_email_addresses=["finops@example.com"])])),
        Case(budget(notifications=[notification(subscriber_sns_topic_arns=[f"arn:aws:sns:us-east-1:{ACCOUNT}:alerts"])]))],
    "prometheus-workspace-kms": [Case(prometheus(kms_key_arn=KEY_ARN))],
    "prometheus-workspace-logging": [Case(prometheus(logging_configuration={"log_group_arn": LOG_GROUP_ARN}))],
    "iam-no-wildcard-admin": [Case(planned(lambda: aws.iam.Policy("scoped", policy=document(
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"}))))],
    "iam-passrole-scoped": [Case(planned(lambda: aws.iam.Policy("pass", policy=document(
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": ROLE_ARN}))))],
}

FAILING = {
    "launch-template-volume-encrypted": [Case(planned(lambda: encrypted_launch_template(
        block_device_mappings=[{"device_name": "/dev/xvda", "ebs": {"encrypted": "false"}}])), "gpu-lt")],
    "ec2-imdsv2-required": [
        Case(planned(lambda: encrypted_launch_template(metadata_options={"http_tokens": "optional"})), "gpu-lt"),
        Case(planned(lambda: aws.ec2.Instance("vm", ami="ami-0abc", instance_type="t3.micro")), "vm")],
    "ecr-scan-on-push": [Case(repository(), "serve")],
    "ecr-immutable-tags": [Case(repository(), "serve")],
    "ecr-kms": [Case(repository(), "serve")],
    "sg-no-public-admin-ports": [
        Case(planned(lambda: aws.ec2.SecurityGroup("ssh", ingress=[ingress(22, WORLD)])), "ssh"),
        Case(planned(lambda: aws.ec2.SecurityGroupRule("rdp", type="ingress", protocol="tcp", from_port=3389,
                                                       to_port=3389, security_group_id="sg-0abc",
                                                       ipv6_cidr_blocks=["::/0"])), "rdp")],
    "sg-no-public-ingress": [
        Case(open_api_port(), "api-8080"),
        Case(planned(lambda: aws.ec2.SecurityGroup("web", ingress=[ingress(443, WORLD)])), "web")],
    "ec2-default-sg-restricts-all": [
        Case(planned(lambda: aws.ec2.DefaultSecurityGroup(
            "default", vpc_id=vpc().id, ingress=[{"protocol": "-1", "self": True, "from_port": 0, "to_port": 0}])), "default"),
        Case(planned(vpc), "main")],
    "vpc-flow-logs": [Case(planned(vpc), "main")],
    "eks-nodes-private-subnets": [Case(private_node_group("private", "public"), "system"),
                                  Case(public_by_route_resource(), "system")],
    "eks-node-volumes-encrypted": [
        Case(node_group_with_template(None), "system"),
        Case(node_group_with_template({"block_device_mappings": [{"device_name": "/dev/xvda", "ebs": {"encrypted": "false"}}]}), "gpu")],
    "eks-gpu-nodes-tainted": [Case(planned(lambda: node_group("gpu", ["subnet-0a"], instance_types=("g5.2xlarge",))), "gpu"),
                              Case(gpu_by_launch_template(tainted=False), "gpu")],
    "eks-endpoint-private": [
        Case(eks_cluster(vpc_config={"subnet_ids": ["subnet-0a"], "endpoint_private_access": True,
                                     "endpoint_public_access": True, "public_access_cidrs": ["203.0.113.0/24"]}),
             "ml", environment="prod"),
        Case(eks_cluster(vpc_config={"subnet_ids": ["subnet-0a"], "endpoint_private_access": True}), "ml")],
    "eks-secrets-encryption": [Case(eks_cluster(), "ml")],
    "eks-control-plane-logging": [Case(eks_cluster(enabled_cluster_log_types=["api"]), "ml"),
                                  Case(eks_cluster(enabled_cluster_log_types=["api", "audit", "authenticator"]), "ml",
                                       environment="prod")],
    "eks-supported-version": [Case(eks_cluster(version="1.24"), "ml"), Case(eks_cluster(), "ml")],
    "eks-version-standard-support": [Case(eks_cluster(version="1.33"), "ml"), Case(eks_cluster(version="1.34"), "ml")],
    "eks-standard-support-ending": [
        # at the default 60 days: 1.35 (ends 2027-03-27) from 2027-01-26 on; 54 days left on 2027-02-01
        Case(eks_cluster(version="1.35"), "ml",
             policy_config={"parameters": {"eks-standard-support-ending": {"asOf": "2027-02-01"}}}),
        Case(eks_cluster(version="1.35"), "ml",
             policy_config={"parameters": {"eks-standard-support-ending": {"daysAhead": 120, "asOf": "2026-12-02"}}}),
        Case(eks_cluster(version="1.36"), "ml", environment="prod",
             policy_config={"parameters": {"eks-standard-support-ending": {"daysAhead": 365, "asOf": "2026-12-02"}}})],
    "sagemaker-model-vpc": [Case(model(), "llm")],
    "sagemaker-network-isolation": [Case(model(), "llm")],
    "sagemaker-domain-vpc-only": [Case(planned(lambda: aws.sagemaker.Domain(
        "studio", domain_name="studio", auth_mode="IAM", vpc_id="vpc-0abc", subnet_ids=["subnet-0a"],
        default_user_settings={"execution_role": ROLE_ARN})), "studio")],
    "sagemaker-endpoint-kms": [Case(endpoint_config("cpu", "ml.m5.xlarge"), "cpu")],
    "sagemaker-model-fits-instance": [
        Case(endpoint_config("big", "ml.g5.2xlarge", extra_tags={"mladmin:model": "llama-3.1-70b"}), "big"),
        Case(endpoint_config("tuned-big", "ml.g5.2xlarge", extra_tags={"mladmin:model": "chat-llm",
                                                                       "mladmin:architecture": "llama-3.1-70b"}), "tuned-big"),
        Case(endpoint_config("inf2", "ml.inf2.xlarge", extra_tags={"mladmin:model": "llama-3.1-70b"}), "inf2"),
        Case(endpoint_config("tight", "ml.g5.xlarge", extra_tags={"mladmin:model": "llama-3.1-8b",
                                                                 "mladmin:capacity-headroom-percent": "25"}), "tight"),
        # 7.9 % of a 22,888 MiB A10G free, below the default 10 %
        Case(endpoint_config("gemma", "ml.g5.xlarge", extra_tags={"mladmin:model": "gemma-2-9b"}), "gemma")],
    "sagemaker-data-capture-prod": [
        Case(endpoint_config("llm", "ml.g5.2xlarge"), "llm", environment="prod"),
        Case(endpoint_config("llm", "ml.g5.2xlarge", data_capture_config={**CAPTURE, "initial_sampling_percentage": 0}),
             "llm", environment="prod")],
    "sagemaker-notebook-no-direct-internet": [Case(notebook(), "nb")],
    "sagemaker-notebook-no-root": [Case(notebook(), "nb")],
    "sagemaker-notebook-kms": [Case(notebook(), "nb")],
    "log-group-retention": [Case(log_group(), "app"), Case(log_group(retention_in_days=7), "app", environment="prod")],
    "log-group-kms": [Case(log_group(), "app")],
    "alarm-has-actions": [Case(alarm(), "5xx"),
                          Case(alarm(alarm_actions=[f"arn:aws:sns:us-east-1:{ACCOUNT}:oncall"], actions_enabled=False), "5xx")],
    "sns-topic-encrypted": [Case(planned(lambda: aws.sns.Topic("oncall", tags=TAGS)), "oncall")],
    "budget-notifies": [Case(budget(), "monthly"), Case(budget(notifications=[notification()]), "monthly")],
    "prometheus-workspace-kms": [Case(prometheus(), "metrics")],
    "prometheus-workspace-logging": [Case(prometheus(), "metrics")],
    "iam-no-wildcard-admin": [
        Case(planned(lambda: aws.iam.Policy("admin", policy=document({"Effect": "Allow", "Action": "*", "Resource": "*"}))), "admin"),
        Case(planned(lambda: aws.iam.Role("inline", assume_role_policy=document(
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}),
            inline_policies=[{"name": "all", "policy": document({"Effect": "Allow", "Action": ["*:*"], "Resource": ["*"]})}])),
             "inline")],
    "iam-passrole-scoped": [Case(planned(lambda: aws.iam.RolePolicy("pass", role="r", policy=document(
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}))), "pass")],
}


# --- the EKS cluster's access, scale-from-zero tags and FSx (sdk_cases for the cluster component) -----


def gpu_pool_from_zero(*, tagged: bool) -> list:
    """A GPU pool that scales to zero, and (when tagged) the autoscaler's GPU template on its Auto Scaling group."""
    def build():
        pool = node_group("gpu", ["subnet-0a"], instance_types=("g5.2xlarge",), taints=[GPU_TAINT])
        node_group("system", ["subnet-0a"])
        if tagged:
            aws.autoscaling.Tag("gpu-asg-gpus", autoscaling_group_name=pool.resources.apply(
                lambda resources: resources[0].autoscaling_groups[0].name), tag={
                "key": "k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/gpu", "value": "1",
                "propagate_at_launch": False})
    return planned(build)


def lustre(**options) -> list:
    return planned(lambda: aws.fsx.LustreFileSystem("scratch-data", storage_capacity=1200, subnet_ids="subnet-0a",
                                                    tags=TAGS, **options))


PASSING.update({
    "eks-access-entries-only": [Case(eks_cluster(access_config={"authentication_mode": "API"}))],
    "eks-gpu-pool-scale-from-zero": [Case(gpu_pool_from_zero(tagged=True))],
    "fsx-lustre-kms": [Case(lustre(deployment_type="PERSISTENT_2", per_unit_storage_throughput=250,
                                   kms_key_id=KEY_ARN))],
})
FAILING.update({
    "eks-access-entries-only": [Case(eks_cluster(), "ml"),
                                Case(eks_cluster(access_config={"authentication_mode": "API_AND_CONFIG_MAP"}), "ml")],
    "eks-gpu-pool-scale-from-zero": [Case(gpu_pool_from_zero(tagged=False), "gpu")],
    "fsx-lustre-kms": [Case(lustre(), "scratch-data"),
                       Case(lustre(deployment_type="PERSISTENT_2", per_unit_storage_throughput=250), "scratch-data")],
})
