"""A diff as plain lines (terminal, logs) and as one GitHub pull-request comment (markdown).

GitHub refuses a comment over 65,536 characters: the markdown keeps each stack's headline, replacements and
cost whole and cuts the longest lists first, saying how many lines were left out.
"""

from __future__ import annotations

from .compare import StackDiff

GITHUB_COMMENT_LIMIT = 65_536
MAX_CALLOUTS = 20  # replacement warnings shown in full per stack; the rest are marked in the list
RISK = "data-loss/downtime risk: the old resource is deleted and a new one created"


def _money(value: float | None) -> str:
    return "n/a" if value is None else f"${value:,.2f}"


def cost_line(diff: StackDiff) -> str:
    if diff.cost_before is None or diff.cost_after is None:
        return f"cost: {_money(diff.cost_before)} -> {_money(diff.cost_after)} /month"
    delta = diff.cost_after - diff.cost_before
    return f"cost: {_money(diff.cost_before)} -> {_money(diff.cost_after)} /month ({'+' if delta >= 0 else '-'}${abs(delta):,.2f})"


def text_lines(diff: StackDiff, base_ref: str) -> list[str]:
    lines = [f"{diff.stack}: {diff.summary()} (against {base_ref}"
             + ("" if diff.base_existed else "; the stack did not exist there") + ")"]
    for change in diff.replaced:
        forcing = ", ".join(c.path for c in change.changes if c.forces_replacement)
        lines.append(f"!! REPLACE {change.type} {change.name} ({forcing}): {RISK}")
    for resource in diff.added:
        lines.append(f"+ {resource.type} {resource.name}")
    for resource in diff.removed:
        lines.append(f"- {resource.type} {resource.name}")
    for change in diff.changed:
        lines.append(f"{'!!' if change.replaced else '~'} {change.type} {change.name}")
        for key in change.changes:
            flag = "  (forces replacement)" if key.forces_replacement else ""
            lines.append(f"    {key.path}: {key.old} -> {key.new}{flag}")
    for finding in diff.findings_new:
        lines.append(f"policy new: {finding}")
    for finding in diff.findings_fixed:
        lines.append(f"policy fixed: {finding}")
    lines.append(f"policy: {len(diff.findings_new)} new, {len(diff.findings_fixed)} fixed findings")
    lines.append(cost_line(diff))
    lines.extend(f"note: {note}" for note in diff.notes)
    return lines


def markdown(diffs: list[StackDiff], base_ref: str, limit: int = GITHUB_COMMENT_LIMIT) -> str:
    """One comment for every stack: a collapsible section each, under ``limit`` characters."""
    header = [f"## mladmin diff against `{_code(base_ref)}`", ""]
    header += ["| stack | add | change | **replace** | remove | policy new / fixed | monthly cost |",
               "| --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    for diff in diffs:
        header.append(f"| {diff.stack} | {len(diff.added)} | {len(diff.updated)} | "
                      f"{'**' + str(len(diff.replaced)) + '** :warning:' if diff.replaced else 0} | {len(diff.removed)} | "
                      f"{len(diff.findings_new)} / {len(diff.findings_fixed)} | "
                      f"{_money(diff.cost_before)} → {_money(diff.cost_after)} |")
    header.append("")
    sections = [_section(diff, base_ref) for diff in diffs]
    footer = ["", "<sub>Planned offline by `mladmin diff` (preview mode; prices: policies/facts/prices.py).</sub>"]

    def assemble() -> str:
        return "\n".join(header + [line for head, body, tail in sections for line in head + body + tail] + footer)

    text = assemble()
    while len(text) > limit:
        largest = max(sections, key=lambda s: sum(len(line) + 1 for line in s[1] if not _is_note(line)))
        body = largest[1]
        if not [line for line in body if not _is_note(line)]:
            return text[: limit - 200] + "\n\n_(truncated to stay under GitHub's comment limit)_\n"
        dropped = max(1, len(body) // 4)
        noted = _is_note(body[-1])
        cut = body[:-dropped - 1] if noted else body[:-dropped]
        left = len(body) - len(cut) + (_left_out(body[-1]) if noted else 0)
        largest[1][:] = cut + [f"_… {left} more lines left out to stay under GitHub's 65,536-character comment "
                                "limit; run `mladmin diff` locally for all of them._"]
        text = assemble()
    return text


def _is_note(line: str) -> bool:
    return line.startswith("_… ")


def _left_out(line: str) -> int:
    return int(line.split()[1]) - 1


def _section(diff: StackDiff, base_ref: str) -> tuple[list[str], list[str], list[str]]:
    """(head kept whole, body that may be cut, tail kept whole)."""
    opened = " open" if diff.replaced else ""
    head = [f"<details{opened}><summary><b>{diff.stack}</b>: {diff.summary()}"
            + ("" if diff.base_existed else " (new stack)") + "</summary>", ""]
    for change in diff.replaced[:MAX_CALLOUTS]:
        forcing = ", ".join(f"`{_code(c.path)}`: {_code(c.old)} → {_code(c.new)}" for c in change.changes
                            if c.forces_replacement)
        head.append(f"> [!CAUTION]\n> **REPLACE** `{change.type}` **{_code(change.name)}** ({forcing}): {RISK}.")
        head.append("")
    if len(diff.replaced) > MAX_CALLOUTS:
        head += [f"> [!CAUTION]\n> **{len(diff.replaced) - MAX_CALLOUTS} more replacements**, marked (REPLACE) below.", ""]
    body: list[str] = [f"- `+` {r.type} **{_code(r.name)}**" for r in diff.added]
    body += [f"- `-` {r.type} **{_code(r.name)}**" for r in diff.removed]
    for change in diff.changed:
        body.append(f"- `{'!' if change.replaced else '~'}` {change.type} **{_code(change.name)}**"
                    + (" (REPLACE)" if change.replaced else ""))
        body += [f"  - `{_code(k.path)}`: {_code(k.old)} → {_code(k.new)}"
                 + (" **(forces replacement)**" if k.forces_replacement else "") for k in change.changes]
    body += [f"- :x: new finding: {_code(f)}" for f in diff.findings_new]
    body += [f"- :white_check_mark: fixed: {_code(f)}" for f in diff.findings_fixed]
    tail = ["", cost_line(diff).replace("->", "→")] + [f"_note: {_code(note)}_" for note in diff.notes] + ["", "</details>", ""]
    return head, body, tail


def _code(text: str) -> str:
    return str(text).replace("`", "'").replace("<", "&lt;").replace(">", "&gt;")
