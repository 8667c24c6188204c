"""`apply` exits 0 only when every planned change was made: the CLI with a scenario file as documented."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import PROJECT, Runner

MODEL = "claude-sonnet-4-6"
CONFIG = f"""\
project = "{PROJECT}"
regions = ["us-east5", "europe-west1"]
models = ["{MODEL}"]

[logging]
audit_logs = false

[smoke_test]
enabled = false
"""
# The README's [[propagation]] example: count-tokens and fetchPublisherModelConfig lag behind the enable.
SCENARIO = """\
[[propagation]]
path = "*count-tokens:rawPredict"
calls = 2

[[propagation]]
path = "*:fetchPublisherModelConfig"
seconds = 3600
"""


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "vertex-claude.toml").write_text(CONFIG, encoding="utf-8")
    scenario = tmp_path / "propagation.toml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    return scenario


def test_apply_never_claims_changes_it_could_not_make(run: Runner, files: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VERTEX_CLAUDE_PROPAGATION_DEADLINE", "0.5")
    applied = run("--emulator", "--scenario", str(files), "apply", "--auto-approve")
    assert applied.code == 1, applied.out + applied.err
    failed = sorted(line for line in applied.out.splitlines() if line.startswith("  ✗ enable"))  # any order
    assert failed == [f"  ✗ enable request-response logging {MODEL} in {region}: Vertex AI answers SERVICE_DISABLED "
                      "there (Service Usage says it is enabled: not propagated to this endpoint yet)"
                      for region in ("europe-west1", "us-east5")]
    assert "Apply complete" not in applied.out
    # What apply said it could not make is exactly what the next plan still shows.
    again = run("--emulator", "plan", "--detailed-exitcode")
    assert again.code == 2
    assert [line for line in again.out.splitlines() if line.startswith("  ~ ")] == [
        f"  ~ enable request-response logging {MODEL} in {region}" for region in ("us-east5", "europe-west1")]
