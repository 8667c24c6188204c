"""The chaos suite's parts live in benchmarks/chaoskit: importable here (appended, so benchmarks/logging.py
never shadows the stdlib)."""

from __future__ import annotations

import sys
from pathlib import Path

BENCHMARKS = str(Path(__file__).resolve().parents[2] / "benchmarks")
if BENCHMARKS not in sys.path:
    sys.path.append(BENCHMARKS)
