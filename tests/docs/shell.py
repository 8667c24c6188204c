"""A small, strict shell for the docs examples: runs the real CLI in-process against the emulator.

It understands what the pages use and refuses anything else by name, so no example can run differently
from how it reads: `vertex-claude-setup ...` (with `NAME=value` before it and `> FILE` after it),
`echo` (with `$?` and `$NAME`), `cat FILE`, `cat > FILE <<'EOF'`, `export NAME=value`, `unset NAME`,
`rm FILE` and `eval "$(vertex-claude-setup env ...)"`. Standard output and standard error are shown
interleaved, as a terminal shows them (neither is a terminal here: no colour, no progress line).

Normalisation, applied to the shown and the actual output alike, for what differs on every run:
latencies (`12 ms` -> `N ms`, with the spaces around them), waits (`0.3s` -> `Ns`), request and message ids
(`req_vrtx_…`), emulator ports (`127.0.0.1:PORT`), timestamps (`TIME`) and the session's temporary folder
(`.`). The outcome lines of `apply` (`  ✓ ...`), which arrive in the order independent changes finish, are
compared sorted. Trailing spaces are ignored, and a line `...` in the shown output stands for any number of
lines.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest

from vertex_claude_setup.cli.main import main

from .markdown import Command

PROGRAM = "vertex-claude-setup"
_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r" *\b\d+(\.\d+)? ms\b( +)?"), r" N ms\2"),  # the column padding around it varies too
    (re.compile(r"\b(req|msg)_vrtx_[0-9a-f]{6,}"), r"\1_vrtx_…"),
    (re.compile(r"\b\d+\.\d+s\b"), "Ns"),  # waits: "found after 0.3s"
    (re.compile(r"\b\d+(\.\d+)? s\b"), "N s"),  # durations: "(0.8 s)", "waited 0.0 s"
    (re.compile(r"\b\d+(\.\d+)?/s\b"), "N/s"),  # rates: "12 requests at 12.0/s"
    (re.compile(r"127\.0\.0\.1:\d+"), "127.0.0.1:PORT"),
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?"), "TIME"),
)
_EVAL = re.compile(r'^eval "\$\((.+)\)"$')
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


class Unsupported(Exception):
    """A command the docs shell does not run (the page must use a supported form, or mark the block)."""


class _Tee(io.StringIO):
    """One stream of a command: kept on its own and copied into the interleaved output."""

    def __init__(self, merged: io.StringIO) -> None:
        super().__init__()
        self.merged = merged

    def write(self, text: str) -> int:
        self.merged.write(text)
        return super().write(text)


class Session:
    """One page's shell: a folder of its own, an environment, and the last exit code."""

    def __init__(self, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.folder = folder
        self.env = monkeypatch
        self.last = 0

    def tidy(self, lines: list[str]) -> list[str]:
        """What a page shows of actual output: the session's folder as `.`, no trailing spaces."""
        return [line.replace(str(self.folder.resolve()), ".").replace(str(self.folder), ".").rstrip()
                for line in lines]

    def normalize(self, lines: list[str]) -> list[str]:
        """What is compared: tidied, and what differs on every run replaced by a placeholder."""
        out = []
        for line in self.tidy(lines):
            for pattern, repl in _RULES:
                line = pattern.sub(repl, line)
            out.append(re.sub(r" N ms +", " N ms ", line))
        return _outcomes_sorted(out)

    def run(self, command: Command, *, rehearse: bool = False) -> tuple[int, list[str]]:
        """Run one example command; its exit code and the lines it printed."""
        code, text = self._dispatch(command, rehearse)
        self.last = code
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        return code, lines

    def _dispatch(self, command: Command, rehearse: bool) -> tuple[int, str]:
        line = command.text
        evaluated = _EVAL.match(line)
        if evaluated:
            inner = shlex.split(evaluated.group(1))
            if inner[:1] != [PROGRAM]:
                raise Unsupported(f"eval runs only {PROGRAM}: {line!r}")
            code, out, err = self._program(inner[1:], {}, rehearse)
            for statement in out.splitlines():
                words = shlex.split(statement, comments=True)
                if words[:1] == ["export"] and len(words) == 2:
                    name, _, value = words[1].partition("=")
                    self.env.setenv(name, value)
            return code, err
        words = shlex.split(re.sub(r"<<\s*'?\w+'?", "", line), comments=True)
        if not words:
            raise Unsupported(f"empty command: {line!r}")
        name, args = words[0], words[1:]
        if name == "echo":
            return 0, " ".join(self._expand(a) for a in args) + "\n"
        if name == "export" and len(args) == 1 and _ASSIGNMENT.match(args[0]):
            key, _, value = args[0].partition("=")
            self.env.setenv(key, value)
            return 0, ""
        if name == "unset" and len(args) == 1:
            self.env.delenv(args[0], raising=False)
            return 0, ""
        if name == "rm" and len(args) == 1:
            (self.folder / args[0]).unlink()
            return 0, ""
        if name == "cat" and len(args) == 2 and args[0] == ">" and command.stdin is not None:
            (self.folder / args[1]).write_text(command.stdin, encoding="utf-8")
            return 0, ""
        if name == "cat" and len(args) == 1:
            return 0, (self.folder / args[0]).read_text(encoding="utf-8")
        env: dict[str, str] = {}
        while words and _ASSIGNMENT.match(words[0]):
            key, _, value = words.pop(0).partition("=")
            env[key] = value
        target = None
        if len(words) > 2 and words[-2] == ">":
            target = words[-1]
            words = words[:-2]
        if not words or words[0] != PROGRAM:
            raise Unsupported(f"the docs shell runs only {PROGRAM}, echo, cat, export, unset, rm and eval: {line!r}")
        code, out, err = self._program(words[1:], env, rehearse)
        if target is None:
            return code, self._merged
        (self.folder / target).write_text(out, encoding="utf-8")
        return code, err

    def _expand(self, word: str) -> str:
        word = word.replace("$?", str(self.last))
        return re.sub(r"\$\{?(\w+)\}?", lambda m: os.environ.get(m.group(1), ""), word)

    def _program(self, args: list[str], env: dict[str, str], rehearse: bool) -> tuple[int, str, str]:
        if rehearse and "--emulator" not in args:
            args = ["--emulator", *args]
        merged = io.StringIO()
        out, err = _Tee(merged), _Tee(merged)
        with self._environment(env), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
                _stdin():
            try:
                main(args)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            else:  # pragma: no cover - main always exits
                code = 0
        self._merged = merged.getvalue()
        return code, out.getvalue(), err.getvalue()

    @contextlib.contextmanager
    def _environment(self, env: dict[str, str]) -> Iterator[None]:
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            yield
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


@contextlib.contextmanager
def _stdin() -> Iterator[None]:
    import sys

    saved = sys.stdin
    sys.stdin = io.StringIO("")  # not a terminal: nothing is asked
    try:
        yield
    finally:
        sys.stdin = saved


_OUTCOME = re.compile(r"^  (✓|✗|- skipped|· not started:) ")


def _outcomes_sorted(lines: list[str]) -> list[str]:
    """apply reports each change as it finishes, and independent changes finish in any order: each run of
    outcome lines (with their indented `fix:` lines) is compared sorted."""
    out: list[str] = []
    run: list[list[str]] = []
    for line in [*lines, ""]:
        if _OUTCOME.match(line):
            run.append([line])
        elif run and line.startswith("      "):
            run[-1].append(line)
        else:
            out += [item for group in sorted(run) for item in group]
            run = []
            out.append(line)
    return out[:-1]


def matches(expected: list[str], actual: list[str]) -> bool:
    """Line-by-line equality, where an expected line `...` stands for any number of lines."""
    parts: list[list[str]] = [[]]
    for line in expected:
        if line.strip() == "...":
            parts.append([])
        else:
            parts[-1].append(line)
    if len(parts) == 1:
        return expected == actual
    head, *middle, tail = parts
    if actual[:len(head)] != head or (tail and actual[len(actual) - len(tail):] != tail):
        return False
    if len(head) + len(tail) > len(actual):
        return False
    rest = actual[len(head):len(actual) - len(tail)]
    for part in middle:
        found = next((i for i in range(len(rest) - len(part) + 1) if rest[i:i + len(part)] == part), None)
        if found is None:
            return False
        rest = rest[found + len(part):]
    return True


def shown_again(expected: list[str], actual: list[str]) -> list[str]:
    """The output to write back into a page: the actual lines, keeping an elision's head and tail sizes."""
    marks = [i for i, line in enumerate(expected) if line.strip() == "..."]
    if not marks:
        return actual
    head, tail = marks[0], len(expected) - marks[-1] - 1
    if head + tail >= len(actual):
        return actual
    return [*actual[:head], "...", *actual[len(actual) - tail:]] if tail else [*actual[:head], "..."]
