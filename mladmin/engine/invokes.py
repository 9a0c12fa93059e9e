"""Offline answers to the data-source functions (invokes) programs commonly call.

`aws.iam.get_policy_document` is rendered exactly as the provider would, so policy JSON in a plan
is the JSON AWS would receive.
"""

from __future__ import annotations

import json
from typing import Any, Callable

from .identifiers import Identity, digest


def _one_or_many(values: list[Any]) -> Any:
    return values[0] if len(values) == 1 else values


def _principals(entries: list[dict[str, Any]]) -> Any:
    rendered: dict[str, Any] = {}
    for entry in entries:
        kind, identifiers = entry.get("type"), list(entry.get("identifiers") or [])
        if kind == "*" and identifiers == ["*"]:
            return "*"
        existing = rendered.get(kind)
        merged = (existing if isinstance(existing, list) else [existing] if existing else []) + identifiers
        rendered[kind] = _one_or_many(merged)
    return rendered


def render_policy_document(args: dict[str, Any]) -> str:
    statements = []
    for source in args.get("sourcePolicyDocuments") or []:
        statements.extend(json.loads(source).get("Statement", []))
    for stmt in args.get("statements") or []:
        out: dict[str, Any] = {}
        if stmt.get("sid"):
            out["Sid"] = stmt["sid"]
        out["Effect"] = stmt.get("effect") or "Allow"
        for key, field in (("actions", "Action"), ("notActions", "NotAction"),
                           ("resources", "Resource"), ("notResources", "NotResource")):
            if stmt.get(key):
                out[field] = _one_or_many(sorted(stmt[key]) if key.endswith("ctions") else list(stmt[key]))
        if stmt.get("principals"):
            out["Principal"] = _principals(stmt["principals"])
        if stmt.get("notPrincipals"):
            out["NotPrincipal"] = _principals(stmt["notPrincipals"])
        conditions: dict[str, dict[str, Any]] = {}
        for cond in stmt.get("conditions") or []:
            conditions.setdefault(cond["test"], {})[cond["variable"]] = _one_or_many(list(cond["values"]))
        if conditions:
            out["Condition"] = conditions
        statements.append(out)
    for override in args.get("overridePolicyDocuments") or []:
        for stmt in json.loads(override).get("Statement", []):
            sid = stmt.get("Sid")
            statements = [s for s in statements if not sid or s.get("Sid") != sid] + [stmt]
    document: dict[str, Any] = {"Version": args.get("version") or "2012-10-17"}
    if args.get("policyId"):
        document["Id"] = args["policyId"]
    document["Statement"] = statements
    return json.dumps(document, indent=2)


def answer(token: str, args: dict[str, Any], where: Identity) -> dict[str, Any]:
    handler = _HANDLERS.get(token)
    if handler is not None:
        return handler(args, where)
    # Unknown data source: echo the arguments with a deterministic id, as the mocks always have.
    return dict(args) | {"id": digest(token + json.dumps(args, sort_keys=True, default=str), 16)}


def _caller_identity(_: dict[str, Any], where: Identity) -> dict[str, Any]:
    return {"accountId": where.account, "arn": f"arn:{where.partition}:iam::{where.account}:user/mladmin",
            "userId": "AIDA" + digest(where.account, 17).upper(), "id": where.account}


def _region(args: dict[str, Any], where: Identity) -> dict[str, Any]:
    region = args.get("region") or args.get("name") or where.region
    return {"name": region, "region": region, "id": region, "endpoint": f"ec2.{region}.amazonaws.com",
            "description": region}


def _partition(_: dict[str, Any], where: Identity) -> dict[str, Any]:
    return {"partition": where.partition, "dnsSuffix": "amazonaws.com", "reverseDnsPrefix": "com.amazonaws",
            "id": where.partition}


def _availability_zones(args: dict[str, Any], where: Identity) -> dict[str, Any]:
    region = args.get("region") or where.region
    letters = "abcdef"
    return {"names": [f"{region}{c}" for c in letters], "zoneIds": [f"use1-az{i + 1}" for i in range(len(letters))],
            "groupNames": [region], "id": region, "state": args.get("state")}


def _policy_document(args: dict[str, Any], _: Identity) -> dict[str, Any]:
    rendered = render_policy_document(args)
    return {"json": rendered, "minifiedJson": json.dumps(json.loads(rendered), separators=(",", ":")),
            "id": digest(rendered, 10)}


def _ssm_parameter(args: dict[str, Any], _: Identity) -> dict[str, Any]:
    name = args.get("name", "")
    value = f"ami-0{digest(name, 16)}" if "ami" in name else f"value-of-{name}"
    return {"name": name, "value": value, "insecureValue": value, "type": "String", "id": name}


def _eks_cluster_auth(args: dict[str, Any], _: Identity) -> dict[str, Any]:
    return {"name": args.get("name"), "token": "k8s-aws-v1.offline", "id": args.get("name")}


_HANDLERS: dict[str, Callable[[dict[str, Any], Identity], dict[str, Any]]] = {
    "aws:index/getCallerIdentity:getCallerIdentity": _caller_identity,
    "aws:index/getRegion:getRegion": _region,
    "aws:index/getPartition:getPartition": _partition,
    "aws:index/getAvailabilityZones:getAvailabilityZones": _availability_zones,
    "aws:iam/getPolicyDocument:getPolicyDocument": _policy_document,
    "aws:ssm/getParameter:getParameter": _ssm_parameter,
    "aws:eks/getClusterAuth:getClusterAuth": _eks_cluster_auth,
}
