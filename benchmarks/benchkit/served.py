"""The emulator as a benchmark needs it: ``emulator serve`` on free ports, in its own process.

Every benchmark measures the tool as a separate process against an emulator in yet another one, so that
neither the tool's CPU nor its memory includes the fake Google's.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

TOOL = [sys.executable, "-m", "vertex_claude_setup"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Served:
    """A running emulator: its process and where it listens (``127.0.0.1:port``)."""

    proc: subprocess.Popen[bytes]
    http: str
    grpc: str

    @property
    def url(self) -> str:
        return f"http://{self.http}"

    def env(self, base: dict[str, str]) -> dict[str, str]:
        """``base`` plus the variables that point a command at this emulator."""
        return {**base, "VERTEX_CLAUDE_EMULATOR_HOST": self.http, "VERTEX_CLAUDE_EMULATOR_GRPC_HOST": self.grpc}


@contextmanager
def served(workdir: Path, scenario: dict[str, Any] | None = None, *, tool: list[str] | None = None,
           log: IO[bytes] | None = None, start_s: float = 60.0) -> Iterator[Served]:
    """Serve ``scenario`` (or the default state, kept in ``workdir``) until the block ends."""
    port, grpc_port = free_port(), free_port()
    argv = [*(tool or TOOL), "emulator", "serve", "--port", str(port), "--grpc-port", str(grpc_port)]
    if scenario is not None:
        path = workdir / "scenario.json"
        path.write_text(json.dumps(scenario, indent=1), encoding="utf-8")
        argv += ["--scenario", str(path)]
    else:
        argv += ["--state", str(workdir / "served-state.json")]
    out = log if log is not None else subprocess.DEVNULL
    proc = subprocess.Popen(argv, stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + start_s
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the emulator did not start") from None
                time.sleep(0.05)
        yield Served(proc, f"127.0.0.1:{port}", f"127.0.0.1:{grpc_port}")
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
