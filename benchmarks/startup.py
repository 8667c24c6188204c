"""Start-up cost of `vertex-claude-setup --help` against `python -c pass`, measured in one run.

Lazy imports keep Google's client libraries and anthropic out of --help; the overhead must stay
under 0.15 s. The last line is machine-readable: ``help_overhead_s=<x> ratio=<y>``.
"""

from __future__ import annotations

import sys

# benchmarks/logging.py (its name is fixed by the issue) would shadow the stdlib: drop this folder from the path.
if sys.path and sys.path[0].rstrip("/").endswith("benchmarks"):
    del sys.path[0]

import os
import shutil
import statistics
import subprocess
import time

RUNS = 15
BUDGET_S = 0.15


def median_time(cmd: list[str]) -> float:
    subprocess.run(cmd, capture_output=True, check=True)  # warm-up: .pyc files, disk cache
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> int:
    script = shutil.which("vertex-claude-setup", path=os.path.dirname(sys.executable)) or shutil.which(
        "vertex-claude-setup")
    tool = [script, "--help"] if script else [sys.executable, "-m", "vertex_claude_setup", "--help"]
    baseline = median_time([sys.executable, "-c", "pass"])
    help_time = median_time(tool)
    overhead = help_time - baseline
    print(f"python -c pass:            {baseline * 1000:7.1f} ms (median of {RUNS})")
    print(f"vertex-claude-setup --help: {help_time * 1000:7.1f} ms (median of {RUNS})")
    print(f"budget: overhead < {BUDGET_S:.2f} s -> {'OK' if overhead < BUDGET_S else 'OVER BUDGET'}")
    print(f"help_overhead_s={overhead:.3f} ratio={help_time / baseline:.2f}")
    return 0 if overhead < BUDGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
