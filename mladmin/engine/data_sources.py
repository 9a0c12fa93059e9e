"""Offline answers to AWS data sources whose result follows from public facts or the provider's own
configuration: regions and availability zones (policies.facts.regions), ECR and EKS credentials (their
format), public AMIs (their shape), the provider's default tags.

What exists only in a real account (a VPC's id, a parameter's value) is not made up: those invokes
fail with one line unless the reads file answers them (reads.py).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from typing import Any, Mapping

from policies.facts.regions import AVAILABILITY_ZONES, OPT_IN_REGIONS

from .identifiers import Identity, digest
from .providers import ProviderSettings
from .reads import UnansweredReadError

# Owner aliases AWS accepts in `owners`, and the accounts behind them.
_OWNER_ALIASES = {"amazon": "137112412989", "aws-marketplace": "679593333241", "canonical": "099720109477"}
_CANONICAL = "099720109477"


def partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def dns_suffix(region: str) -> str:
    return "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"


def _zones(region: str) -> dict[str, str]:
    zones = AVAILABILITY_ZONES.get(region)
    if zones is None:
        raise UnansweredReadError(f"availability zones of {region!r} cannot be answered offline: the region is not "
                                  "in the zone table (policies/facts/regions.py)")
    return zones


def _filter_values(filters: Any) -> dict[str, list[str]]:
    by_name: dict[str, list[str]] = {}
    for entry in filters or []:
        by_name.setdefault(str(entry.get("name")), []).extend(str(v) for v in entry.get("values") or [])
    return by_name


def _zone_rows(region: str, args: Mapping[str, Any], token: str) -> list[dict[str, str]]:
    """The region's zones as describe-availability-zones lists them, narrowed by the invoke's arguments."""
    rows = [{"zone-name": region + letter, "zone-id": zone_id, "zone-type": "availability-zone",
             "opt-in-status": "opt-in-not-required", "state": "available", "region-name": region,
             "group-name": region}
            for letter, zone_id in sorted(_zones(region).items())]
    for name, values in _filter_values(args.get("filters")).items():
        if not rows or name not in rows[0]:
            raise UnansweredReadError(f"{token}: the filter {name!r} cannot be applied offline "
                                      "(supported: zone-name, zone-id, zone-type, opt-in-status, state, group-name)")
        rows = [row for row in rows if row[name] in values]
    if args.get("state") and args["state"] != "available":
        rows = []
    excluded_names, excluded_ids = set(args.get("excludeNames") or []), set(args.get("excludeZoneIds") or [])
    return [row for row in rows if row["zone-name"] not in excluded_names and row["zone-id"] not in excluded_ids]


def availability_zones(args: dict[str, Any], where: Identity, _: ProviderSettings) -> dict[str, Any]:
    region = args.get("region") or where.region
    rows = _zone_rows(region, args, "aws:index/getAvailabilityZones:getAvailabilityZones")
    return {"names": [r["zone-name"] for r in rows], "zoneIds": [r["zone-id"] for r in rows],
            "groupNames": sorted({r["group-name"] for r in rows}), "id": region, "region": region,
            "state": args.get("state"), "allAvailabilityZones": args.get("allAvailabilityZones"),
            "excludeNames": args.get("excludeNames"), "excludeZoneIds": args.get("excludeZoneIds"),
            "filters": args.get("filters")}


def availability_zone(args: dict[str, Any], where: Identity, _: ProviderSettings) -> dict[str, Any]:
    token = "aws:index/getAvailabilityZone:getAvailabilityZone"
    region = args.get("region") or where.region
    rows = [r for r in _zone_rows(region, args, token)
            if (not args.get("name") or r["zone-name"] == args["name"])
            and (not args.get("zoneId") or r["zone-id"] == args["zoneId"])]
    if len(rows) != 1:
        wanted = args.get("name") or args.get("zoneId") or "the filters"
        raise UnansweredReadError(f"{token}: {len(rows)} zones of {region} match {wanted} (expected exactly one)")
    row = rows[0]
    return {"name": row["zone-name"], "zoneId": row["zone-id"], "region": region, "id": row["zone-name"],
            "nameSuffix": row["zone-name"][len(region):], "groupName": region, "groupLongName": region,
            "networkBorderGroup": region, "optInStatus": row["opt-in-status"], "state": row["state"],
            "zoneType": row["zone-type"], "parentZoneId": None, "parentZoneName": None,
            "allAvailabilityZones": args.get("allAvailabilityZones"), "filters": args.get("filters")}


def regions(args: dict[str, Any], where: Identity, _: ProviderSettings) -> dict[str, Any]:
    """The partition's regions; without all_regions only those enabled in a new account (no opt-ins)."""
    partition = partition_of(where.region)
    names = [r for r in AVAILABILITY_ZONES if partition_of(r) == partition]
    if not args.get("allRegions"):
        names = [r for r in names if r not in OPT_IN_REGIONS]
    for name, values in _filter_values(args.get("filters")).items():
        if name == "region-name":
            names = [r for r in names if r in values]
        elif name == "opt-in-status":
            names = [r for r in names if ("not-opted-in" if r in OPT_IN_REGIONS else "opt-in-not-required") in values]
        else:
            raise UnansweredReadError(f"aws:index/getRegions:getRegions: the filter {name!r} cannot be applied "
                                      "offline (supported: region-name, opt-in-status)")
    return {"names": sorted(names), "id": partition, "allRegions": args.get("allRegions"), "filters": args.get("filters")}


def _issued_at() -> dt.datetime:
    """When credentials are issued: the current hour, so plans made within an hour are the same."""
    return dt.datetime.now(dt.timezone.utc).replace(minute=0, second=0, microsecond=0)


def ecr_authorization_token(args: dict[str, Any], where: Identity, _: ProviderSettings) -> dict[str, Any]:
    """Credentials in ECR's format: the token is base64("AWS:" + password), valid for 12 hours."""
    registry = args.get("registryId") or where.account
    issued = _issued_at()
    expires = issued + dt.timedelta(hours=12)
    seed = f"{registry}{where.region}{issued.isoformat()}"
    password = base64.b64encode(json.dumps({
        "payload": base64.b64encode(bytes.fromhex(digest(seed + "payload", 64) * 4)).decode(),
        "datakey": base64.b64encode(bytes.fromhex(digest(seed + "datakey", 64) * 3)).decode(),
        "version": "2", "type": "DATA_KEY", "expiration": int(expires.timestamp()),
    }, separators=(",", ":")).encode()).decode()
    return {"authorizationToken": base64.b64encode(f"AWS:{password}".encode()).decode(),
            "expiresAt": expires.strftime("%Y-%m-%dT%H:%M:%SZ"), "id": where.region, "password": password,
            "proxyEndpoint": f"https://{registry}.dkr.ecr.{where.region}.{dns_suffix(where.region)}",
            "region": where.region, "registryId": args.get("registryId"), "userName": "AWS"}


def eks_cluster_auth(args: dict[str, Any], where: Identity, _: ProviderSettings) -> dict[str, Any]:
    """A token in aws-iam-authenticator's format: "k8s-aws-v1." + base64url(presigned STS GetCallerIdentity)."""
    name = args.get("name")
    issued = _issued_at()
    url = (f"https://sts.{where.region}.{dns_suffix(where.region)}/?Action=GetCallerIdentity&Version=2011-06-15"
           f"&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIA{digest(where.account, 16).upper()}%2F"
           f"{issued:%Y%m%d}%2F{where.region}%2Fsts%2Faws4_request&X-Amz-Date={issued:%Y%m%dT%H%M%SZ}&X-Amz-Expires=60"
           f"&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id&X-Amz-Signature={digest(f'{name}{issued}', 64)}")
    token = "k8s-aws-v1." + base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")
    return {"name": name, "token": token, "id": name, "region": args.get("region")}


def _ami(args: Mapping[str, Any], where: Identity) -> dict[str, Any]:
    filters = _filter_values(args.get("filters"))
    if filters.get("name"):  # a wildcard pattern: * and ? stand for the release part of the name
        name = filters["name"][0].replace("*", "20260701").replace("?", "0")
    elif args.get("nameRegex"):
        name = re.sub(r"\.[*+]|[\^$\\]", lambda m: "20260701" if m.group().startswith(".") else "", args["nameRegex"])
    else:
        name = "image-20260701"
    architecture = (filters.get("architecture") or [None])[0] or (
        "arm64" if re.search(r"arm64|aarch64|graviton", name, re.I) else "x86_64")
    owners = [str(o) for o in args.get("owners") or []]
    owner = owners[0] if owners else where.account
    owner_id = where.account if owner == "self" else _OWNER_ALIASES.get(owner, owner)
    image_id = "ami-0" + digest(f"{where.region}{json.dumps(dict(args), sort_keys=True, default=str)}", 16)
    root = "/dev/sda1" if owner_id == _CANONICAL else "/dev/xvda"
    snapshot = "snap-0" + digest(image_id, 16)
    return {
        "id": image_id, "imageId": image_id, "arn": f"arn:{where.partition}:ec2:{where.region}::image/{image_id}",
        "name": name, "description": name, "architecture": architecture, "ownerId": owner_id,
        "imageOwnerAlias": owner if owner in ("amazon", "aws-marketplace") else None,
        "imageLocation": f"{owner if owner in ('amazon', 'aws-marketplace') else owner_id}/{name}",
        "creationDate": "2026-07-01T00:00:00.000Z", "deprecationTime": "2028-07-01T00:00:00.000Z",
        "state": "available", "public": owner_id != where.account, "imageType": "machine", "hypervisor": "xen",
        "virtualizationType": "hvm", "rootDeviceType": "ebs", "rootDeviceName": root, "rootSnapshotId": snapshot,
        "enaSupport": True, "sriovNetSupport": "simple", "bootMode": "uefi" if architecture == "arm64" else "uefi-preferred",
        "imdsSupport": "v2.0", "platformDetails": "Linux/UNIX", "usageOperation": "RunInstances",
        "blockDeviceMappings": [{"deviceName": root, "noDevice": "", "virtualName": "",
                                 "ebs": {"deleteOnTermination": "true", "encrypted": "false", "iops": "3000",
                                         "snapshotId": snapshot, "throughput": "125", "volumeSize": "8",
                                         "volumeType": "gp3"}}],
        "productCodes": [], "tags": {}, "platform": None, "kernelId": None, "ramdiskId": None,
        "stateReason": {"code": "UNSET", "message": "UNSET"}, "tpmSupport": None, "uefiData": None,
        "lastLaunchedTime": None,
    }


def ami(args: dict[str, Any], where: Identity, _: ProviderSettings) -> dict[str, Any]:
    """A public image of the shape describe-images returns; the id is stable for the same query."""
    echoed = {key: args.get(key) for key in ("owners", "filters", "mostRecent", "nameRegex", "executableUsers",
                                             "includeDeprecated", "allowUnsafeFilter")}
    return _ami(args, where) | echoed | {"region": where.region}


def ami_ids(args: dict[str, Any], where: Identity, _: ProviderSettings) -> dict[str, Any]:
    echoed = {key: args.get(key) for key in ("owners", "filters", "nameRegex", "executableUsers",
                                             "includeDeprecated", "sortAscending")}
    image_id = _ami(args, where)["imageId"]
    return {"ids": [image_id], "id": digest(image_id, 16), "region": where.region} | echoed


def default_tags(_: dict[str, Any], where: Identity, provider: ProviderSettings) -> dict[str, Any]:
    return {"tags": dict(provider.default_tags) if isinstance(provider.default_tags, dict) else provider.default_tags,
            "id": "aws"}


HANDLERS = {
    "aws:index/getAvailabilityZones:getAvailabilityZones": availability_zones,
    "aws:index/getAvailabilityZone:getAvailabilityZone": availability_zone,
    "aws:index/getRegions:getRegions": regions,
    "aws:index/getDefaultTags:getDefaultTags": default_tags,
    "aws:ecr/getAuthorizationToken:getAuthorizationToken": ecr_authorization_token,
    "aws:eks/getClusterAuth:getClusterAuth": eks_cluster_auth,
    "aws:ec2/getAmi:getAmi": ami,
    "aws:ec2/getAmiIds:getAmiIds": ami_ids,
}
