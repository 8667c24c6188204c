"""Start-up cost of `vertex-claude-setup --help` against `python -c pass`, measured in one run.

Lazy imports keep Google's client libraries and anthropic out of --help; the overhead must stay
under 0.15 s. Also measured (reported, not gated): what a command pays to import the clients it loads only
when it reads Model Garden (the generated aiplatform_v1beta1 ModelGardenServiceClient: `models --live`, and
`plan`/`apply`/`regions audit` when the Model Garden list has expired or a model is not enabled) or the
effective organization policy (google-cloud-org-policy: `doctor`, an audit with a blocked pair). A `plan`
whose Model Garden list is fresh and whose models are enabled imports neither.
The last line is machine-readable: ``help_overhead_s=<x> ratio=<y> model_garden_import_s=<z> org_policy_import_s=<w>``.
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
IMPORT_RUNS = 5
BUDGET_S = 0.15
MODEL_GARDEN = "from google.cloud.aiplatform_v1beta1.services.model_garden_service import ModelGardenServiceClient"
ORG_POLICY = "from google.cloud.orgpolicy_v2.services.org_policy import OrgPolicyClient"


def median_time(cmd: list[str], runs: int = RUNS) -> float:
    subprocess.run(cmd, capture_output=True, check=True)  # warm-up: .pyc files, disk cache
    samples = []
    for _ in range(runs):
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
    garden = median_time([sys.executable, "-c", MODEL_GARDEN], IMPORT_RUNS) - baseline
    policy = median_time([sys.executable, "-c", ORG_POLICY], IMPORT_RUNS) - baseline
    print(f"python -c pass:            {baseline * 1000:7.1f} ms (median of {RUNS})")
    print(f"vertex-claude-setup --help: {help_time * 1000:7.1f} ms (median of {RUNS})")
    print(f"budget: overhead < {BUDGET_S:.2f} s -> {'OK' if overhead < BUDGET_S else 'OVER BUDGET'}")
    print(f"import Model Garden client: {garden * 1000:7.1f} ms over python -c pass (median of {IMPORT_RUNS}; paid "
          "only when Model Garden is read)")
    print(f"import Org Policy client:   {policy * 1000:7.1f} ms over python -c pass (median of {IMPORT_RUNS}; paid "
          "only when the effective policy is read)")
    print(f"help_overhead_s={overhead:.3f} ratio={help_time / baseline:.2f} model_garden_import_s={garden:.3f} "
          f"org_policy_import_s={policy:.3f}")
    return 0 if overhead < BUDGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
