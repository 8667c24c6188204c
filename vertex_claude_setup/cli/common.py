"""What every command shares: the exit codes, the global options object and JSON output."""

from __future__ import annotations

import json
from typing import Any

import click

from .runtime import Options

EXIT_OK, EXIT_ERROR, EXIT_CHANGES, EXIT_FINDINGS = 0, 1, 2, 3
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT), as shells report it


def options(ctx: click.Context) -> Options:
    obj = ctx.find_object(Options)
    assert obj is not None
    return obj


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=False))
