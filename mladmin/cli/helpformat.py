"""Help and usage text as users read it: `STACK` in usage lines, no `<bool>` after a flag, and plain
click help (wrapped between words, nothing cut with `…`) whenever the output is not a terminal at
least RICH_HELP_MIN_WIDTH columns wide.

Every command is declared with `cls=Command` and every group with `cls=Group`.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperArgument, TyperCommand, TyperGroup

from mladmin.cli.common import console
from mladmin.cli.output import interactive

# Below this width typer's rich panels squeeze the help column until long words (env var names)
# are cut with `…`; click's plain help wraps between words instead.
RICH_HELP_MIN_WIDTH = 100


def rich_help() -> bool:
    return interactive() and console.width >= RICH_HELP_MIN_WIDTH


def _tidy_params(params: list[Any]) -> None:
    for param in params:
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""  # a flag takes no value: no `<bool>` placeholder in rich help


def _usage_pieces(command: Any, ctx: Any) -> list[str]:
    """[OPTIONS] then each argument as NAME (required) or [NAME] (optional), not `{name}`."""
    pieces = [command.options_metavar] if command.options_metavar else []
    for param in command.get_params(ctx):
        if isinstance(param, TyperArgument):
            name = (param.metavar or param.name or "").upper()
            if param.nargs != 1:
                name += "..."
            pieces.append(name if param.required else f"[{name}]")
    return pieces


class _PlainWhenPiped:
    """Rich help panels at a wide enough terminal; click's plain help in a pipe, a log, CI or a
    narrow terminal."""

    rich_markup_mode: Any

    def get_help_option(self, ctx):
        option = super().get_help_option(ctx)  # type: ignore[misc]
        _tidy_params([option] if option is not None else [])
        return option

    def format_help(self, ctx, formatter) -> None:
        if rich_help():
            return super().format_help(ctx, formatter)  # type: ignore[misc]
        saved, self.rich_markup_mode = self.rich_markup_mode, None
        try:
            return super().format_help(ctx, formatter)  # type: ignore[misc]
        finally:
            self.rich_markup_mode = saved


class Command(_PlainWhenPiped, TyperCommand):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _tidy_params(self.params)

    def collect_usage_pieces(self, ctx) -> list[str]:
        return _usage_pieces(self, ctx)


class Group(_PlainWhenPiped, TyperGroup):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _tidy_params(self.params)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        if not interactive():  # usage errors as plain lines too, not a fixed-width rich panel
            self.rich_markup_mode = None
        return super().main(*args, **kwargs)
