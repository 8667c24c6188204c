"""Benchmark: plan + apply of the logging steps for 10 models × 6 regions at 200 ms per Google round trip.

Baseline: the longest dependency chain of round trips, times the latency — what a perfectly concurrent tool
would need. The chain on a fresh project (API disabled, nothing set up) is:

  plan   project.get → serviceusage get                                  2
         (dataset / IAM / bucket reads run beside it; Vertex is not called while the API is pending)
  apply  services.enable → wait_until_serving → verify read              3
         → per-pair re-read (probe ‖ fetch) → setPublisherModelConfig → verify re-read   3
                                                                         = 8 round trips

A sequential tool would pay every request in turn (printed as ``sequential_s``). The last line is
``ratio_to_dependency_chain=<elapsed / (chain × latency)>``; the target is ≤ 3.

Run: python benchmarks/logging.py
"""

from __future__ import annotations

import sys

# This file is named logging.py: drop its folder from the path so ``import logging`` finds the stdlib.
if sys.path and sys.path[0].rstrip("/").endswith("benchmarks"):
    del sys.path[0]

import tempfile
import time
from pathlib import Path

LATENCY_MS = 200
CHAIN_ROUND_TRIPS = 8
REGIONS = ["us-east5", "us-central1", "us-east1", "europe-west1", "europe-west4", "asia-southeast1"]


def pick_models(count: int) -> list[str]:
    from vertex_claude_setup import catalog

    ids = [m for m in catalog.models() if "@" in m and not catalog.retired_error(m)]
    ids += [m for m in catalog.models() if "@" not in m and not catalog.retired_error(m) and m not in ids]
    return ids[:count]


def main() -> None:
    # Warm the heavy imports first: the benchmark measures round trips, not interpreter start-up.
    import anthropic  # noqa: F401
    import google.cloud.bigquery
    import google.cloud.logging_v2.services.config_service_v2
    import google.cloud.resourcemanager_v3
    import google.cloud.service_usage_v1

    from vertex_claude_setup import config as config_mod
    from vertex_claude_setup.emulator import Emulator, State
    from vertex_claude_setup.engine import runner
    from vertex_claude_setup.engine.model import Context
    from vertex_claude_setup.gcp.session import EmulatorTarget, GoogleApis
    from vertex_claude_setup.steps import all_steps

    models = pick_models(10)
    assert len(models) == 10, models
    state = State.from_scenario({"faults": [{"latency_ms": LATENCY_MS}], "availability": {"default": "AVAILABLE"}})
    emu = Emulator(state)
    url = emu.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "vertex-claude.toml"
            path.write_text(f'project = "bench-project"\nregions = {REGIONS!r}\nmodels = {models!r}\n'
                            .replace("'", '"'), encoding="utf-8")
            cfg = config_mod.load(path, environ={})
            google = GoogleApis(cfg, EmulatorTarget(http=url, grpc=emu.grpc_target))
            ctx = Context(cfg, google)
            steps = all_steps(cfg)
            start = time.perf_counter()
            plan = runner.plan_steps(ctx, steps, cfg.project)
            planned = time.perf_counter()
            outcomes = runner.apply_plan(ctx, steps, plan)
            done = time.perf_counter()
    finally:
        emu.stop()
    failed = [o for o in outcomes if o.status != "applied"]
    assert not plan.errors and not failed, (plan.errors, failed[:3])
    pairs = sum(1 for o in outcomes if "request-response logging" in o.summary)
    requests = len(emu.requests)
    chain_s = CHAIN_ROUND_TRIPS * LATENCY_MS / 1000
    elapsed = done - start
    print(f"pairs_enabled={pairs} (10 models x {len(REGIONS)} regions)")
    print(f"latency_ms={LATENCY_MS} http_requests={requests} changes_applied={len(outcomes)}")
    print(f"plan_s={planned - start:.2f} apply_s={done - planned:.2f} total_s={elapsed:.2f}")
    print(f"sequential_s={requests * LATENCY_MS / 1000:.1f} (every request one after another)")
    print(f"dependency_chain_round_trips={CHAIN_ROUND_TRIPS} dependency_chain_s={chain_s:.2f}")
    print(f"ratio_to_dependency_chain={elapsed / chain_s:.2f}")


if __name__ == "__main__":
    main()
