"""Benchmark: `plan` and `apply` as the user waits for them — whole processes, imports included.

The emulator runs in this process (its request log counts what each command sent), the tool in its own
processes, ``LATENCY_MS`` on every Google call. A 5 models x 5 regions project:

* ``plan`` of the converged project against a one-probe script (a process that imports ``anthropic`` and calls
  ``count_tokens`` once): the floor for "one answer from Google" (target <= 1.2x);
* ``apply`` on a fresh project against its dependency chain: the ``plan`` process time plus the round trips
  that must follow one another (``CHAIN``: services.enable, its operation poll, the Vertex AI readiness read,
  the pair's re-read once the API is on, setPublisherModelConfig, its operation poll, the closing smoke test),
  each ``LATENCY_MS`` (target <= 1.3x);
* probes (count-tokens requests) per (model, region) pair for each command (target: one per pair);
* the peak RSS of the ``plan`` process (target <= 100 MiB).

Run: ``python benchmarks/plan.py [--runs N]``. The last line is machine-readable.
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
from pathlib import Path
from typing import Any

from benchkit.timing import timed

LATENCY_MS = int(os.environ.get("BENCH_LATENCY_MS", "100"))
CHAIN = 7
PROJECT = "bench-project"
MODELS = ["claude-opus-4-5@20251101", "claude-sonnet-4-5@20250929", "claude-haiku-4-5@20251001",
          "claude-opus-4-6", "claude-sonnet-4-6"]
REGIONS = ["us-east5", "europe-west1", "asia-southeast1", "us-central1", "europe-west4"]
BIN = Path(sys.executable).parent
ONE_PROBE = """
import sys
from anthropic import AnthropicVertex
base_url, host = sys.argv[1:3]
client = AnthropicVertex(project_id="{project}", region="us-east5", access_token="token", base_url=base_url,
                         default_headers={{"Host": host}})
client.messages.count_tokens(model="claude-sonnet-4-5@20250929", messages=[{{"role": "user", "content": "hi"}}])
"""


# A child's ru_maxrss starts at its parent's resident size when it is forked (Linux keeps the larger of the
# two across exec), and this process holds the emulator: a small launcher process measures the tool instead.
PEAK_RSS = """
import os, subprocess, sys
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
_, status, usage = os.wait4(proc.pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)
"""


def peak_rss_mb(argv: list[str], env: dict[str, str], cwd: Path, ok: tuple[int, ...] = (0,)) -> float:
    """Peak resident memory of one whole process, in MiB."""
    done = subprocess.run([sys.executable, "-c", PEAK_RSS, *argv], env=env, cwd=cwd, capture_output=True, text=True,
                          check=True)
    code, kib = (int(x) for x in done.stdout.split())
    if code not in ok:
        raise SystemExit(f"{argv[1:4]} exited {code}")
    return kib / 1024


def probes(emulator: Any) -> int:
    return sum(r.path.endswith("count-tokens:rawPredict") for r in emulator.requests)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    from vertex_claude_setup import config
    from vertex_claude_setup.emulator import Emulator, State
    from vertex_claude_setup.gcp.session import EmulatorTarget, GoogleApis

    scenario: dict[str, Any] = {"faults": [{"latency_ms": LATENCY_MS}]}
    pairs = len(MODELS) * len(REGIONS)
    plan_walls: list[float] = []
    apply_walls: list[float] = []
    probe_walls: list[float] = []
    plan_rsses: list[float] = []
    plan_probes = apply_probes = 0
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for i in range(args.runs):
            emulator = Emulator(State.from_scenario(scenario))
            url = emulator.start()
            try:
                work = tmp / f"run-{i}"
                work.mkdir()
                (work / "vertex-claude.toml").write_text(
                    f'project = "{PROJECT}"\nregions = {json.dumps(REGIONS)}\nmodels = {json.dumps(MODELS)}\n',
                    encoding="utf-8")
                env = {**os.environ, "VERTEX_CLAUDE_EMULATOR_HOST": url.removeprefix("http://"),
                       "VERTEX_CLAUDE_EMULATOR_GRPC_HOST": emulator.grpc_target}
                tool = [str(BIN / "vertex-claude-setup")]
                emulator.requests.clear()
                apply_walls.append(timed([*tool, "apply", "--auto-approve"], env, work, ok=(0, 3)))
                apply_probes = probes(emulator)
                emulator.requests.clear()
                plan_walls.append(timed([*tool, "plan", "--detailed-exitcode"], env, work, ok=(0, 3)))  # 3: findings
                plan_probes = probes(emulator)
                plan_rsses.append(peak_rss_mb([*tool, "plan", "--detailed-exitcode"], env, work, ok=(0, 3)))
                google = GoogleApis(config.load(None, {"project": PROJECT}, environ={}),
                                    EmulatorTarget(http=url, grpc=emulator.grpc_target))
                probe_walls.append(timed([sys.executable, "-c", ONE_PROBE.format(project=PROJECT),
                                          google.claude_base_url("us-east5"),
                                          google.vertex_headers("us-east5")["Host"]], env, work))
            finally:
                emulator.stop()
    plan_s, apply_s, probe_s = (statistics.median(x) for x in (plan_walls, apply_walls, probe_walls))
    chain_s = plan_s + CHAIN * LATENCY_MS / 1000
    plan_ratio, apply_ratio = plan_s / probe_s, apply_s / chain_s
    print(f"latency {LATENCY_MS} ms per Google call; {len(MODELS)} models x {len(REGIONS)} regions; medians of "
          f"{args.runs} runs; whole processes")
    print(f"  plan (converged)  {plan_s:.3f} s  (runs {min(plan_walls):.3f}-{max(plan_walls):.3f})")
    print(f"  apply (fresh)     {apply_s:.3f} s  (runs {min(apply_walls):.3f}-{max(apply_walls):.3f})")
    print(f"  one-probe script  {probe_s:.3f} s  (runs {min(probe_walls):.3f}-{max(probe_walls):.3f})")
    print(f"  dependency chain  {chain_s:.3f} s  (plan {plan_s:.3f} s + {CHAIN} x {LATENCY_MS} ms)")
    print(f"  probes per pair   plan {plan_probes / pairs:g}, apply {apply_probes / pairs:g}")
    rss = max(plan_rsses)
    print(f"  plan peak RSS     {rss:.0f} MiB  (runs {min(plan_rsses):.0f}-{rss:.0f}; an extra, untimed plan per run)")
    for text, ok in ((f"plan {plan_ratio:.2f}x the one-probe script (target <= 1.2)", plan_ratio <= 1.2),
                     (f"apply {apply_ratio:.2f}x its dependency chain (target <= 1.3)", apply_ratio <= 1.3),
                     (f"probes per pair: plan {plan_probes / pairs:g}, apply {apply_probes / pairs:g} (target 1)",
                      plan_probes <= pairs and apply_probes <= pairs),
                     (f"plan peak RSS {rss:.0f} MiB (target <= 100)", rss <= 100)):
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    print(f"plan_ratio_to_one_probe_script={plan_ratio:.2f} apply_ratio_to_chain={apply_ratio:.2f} "
          f"probes_per_pair_plan={plan_probes / pairs:g} probes_per_pair_apply={apply_probes / pairs:g}")


if __name__ == "__main__":
    main()
