"""Check: ``fleet apply`` on a mixed 500-project organization converges what can converge, twice.

The emulator (its own process) holds a generated organization of ``BENCH_PROJECTS`` (500) projects in
nested folders in a mixed state: API off, billing off, no permission, being deleted, logging partly
on, a model not enabled, the rest ready. ``fleet apply --auto-approve`` runs twice, then ``fleet plan``:

* every project that can converge does (the second apply and the plan find no changes there);
* every project that cannot is reported with its reason (billing off, no access), both times;
* projects being deleted are skipped and reported.

The tool's own rate limit is ``--max-qps BENCH_QPS`` (default 250) per API, to keep the run short; the
Google-quota-bound time of the same requests is printed for comparison. Run: ``python benchmarks/fleet_apply.py``.
"""

from __future__ import annotations

import sys

if sys.path and sys.path[0].rstrip("/").endswith("benchmarks"):
    sys.path.append(sys.path.pop(0))  # ... but keep it, at the end, for benchkit

import json
import os
import re
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from benchkit.served import served

PROJECTS = int(os.environ.get("BENCH_PROJECTS", "500"))
QPS = os.environ.get("BENCH_QPS", "250")
ORG = "123456789012"
MIX = {"api_off": 0.15, "billing_off": 0.05, "no_permission": 0.05, "delete_requested": 0.04, "logging_on": 0.15,
       "logging_partial": 0.15, "unavailable": 0.1}
MODELS = ["claude-sonnet-4-5@20250929", "claude-haiku-4-5@20251001"]
CONFIG = f'models = {json.dumps(MODELS)}\nregions = ["us-east5", "global"]\n'


def _fleet(tmp: Path, env: dict[str, str], *args: str) -> tuple[int, dict[str, Any], float, str]:
    argv = [sys.executable, "-m", "vertex_claude_setup", "fleet", *args, "--organization", ORG, "--max-qps", QPS,
            "--format", "json", "--output", str(tmp / "out.json")]
    began = time.monotonic()
    done = subprocess.run(argv, cwd=tmp, env=env, capture_output=True, text=True, check=False)
    return done.returncode, json.loads((tmp / "out.json").read_text()), time.monotonic() - began, done.stdout


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        (tmp / "vertex-claude.toml").write_text(CONFIG, encoding="utf-8")
        scenario = {"organization": {"id": ORG, "seed": 21, "projects": PROJECTS, "folders": [4, 3], "mix": MIX,
                                     "models": MODELS}}
        with served(tmp, scenario) as emulator:
            env = emulator.env(dict(os.environ))
            runs = [_fleet(tmp, env, "apply", "--auto-approve"), _fleet(tmp, env, "apply", "--auto-approve"),
                    _fleet(tmp, env, "plan")]
    (code1, first, t1, plan_text), (code2, second, t2, _), (code3, plan, t3, _) = runs
    rows1 = {r["project"]: r for r in first["projects"]}
    rows2 = {r["project"]: r for r in second["projects"]}
    rows3 = {r["project"]: r for r in plan["projects"]}
    failed1 = {p for p, r in rows1.items() if r["status"] == "error"}
    failed2 = {p for p, r in rows2.items() if r["status"] == "error"}
    converged = set(rows1) - failed1
    print(plan_text.splitlines()[0])
    print(f"first apply: {len(rows1)} projects in {t1:.1f} s (exit {code1}): {first['summary']['applied']} changes "
          f"applied, {len(converged)} converged, {len(failed1)} cannot converge, "
          f"{first['summary']['skipped']} skipped (being deleted)")
    reasons = Counter(re.sub(r"fleet-\d+", "PROJECT", r["error"].split(": ", 1)[-1])[:90]
                      for r in first["projects"] if r["status"] == "error")
    for reason, count in reasons.most_common():
        print(f"  {count:>3} × {reason}")
    print(f"second apply: {t2:.1f} s (exit {code2}): {second['summary']['applied']} changes applied")
    left = sum(int(rows3[p]["fields"].get(k, 0)) for p in converged for k in ("create", "update", "delete"))
    print(f"plan after: {t3:.1f} s (exit {code3}): {left} changes in the converged projects, "
          f"{plan['summary']['changes'] - left} in those that cannot converge")
    for api, usage in first["requests"].items():
        print(f"  first apply, {api}: {usage['requests']} requests")
    ok = (failed1 == failed2 and all(rows2[p]["fields"]["applied"] == 0 for p in converged)
          and all(rows3[p]["summary"] == "no changes" for p in converged)
          and all(rows1[p]["error"] and rows1[p]["hint"] for p in failed1))
    print(f"{'PASS' if ok else 'FAIL'}: converges what can converge, reports the rest with a reason, "
          "and a second run changes nothing")
    print(f"projects={len(rows1)} converged={len(converged)} cannot={len(failed1)} "
          f"second_run_changes={second['summary']['applied']} plan_after_changes={left}")


if __name__ == "__main__":
    main()
