"""Start-up costs as whole processes, each against a baseline measured in the same run (issue 13, target 5).

* ``vertex-claude-setup --help``, ``models`` and ``regions list`` against ``python -c pass``: lazy imports keep
  Google's client libraries and anthropic out of them (budgets 0.15 s, 0.2 s and 0.2 s of overhead);
* what ``--emulator`` adds to a command: ``plan`` and a one-pair ``regions audit`` of a fresh project with the
  in-process emulator, against the same commands sent to an emulator already serving in its own process
  (``emulator serve``, the same default state): the difference is starting the emulator (and answering in the
  tool's process) (budget 0.3 s).

Also measured (reported, not gated): what a command pays to import the clients it loads only when it reads
Model Garden (the generated aiplatform_v1beta1 ModelGardenServiceClient: `models --live`, and
`plan`/`apply`/`regions audit` when the Model Garden list has expired or a model is not enabled) or the
effective organization policy (google-cloud-org-policy: `doctor`, an audit with a blocked pair). A `plan`
whose Model Garden list is fresh and whose models are enabled imports neither.

Exit 1 when a budget is exceeded. The last line is machine-readable: ``help_overhead_s=<x> ratio=<y>
models_overhead_s=<m> regions_list_overhead_s=<r> emulator_overhead_s=<e> model_garden_import_s=<z>
org_policy_import_s=<w>``.
"""

from __future__ import annotations

import sys

# benchmarks/logging.py (its name is fixed by the issue) would shadow the stdlib: drop this folder from the path.
if sys.path and sys.path[0].rstrip("/").endswith("benchmarks"):
    sys.path.append(sys.path.pop(0))  # ... but keep it, at the end, for benchkit

import os
import shutil
import statistics
import tempfile
from pathlib import Path

from benchkit.served import served
from benchkit.timing import timed

RUNS = 15
EMULATOR_RUNS = 7
IMPORT_RUNS = 5
HELP_BUDGET_S = 0.15
LISTING_BUDGET_S = 0.2
EMULATOR_BUDGET_S = 0.3
PROJECT = "demo-project"
MODEL_GARDEN = "from google.cloud.aiplatform_v1beta1.services.model_garden_service import ModelGardenServiceClient"
ORG_POLICY = "from google.cloud.orgpolicy_v2.services.org_policy import OrgPolicyClient"
# Commands that call Google, measured with and without --emulator (exit 3: the audit found an unavailable pair).
GOOGLE_COMMANDS = {
    "plan": ["--project", PROJECT, "plan"],
    "regions audit (1 pair)": ["--project", PROJECT, "regions", "audit", "--models", "claude-sonnet-4-5@20250929",
                               "--regions", "us-east5", "--no-quotas", "--refresh"],
}


def median_time(cmd: list[str], runs: int = RUNS, env: dict[str, str] | None = None, cwd: Path | None = None,
                ok: tuple[int, ...] = (0,)) -> float:
    def once() -> float:
        return timed(cmd, env, cwd, ok)

    once()  # warm-up: .pyc files, disk cache
    return statistics.median(once() for _ in range(runs))


def emulator_overheads(tool: list[str]) -> dict[str, tuple[float, float]]:
    """Per command: (median with --emulator, median against the served emulator), in fresh folders."""
    out: dict[str, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        plain = {k: v for k, v in os.environ.items() if not k.startswith("VERTEX_CLAUDE_EMULATOR")}
        with served(tmp, tool=tool) as emulator:
            pointed = emulator.env(dict(os.environ))
            for name, args in GOOGLE_COMMANDS.items():
                inside, outside = tmp / f"{len(out)}-inside", tmp / f"{len(out)}-outside"
                inside.mkdir()
                outside.mkdir()
                with_flag = median_time([*tool, "--emulator", *args], EMULATOR_RUNS, plain, inside, ok=(0, 3))
                without = median_time([*tool, *args], EMULATOR_RUNS, pointed, outside, ok=(0, 3))
                out[name] = (with_flag, without)
    return out


def main() -> int:
    script = shutil.which("vertex-claude-setup", path=os.path.dirname(sys.executable)) or shutil.which(
        "vertex-claude-setup")
    tool = [script] if script else [sys.executable, "-m", "vertex_claude_setup"]
    baseline = median_time([sys.executable, "-c", "pass"])
    help_time = median_time([*tool, "--help"])
    models_time = median_time([*tool, "models"])
    regions_time = median_time([*tool, "regions", "list"])
    help_overhead, models_overhead, regions_overhead = (t - baseline for t in (help_time, models_time, regions_time))
    emulator = emulator_overheads(tool)
    emulator_overhead = max(a - b for a, b in emulator.values())
    garden = median_time([sys.executable, "-c", MODEL_GARDEN], IMPORT_RUNS) - baseline
    policy = median_time([sys.executable, "-c", ORG_POLICY], IMPORT_RUNS) - baseline
    print(f"python -c pass:                  {baseline * 1000:7.1f} ms (median of {RUNS})")
    for label, wall in (("--help", help_time), ("models", models_time), ("regions list", regions_time)):
        print(f"vertex-claude-setup {label:13s} {wall * 1000:7.1f} ms (median of {RUNS})")
    for name, (with_flag, without) in emulator.items():
        print(f"{name}: --emulator {with_flag * 1000:7.1f} ms, against a served emulator {without * 1000:7.1f} ms "
              f"(medians of {EMULATOR_RUNS}): +{(with_flag - without) * 1000:.0f} ms")
    print(f"import Model Garden client: {garden * 1000:7.1f} ms over python -c pass (median of {IMPORT_RUNS}; paid "
          "only when Model Garden is read)")
    print(f"import Org Policy client:   {policy * 1000:7.1f} ms over python -c pass (median of {IMPORT_RUNS}; paid "
          "only when the effective policy is read)")
    checks = [
        (f"--help {help_overhead:.3f} s over python -c pass (target <= {HELP_BUDGET_S})",
         help_overhead <= HELP_BUDGET_S),
        (f"models {models_overhead:.3f} s over python -c pass (target <= {LISTING_BUDGET_S})",
         models_overhead <= LISTING_BUDGET_S),
        (f"regions list {regions_overhead:.3f} s over python -c pass (target <= {LISTING_BUDGET_S})",
         regions_overhead <= LISTING_BUDGET_S),
        (f"--emulator adds {emulator_overhead:.3f} s to a command, the most over {', '.join(emulator)} "
         f"(target <= {EMULATOR_BUDGET_S})", emulator_overhead <= EMULATOR_BUDGET_S),
    ]
    for text, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    print(f"help_overhead_s={help_overhead:.3f} ratio={help_time / baseline:.2f} "
          f"models_overhead_s={models_overhead:.3f} regions_list_overhead_s={regions_overhead:.3f} "
          f"emulator_overhead_s={emulator_overhead:.3f} "
          f"model_garden_import_s={garden:.3f} org_policy_import_s={policy:.3f}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
