"""What a terminal gets and a pipe does not: colour, a progress line, and a Ctrl-C that stops cleanly.

Piped output is never touched. Colour is added to finished lines only when stdout is a terminal (and
neither NO_COLOR nor --no-color says otherwise); the progress line is drawn on stderr only when stderr is
a terminal, and erased before any line is printed. So piped stdout stays byte-for-byte what it was.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO

import click


@dataclass(frozen=True)
class Style:
    """A colour for a line or a word (applied only when colour is on)."""

    fg: str | None = None
    bold: bool = False
    dim: bool = False

    def __call__(self, text: str) -> str:
        return click.style(text, fg=self.fg, bold=self.bold or None, dim=self.dim or None)


# Line starts (plan, apply, checks) and whole words (doctor, logging verify, smoke test) -> colour.
_LINE_STYLES: tuple[tuple[re.Pattern[str], Style], ...] = (
    (re.compile(r"^  \+ "), Style("green")),
    (re.compile(r"^  ~ "), Style("yellow")),
    (re.compile(r"^  - skipped "), Style("yellow")),
    (re.compile(r"^  - "), Style("red")),
    (re.compile(r"^  ✓ "), Style("green")),
    (re.compile(r"^  ✗ |^Error: "), Style("red")),
    (re.compile(r"^  ! "), Style("yellow")),
    (re.compile(r"^  · "), Style(dim=True)),
    (re.compile(r"^Plan: |^No changes\.|^Apply complete!"), Style(bold=True)),
    (re.compile(r"^Apply failed|^Interrupted: "), Style("red", bold=True)),
)
_WORDS = {"PASS": Style("green"), "FAIL": Style("red", bold=True), "WARN": Style("yellow"), "SKIP": Style(dim=True)}
_WORD_RE = re.compile(r"\b(PASS|FAIL|WARN|SKIP)\b")
_FLEET_STATUS = {"ok": Style("green"), "findings": Style("yellow"), "error": Style("red")}
_FLEET_HEADER = re.compile(r"project +(status)  ")


def color_enabled(no_color: bool, stream: IO[str] | None = None) -> bool:
    """Colour on a terminal only, unless --no-color or NO_COLOR (any non-empty value, no-color.org)."""
    if no_color or os.environ.get("NO_COLOR"):
        return False
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)())


def paint(text: str) -> str:
    """``text`` with the plan symbols, outcomes and PASS/FAIL/WARN coloured; the characters are unchanged."""
    lines = []
    for line in text.split("\n"):
        style = next((s for pattern, s in _LINE_STYLES if pattern.match(line)), None)
        lines.append(style(line) if style else _WORD_RE.sub(lambda m: _WORDS[m.group(1)](m.group(1)), line))
    return "\n".join(lines)


def paint_fleet_table(text: str) -> str:
    """A fleet report's status column coloured (ok green, findings yellow, error red); the characters unchanged.

    Only the table's rows are touched: from its header line (``project  status  …``) to the blank line after it.
    """
    lines = text.split("\n")
    column: int | None = None
    for i, line in enumerate(lines):
        if column is None:
            header = _FLEET_HEADER.match(line)
            column = header.start(1) if header else None
            continue
        if not line:
            break
        word = line[column:].split(" ", 1)[0]
        if word in _FLEET_STATUS and line[column - 1] == " ":
            lines[i] = line[:column] + _FLEET_STATUS[word](word) + line[column + len(word):]
    return "\n".join(lines)


class Output:
    """Prints result lines (coloured on a terminal) and keeps one progress line on stderr out of their way."""

    def __init__(self, no_color: bool, *, progress: bool | None = None) -> None:
        """``progress``: draw the progress line anyway (True), or only on a terminal that is not TERM=dumb (None)."""
        self.color = color_enabled(no_color)
        self.live = progress or (sys.stderr.isatty() and os.environ.get("TERM") != "dumb")
        self._status = ""
        self._lock = threading.RLock()

    def echo(self, text: str = "", *, err: bool = False) -> None:
        """One result line (or block): the progress line is erased first and drawn again after."""
        with self._lock:
            self._erase()
            click.echo(paint(text) if self.color and not err else text, err=err)
            self._draw()

    def status(self, text: str) -> None:
        """Replace the progress line (nothing when stderr is not a terminal)."""
        with self._lock:
            self._erase()
            self._status = text
            self._draw()

    def done(self) -> None:
        self.status("")

    def _erase(self) -> None:
        if self.live and self._status:
            sys.stderr.write("\r\x1b[2K")
            sys.stderr.flush()

    def _draw(self) -> None:
        if self.live and self._status:
            width = shutil.get_terminal_size((80, 24)).columns - 1
            line = self._status[:width]
            sys.stderr.write(click.style(line, dim=True) if self.color else line)
            sys.stderr.flush()


class Counter:
    """``label: N of TOTAL unit`` on the progress line, advanced from any thread."""

    def __init__(self, out: Output, label: str, total: int, unit: str) -> None:
        self.out, self.label, self.total, self.unit, self.count = out, label, total, unit, 0
        self._lock = threading.Lock()
        out.status(self._text())

    def advance(self, *_ignored: object) -> None:
        with self._lock:
            self.count += 1
            self.out.status(self._text())

    def _text(self) -> str:
        return f"{self.label}: {min(self.count, self.total)} of {self.total} {self.unit}"


@contextlib.contextmanager
def stop_on_interrupt(stop: threading.Event, say: Callable[[str], None]) -> Iterator[None]:
    """The first Ctrl-C sets ``stop`` (changes in flight finish, no new one starts); a second one quits at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(_signum: int, _frame: object) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        say("Interrupted: finishing the changes in progress; no new change starts (Ctrl-C again to quit now).")

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
