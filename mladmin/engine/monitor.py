"""A resource monitor for Pulumi's mock runtime that records the whole plan.

Pulumi's own `MockMonitor` keeps only URN, id and state, and builds URNs from the parent's last
type only. This one builds URNs the way the engine does, and keeps each resource's parent,
dependencies, provider and options, which is what a plan, a graph and a policy need.
"""

from __future__ import annotations

import threading
from typing import Any

from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, Mocks, MockResourceArgs
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.sync_await import _ensure_event_loop, _sync_await

from . import invokes
from .loops import ignore_abandoned_tasks
from .computed import as_plan_value, created_state, missing_files, preview_state
from .identifiers import Identity, physical_name, resource_outputs
from .plan import STACK_TYPE, PlanResource
from .providers import PROVIDER_PREFIX, Providers
from .reads import Reads


DYNAMIC_TYPE = "pulumi-python:dynamic:Resource"


class PlanMocks(Mocks):
    """Answers invokes and calls; resource creation is handled by the monitor below."""

    def __init__(self, identity: Identity, providers: Providers, reads: Reads | None = None) -> None:
        self.identity = identity
        self.providers = providers
        self.reads = reads or Reads()

    def call(self, args: MockCallArgs) -> dict:
        where = self.providers.where(args.provider, args.args)
        return invokes.answer(args.token, args.args, where, self.reads, self.providers.settings_for(args.provider))

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict]:  # pragma: no cover - unused
        raise NotImplementedError("the recording monitor creates resources itself")


class RecordingMonitor(MockMonitor):
    def __init__(self, mocks: PlanMocks, project: str, stack: str, preview: bool = True) -> None:
        super().__init__(mocks)
        self.project = project
        self.stack = stack
        self.preview = preview
        self.identity = mocks.identity
        self.providers = mocks.providers
        self.reads = mocks.reads
        self.records: dict[str, PlanResource] = {}
        self.stack_outputs: dict[str, Any] = {}
        self.problems: list[str] = []  # what the real engine would reject, one line each
        self._lock = threading.Lock()
        self._loops: set = set()

    def _ensure_loop(self) -> None:
        """Pulumi gives each worker thread its own event loop; keep them so they can be closed."""
        loop = _ensure_event_loop()
        with self._lock:
            if loop not in self._loops:
                ignore_abandoned_tasks(loop)
            self._loops.add(loop)

    def close_loops(self) -> None:
        with self._lock:
            loops, self._loops = self._loops, set()
        for loop in loops:
            if not loop.is_running() and not loop.is_closed():
                loop.close()

    def Invoke(self, request):  # noqa: N802 - gRPC method name
        self._ensure_loop()
        if not request.provider and not request.tok.startswith("pulumi:"):
            self._default_provider(request.tok)  # the engine sets the package's provider up for invokes too
        return super().Invoke(request)

    def ReadResource(self, request):  # noqa: N802 - gRPC method name
        """`Resource.get` and `StackReference`: answered from the reads file, recorded as read, not created."""
        self._ensure_loop()  # deserializing and serializing need this worker thread's own loop
        urn = self.make_urn(request.parent, request.type, request.name)
        state = self.reads.resource(request.type, request.id)
        package = request.type.split(":")[0]
        provider = request.provider or (self._default_provider(request.type) if package != "pulumi" else None)
        properties = {k: v for k, v in rpc.deserialize_properties(request.properties).items() if v is not None}
        self._record(PlanResource(
            urn=urn, type=request.type, name=request.name, parent=request.parent or None,
            dependencies=sorted(set(request.dependencies)), provider=provider, inputs=properties, outputs=state,
            id=request.id, custom=True, read=True))
        obj_proto = _sync_await(rpc.serialize_properties(state, {}))
        with self._lock:
            self.resources[urn] = MockMonitor.ResourceRegistration(urn, request.id, state)
        # An empty id means "unknown" to the SDK in a preview; a read knows the id it was asked for.
        return resource_pb2.ReadResourceResponse(urn=urn, id=request.id, properties=obj_proto)

    # URNs as the engine writes them: the full chain of parent types, without the root stack's.
    def make_urn(self, parent: str, type_: str, name: str) -> str:
        if parent:
            parent_type = parent.split("::")[2]
            if parent_type != STACK_TYPE:
                type_ = f"{parent_type}${type_}"
        return f"urn:pulumi:{self.stack}::{self.project}::{type_}::{name}"

    def _default_provider(self, type_: str) -> str:
        """The package's default provider, recorded in the plan on first use as the engine does."""
        reference, first_use = self.providers.default_reference(type_.split(":")[0])
        if first_use is not None:
            self._record(first_use)
        return reference

    def _record(self, resource: PlanResource) -> None:
        with self._lock:
            self.records[resource.urn] = resource

    def RegisterResource(self, request):  # noqa: N802 - gRPC method name
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == STACK_TYPE:
            self._record(PlanResource(urn=urn, type=STACK_TYPE, name=request.name, parent=None, dependencies=[],
                                      provider=None, inputs={}, outputs={}, id=None, custom=False))
            return resource_pb2.RegisterResourceResponse(urn=urn)

        self._ensure_loop()
        inputs = as_plan_value(rpc.deserialize_properties(request.object, keep_unknowns=True))
        custom = bool(request.custom)
        is_provider = request.type.startswith(PROVIDER_PREFIX)
        provider = request.provider or (self._default_provider(request.type) if custom and not is_provider else None)
        if custom:
            inputs = self.providers.checked_inputs(request.type, provider, inputs)
        for path in missing_files(inputs):  # the engine would fail hashing it; reported after the run
            with self._lock:
                self.problems.append(f"{request.type} '{request.name}': asset path {path!r} does not exist "
                                     f"(relative paths are read from the program's directory)")
        where = self.providers.where(provider, inputs)
        if custom:
            id_, extra = resource_outputs(request.type, request.name, urn, inputs, where)
            id_, state = self._new_state(request.type, request.name, urn, inputs, id_, extra, where)
        else:
            id_, state = "", {}
        if is_provider:
            self.providers.register_explicit(urn, inputs)

        self._record(PlanResource(
            urn=urn, type=request.type, name=request.name, parent=request.parent or None,
            dependencies=sorted(set(request.dependencies)), provider=provider, inputs=inputs, outputs=state,
            id=id_ or None, custom=custom, protect=bool(request.protect), retain_on_delete=bool(request.retainOnDelete),
            property_dependencies={key: sorted(set(deps.urns)) for key, deps in request.propertyDependencies.items()},
        ))
        obj_proto = _sync_await(rpc.serialize_properties(state, {}))
        with self._lock:
            self.resources[urn] = MockMonitor.ResourceRegistration(urn, id_, state)
        # A dynamic provider's outputs come from its Python `create`, which mladmin does not run
        # offline (it may call any API): they stay unknown, so callbacks over them never get None.
        unknown = custom and not self.preview and request.type == DYNAMIC_TYPE
        return resource_pb2.RegisterResourceResponse(urn=urn, id=id_, object=obj_proto, unknown=unknown)

    def _new_state(self, type_: str, logical: str, urn: str, inputs: dict[str, Any], id_: str,
                   extra: dict[str, Any], where: Identity) -> tuple[str, dict[str, Any]]:
        """(id, state) of a resource about to be created: in a preview the id and every computed
        output are unknown (an empty id is how providers say so); otherwise all are known."""
        if type_.startswith("pulumi:providers:"):
            return id_, dict(inputs) | extra
        if self.preview:
            name_field, _ = physical_name(type_, logical, inputs, urn)
            return "", preview_state(type_, inputs, extra, name_field, where)
        return id_, created_state(type_, logical, urn, inputs, extra, where)

    def RegisterResourceOutputs(self, request):  # noqa: N802 - gRPC method name
        self._ensure_loop()
        outputs = as_plan_value(rpc.deserialize_properties(request.outputs, keep_unknowns=True))
        with self._lock:
            record = self.records.get(request.urn)
            if record is not None and not record.custom:
                record.outputs = outputs
            if record is not None and record.type == STACK_TYPE:
                self.stack_outputs = outputs
        return super().RegisterResourceOutputs(request)

    def plan_resources(self) -> list[PlanResource]:
        """Resources depth-first from the stack, siblings by name: the same order on every run."""
        with self._lock:
            records = dict(self.records)
        children: dict[str | None, list[PlanResource]] = {}
        for record in records.values():
            parent = record.parent if record.parent in records else None
            children.setdefault(parent, []).append(record)
        ordered: list[PlanResource] = []
        stack = sorted(children.get(None, []), key=lambda r: (r.type != STACK_TYPE, r.name, r.type), reverse=True)
        while stack:
            record = stack.pop()
            ordered.append(record)
            stack.extend(sorted(children.get(record.urn, []), key=lambda r: (r.name, r.type), reverse=True))
        return ordered
