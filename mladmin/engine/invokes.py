"""Offline answers to the data-source functions (invokes) programs call.

In order: the reads file's answer (`--reads FILE`, invokes: by token), then the engine's own
(identity, region and partition; `aws.iam.get_policy_document` rendered exactly as the provider
would, so policy JSON in a plan is the JSON AWS would receive; the public facts in
data_sources.py). Anything else fails with one line naming the invoke: a made-up answer would
reach the program as if AWS had said it.
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable

from .data_sources import HANDLERS as AWS_FACT_HANDLERS, dns_suffix, partition_of
from .identifiers import Identity, digest
from .providers import ProviderSettings
from .reads import Reads, UnansweredReadError


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


def answer(token: str, args: dict[str, Any], where: Identity, reads: Reads | None = None,
           provider: ProviderSettings | None = None) -> dict[str, Any]:
    reads = reads or Reads()
    given = reads.invoke(token, args)
    if given is not None:
        return given
    handler = _HANDLERS.get(token)
    if handler is None:
        raise reads.unanswered_invoke(token)
    return handler(args, where, provider or ProviderSettings())


def _caller_identity(_: dict[str, Any], where: Identity, __: ProviderSettings) -> dict[str, Any]:
    return {"accountId": where.account, "arn": f"arn:{where.partition}:iam::{where.account}:user/mladmin",
            "userId": "AIDA" + digest(where.account, 17).upper(), "id": where.account}


def _region(args: dict[str, Any], where: Identity, _: ProviderSettings) -> dict[str, Any]:
    region = args.get("region") or args.get("name") or where.region
    return {"name": region, "region": region, "id": region, "endpoint": f"ec2.{region}.{dns_suffix(region)}",
            "description": region}


def _partition(_: dict[str, Any], where: Identity, __: ProviderSettings) -> dict[str, Any]:
    partition = partition_of(where.region)
    suffix = dns_suffix(where.region)
    return {"partition": partition, "dnsSuffix": suffix, "reverseDnsPrefix": ".".join(reversed(suffix.split("."))),
            "id": partition}


def _policy_document(args: dict[str, Any], _: Identity, __: ProviderSettings) -> dict[str, Any]:
    rendered = render_policy_document(args)
    return {"json": rendered, "minifiedJson": json.dumps(json.loads(rendered), separators=(",", ":")),
            "id": digest(rendered, 10)}


def _ssm_parameter(args: dict[str, Any], where: Identity, _: ProviderSettings) -> dict[str, Any]:
    """AWS's public image-id parameters (/aws/service/.../image_id and the like) hold an AMI id."""
    name = str(args.get("name", ""))
    if not (name.startswith("/aws/service/") and re.search(r"image_id$|/ami-|ami-[a-z]|amazon-linux", name)):
        raise UnansweredReadError(f"aws:ssm/getParameter:getParameter {name!r} cannot be answered offline (only AWS's "
                                  "public image-id parameters can): answer it with --reads FILE "
                                  "(invokes: {aws:ssm/getParameter:getParameter: [{args: {name: ...}, result: {value: ...}}]})")
    value = f"ami-0{digest(where.region + name, 16)}"
    return {"name": name, "value": value, "insecureValue": value, "type": "String", "id": name, "version": 1.0,
            "arn": f"arn:{partition_of(where.region)}:ssm:{where.region}::parameter{name}",
            "withDecryption": args.get("withDecryption")}


_HANDLERS: dict[str, Callable[[dict[str, Any], Identity, ProviderSettings], dict[str, Any]]] = {
    "aws:index/getCallerIdentity:getCallerIdentity": _caller_identity,
    "aws:index/getRegion:getRegion": _region,
    "aws:index/getPartition:getPartition": _partition,
    "aws:iam/getPolicyDocument:getPolicyDocument": _policy_document,
    "aws:ssm/getParameter:getParameter": _ssm_parameter,
    **AWS_FACT_HANDLERS,
}
