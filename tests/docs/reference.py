"""The command reference (docs/commands.md) from the Click commands themselves: every command's `--help`.

docs/commands.md calls this through cog (`cog -r docs/commands.md`, or `python -m pytest tests/docs
--update-examples`); tests/docs/test_reference.py fails when the page and `--help` differ.
"""

from __future__ import annotations

import contextlib
import io
import os

import click

from vertex_claude_setup.cli.main import cli, main

PROGRAM = "vertex-claude-setup"
COLUMNS = "100"  # the width the page is rendered at (Click wraps help to the terminal)


def command_paths() -> list[tuple[str, ...]]:
    """Every command and group, depth first, as the words that name it (the root is ``()``)."""
    out: list[tuple[str, ...]] = [()]
    ctx = click.Context(cli)

    def walk(prefix: tuple[str, ...], group: click.Group) -> None:
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            if command is None or command.hidden:
                continue
            out.append((*prefix, name))
            if isinstance(command, click.Group):
                walk((*prefix, name), command)

    walk((), cli)
    return out


def help_text(path: tuple[str, ...]) -> str:
    """What `vertex-claude-setup PATH --help` prints on a terminal COLUMNS wide."""
    buffer = io.StringIO()
    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = COLUMNS
    try:
        with contextlib.redirect_stdout(buffer), contextlib.suppress(SystemExit):
            main([*path, "--help"])
    finally:
        if saved is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = saved
    return buffer.getvalue()


def title(path: tuple[str, ...]) -> str:
    return f"`{' '.join((PROGRAM, *path))}`"


def markdown() -> str:
    """The generated part of docs/commands.md: an index, then each command's help."""
    paths = command_paths()
    lines = ["Commands: " + ", ".join(f"[{' '.join(p) or PROGRAM}](#{_anchor(p)})" for p in paths) + ".", ""]
    for path in paths:
        lines += [f"## {title(path)}", "", "```text", help_text(path).rstrip("\n"), "```", ""]
    return "\n".join(lines)


def _anchor(path: tuple[str, ...]) -> str:
    return "-".join((PROGRAM, *path)).replace(" ", "-")
