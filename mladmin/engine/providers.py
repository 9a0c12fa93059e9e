"""Providers as the Pulumi engine sets them up: default providers from `<package>:*` config, explicit
`Provider` resources, and what pulumi-aws's Check adds to every taggable resource (`tagsAll`).

The engine registers a default provider the first time a package is used without an explicit
provider: its inputs are the package's config values as strings (objects as JSON) plus `version`,
it has no parent, and it is named `default_<version>`. pulumi-aws's Check merges the provider's
`defaultTags` under the resource's own `tags` (the resource wins), drops `ignoreTags`, and returns
the result as `tagsAll` in the checked inputs, so `tagsAll` is known at preview and is what a
policy sees (pulumi-aws provider/tags.go, applyTags).
"""

from __future__ import annotations

import functools
import importlib
import json
import threading
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Mapping

from pulumi.runtime import rpc

from .identifiers import Identity, uuid_from
from .plan import PlanResource
from .project import as_runtime_config

PROVIDER_PREFIX = "pulumi:providers:"


@functools.cache
def provider_version(package: str) -> str | None:
    try:
        return metadata.version(f"pulumi-{package}")
    except metadata.PackageNotFoundError:
        return None


@functools.cache
def has_tags_all(type_: str) -> bool:
    """Whether the pulumi-aws resource class behind a type token has a `tagsAll` output."""
    package, module_path, name = (type_.split(":") + ["", ""])[:3]
    if package != "aws" or not name:
        return False
    module = module_path.split("/")[0]
    for python_name in (["pulumi_aws"] if module == "index" else [f"pulumi_aws.{module}", f"pulumi_aws.{module}_"]):
        try:  # a module named for a Python keyword has a trailing underscore (lambda_)
            return hasattr(getattr(importlib.import_module(python_name), name, None), "tags_all")
        except ImportError:
            continue
    return False


def _structured(value: Any) -> Any:
    """Provider config and explicit provider inputs carry objects as JSON strings."""
    if isinstance(value, str) and value.lstrip().startswith(("{", "[")):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _contains_unknown(value: Any) -> bool:
    if value == rpc.UNKNOWN:
        return True
    if isinstance(value, Mapping):
        return any(_contains_unknown(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_contains_unknown(v) for v in value)
    return False


@dataclass(frozen=True)
class ProviderSettings:
    """What a provider's configuration means for the resources that use it."""

    region: str | None = None
    default_tags: Any = field(default_factory=dict)   # a mapping, or rpc.UNKNOWN
    ignore_keys: tuple[str, ...] = ()
    ignore_prefixes: tuple[str, ...] = ()

    @classmethod
    def from_inputs(cls, inputs: Mapping[str, Any]) -> "ProviderSettings":
        region = inputs.get("region")
        defaults = _structured(inputs.get("defaultTags"))
        if _contains_unknown(defaults):
            tags: Any = rpc.UNKNOWN
        else:
            tags = dict(defaults.get("tags") or {}) if isinstance(defaults, Mapping) else {}
        ignores = _structured(inputs.get("ignoreTags"))
        ignores = ignores if isinstance(ignores, Mapping) else {}
        return cls(region=region if isinstance(region, str) and region else None, default_tags=tags,
                   ignore_keys=tuple(ignores.get("keys") or ()), ignore_prefixes=tuple(ignores.get("keyPrefixes") or ()))

    def tags_all(self, tags: Any) -> Any:
        """`tagsAll` as pulumi-aws computes it in Check: defaults, then the resource's tags, minus ignored."""
        if self.default_tags == rpc.UNKNOWN or _contains_unknown(tags):
            return rpc.UNKNOWN
        merged = dict(self.default_tags)
        if isinstance(tags, Mapping):
            merged.update(tags)
        return {key: value for key, value in merged.items()
                if key not in self.ignore_keys and not key.startswith(self.ignore_prefixes)}


class Providers:
    """The providers of one run: default ones made from config on first use, explicit ones as registered."""

    def __init__(self, config: Mapping[str, Any], identity: Identity, project: str, stack: str) -> None:
        self.identity = identity
        self.project = project
        self.stack = stack
        self._config = as_runtime_config(dict(config))
        self._lock = threading.Lock()
        self._settings: dict[str, ProviderSettings] = {}   # provider urn -> settings
        self._defaults: dict[str, str] = {}                # package -> default provider reference

    # -- default providers ------------------------------------------------------------------------
    def default_inputs(self, package: str) -> dict[str, Any]:
        prefix = f"{package}:"
        inputs: dict[str, Any] = {key[len(prefix):]: value for key, value in sorted(self._config.items())
                                  if key.startswith(prefix)}
        version = provider_version(package)
        if version:
            inputs["version"] = version
        return inputs

    def default_urn(self, package: str) -> str:
        version = (provider_version(package) or "0.0.0").replace(".", "_")
        return f"urn:pulumi:{self.stack}::{self.project}::{PROVIDER_PREFIX}{package}::default_{version}"

    def default_reference(self, package: str) -> tuple[str, PlanResource | None]:
        """(`<urn>::<id>` of the package's default provider, its plan record when this is its first use)."""
        urn = self.default_urn(package)
        with self._lock:
            if package in self._defaults:
                return self._defaults[package], None
            provider_id = uuid_from(package + self.stack)
            reference = f"{urn}::{provider_id}"
            self._defaults[package] = reference
            inputs = self.default_inputs(package)
            self._settings[urn] = ProviderSettings.from_inputs(inputs)
        record = PlanResource(urn=urn, type=PROVIDER_PREFIX + package, name=urn.rsplit("::", 1)[1], parent=None,
                              dependencies=[], provider=None, inputs=inputs, outputs=dict(inputs), id=provider_id,
                              custom=True)
        return reference, record

    # -- explicit providers -----------------------------------------------------------------------
    def register_explicit(self, urn: str, inputs: Mapping[str, Any]) -> None:
        with self._lock:
            self._settings[urn] = ProviderSettings.from_inputs(inputs)

    def settings_for(self, provider_ref: str | None, package: str = "aws") -> ProviderSettings:
        urn = provider_ref.rsplit("::", 1)[0] if provider_ref else self.default_urn(package)
        with self._lock:
            found = self._settings.get(urn)
        if found is None and not provider_ref:
            found = ProviderSettings.from_inputs(self.default_inputs(package))
        return found or ProviderSettings()

    def region_for(self, provider_ref: str | None, inputs: Mapping[str, Any]) -> str:
        """A resource's (or invoke's) own `region`, else its provider's, else the stack's."""
        if isinstance(inputs.get("region"), str) and inputs["region"]:
            return inputs["region"]
        return self.settings_for(provider_ref).region or self.identity.region

    def where(self, provider_ref: str | None, inputs: Mapping[str, Any]) -> Identity:
        return Identity(self.identity.account, self.region_for(provider_ref, inputs), self.identity.partition)

    # -- Check ------------------------------------------------------------------------------------
    def checked_inputs(self, type_: str, provider_ref: str | None, inputs: dict[str, Any]) -> dict[str, Any]:
        """The inputs after the provider's Check: taggable AWS resources gain `tagsAll`."""
        if not has_tags_all(type_):
            return inputs
        return inputs | {"tagsAll": self.settings_for(provider_ref).tags_all(inputs.get("tags"))}
