"""apply ends with the smoke-test check: reported, never rolled back; --fail-on-check gates (exit 3)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from vertex_claude_setup.emulator import Emulator

from .conftest import Run, normalize, write_config

Runner = Callable[..., Run]
Start = Callable[[dict[str, Any]], Emulator]


@pytest.fixture(autouse=True)
def _logging_off(tmp_path: Path) -> None:
    """The check is the subject here: the logging steps (tested on their own) stay out of the output."""
    write_config(tmp_path / "vertex-claude.toml", extra="[logging]\nenabled = false\n")


def test_plan_defers_the_check_and_calls_no_claude_endpoint(emulator: Start, run: Runner) -> None:
    emu = emulator({})
    result = run("plan", "--json")
    assert result.code == 0, result.err
    assert not [r for r in emu.requests if "publishers/anthropic" in r.path]
    assert '"step": "smoke_test"' in result.out
    assert '"check": "deferred until the end of apply"' in result.out


def test_apply_ends_with_the_passing_check(emulator: Start, run: Runner) -> None:
    emulator({})  # API off: apply enables it, then the check proves Claude answers
    result = run("apply", "--auto-approve")
    assert result.code == 0, result.out + result.err
    lines = normalize(result.out).splitlines()
    assert lines[-3:] == [
        "Apply complete! 1 applied.",
        "",
        "Check smoke_test: PASS: claude-sonnet-4-6 in us-east5 answered in N ms (10 in / 15 out tokens, "
        "request id REQ_ID)"]


def test_a_failed_check_is_reported_but_rolls_nothing_back(emulator: Start, run: Runner) -> None:
    emu = emulator({"availability": {"overrides": {"claude-sonnet-4-6|us-east5": "NOT_ENABLED"}}})
    result = run("apply", "--auto-approve")
    assert result.code == 3  # the availability check failed too: apply never pretends that is fine
    tail = result.out.split("Apply complete! 1 applied.\n", 1)[1]
    assert tail == (
        "\nCheck smoke_test: FAIL (NOT_ENABLED): claude-sonnet-4-6 in us-east5 did not answer (reported only: "
        "nothing was rolled back)\n"
        "  error:      400 FAILED_PRECONDITION: Project `demo-project` is not allowed to use Publisher Model "
        "`projects/demo-project/locations/us-east5/publishers/anthropic/models/claude-sonnet-4-6`\n"
        "  fix:        enable claude-sonnet-4-6 for project demo-project in Model Garden (accept the terms): "
        "https://console.cloud.google.com/vertex-ai/publishers/anthropic/model-garden/claude-sonnet-4-6"
        "?project=demo-project\n"
        "Applied, but checks failed (see above): exit 3.\n")
    assert emu.state.data["projects"]["demo-project"]["services"]["aiplatform.googleapis.com"] == "ENABLED"


def test_a_failed_smoke_check_alone_is_reported_not_gated(emulator: Start, run: Runner) -> None:
    # Claude is available (the free count-tokens probe passes) but generation is down during the check.
    emu = emulator({"faults": [{"method": "POST", "path": "*/models/claude-sonnet-4-6:rawPredict", "status": 503}]})
    result = run("apply", "--auto-approve")
    assert result.code == 0
    assert "Check smoke_test: FAIL (ERROR): claude-sonnet-4-6 in us-east5 did not answer" in result.out
    assert emu.state.data["projects"]["demo-project"]["services"]["aiplatform.googleapis.com"] == "ENABLED"
    gated = run("apply", "--auto-approve", "--fail-on-check")
    assert gated.code == 3


def test_fail_on_check_gates_with_exit_3(emulator: Start, run: Runner) -> None:
    emulator({"availability": {"overrides": {"claude-sonnet-4-6|us-east5": "QUOTA_ZERO"}}})
    result = run("apply", "--auto-approve", "--fail-on-check")
    assert result.code == 3
    assert "Check smoke_test: FAIL (QUOTA_EXHAUSTED)" in result.out
    # Nothing left to change: the check still runs, and still gates.
    again = run("apply", "--auto-approve", "--fail-on-check")
    assert again.code == 3
    assert "No changes." in again.out and "Check smoke_test: FAIL (QUOTA_EXHAUSTED)" in again.out


def test_fail_on_check_passes_when_claude_answers(emulator: Start, run: Runner) -> None:
    emulator({"projects": {"demo-project": {"enabled_services": ["aiplatform.googleapis.com"]}}})
    result = run("apply", "--auto-approve", "--fail-on-check")
    assert result.code == 0
    assert normalize(result.out).splitlines()[-1].startswith("Check smoke_test: PASS: claude-sonnet-4-6 in us-east5")


def test_the_check_can_be_turned_off(emulator: Start, run: Runner, tmp_path: Any) -> None:
    from .conftest import write_config

    emulator({})
    cfg = write_config(tmp_path / "off.toml", extra="[smoke_test]\nenabled = false\n")
    result = run("apply", "--auto-approve", "--fail-on-check", config=cfg)
    assert result.code == 0
    assert "Check smoke_test" not in result.out
