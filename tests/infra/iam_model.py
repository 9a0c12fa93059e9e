"""An account's IAM as a plan declares it: principals, their policies and the resource policies.

Builds ``policies.iam_evaluation`` inputs from a plan's ``aws:iam`` roles, inline and attached
policies, permissions boundaries, S3 bucket policies and KMS key policies (with their aliases), and
answers "can this principal do this?" with the context AWS would send for the call, including the
tags of the plan's subnets and security groups (``aws:ResourceTag/...``) for EC2 calls on them, and the
``sagemaker:`` keys of a CreateTrainingJob or CreateProcessingJob request (``training_job_context``,
``processing_job_context``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from policies.iam_evaluation import Decision, Principal, Service, evaluate
from tests.infra.aws_managed_policies import AWS_MANAGED_POLICIES

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
POLICY = "aws:iam/policy:Policy"
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
KEY = "aws:kms/key:Key"
ALIAS = "aws:kms/alias:Alias"
SUBNET = "aws:ec2/subnet:Subnet"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"


def training_job_context(request: dict) -> dict[str, Any]:
    """The condition keys SageMaker sends for a CreateTrainingJob request: a parameter the request
    leaves out is no key at all (policies/facts/sagemaker_iam.py lists the action's keys)."""
    resources = request.get("ResourceConfig", {})
    vpc = request.get("VpcConfig")
    optional = {
        "sagemaker:VpcSubnets": vpc and vpc.get("Subnets"),
        "sagemaker:VpcSecurityGroupIds": vpc and vpc.get("SecurityGroupIds"),
        "sagemaker:VolumeKmsKey": resources.get("VolumeKmsKeyId"),
        "sagemaker:OutputKmsKey": request.get("OutputDataConfig", {}).get("KmsKeyId"),
        "sagemaker:NetworkIsolation": request.get("EnableNetworkIsolation"),
        "sagemaker:InterContainerTrafficEncryption": request.get("EnableInterContainerTrafficEncryption"),
        "sagemaker:MaxRuntimeInSeconds": request.get("StoppingCondition", {}).get("MaxRuntimeInSeconds"),
    }
    context = {key: value for key, value in optional.items() if value is not None}
    types = [resources["InstanceType"]] if "InstanceType" in resources else []
    types += [group["InstanceType"] for group in resources.get("InstanceGroups", [])]
    if types:
        context["sagemaker:InstanceTypes"] = types
    tags = {tag["Key"]: tag["Value"] for tag in request.get("Tags", [])}
    if tags:
        context.update({f"aws:RequestTag/{key}": value for key, value in tags.items()})
        context["aws:TagKeys"] = list(tags)
    return context


def processing_job_context(request: dict) -> dict[str, Any]:
    """The condition keys SageMaker sends for a CreateProcessingJob request (its VPC, isolation and
    encryption sit in NetworkConfig, its volume key in ProcessingResources.ClusterConfig)."""
    network = request.get("NetworkConfig", {})
    vpc = network.get("VpcConfig")
    cluster = request.get("ProcessingResources", {}).get("ClusterConfig", {})
    optional = {
        "sagemaker:VpcSubnets": vpc and vpc.get("Subnets"),
        "sagemaker:VpcSecurityGroupIds": vpc and vpc.get("SecurityGroupIds"),
        "sagemaker:VolumeKmsKey": cluster.get("VolumeKmsKeyId"),
        "sagemaker:OutputKmsKey": request.get("ProcessingOutputConfig", {}).get("KmsKeyId"),
        "sagemaker:NetworkIsolation": network.get("EnableNetworkIsolation"),
        "sagemaker:InterContainerTrafficEncryption": network.get("EnableInterContainerTrafficEncryption"),
        "sagemaker:InstanceTypes": [cluster["InstanceType"]] if "InstanceType" in cluster else None,
    }
    return {key: value for key, value in optional.items() if value is not None}


def _doc(value: Any) -> dict:
    return json.loads(value) if isinstance(value, str) else value


@dataclass
class Account:
    account_id: str
    region: str
    roles: dict[str, dict] = field(default_factory=dict)          # role name -> {arn, trust, boundary, tags}
    role_policies: dict[str, list[dict]] = field(default_factory=dict)
    aws_managed: dict[str, list[str]] = field(default_factory=dict)  # role name -> AWS managed policy ARNs
    managed: dict[str, dict] = field(default_factory=dict)        # policy ARN -> document
    bucket_policies: dict[str, dict] = field(default_factory=dict)  # bucket name -> document
    key_policies: dict[str, dict] = field(default_factory=dict)   # key ARN -> document
    key_aliases: dict[str, list[str]] = field(default_factory=dict)  # key ARN -> alias names
    ec2_tags: dict[str, dict[str, str]] = field(default_factory=dict)  # subnet / security group ARN -> tags

    @classmethod
    def from_plan(cls, plan) -> "Account":
        first_role = plan.of_type(ROLE)[0].outputs["arn"]
        account = cls(account_id=first_role.split(":")[4], region=plan.config["aws:region"])
        for role in plan.of_type(ROLE):
            name = role.outputs["name"]
            account.roles[name] = {
                "arn": role.outputs["arn"], "trust": _doc(role.inputs["assumeRolePolicy"]),
                "boundary": role.inputs.get("permissionsBoundary"), "tags": role.inputs.get("tags") or {},
            }
            account.role_policies.setdefault(name, [])
        for policy in plan.of_type(POLICY):
            account.managed[policy.outputs["arn"]] = _doc(policy.inputs["policy"])
        for inline in plan.of_type(ROLE_POLICY):
            account.role_policies[inline.inputs["role"]].append(_doc(inline.inputs["policy"]))
        for attachment in plan.of_type(ATTACHMENT):
            arn = attachment.inputs["policyArn"]
            if arn.startswith("arn:aws:iam::aws:policy/"):
                account.aws_managed.setdefault(attachment.inputs["role"], []).append(arn)
            else:
                account.role_policies[attachment.inputs["role"]].append(account.managed[arn])
        for bucket_policy in plan.of_type(BUCKET_POLICY):
            account.bucket_policies[bucket_policy.inputs["bucket"]] = _doc(bucket_policy.inputs["policy"])
        key_ids = {}
        for key in plan.of_type(KEY):
            account.key_policies[key.outputs["arn"]] = _doc(key.inputs["policy"])
            key_ids[key.outputs["keyId"]] = key.outputs["arn"]
        for alias in plan.of_type(ALIAS):
            target = key_ids.get(alias.inputs["targetKeyId"], alias.inputs["targetKeyId"])
            account.key_aliases.setdefault(target, []).append(alias.inputs["name"])
        for resource in (*plan.of_type(SUBNET), *plan.of_type(SECURITY_GROUP)):
            account.ec2_tags[resource.outputs["arn"]] = dict(resource.inputs.get("tags") or {})
        return account

    # --- principals ---

    def role(self, name: str, *, session: str = "session") -> Principal:
        role = self.roles[name]
        boundary = self.managed[role["boundary"]] if role["boundary"] else None
        attached = self.aws_managed.get(name, [])
        unknown = [arn for arn in attached if arn not in AWS_MANAGED_POLICIES]
        if unknown:
            raise LookupError(f"role {name} attaches AWS managed policies with no document in "
                              f"tests/infra/aws_managed_policies.py: {', '.join(unknown)}")
        policies = self.role_policies[name] + [AWS_MANAGED_POLICIES[arn] for arn in attached]
        return Principal(role["arn"], identity_policies=policies, permissions_boundary=boundary,
                         tags=role["tags"], session_name=session)

    def ec2_arn(self, kind: str, resource_id: str) -> str:
        return f"arn:aws:ec2:{self.region}:{self.account_id}:{kind}/{resource_id}"

    def role_arn(self, name: str) -> str:
        return f"arn:aws:iam::{self.account_id}:role/{name}"

    def key_arn(self, alias: str) -> str:
        (arn,) = [key for key, aliases in self.key_aliases.items() if alias in aliases]
        return arn

    # --- requests, with the context AWS sends ---

    def can(self, caller: Principal | Service, action: str, resource: str, **context: Any) -> Decision:
        ctx = {"aws:SecureTransport": True, "aws:RequestedRegion": self.region, **context}
        service = action.split(":", 1)[0].lower()
        if service == "s3":
            bucket = resource.split(":::", 1)[1].split("/", 1)[0]
            return evaluate(caller, action, resource, context=ctx, resource_policy=self.bucket_policies.get(bucket),
                            resource_account=self.account_id)
        if service == "kms":
            ctx.setdefault("kms:CallerAccount", self.account_id)
            ctx.setdefault("kms:ResourceAliases", self.key_aliases.get(resource, []))
            return evaluate(caller, action, resource, context=ctx, resource_policy=self.key_policies[resource],
                            resource_account=self.account_id, resource_policy_required=True)
        # sts:TagSession (session tags on the assume call) is authorized by the trust policy too.
        if service == "sts" and (action.lower().startswith("sts:assumerole") or action.lower() == "sts:tagsession"):
            role_name = resource.rsplit("/", 1)[-1]
            return evaluate(caller, action, resource, context=ctx, resource_policy=self.roles[role_name]["trust"],
                            resource_account=self.account_id, resource_policy_required=True)
        if service == "ec2":
            tags = {f"aws:ResourceTag/{key}": value for key, value in self.ec2_tags.get(resource, {}).items()}
            ctx = {**tags, **ctx}
        return evaluate(caller, action, resource, context=ctx)

    def can_all(self, caller: Principal | Service, action: str, resources: list[str], **context: Any) -> Decision:
        """One request that names several resources, each authorized on its own (CreateNetworkInterface:
        the new network interface, its subnet and its security groups): allowed only if every one is."""
        for resource in resources:
            decision = self.can(caller, action, resource, **context)
            if not decision.allowed:
                return Decision(False, f"{resource}: {decision.reason}")
        return Decision(True, "every resource of the request is allowed")

    def create_training_job(self, caller: Principal, request: dict) -> Decision:
        """Everything one CreateTrainingJob call is authorized on: the job with the request's keys,
        iam:PassRole of its RoleArn to SageMaker, and sagemaker:AddTags when it has tags."""
        job = f"arn:aws:sagemaker:{self.region}:{self.account_id}:training-job/{request['TrainingJobName'].lower()}"
        context = training_job_context(request)
        checks = [("sagemaker:CreateTrainingJob", job, context),
                  ("iam:PassRole", request["RoleArn"], {"iam:PassedToService": "sagemaker.amazonaws.com"})]
        if request.get("Tags"):
            checks.append(("sagemaker:AddTags", job, {k: v for k, v in context.items() if k.startswith("aws:")}))
        for action, resource, ctx in checks:
            decision = self.can(caller, action, resource, **ctx)
            if not decision.allowed:
                return Decision(False, f"{action}: {decision.reason}")
        return Decision(True, "CreateTrainingJob, iam:PassRole and sagemaker:AddTags are allowed")

    def via_s3(self, bucket: str) -> dict[str, Any]:
        """The context of a KMS call S3 makes for an SSE-KMS object in ``bucket`` (bucket keys on)."""
        return {"kms:ViaService": f"s3.{self.region}.amazonaws.com",
                "kms:EncryptionContext:aws:s3:arn": f"arn:aws:s3:::{bucket}"}
