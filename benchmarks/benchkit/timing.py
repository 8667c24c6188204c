"""Timing a whole process as the user waits for it: start to exit, imports included."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path


def timed(argv: list[str], env: dict[str, str] | None = None, cwd: Path | None = None,
          ok: tuple[int, ...] = (0,)) -> float:
    """Wall seconds of one run of ``argv``; an exit code outside ``ok`` stops the benchmark with its stderr."""
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode not in ok:
        raise SystemExit(f"{argv[1:6]} exited {done.returncode}: {done.stderr[-600:]}")
    return wall
