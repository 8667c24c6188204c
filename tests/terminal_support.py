"""The CLI run on a pseudo-terminal, as a user's terminal would get it (tests/cli/test_terminal.py, tests/fleet)."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

CLI = [sys.executable, "-c", "from vertex_claude_setup.cli.main import main; main()"]
SGR = re.compile(r"\x1b\[[0-9;]*m")  # colour and weight codes (the progress line also erases with \x1b[2K)


def terminal_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VERTEX_CLAUDE_", "NO_COLOR", "GOOGLE_"))}
    return {**env, "TERM": "xterm", "VERTEX_CLAUDE_RETRY_INITIAL": "0.01", **extra}


def on_a_terminal(args: list[str], cwd: Path, **env: str) -> tuple[int, str]:
    """Run the CLI with stdout and stderr on a pseudo-terminal; everything it wrote, as the terminal got it."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([*CLI, *args], stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, cwd=cwd,
                            env=terminal_env(**env))
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # the other side closed: EIO on Linux
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return proc.wait(timeout=60), b"".join(chunks).decode()
