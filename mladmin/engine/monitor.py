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
from .identifiers import Identity, resource_outputs
from .plan import STACK_TYPE, PlanResource
from .providers import PROVIDER_PREFIX, Providers
from .reads import Reads


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
    def __init__(self, mocks: PlanMocks, project: str, stack: str) -> None:
        super().__init__(mocks)
        self.project = project
        self.stack = stack
        self.identity = mocks.identity
        self.providers = mocks.providers
        self.reads = mocks.reads
        self.records: dict[str, PlanResource] = {}
        self.stack_outputs: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._loops: set = set()

    def _ensure_loop(self) -> None:
        """Pulumi gives each worker thread its own event loop; keep them so they can be closed."""
        loop = _ensure_event_loop()
        with self._lock:
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
        return resource_pb2.ReadResourceResponse(urn=urn, properties=obj_proto)

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
        inputs = rpc.deserialize_properties(request.object)
        custom = bool(request.custom)
        is_provider = request.type.startswith(PROVIDER_PREFIX)
        provider = request.provider or (self._default_provider(request.type) if custom and not is_provider else None)
        if custom:
            inputs = self.providers.checked_inputs(request.type, provider, inputs)
        where = self.providers.where(provider, inputs)
        if custom:
            id_, extra = resource_outputs(request.type, request.name, urn, inputs, where)
            state = dict(inputs) | extra
        else:
            id_, state = "", {}
        if is_provider:
            self.providers.register_explicit(urn, inputs)

        self._record(PlanResource(
            urn=urn, type=request.type, name=request.name, parent=request.parent or None,
            dependencies=sorted(set(request.dependencies)), provider=provider, inputs=inputs, outputs=state,
            id=id_ or None, custom=custom, protect=bool(request.protect), retain_on_delete=bool(request.retainOnDelete),
        ))
        obj_proto = _sync_await(rpc.serialize_properties(state, {}))
        with self._lock:
            self.resources[urn] = MockMonitor.ResourceRegistration(urn, id_, state)
        return resource_pb2.RegisterResourceResponse(urn=urn, id=id_, object=obj_proto)

    def RegisterResourceOutputs(self, request):  # noqa: N802 - gRPC method name
        self._ensure_loop()
        outputs = rpc.deserialize_properties(request.outputs)
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
