"""Benchmark: a fleet region audit of 500 projects × 10 (model, region) pairs under a 100 requests/s cap per API.

The emulator runs in its own process (``vertex-claude-setup emulator serve``) with a generated
organization (``[organization]``: 500 projects in nested folders) and a rate quota of 6,000 requests a
minute per Google API, enforced over any 1-second window (``window_s = 1``: at most 100 in any second)
and shared by every consumer project (``scope = "api"``): a cap the run must never exceed. The tool
runs as a second process, exactly as a user would::

    vertex-claude-setup fleet regions audit --organization ORG --max-qps 100 --format json -o report.json

and is timed from start to exit (Python start-up and imports included). The cap-bound minimum is the
requests of the busiest API divided by the cap (5,000 count-tokens probes ÷ 100/s = 50 s); the emulator
counts every request it had to refuse as over the cap. Peak RSS is the tool process's own
(``os.wait4``), not the emulator's.

Run: ``python benchmarks/fleet.py`` (about a minute). ``BENCH_PROJECTS`` and ``BENCH_CAP`` change the
size and the cap. The last line is machine-readable.
"""

from __future__ import annotations

import sys

# benchmarks/logging.py (its name is fixed by an issue) would shadow the stdlib: drop this folder from the path.
if sys.path and sys.path[0].rstrip("/").endswith("benchmarks"):
    sys.path.append(sys.path.pop(0))  # ... but keep it, at the end, for benchkit

import json
import os
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from benchkit.served import served

PROJECTS = int(os.environ.get("BENCH_PROJECTS", "500"))
CAP = int(os.environ.get("BENCH_CAP", "100"))  # requests per second per Google API
ORG = "123456789012"
MODELS = ["claude-opus-4-5@20251101", "claude-sonnet-4-5@20250929", "claude-haiku-4-5@20251001",
          "claude-sonnet-4@20250514", "claude-opus-4-1@20250805"]
REGIONS = ["us-east5", "global"]  # 5 models × 2 locations = 10 pairs per project
CONFIG = f"models = {json.dumps(MODELS)}\nregions = {json.dumps(REGIONS)}\n"


def _scenario() -> dict[str, Any]:
    return {"organization": {"id": ORG, "seed": 15, "projects": PROJECTS, "folders": [4, 3],
                             "labels": {"team": ["red", "blue", "green"]}},
            "rate_quotas": {"*": {"per_minute": CAP * 60, "window_s": 1, "scope": "api"}}}


def _stats(host: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"http://{host}/_emulator/rate_quotas", timeout=10) as resp:
        return dict(json.loads(resp.read()))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        (tmp / "vertex-claude.toml").write_text(CONFIG, encoding="utf-8")
        with served(tmp, _scenario()) as emulator:
            env, host = emulator.env(dict(os.environ)), emulator.http
            argv = [sys.executable, "-m", "vertex_claude_setup", "fleet", "regions", "audit", "--organization", ORG,
                    "--max-qps", str(CAP), "--format", "json", "--output", str(tmp / "report.json"),
                    *os.environ.get("BENCH_ARGS", "").split()]
            began = time.monotonic()
            tool = subprocess.Popen(argv, cwd=tmp, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            _pid, status, usage = os.wait4(tool.pid, 0)
            wall = time.monotonic() - began
            out, err = tool.communicate()
            stats = _stats(host)
        code = os.waitstatus_to_exitcode(status)
        if code not in (0, 3):
            raise SystemExit(f"the fleet audit failed (exit {code}): {err.decode()[-2000:]}")
        report = json.loads((tmp / "report.json").read_text(encoding="utf-8"))
    requests = {api: int(u["requests"]) for api, u in report["requests"].items()}
    busiest = max(requests, key=lambda api: requests[api])
    bound = requests[busiest] / CAP
    over_cap = sum(int(n) for n in stats["over_cap"].values())
    peak_rss_mb = usage.ru_maxrss / 1024  # Linux: KiB
    projects = report["summary"]["projects"]
    ratio = wall / bound
    print(out.decode().strip())
    print(f"projects: {projects} run ({report['summary']['skipped']} skipped), "
          f"{report['summary']['pairs']} pairs: {report['summary']['by_class']}")
    for api, u in report["requests"].items():
        print(f"  {api}: {u['requests']} requests at {u['per_second']}/s (cap {CAP}/s), "
              f"admitted by the emulator {stats['admitted'].get(api, 0)}, over the cap {stats['over_cap'].get(api, 0)}")
    print(f"wall time {wall:.1f} s; cap-bound minimum {requests[busiest]} {busiest} requests / {CAP}/s = {bound:.1f} s")
    print(f"peak RSS of the tool process {peak_rss_mb:.0f} MiB "
          f"({peak_rss_mb * 1024 / max(1, projects):.0f} KiB per project run)")
    for name, value, bound_value in (("ratio to the cap-bound minimum", ratio, 1.2), ("requests over the cap",
                                                                                     over_cap, 0),
                                     ("peak RSS MiB", peak_rss_mb, 200)):
        print(f"{'PASS' if value <= bound_value else 'FAIL'}: {name} = {value:.2f} (target <= {bound_value:g})")
    print(f"projects={projects} ratio_to_cap_bound={ratio:.2f} over_cap={over_cap} peak_rss_mb={peak_rss_mb:.0f}")


if __name__ == "__main__":
    main()
