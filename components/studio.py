"""A SageMaker Studio domain kept inside the VPC, and one user profile per team member.

Each team with SDK defaults gets a JupyterLab lifecycle configuration that writes them
(``components.studio_sdk``), attached to its members' profiles as their default: the SageMaker Python
SDK then starts jobs the way the team role allows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components import validation as check
from components.studio_sdk import SdkDefaults, content_digest, lifecycle_content_output
from components.tags import Tags, child_opts, tags_problems

# Studio apps run as this POSIX user, not root (uid 0 would be root inside the apps).
NON_ROOT_UID, NON_ROOT_GID = 1000, 100
_PROFILE = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")  # also a lifecycle config's name


@dataclass(frozen=True)
class StudioUser:
    team: str
    member: str                          # Identity Center user name (SSO) or any member name (IAM)
    execution_role_arn: pulumi.Input[str]  # the team's role

    @property
    def profile_name(self) -> str:
        return f"{self.team}-{re.sub(r'[^A-Za-z0-9]+', '-', self.member).strip('-')}"[:63].rstrip("-")


@dataclass(frozen=True)
class StudioTeam:
    name: str
    sdk_defaults: SdkDefaults


def lifecycle_config_name(domain_name: str, team: str, digest: str) -> str:
    """``<domain>-<team>-sdk-<digest>``: ``digest`` is ``content_digest`` of its content."""
    return f"{domain_name}-{team}-sdk-{digest}"


@dataclass(frozen=True)
class StudioArgs:
    domain_name: str
    vpc_id: pulumi.Input[str]
    vpc_cidr: str
    subnet_ids: Sequence[pulumi.Input[str]]  # private subnets
    kms_key_arn: pulumi.Input[str]           # the domain's EFS home volumes and app storage
    execution_role_arn: pulumi.Input[str]    # default role of apps (the platform SageMaker role)
    tags: Tags
    auth_mode: str = "IAM"                   # IAM or SSO (IAM Identity Center)
    app_network_access_type: str = "VpcOnly"  # AWS's default is PublicInternetOnly
    default_instance_type: str = "ml.t3.medium"
    retain_home_volumes: bool = True         # keep the EFS home volume when the domain is deleted
    users: Sequence[StudioUser] = field(default_factory=tuple)
    # Teams whose members' JupyterLab apps start with the team's SDK defaults; a member of a team not
    # listed gets no lifecycle configuration.
    teams: Sequence[StudioTeam] = field(default_factory=tuple)


class Studio(pulumi.ComponentResource):
    def __init__(self, name: str, args: StudioArgs, opts: pulumi.ResourceOptions | None = None):
        check.raise_if_problems("Studio", validate(args))
        super().__init__("mladmin:sagemaker:Studio", name, None, opts)
        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            name=f"{args.domain_name}-studio",
            vpc_id=args.vpc_id,
            description=f"Studio domain {args.domain_name}: apps and their EFS home volumes among themselves, "
                        "HTTPS out",
            ingress=[{"description": "Studio apps and EFS (NFS) within the domain", "protocol": "tcp",
                      "from_port": 0, "to_port": 65535, "self": True}],
            egress=[{"description": "Within the domain", "protocol": "tcp", "from_port": 0, "to_port": 65535,
                     "self": True},
                    {"description": "HTTPS to AWS APIs through the VPC's endpoints and NAT", "protocol": "tcp",
                     "from_port": 443, "to_port": 443, "cidr_blocks": ["0.0.0.0/0"]}],
            tags=args.tags.merged({"Name": f"{args.domain_name}-studio"}),
            opts=child_opts(self),
        )
        groups = [self.security_group.id]
        self.domain = aws.sagemaker.Domain(
            name,
            domain_name=args.domain_name,
            auth_mode=args.auth_mode,
            app_network_access_type=args.app_network_access_type,
            vpc_id=args.vpc_id,
            subnet_ids=list(args.subnet_ids),
            kms_key_id=args.kms_key_arn,
            default_user_settings={
                "execution_role": args.execution_role_arn,
                "security_groups": groups,
                "custom_posix_user_config": {"uid": NON_ROOT_UID, "gid": NON_ROOT_GID},
                "sharing_settings": {"notebook_output_option": "Disabled"},
                "jupyter_lab_app_settings": {"default_resource_spec": {"instance_type": args.default_instance_type}},
            },
            domain_settings={"security_group_ids": groups, "docker_settings": {"enable_docker_access": "DISABLED"}},
            retention_policy={"home_efs_file_system": "Retain" if args.retain_home_volumes else "Delete"},
            tags=args.tags.merged({"Name": args.domain_name}),
            opts=child_opts(self),
        )
        self.lifecycle_configs = {team.name: self._lifecycle_config(name, args, team) for team in args.teams}
        self.user_profiles = {
            user.profile_name: aws.sagemaker.UserProfile(
                f"{name}-{user.profile_name}",
                domain_id=self.domain.id,
                user_profile_name=user.profile_name,
                single_sign_on_user_identifier="UserName" if args.auth_mode == "SSO" else None,
                single_sign_on_user_value=user.member if args.auth_mode == "SSO" else None,
                user_settings={
                    "execution_role": user.execution_role_arn,
                    "security_groups": groups,
                    "custom_posix_user_config": {"uid": NON_ROOT_UID, "gid": NON_ROOT_GID},
                    **self._jupyter_lab_settings(user.team, args.default_instance_type),
                },
                tags=args.tags.for_team(user.team).merged({"Name": user.profile_name, "member": user.member}),
                opts=child_opts(self),
            )
            for user in args.users
        }
        self.domain_id = self.domain.id
        self.security_group_id = self.security_group.id
        self.lifecycle_config_arns = {team: config.arn for team, config in self.lifecycle_configs.items()}
        self.register_outputs({"domain_id": self.domain_id, "security_group_id": self.security_group_id,
                               "lifecycle_config_arns": self.lifecycle_config_arns})

    def _lifecycle_config(self, name: str, args: StudioArgs, team: StudioTeam) -> aws.sagemaker.StudioLifecycleConfig:
        content = lifecycle_content_output(team.name, team.sdk_defaults)
        config_name = content.apply(lambda known: lifecycle_config_name(args.domain_name, team.name,
                                                                        content_digest(known)))
        return aws.sagemaker.StudioLifecycleConfig(
            f"{name}-{team.name}-sdk-defaults",
            studio_lifecycle_config_name=config_name,
            studio_lifecycle_config_app_type="JupyterLab",
            studio_lifecycle_config_content=content,
            tags=args.tags.for_team(team.name).merged({"Name": f"{args.domain_name}-{team.name}-sdk-defaults"}),
            opts=child_opts(self),
        )

    def _jupyter_lab_settings(self, team: str, instance_type: str) -> dict:
        """The team's lifecycle configuration, attached to the profile and run by default at each start."""
        config = self.lifecycle_configs.get(team)
        if config is None:
            return {}
        return {"jupyter_lab_app_settings": {
            "lifecycle_config_arns": [config.arn],
            "default_resource_spec": {"instance_type": instance_type, "lifecycle_config_arn": config.arn},
        }}


def validate(args: StudioArgs) -> list[str]:
    problems = check.name_prefix("domain_name", args.domain_name, max_length=63 - len("-studio"))
    problems += check.one_of("auth_mode", args.auth_mode, ("IAM", "SSO"))
    problems += check.one_of("app_network_access_type", args.app_network_access_type, ("VpcOnly", "PublicInternetOnly"))
    if not list(args.subnet_ids):
        problems.append("subnet_ids: at least one private subnet is required")
    seen: set[str] = set()
    for i, user in enumerate(args.users):
        if not _PROFILE.match(user.profile_name):
            problems.append(f"users[{i}]: {user.profile_name!r} is not a user profile name")
        elif user.profile_name in seen:
            problems.append(f"users[{i}]: {user.profile_name!r} is already a user profile")
        seen.add(user.profile_name)
    names = [team.name for team in args.teams]
    for i, team in enumerate(args.teams):
        config_name = lifecycle_config_name(args.domain_name, team.name, "0" * 8)
        if names.index(team.name) != i:
            problems.append(f"teams[{i}]: {team.name!r} is already listed")
        elif not _PROFILE.match(config_name):
            problems.append(f"teams[{i}]: {config_name!r} is not a lifecycle configuration name (at most 63 "
                            "letters, digits and hyphens)")
        prefix = team.sdk_defaults.key_prefix
        if not prefix.endswith("/") or prefix.startswith("/") or "*" in prefix:
            problems.append(f"teams[{i}].sdk_defaults.key_prefix: {prefix!r} must be a key prefix ending in '/' "
                            "(e.g. 'teams/research/')")
        if not list(team.sdk_defaults.subnet_ids):
            problems.append(f"teams[{i}].sdk_defaults.subnet_ids: at least one private subnet is required")
    problems += tags_problems(args.tags)
    return problems
