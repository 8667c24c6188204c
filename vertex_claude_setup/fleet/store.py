"""Results kept as they land, so an interrupted fleet run continues where it stopped (``--resume``).

One JSON-lines file per (command, selection, config, options) under the state dir, created 0600 in a
0700 folder: a header line with that key, then one line per finished project, flushed at once.
A resumed run reuses the rows of projects that finished (ok or findings) and runs the rest again,
errors included: what failed may have been a blip.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Any

from vertex_claude_setup.errors import SetupError

from .report import ProjectResult


def run_key(parts: dict[str, Any]) -> str:
    """A stable digest of what makes two runs the same run."""
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()


class ResultStore:
    """The results file of one run: ``done()`` what a previous attempt finished, ``add()`` each new row."""

    def __init__(self, folder: Path, command: str, key: str, *, resume: bool) -> None:
        slug = command.replace(" ", "-")
        self.path = folder / f"{slug}-{key[:16]}.jsonl"
        self.key = key
        self._lock = threading.Lock()
        self._previous: dict[str, ProjectResult] = self._read() if resume else {}
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.chmod(folder, 0o700)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.fchmod(fd, 0o600)  # an older file keeps its mode through O_CREAT: set it
        except OSError as exc:
            raise SetupError(f"cannot write the fleet results file {self.path}: {exc.strerror}",
                             "make the state directory (.vertex-claude/ beside the config) writable") from None
        self._file = os.fdopen(fd, "w", encoding="utf-8")
        self._write({"key": key, "command": command})
        for result in self._previous.values():
            self._write(result.to_json())

    def _read(self) -> dict[str, ProjectResult]:
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except OSError:
            return {}
        out: dict[str, ProjectResult] = {}
        try:
            if not lines or json.loads(lines[0]).get("key") != self.key:
                return {}
            for line in lines[1:]:
                result = ProjectResult.from_json(json.loads(line))
                if result.status != "error":
                    out[result.project] = result
        except (ValueError, KeyError, TypeError, AttributeError):
            pass  # a line cut short by the interruption: keep what came before it
        return out

    def done(self) -> dict[str, ProjectResult]:
        return dict(self._previous)

    def _write(self, data: dict[str, Any]) -> None:
        with self._lock:
            self._file.write(json.dumps(data, separators=(",", ":")) + "\n")
            self._file.flush()

    def add(self, result: ProjectResult) -> None:
        self._write(result.to_json())

    def close(self) -> None:
        with self._lock:
            self._file.close()
