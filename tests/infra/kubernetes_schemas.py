"""Kubernetes objects of a plan, held against the API's OpenAPI schemas, strictly (unknown fields fail).

Core objects: the JSON schemas of the cluster's Kubernetes version shipped by ``kubernetes-validate``
(its ``-strict`` variants set ``additionalProperties: false``). Kueue objects: the CRD schemas of the
Kueue release the chart table pins (tests/fixtures/schemas/kueue-v1beta2.json), made strict here the
way the API server treats a structural schema under strict field validation.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Iterator

import jsonschema
import kubernetes_validate

KUEUE_SCHEMAS = Path(__file__).resolve().parents[1] / "fixtures" / "schemas" / "kueue-v1beta2.json"
NOT_API_OBJECTS = ("kubernetes:helm.sh/", "pulumi:providers:")  # Pulumi resources, not sent as objects


def api_objects(plan) -> Iterator[tuple[str, dict]]:
    """(URN, object) for every Kubernetes API object the plan declares, as the provider sends it."""
    for resource in plan.resources:
        if not resource.custom or not resource.type.startswith("kubernetes:") or resource.type.startswith(NOT_API_OBJECTS):
            continue
        body = {key: value for key, value in resource.inputs.items() if not key.startswith("__")}
        yield resource.urn, _integral(body)


def _integral(value: Any) -> Any:
    """Numbers reach the engine as floats (30.0); the provider sends integral ones as integers."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _integral(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_integral(v) for v in value]
    return value


def kueue_schemas() -> dict[str, dict]:
    document = json.loads(KUEUE_SCHEMAS.read_text())
    return {kind: _strict(schema) for kind, schema in document["schemas"].items()}


def _strict(schema: Any) -> Any:
    schema = copy.deepcopy(schema)

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            if ("properties" in node and "additionalProperties" not in node
                    and not node.get("x-kubernetes-preserve-unknown-fields")):
                node["additionalProperties"] = False
            for child in node.values():
                visit(child)
        elif isinstance(node, list):
            for child in node:
                visit(child)

    visit(schema)
    # metadata is ObjectMeta (checked by the API server itself), declared as a bare object here.
    schema["properties"]["metadata"] = {"type": "object"}
    return schema


def problems(obj: dict, kubernetes_version: str, kueue: dict[str, dict]) -> list[str]:
    """Why the API server would reject ``obj`` (empty when it validates)."""
    if obj.get("apiVersion", "").startswith("kueue.x-k8s.io/"):
        schema = kueue.get(obj.get("kind", ""))
        if schema is None or obj["apiVersion"] != "kueue.x-k8s.io/v1beta2":
            return [f"no Kueue schema for {obj.get('apiVersion')} {obj.get('kind')}"]
        validator = jsonschema.Draft202012Validator(schema)
        return [f"{'.'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in validator.iter_errors(obj)]
    try:
        kubernetes_validate.validate(obj, kubernetes_version, strict=True)
    except kubernetes_validate.ValidationError as error:
        return [f"{'.'.join(map(str, error.absolute_path)) or '<root>'}: {error.message}"]
    except kubernetes_validate.SchemaNotFoundError as error:
        return [error.message]
    return []
