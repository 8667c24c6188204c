"""Benchmark: `regions audit` as the user waits for it — whole processes, imports included.

Against what a capable user would write instead, each run as its own process against the same emulator
(``vertex-claude-setup emulator serve`` in its own process, ``LATENCY_MS`` on every Claude call):

* one-probe script: imports ``anthropic`` and calls ``count_tokens`` once — the floor for "one answer";
* threaded script: a 16-thread ``ThreadPoolExecutor`` over ``AnthropicVertex(...).messages.count_tokens``
  for the same pairs — the real alternative to the tool.

Two sizes: 10 models x 14 locations (140 pairs) and every catalog model that is not retired x every
catalog location (~800 pairs). Every timing is the median of ``RUNS`` runs, the three commands paired in
the same round (order rotated). CPU and peak RSS come from the child's own rusage (``os.wait4``).

Targets (issue 13): 140 pairs <= 1.0x the one-probe script and >= 3x faster than the threaded script;
~800 pairs <= 1.5x the one-probe script; marginal CPU <= 0.3 ms per pair; peak RSS <= 100 MiB.

Run: ``python benchmarks/audit.py [--runs N]``. The last line is machine-readable.
"""

from __future__ import annotations

import sys

# benchmarks/logging.py would shadow the stdlib module: drop this folder from the path.
if sys.path and sys.path[0].rstrip("/").endswith("benchmarks"):
    sys.path.append(sys.path.pop(0))  # ... but keep it, at the end, for benchkit

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchkit.served import served

LATENCY_MS = int(os.environ.get("BENCH_LATENCY_MS", "100"))
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
BIN = Path(sys.executable).parent

ONE_PROBE = """
import sys
from anthropic import AnthropicVertex
base_url, host, region, model = sys.argv[1:5]
client = AnthropicVertex(project_id="{project}", region=region, access_token="token", base_url=base_url,
                         default_headers={{"Host": host}})
client.messages.count_tokens(model=model, messages=[{{"role": "user", "content": "Hey Claude!"}}])
"""

THREADED = """
import json, sys
from concurrent.futures import ThreadPoolExecutor
import anthropic
from anthropic import AnthropicVertex
bases, pairs = json.loads(sys.argv[1]), json.loads(sys.argv[2])
clients = {{r: AnthropicVertex(project_id="{project}", region=r, access_token="token", base_url=b,
                               default_headers={{"Host": h}}) for r, (b, h) in bases.items()}}
def probe(pair):
    model, region = pair
    try:
        clients[region].messages.count_tokens(model=model, messages=[{{"role": "user", "content": "Hey Claude!"}}])
        return "ok"
    except anthropic.APIStatusError as exc:
        return exc.status_code
with ThreadPoolExecutor(16) as pool:
    results = list(pool.map(probe, pairs))
print(len(results))
"""


@dataclass(frozen=True)
class Sample:
    wall_s: float
    cpu_s: float
    rss_mb: float
    emulator_cpu_s: float  # what the emulator process spent answering this run


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a running process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_process(argv: list[str], env: dict[str, str], cwd: Path, emulator_pid: int) -> Sample:
    """Run one whole process; its own CPU time and peak RSS from ``wait4``, and the emulator's CPU meanwhile."""
    emulator_before = process_cpu_s(emulator_pid)
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode not in (0, 3):
        raise SystemExit(f"{argv[:3]} exited {proc.returncode}: {err[-400:]}")
    return Sample(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024,
                  process_cpu_s(emulator_pid) - emulator_before)


def base_urls(emulator_url: str, regions: list[str]) -> dict[str, tuple[str, str]]:
    """What a user's script would pass to reach the emulator for each location: ``base_url`` and the Host
    header naming the Google host (as through a recording proxy)."""
    from vertex_claude_setup import config
    from vertex_claude_setup.gcp.session import EmulatorTarget, GoogleApis

    cfg = config.load(None, {"project": PROJECT}, environ={})
    google = GoogleApis(cfg, EmulatorTarget(http=emulator_url, grpc="127.0.0.1:1"))
    return {r: (google.claude_base_url(r), google.vertex_headers(r)["Host"]) for r in regions}


def all_pairs() -> tuple[list[str], list[str]]:
    from vertex_claude_setup import catalog

    today = time.strftime("%Y-%m-%d")
    models = [m for m, info in catalog.models().items() if not (info.retired_on and str(info.retired_on) <= today)]
    return models, list(catalog.regions())


def measure(tmp: Path, emulator_url: str, emulator_pid: int, models: list[str], regions: list[str], runs: int,
            ) -> dict[str, list[Sample]]:
    tmp.mkdir()
    env = {**os.environ, "VERTEX_CLAUDE_EMULATOR_HOST": emulator_url.removeprefix("http://")}
    bases = base_urls(emulator_url, regions)
    pairs = [[m, r] for m in models for r in regions]
    one_region = "global"  # every catalog model is served there in the default scenario
    commands = {
        "tool": [str(BIN / "vertex-claude-setup"), "--project", PROJECT, "regions", "audit", "--refresh",
                 "--models", ",".join(models), "--regions", ",".join(regions), "--format", "json",
                 "--output", str(tmp / "audit.json")],
        "one_probe": [sys.executable, "-c", ONE_PROBE.format(project=PROJECT), *bases[one_region], one_region,
                      models[0]],
        "threaded": [sys.executable, "-c", THREADED.format(project=PROJECT), json.dumps(bases), json.dumps(pairs)],
    }
    out: dict[str, list[Sample]] = {name: [] for name in commands}
    names = list(commands)
    for i in range(runs):
        for name in names[i % 3:] + names[:i % 3]:  # rotate the order: no command always runs first
            cwd = tmp / f"{name}-{i}"
            cwd.mkdir()
            out[name].append(run_process(commands[name], env, cwd, emulator_pid))
    return out


def median(samples: list[Sample], field: str) -> float:
    return statistics.median(getattr(s, field) for s in samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    all_models, all_regions = all_pairs()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        scenario = {"region_latency_ms": {"*": LATENCY_MS}, "projects": {PROJECT: {"enabled_services": [
            "aiplatform.googleapis.com", "cloudquotas.googleapis.com"]}}}
        with served(tmp, scenario) as emulator:
            small = measure(tmp / "small", emulator.url, emulator.proc.pid, MODELS, LOCATIONS, args.runs)
            large = measure(tmp / "large", emulator.url, emulator.proc.pid, all_models, all_regions, args.runs)
    n_small, n_large = len(MODELS) * len(LOCATIONS), len(all_models) * len(all_regions)
    one = median(small["one_probe"], "wall_s")
    tool_small, tool_large = median(small["tool"], "wall_s"), median(large["tool"], "wall_s")
    threaded = median(small["threaded"], "wall_s")
    ratio_small, ratio_large = tool_small / one, tool_large / median(large["one_probe"], "wall_s")
    speedup = threaded / tool_small
    cpu_per_pair_ms = 1000 * (median(large["tool"], "cpu_s") - median(small["tool"], "cpu_s")) / (n_large - n_small)
    rss = max(s.rss_mb for s in small["tool"] + large["tool"])
    growth = tool_large / tool_small - 1
    # The emulator answers every probe on the same 2 cores: the time its own CPU adds is not the tool's.
    emulator_added = median(large["tool"], "emulator_cpu_s") - median(small["tool"], "emulator_cpu_s")
    growth_beyond = (tool_large - emulator_added) / tool_small - 1
    print(f"latency {LATENCY_MS} ms per Claude call; medians of {args.runs} paired runs; whole processes")
    for label, res in (("140 pairs", small), (f"{n_large} pairs", large)):
        print(f"{label}:")
        for name, samples in res.items():
            print(f"  {name:10s} wall {median(samples, 'wall_s'):6.3f} s  cpu {median(samples, 'cpu_s'):6.3f} s  "
                  f"emulator cpu {median(samples, 'emulator_cpu_s'):6.3f} s  "
                  f"peak RSS {max(s.rss_mb for s in samples):6.1f} MiB  (walls {min(s.wall_s for s in samples):.3f}"
                  f"-{max(s.wall_s for s in samples):.3f})")
    checks = [
        (f"140 pairs vs one-probe script {ratio_small:.2f}x (target <= 1.0)", ratio_small <= 1.0),
        (f"140 pairs vs 16-thread script {speedup:.2f}x faster (target >= 3)", speedup >= 3.0),
        (f"{n_large} pairs vs one-probe script {ratio_large:.2f}x (target <= 1.5)", ratio_large <= 1.5),
        (f"marginal CPU {cpu_per_pair_ms:.3f} ms per pair (target <= 0.3)", cpu_per_pair_ms <= 0.3),
        (f"140 -> {n_large} pairs wall time +{growth:.0%}, +{growth_beyond:.0%} beyond the emulator's own CPU "
         "(target < 10%)", growth_beyond < 0.10),
        (f"peak RSS {rss:.0f} MiB (target <= 100)", rss <= 100),
    ]
    for text, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    print(f"ratio_to_one_probe_script={ratio_small:.2f} speedup_vs_threaded_script={speedup:.2f} "
          f"cpu_ms_per_pair={cpu_per_pair_ms:.3f} peak_rss_mb={rss:.0f}")


if __name__ == "__main__":
    main()
