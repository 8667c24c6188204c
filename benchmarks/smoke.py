"""Benchmark: ``smoke-test --all`` over 10 (model, region) pairs at 300 ms latency vs one request.

Target: the ten concurrent requests finish within 1.5x the time of a single request.
The emulator adds 300 ms to every rawPredict call (fault rule ``latency_ms``). Each side runs the
real command in-process (``cli.main``) after a warm-up, median of 3. Last line: ``ratio_to_one_request=<x>``.
"""

from __future__ import annotations

import sys

# benchmarks/logging.py (its name is fixed by the issue) would shadow the stdlib: drop this folder from the path.
if sys.path and sys.path[0].rstrip("/").endswith("benchmarks"):
    del sys.path[0]

import contextlib
import io
import os
import statistics
import tempfile
import time
from pathlib import Path

from vertex_claude_setup.cli import main as cli
from vertex_claude_setup.emulator import Emulator, State

MODELS = ["claude-opus-4-6", "claude-sonnet-4-6", "claude-opus-4-5@20251101", "claude-sonnet-4-5@20250929",
          "claude-haiku-4-5@20251001"]
REGIONS = ["us-east5", "global"]
LATENCY_MS = 300
ROUNDS = 3


def _run(config: Path, *args: str) -> float:
    out = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(out):
        try:
            cli.main(["--config", str(config), "smoke-test", *args])
        except SystemExit as exc:
            if exc.code:
                raise RuntimeError(f"smoke-test {' '.join(args)} exited {exc.code}:\n{out.getvalue()}") from None
    return time.perf_counter() - start


def main() -> None:
    scenario = {"projects": {"bench-project": {"enabled_services": ["aiplatform.googleapis.com"]}},
                "availability": {"default": "AVAILABLE"},
                "faults": [{"path": "*:rawPredict", "latency_ms": LATENCY_MS}]}
    emu = Emulator(State.from_scenario(scenario))
    url = emu.start()
    os.environ["VERTEX_CLAUDE_EMULATOR_HOST"] = url.removeprefix("http://")
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "vertex-claude.toml"
        config.write_text(f'project = "bench-project"\nregions = {REGIONS!r}\nmodels = {MODELS!r}\n'
                          .replace("'", '"'), encoding="utf-8")
        _run(config)  # warm-up: imports, connection setup
        _run(config, "--all")
        one = statistics.median(_run(config) for _ in range(ROUNDS))
        many = statistics.median(_run(config, "--all") for _ in range(ROUNDS))
    emu.stop()
    pairs = len(MODELS) * len(REGIONS)
    print(f"one request:             {one * 1000:.0f} ms (median of {ROUNDS}, {LATENCY_MS} ms emulated latency)")
    print(f"--all over {pairs} pairs:     {many * 1000:.0f} ms (median of {ROUNDS}; sequential would be "
          f"~{pairs * one * 1000:.0f} ms)")
    ratio = many / one
    print(f"target: <= 1.5 ({'met' if ratio <= 1.5 else 'NOT met'})")
    print(f"ratio_to_one_request={ratio:.2f}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
