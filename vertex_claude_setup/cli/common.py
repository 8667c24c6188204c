"""What every command shares: the exit codes, the global options object and JSON output."""

from __future__ import annotations

import json
import math
from pathlib import Path
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


def write_report(output: Path, text: str) -> None:
    """Write the report asked for with ``--output``; a path that cannot be written is a usage error naming it."""
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise click.UsageError(f"cannot write {output}: {exc.strerror}") from None


class FiniteRange(click.FloatRange):
    """A ``FloatRange`` that also refuses ``nan`` (which passes every range check: all its comparisons are false)
    and ``inf``: a timeout of ``nan`` seconds would busy-loop, or make every call fail at once."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number
