"""Benchmark: the region audit (10 models × 14 locations) against a sequential loop and one round trip.

The emulator runs in its own process (``vertex-claude-setup emulator serve``) with 200 ms injected
latency on every Claude call, so this process's peak RSS is the tool's alone. Three timings, same
anthropic SDK, same emulator:

* audit: ``audit.run_audit`` — concurrent count-tokens probes plus the Cloud Quotas read, cold
  (new clients and connections, no cache);
* one round trip: a single count-tokens call through a warm ``AnthropicVertex`` client;
* sequential: a plain loop of count-tokens calls with the sync ``AnthropicVertex``. 140 calls at
  200 ms take ~28 s, so the loop is measured on a subset and extrapolated per call (printed).

A second emulator then gives the locations unequal round trips (``SPREAD_MS``: US 40 ms, Europe
110 ms, Asia 220 ms) to measure what the latency hints of the audit cache buy: an audit with an
empty cache (model-major order) against the next one, which sends the slowest locations first.
Both are compared to the slowest location's single round trip.

Run: ``python benchmarks/audit.py``. The last line is machine-readable.
"""

from __future__ import annotations

import sys

# benchmarks/logging.py (its name is fixed by the issue) would shadow the stdlib: drop this folder from the path.
if sys.path and sys.path[0].rstrip("/").endswith("benchmarks"):
    del sys.path[0]

import contextlib
import json
import os
import resource
import socket
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

LATENCY_MS = int(os.environ.get("BENCH_LATENCY_MS", "200"))
MODELS = [
    "claude-opus-5-5", "claude-sonnet-5-5", "claude-haiku-5-5", "claude-opus-4-6", "claude-sonnet-4-6",
    "claude-opus-4-5@20251101", "claude-sonnet-4-5@20250929", "claude-haiku-4-5@20251001",
    "claude-sonnet-4@20250514", "claude-opus-4-1@20250805",
]
LOCATIONS = [
    "global", "us", "eu", "us-east5", "europe-west1", "asia-east1", "asia-southeast1", "us-central1",
    "us-east1", "us-east4", "europe-west4", "asia-northeast1", "us-west1", "europe-west2",
]
PROJECT = "bench-project"
SPREAD_MS = {"us-*": 40, "us": 45, "global": 50, "eu": 110, "europe-*": 110, "asia-*": 220}
SEQUENTIAL_SAMPLE = 12  # calls actually made by the sequential loop (extrapolated to all pairs)
RUNS = 7  # audit and one-round-trip timings: median of RUNS (this box is noisy: ±10% run to run)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_emulator(tmp: Path, latency_ms: dict[str, int]) -> tuple[subprocess.Popen[bytes], str]:
    scenario = tmp / "scenario.json"
    scenario.write_text(json.dumps({
        "region_latency_ms": latency_ms,
        "projects": {PROJECT: {"enabled_services": ["aiplatform.googleapis.com", "cloudquotas.googleapis.com"]}},
    }), encoding="utf-8")
    port = _free_port()
    grpc_port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "vertex_claude_setup", "emulator", "serve", "--port", str(port),
         "--grpc-port", str(grpc_port), "--scenario", str(scenario)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("emulator did not start")


def main() -> None:
    from vertex_claude_setup import config
    from vertex_claude_setup.availability import audit
    from vertex_claude_setup.gcp.session import EmulatorTarget, GoogleApis

    pairs = [(m, r) for m in MODELS for r in LOCATIONS]
    with tempfile.TemporaryDirectory() as tmp_dir:
        proc, url = _start_emulator(Path(tmp_dir), {"*": LATENCY_MS})
        try:
            cfg = config.load(None, {"project": PROJECT}, environ={})
            google = GoogleApis(cfg, EmulatorTarget(http=url, grpc="127.0.0.1:1"))

            # Warm-up: imports (anthropic, google-cloud-quotas) are paid once per process, not per audit.
            audit.run_audit(google, PROJECT, MODELS[:1], LOCATIONS[:1])

            audit_times = []
            for _ in range(RUNS):
                report = audit.run_audit(google, PROJECT, MODELS, LOCATIONS)
                audit_times.append(report.elapsed_s)
            t_audit = statistics.median(audit_times)
            assert len(report.results) == len(pairs)
            assert report.quotas.readable, report.quotas.reason

            t_one = _one_round_trip(google, "us-east5")
            messages = [{"role": "user", "content": "ping"}]

            # Sequential baseline: same SDK, one client per location, one call after the other.
            import anthropic

            clients = {r: google.anthropic_client(r, max_retries=0) for r in LOCATIONS}
            sample = pairs[:: max(1, len(pairs) // SEQUENTIAL_SAMPLE)][:SEQUENTIAL_SAMPLE]
            began = time.monotonic()
            for model, region in sample:
                # An unavailable pair answers as fast as an available one.
                with contextlib.suppress(anthropic.APIStatusError):
                    clients[region].messages.count_tokens(model=model, messages=messages)
            per_call = (time.monotonic() - began) / len(sample)
            t_sequential = per_call * len(pairs)
        finally:
            proc.terminate()
            proc.wait(timeout=10)

    with tempfile.TemporaryDirectory() as tmp_dir:
        t_unordered, t_ordered, t_slowest = _latency_hints(Path(tmp_dir))

    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    speedup = t_sequential / t_audit
    ratio = t_audit / t_one
    print(f"pairs: {len(MODELS)} models x {len(LOCATIONS)} locations = {len(pairs)}; latency {LATENCY_MS} ms per call")
    print(f"audit (concurrent probes + quotas, cold clients): median {t_audit * 1000:.0f} ms of "
          f"{', '.join(f'{t * 1000:.0f}' for t in audit_times)}")
    print(f"one round trip (one count-tokens call, warm client): median {t_one * 1000:.0f} ms")
    print(f"sequential loop: measured {len(sample)} calls at {per_call * 1000:.0f} ms each, "
          f"extrapolated to {len(pairs)} calls = {t_sequential:.1f} s")
    print(f"unequal round trips {SPREAD_MS} ms: audit with an empty cache median {t_unordered * 1000:.0f} ms, "
          f"next audit (slowest locations first) {t_ordered * 1000:.0f} ms, slowest single round trip "
          f"{t_slowest * 1000:.0f} ms: ratio {t_unordered / t_slowest:.2f} -> {t_ordered / t_slowest:.2f}")
    targets = [("speedup vs sequential", speedup, ">=", 50.0), ("ratio to one round trip", ratio, "<=", 1.5),
               ("peak RSS MB", peak_rss_mb, "<", 150.0)]
    for name, value, op, bound in targets:
        ok = value >= bound if op == ">=" else value <= bound if op == "<=" else value < bound
        print(f"{'PASS' if ok else 'FAIL'}: {name} = {value:.2f} (target {op} {bound:g})")
    print(f"speedup_vs_sequential={speedup:.1f} ratio_to_one_round_trip={ratio:.2f} peak_rss_mb={peak_rss_mb:.0f}")


def _latency_hints(tmp: Path) -> tuple[float, float, float]:
    """(audit with an empty cache, the next audit with its latency hints, the slowest location's round trip)."""
    from vertex_claude_setup import config
    from vertex_claude_setup.availability import audit
    from vertex_claude_setup.availability.cache import AuditCache
    from vertex_claude_setup.gcp.session import EmulatorTarget, GoogleApis

    proc, url = _start_emulator(tmp, SPREAD_MS)
    try:
        cfg = config.load(None, {"project": PROJECT}, environ={})
        google = GoogleApis(cfg, EmulatorTarget(http=url, grpc="127.0.0.1:1"))
        audit.run_audit(google, PROJECT, MODELS[:1], LOCATIONS[:1])  # warm-up
        unordered, ordered = [], []
        for run in range(RUNS):
            cache = AuditCache(tmp / f"cache-{run}.json", "bench", PROJECT)
            # refresh: every pair is probed both times; only the order of the second audit differs.
            unordered.append(audit.run_audit(google, PROJECT, MODELS, LOCATIONS, cache=cache, refresh=True).elapsed_s)
            ordered.append(audit.run_audit(google, PROJECT, MODELS, LOCATIONS, cache=cache, refresh=True).elapsed_s)
        t_slowest = _one_round_trip(google, "asia-east1")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return statistics.median(unordered), statistics.median(ordered), t_slowest


def _one_round_trip(google: Any, region: str) -> float:
    """Median of RUNS count-tokens calls through a warm ``AnthropicVertex`` client (an error answer
    is a round trip too)."""
    import anthropic

    client = google.anthropic_client(region, max_retries=0)
    messages = [{"role": "user", "content": "ping"}]
    rtts = []
    for run in range(RUNS + 1):  # the first call opens the connection
        began = time.monotonic()
        with contextlib.suppress(anthropic.APIStatusError):
            client.messages.count_tokens(model=MODELS[3], messages=messages)
        if run:
            rtts.append(time.monotonic() - began)
    return statistics.median(rtts)


if __name__ == "__main__":
    main()
