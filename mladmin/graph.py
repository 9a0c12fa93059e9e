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
from typing import Callable, Literal

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


@dataclass(frozen=True)
class _Syntax:
    """How one diagram language writes the parts every diagram has."""

    header: Callable[[Plan], list[str]]
    open_cluster: Callable[[str, str], list[str]]  # (cluster id, title) -> lines
    close_cluster: str
    node: Callable[[str, list[str]], str]          # (node id, label lines) -> line
    edge: Callable[[str, str], str]
    footer: list[str]


def _mermaid_text(text: str) -> str:
    return re.sub(r'["<>]', lambda m: {'"': "#quot;", "<": "#lt;", ">": "#gt;"}[m.group()], text)


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


_DOT_NEWLINE = "\\n"  # DOT's line break inside a label

MERMAID = _Syntax(
    header=lambda plan: ["flowchart LR"],
    open_cluster=lambda cid, title: [f'subgraph {cid}_c["{_mermaid_text(title)}"]'],
    close_cluster="end",
    node=lambda nid, label: f'{nid}["{"<br/>".join(_mermaid_text(part) for part in label)}"]',
    edge=lambda a, b: f"{a} --> {b}",
    footer=[],
)

DOT = _Syntax(
    header=lambda plan: [f'digraph "{_dot_text(f"{plan.project}-{plan.stack}")}" {{', "  rankdir=LR;", "  compound=true;",
                         '  node [shape=box, style="rounded,filled", fillcolor="#eef4fb", fontname="Helvetica", '
                         'fontsize=10];',
                         '  graph [fontname="Helvetica", fontsize=11, style="rounded", color="#7a8ca3"];'],
    open_cluster=lambda cid, title: [f"subgraph cluster_{cid} {{", f'  label="{_dot_text(title)}";'],
    close_cluster="}",
    node=lambda nid, label: f'{nid} [label="{_DOT_NEWLINE.join(_dot_text(part) for part in label)}"];',
    edge=lambda a, b: f"{a} -> {b};",
    footer=["}"],
)


def _render(plan: Plan, detail: Detail, syntax: _Syntax) -> str:
    g, ids = _build(plan, detail), _ids(plan)
    by_urn = {r.urn: r for r in plan.resources}
    lines = syntax.header(plan)

    def node(urn: str) -> str:
        return syntax.node(ids[urn], g.labels[urn].split("<br/>"))

    def emit_cluster(urn: str, depth: int) -> None:
        pad = "  " * depth
        if detail == "components" and not g.clusters[urn]:
            lines.append(pad + node(urn))
            return
        comp = by_urn[urn]
        lines.extend(pad + line for line in syntax.open_cluster(ids[urn], f"{comp.name} ({_short_type(comp.type)})"))
        if detail == "components":
            lines.append(f"{pad}  {node(urn)}")
        for child in g.clusters[urn]:
            emit_cluster(child, depth + 1)
        lines.extend(f"{pad}  {node(r.urn)}" for r in g.members.get(urn, []))
        lines.append(pad + syntax.close_cluster)

    for urn in g.roots:
        emit_cluster(urn, 1)
    lines.extend(f"  {node(r.urn)}" for r in g.members.get("", []))
    lines.extend(f"  {syntax.edge(ids[a], ids[b])}" for a, b in g.edges)
    lines.extend(syntax.footer)
    return "\n".join(lines) + "\n"


def to_mermaid(plan: Plan, detail: Detail = "resources") -> str:
    return _render(plan, detail, MERMAID)


def to_dot(plan: Plan, detail: Detail = "resources") -> str:
    return _render(plan, detail, DOT)


def dot_available() -> bool:
    return shutil.which("dot") is not None


def to_svg(dot_source: str) -> bytes:
    """Render DOT to SVG with Graphviz's `dot` (raises FileNotFoundError when it isn't installed)."""
    exe = shutil.which("dot")
    if exe is None:
        raise FileNotFoundError("Graphviz's 'dot' is not installed (apt-get install graphviz)")
    return subprocess.run([exe, "-Tsvg"], input=dot_source.encode(), capture_output=True, check=True).stdout
