"""Data sources (invokes) offline: realistic answers where the shape is public, the reads file's answer
where the user gives one, and otherwise one line naming the invoke."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mladmin.engine import plan_program
from mladmin.engine.identifiers import Identity
from mladmin.engine.invokes import answer
from mladmin.engine.providers import ProviderSettings
from mladmin.engine.reads import Reads, UnansweredReadError, _validate
from policies.facts.regions import AVAILABILITY_ZONES, UNCONFIRMED

ROOT = Path(__file__).parents[2]
LOOKUPS = ROOT / "tests" / "fixtures" / "programs" / "lookups"
ZONES = "aws:index/getAvailabilityZones:getAvailabilityZones"
ECR_TOKEN = "aws:ecr/getAuthorizationToken:getAuthorizationToken"


def at(region: str) -> Identity:
    return Identity(account="123456789012", region=region)


def mladmin(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, COLUMNS="200", NO_COLOR="1")
    return subprocess.run([sys.executable, "-m", "mladmin.cli.main", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def lookups_plan():
    return plan_program(LOOKUPS, stack="dev")


# -- ECR and other credentials ---------------------------------------------------------------------
def test_an_ecr_login_decodes_to_the_aws_user_and_its_password(lookups_plan):
    ecr = lookups_plan.stack_outputs["ecr"]
    assert ecr["user"] == "AWS" and ecr["password_matches"] is True
    assert ecr["endpoint"] == "https://123456789012.dkr.ecr.us-west-2.amazonaws.com"


def test_an_ecr_token_expires_twelve_hours_after_it_is_issued():
    token = answer(ECR_TOKEN, {}, at("eu-west-1"))
    expires = dt.datetime.strptime(token["expiresAt"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
    password = json.loads(base64.b64decode(token["password"]))
    assert password["expiration"] == int(expires.timestamp())
    assert dt.timedelta(0) < expires - dt.datetime.now(dt.timezone.utc) <= dt.timedelta(hours=12)
    assert base64.b64decode(token["authorizationToken"]).decode() == f"AWS:{token['password']}"


def test_an_ecr_token_for_another_registry_names_that_registry():
    token = answer(ECR_TOKEN, {"registryId": "210987654321"}, at("us-east-1"))
    assert token["proxyEndpoint"] == "https://210987654321.dkr.ecr.us-east-1.amazonaws.com"


def test_an_eks_token_is_a_presigned_sts_request():
    token = answer("aws:eks/getClusterAuth:getClusterAuth", {"name": "ml"}, at("us-east-1"))["token"]
    prefix, encoded = token.split(".", 1)
    url = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    assert prefix == "k8s-aws-v1" and url.startswith("https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity")


# -- availability zones and regions ----------------------------------------------------------------
@pytest.mark.parametrize("region,names,zone_ids", [
    ("us-east-1", [f"us-east-1{c}" for c in "abcdef"], {f"use1-az{i}" for i in range(1, 7)}),
    ("us-west-2", [f"us-west-2{c}" for c in "abcd"], {f"usw2-az{i}" for i in range(1, 5)}),
    ("eu-west-1", [f"eu-west-1{c}" for c in "abc"], {f"euw1-az{i}" for i in range(1, 4)}),
    ("ca-central-1", ["ca-central-1a", "ca-central-1b", "ca-central-1d"], {"cac1-az1", "cac1-az2", "cac1-az4"}),
    ("ap-northeast-1", ["ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d"], {"apne1-az1", "apne1-az2", "apne1-az4"}),
])
def test_availability_zones_are_the_regions_real_zones(region, names, zone_ids):
    zones = answer(ZONES, {"state": "available"}, at(region))
    assert zones["names"] == names and set(zones["zoneIds"]) == zone_ids


def test_a_program_gets_its_regions_zones_and_its_providers_regions_zones(lookups_plan):
    assert lookups_plan.stack_outputs["zones"] == {"us-west-2a": "usw2-az2", "us-west-2b": "usw2-az1",
                                                   "us-west-2c": "usw2-az3", "us-west-2d": "usw2-az4"}
    assert lookups_plan.stack_outputs["frankfurtZones"] == ["eu-central-1a", "eu-central-1b", "eu-central-1c"]


def test_excluded_and_filtered_zones_are_left_out():
    zones = answer(ZONES, {"excludeNames": ["us-east-1e"], "filters": [{"name": "zone-id", "values": ["use1-az6", "use1-az3"]}]},
                   at("us-east-1"))
    assert zones["names"] == ["us-east-1a"]


def test_zones_of_a_region_outside_the_table_fail_with_one_line():
    with pytest.raises(UnansweredReadError, match=r"^availability zones of 'xx-west-9' cannot be answered offline"):
        answer(ZONES, {}, at("xx-west-9"))


def test_the_zone_table_agrees_with_motos_recorded_zones():
    from moto.ec2.models.availability_zones_and_regions import RegionsAndZonesBackend

    for region, zones in AVAILABILITY_ZONES.items():
        if region in UNCONFIRMED:
            continue
        recorded = {zone.name[len(region):]: zone.zone_id for zone in RegionsAndZonesBackend.zones[region]}
        assert zones == recorded, region


def test_regions_are_those_a_new_account_has_enabled_unless_all_are_asked_for(lookups_plan):
    enabled = lookups_plan.stack_outputs["regions"]
    assert len(enabled) == 17 and "us-east-1" in enabled and "af-south-1" not in enabled
    every = answer("aws:index/getRegions:getRegions", {"allRegions": True}, at("us-east-1"))["names"]
    assert "af-south-1" in every and not any(r.startswith(("cn-", "us-gov-")) for r in every)
    assert answer("aws:index/getRegions:getRegions", {}, at("cn-north-1"))["names"] == ["cn-north-1", "cn-northwest-1"]


def test_settings_accept_only_a_regions_real_zone_letters():
    from stacks.settings.aws_facts import default_zones, zone_problem

    assert zone_problem("ca-central-1c", "ca-central-1") is not None
    assert zone_problem("ca-central-1d", "ca-central-1") is None
    assert default_zones("ca-central-1", 3) == ["ca-central-1a", "ca-central-1b", "ca-central-1d"]


# -- images, parameters, default tags -------------------------------------------------------------
def test_a_public_ami_has_the_requested_architecture_and_owner(lookups_plan):
    ami = lookups_plan.stack_outputs["ami"]
    assert ami["id"].startswith("ami-0") and len(ami["id"]) == 21
    assert ami["architecture"] == "arm64" and ami["owner"] == "137112412989"
    assert lookups_plan.by_name("workers").inputs["imageId"] == ami["id"]


def test_ami_ids_lists_the_image_get_ami_finds_for_the_same_query():
    query = {"owners": ["amazon"], "filters": [{"name": "name", "values": ["al2023-ami-*-x86_64"]}]}
    found = answer("aws:ec2/getAmi:getAmi", query, at("us-east-1"))
    assert answer("aws:ec2/getAmiIds:getAmiIds", query, at("us-east-1"))["ids"] == [found["id"]]
    assert found["name"] == "al2023-ami-20260701-x86_64" and found["architecture"] == "x86_64"


def test_public_image_parameters_are_answered_but_other_parameters_are_not():
    token = "aws:ssm/getParameter:getParameter"
    image = answer(token, {"name": "/aws/service/eks/optimized-ami/1.36/amazon-linux-2023/x86_64/standard/recommended/image_id"},
                   at("us-east-1"))
    assert image["value"].startswith("ami-0")
    with pytest.raises(UnansweredReadError, match="'/prod/db/password' cannot be answered offline"):
        answer(token, {"name": "/prod/db/password"}, at("us-east-1"))


def test_default_tags_are_the_providers():
    tags = answer("aws:index/getDefaultTags:getDefaultTags", {}, at("us-east-1"), None,
                  ProviderSettings(default_tags={"owner": "ml"}))
    assert tags["tags"] == {"owner": "ml"}


# -- what cannot be answered -----------------------------------------------------------------------
def test_an_unanswerable_invoke_is_exit_2_with_one_line_naming_the_token(tmp_path):
    config = tmp_path / "Pulumi.dev.yaml"
    config.write_text("config:\n  aws:region: us-west-2\n  lookups:defaultVpc: true\n")
    result = mladmin("plan", "dev", "--program", str(LOOKUPS), "--config", str(config))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: aws:ec2/getVpc:getVpc cannot be answered offline (its result exists only in a real account): "
        "answer it with --reads FILE (invokes: {aws:ec2/getVpc:getVpc: {RESULT_FIELD: VALUE}})"]


def test_the_reads_file_answers_an_invoke(tmp_path):
    config = tmp_path / "Pulumi.dev.yaml"
    config.write_text("config:\n  aws:region: us-west-2\n  lookups:defaultVpc: true\n")
    answers = tmp_path / "reads.yaml"
    answers.write_text("invokes:\n  aws:ec2/getVpc:getVpc:\n    - args: {default: true}\n"
                       "      result: {id: vpc-0fedcba9876543210, cidrBlock: 172.31.0.0/16}\n")
    plan = plan_program(LOOKUPS, stack="dev", config_file=config, reads_file=answers)
    assert plan.stack_outputs["defaultVpc"] == "vpc-0fedcba9876543210"


def test_an_invoke_case_answers_only_calls_with_its_args():
    reads = Reads(_validate({"invokes": {"aws:ec2/getVpc:getVpc": [
        {"args": {"tags": {"Name": "shared"}}, "result": {"id": "vpc-1"}}]}}), "reads.yaml")
    assert reads.invoke("aws:ec2/getVpc:getVpc", {"tags": {"Name": "shared"}, "default": None}) == {"id": "vpc-1"}
    with pytest.raises(UnansweredReadError, match="reads.yaml does not answer it"):
        answer("aws:ec2/getVpc:getVpc", {"default": True}, at("us-east-1"), reads)


def test_kubernetes_invokes_are_not_answered_offline():
    with pytest.raises(UnansweredReadError, match="^kubernetes:helm:template cannot be answered offline"):
        answer("kubernetes:helm:template", {"chart": "x"}, at("us-east-1"))
