"""The architecture diagram of a plan, as Mermaid (renders on GitHub) and Graphviz DOT.

Components become (nested) clusters, custom resources become nodes, and dependencies become
edges from a resource to what it depends on. At `components` detail each component is one node
and edges are the dependencies between components.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from typing import Literal

from mladmin.engine.plan import Plan, PlanResource

Detail = Literal["resources", "components"]


@dataclass(frozen=True)
class _Graph:
    clusters: dict[str, list[str]]          # cluster urn -> child cluster urns
    members: dict[str, list[PlanResource]]  # cluster urn ("" for the stack) -> node resources
    edges: list[tuple[str, str]]            # (from urn, to urn)
    labels: dict[str, str]
    roots: list[str]


def _short_type(type_: str) -> str:
    return type_.rsplit(":", 1)[-1]


def _build(plan: Plan, detail: Detail) -> _Graph:
    by_urn = {r.urn: r for r in plan.resources}
    components = {r.urn for r in plan.components}

    def owner(resource: PlanResource) -> str:
        """The nearest component above a resource ("" when the stack owns it)."""
        parent = resource.parent
        while parent and parent in by_urn and parent not in components:
            parent = by_urn[parent].parent
        return parent if parent in components else ""

    clusters: dict[str, list[str]] = {urn: [] for urn in components}
    roots: list[str] = []
    for urn in sorted(components, key=lambda u: by_urn[u].name):
        above = owner(by_urn[urn])
        (clusters[above] if above else roots).append(urn)

    labels = {r.urn: f"{_short_type(r.type)}<br/>{r.name}" for r in plan.resources}
    counts = {urn: 0 for urn in components}
    for r in plan.custom_resources:
        above = owner(r)
        while above:
            counts[above] += 1
            above = owner(by_urn[above])
    for urn in components:
        labels[urn] = f"{by_urn[urn].name}<br/>{_short_type(by_urn[urn].type)} · {counts[urn]} resources"
    members: dict[str, list[PlanResource]] = {}
    edges: set[tuple[str, str]] = set()
    if detail == "resources":
        for r in plan.custom_resources:
            if r.type.startswith("pulumi:providers:"):
                continue
            members.setdefault(owner(r), []).append(r)
        nodes = {r.urn for rs in members.values() for r in rs}
        for r in plan.custom_resources:
            edges.update((r.urn, d) for d in r.dependencies if d in nodes and r.urn in nodes)
    else:
        def node_of(r: PlanResource) -> str:
            return owner(r) or r.urn

        members[""] = [r for r in plan.custom_resources
                       if not owner(r) and not r.type.startswith("pulumi:providers:")]
        for r in plan.custom_resources:
            for d in r.dependencies:
                if d in by_urn:
                    a, b = node_of(r), node_of(by_urn[d])
                    if a != b:
                        edges.add((a, b))
    return _Graph(clusters=clusters, members=members, edges=sorted(edges), labels=labels, roots=roots)


def _ids(plan: Plan) -> dict[str, str]:
    return {r.urn: f"n{i}" for i, r in enumerate(plan.resources)}


def _escape(text: str) -> str:
    return re.sub(r'["<>]', lambda m: {'"': "#quot;", "<": "#lt;", ">": "#gt;"}[m.group()], text)


def to_mermaid(plan: Plan, detail: Detail = "resources") -> str:
    g, ids = _build(plan, detail), _ids(plan)
    by_urn = {r.urn: r for r in plan.resources}
    lines = ["flowchart LR"]

    def emit_cluster(urn: str, depth: int) -> None:
        pad = "  " * depth
        comp = by_urn[urn]
        if detail == "components":
            if g.clusters[urn]:
                lines.append(f'{pad}subgraph {ids[urn]}_c["{comp.name} ({_short_type(comp.type)})"]')
                lines.append(f'{pad}  {ids[urn]}["{g.labels[urn]}"]')
                for child in g.clusters[urn]:
                    emit_cluster(child, depth + 1)
                lines.append(f"{pad}end")
            else:
                lines.append(f'{pad}{ids[urn]}["{g.labels[urn]}"]')
            return
        lines.append(f'{pad}subgraph {ids[urn]}["{comp.name} ({_short_type(comp.type)})"]')
        for child in g.clusters[urn]:
            emit_cluster(child, depth + 1)
        for r in g.members.get(urn, []):
            lines.append(f'{pad}  {ids[r.urn]}["{_escape(g.labels[r.urn]).replace("#lt;br/#gt;", "<br/>")}"]')
        lines.append(f"{pad}end")

    for urn in g.roots:
        emit_cluster(urn, 1)
    for r in g.members.get("", []):
        lines.append(f'  {ids[r.urn]}["{_escape(g.labels[r.urn]).replace("#lt;br/#gt;", "<br/>")}"]')
    for a, b in g.edges:
        lines.append(f"  {ids[a]} --> {ids[b]}")
    return "\n".join(lines) + "\n"


def to_dot(plan: Plan, detail: Detail = "resources") -> str:
    g, ids = _build(plan, detail), _ids(plan)
    by_urn = {r.urn: r for r in plan.resources}

    def q(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = [f"digraph {q(f'{plan.project}-{plan.stack}')} {{", "  rankdir=LR;", "  compound=true;",
             '  node [shape=box, style="rounded,filled", fillcolor="#eef4fb", fontname="Helvetica", fontsize=10];',
             '  graph [fontname="Helvetica", fontsize=11, style="rounded", color="#7a8ca3"];']

    def label(r: PlanResource) -> str:
        lines_ = g.labels[r.urn].split("<br/>") if r.is_component else [_short_type(r.type), r.name]
        return "\\n".join(q(part)[1:-1] for part in lines_).join('""')

    def emit_cluster(urn: str, depth: int) -> None:
        pad = "  " * depth
        comp = by_urn[urn]
        if detail == "components" and not g.clusters[urn]:
            lines.append(f"{pad}{ids[urn]} [label={label(comp)}];")
            return
        lines.append(f"{pad}subgraph cluster_{ids[urn]} {{")
        lines.append(f"{pad}  label={q(f'{comp.name} ({_short_type(comp.type)})')};")
        if detail == "components":
            lines.append(f"{pad}  {ids[urn]} [label={label(comp)}];")
        for child in g.clusters[urn]:
            emit_cluster(child, depth + 1)
        for r in g.members.get(urn, []):
            lines.append(f"{pad}  {ids[r.urn]} [label={label(r)}];")
        lines.append(f"{pad}}}")

    for urn in g.roots:
        emit_cluster(urn, 1)
    for r in g.members.get("", []):
        lines.append(f"  {ids[r.urn]} [label={label(r)}];")
    for a, b in g.edges:
        lines.append(f"  {ids[a]} -> {ids[b]};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def dot_available() -> bool:
    return shutil.which("dot") is not None


def to_svg(dot_source: str) -> bytes:
    """Render DOT to SVG with Graphviz's `dot` (raises FileNotFoundError when it isn't installed)."""
    exe = shutil.which("dot")
    if exe is None:
        raise FileNotFoundError("Graphviz's 'dot' is not installed (apt-get install graphviz)")
    return subprocess.run([exe, "-Tsvg"], input=dot_source.encode(), capture_output=True, check=True).stdout
