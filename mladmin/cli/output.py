"""How every command prints: rich for a person at a terminal, plain lines for logs and pipes.

In a terminal (stdout is a TTY and `CI` is not set) tables and trees are rich renderables sized to
the terminal; a cell too long for its column folds onto the next line instead of being cut with `…`.
Anywhere else (CI, `| tee`, a file) every table row and tree node is one plain line that is never
wrapped or cut, so an id, a type or a message can be grepped and copied whole from a log.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from mladmin.cli.common import console, fail


def interactive() -> bool:
    """A person at a terminal: stdout is a TTY and no CI system says otherwise."""
    if os.environ.get("CI", "").lower() not in ("", "0", "false"):
        return False
    return sys.stdout.isatty()


def line(markup: str = "") -> None:
    """One line of rich markup; in a log it is printed whole, however long."""
    console.print(markup, highlight=False, soft_wrap=not interactive())


def plain(text: str) -> None:
    """Text printed as given (no markup), never wrapped."""
    console.print(Text(text), highlight=False, soft_wrap=True)


@dataclass(frozen=True)
class Column:
    name: str
    justify: str = "left"   # left | right


def table(title: str | None, columns: Sequence[Column], rows: Sequence[Sequence[str]]) -> None:
    """Cells are rich markup (escape user text). A cell's line breaks become spaces in a log."""
    if interactive():
        rich_table = Table(title=title)
        for column in columns:
            rich_table.add_column(column.name, justify=column.justify, overflow="fold")  # type: ignore[arg-type]
        for row in rows:
            rich_table.add_row(*row)
        console.print(rich_table)
        return
    if title:
        plain(Text.from_markup(title).plain)
    texts = [[" ".join(Text.from_markup(cell).plain.split("\n")) for cell in row] for row in rows]
    header = [column.name for column in columns]
    widths = [max(len(r[i]) for r in [header, *texts]) for i in range(len(columns))]
    for cells in [header, *texts]:
        padded = [cell.rjust(w) if column.justify == "right" else cell.ljust(w)
                  for cell, w, column in zip(cells, widths, columns)]
        plain("  ".join(padded).rstrip())


def tree(root: Tree) -> None:
    """A rich Tree whose labels are markup strings; in a log, one indented line per node."""
    if interactive():
        console.print(root)
        return

    def walk(node: Tree, depth: int) -> None:
        label = node.label if isinstance(node.label, str) else str(node.label)
        plain("  " * depth + Text.from_markup(label).plain)
        for child in node.children:
            walk(child, depth + 1)

    walk(root, 0)


def write_file(path: Path, data: str | bytes, *, flag: str = "--output") -> None:
    """The rule for every -o/--output: missing parent folders are created; a path that cannot be
    written is one error line (exit 2), never a traceback."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
    except OSError as exc:
        fail(f"{flag} {path}: cannot write ({exc.strerror or exc})")


def count_phrase(summary: dict) -> str:
    """The one wording of a plan's size everywhere: custom resources (what the cloud creates),
    components counted apart."""
    resources, components = summary["custom"], summary["components"]
    return (f"{resources} custom resource{'s' if resources != 1 else ''}, "
            f"{components} component{'s' if components != 1 else ''}")

