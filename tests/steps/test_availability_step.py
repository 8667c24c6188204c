"""``plan``/``apply`` use the same probe as a read-only check; ``regions best`` and ``models``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from audit_support import ON, claude_requests, emulator, run

SONNET = "claude-sonnet-4-5@20250929"


@pytest.fixture(autouse=True)
def _cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VERTEX_CLAUDE_RETRY_INITIAL", "0.01")
    monkeypatch.setenv("VERTEX_CLAUDE_RETRY_DEADLINE", "2")
    monkeypatch.setenv("VERTEX_CLAUDE_MODELS", SONNET)
    # availability is the subject here; the logging steps and the smoke check are tested on their own
    monkeypatch.setenv("VERTEX_CLAUDE_LOGGING_ENABLED", "false")
    monkeypatch.setenv("VERTEX_CLAUDE_SMOKE_TEST_ENABLED", "false")


def test_plan_reports_unavailable_pair_with_fix_and_exit_3(monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("VERTEX_CLAUDE_REGIONS", "us-east5,us-central1")
    with emulator(monkeypatch, {"projects": {"plan-project": {"enabled_services": ON}}}):
        code, out, _ = run(capsys, "--project", "plan-project", "plan")
    assert code == 3
    assert out == (
        "Checks:\n"
        f"  ✗ {SONNET} is not available in us-central1: NOT_SERVABLE_IN_REGION (Publisher Model `projects/"
        f"plan-project/locations/us-central1/publishers/anthropic/models/{SONNET}` is not servable in region "
        "us-central1.)\n"
        f"      fix: call {SONNET} from another region; the catalog hints it is served in global, us-east5, "
        f"europe-west1, asia-southeast1 (`vertex-claude-setup regions best {SONNET}`)\n"
        "\n"
        "No changes. Project plan-project matches the configuration.\n")


def test_plan_defers_while_the_api_is_enabled_and_apply_checks_after(monkeypatch: pytest.MonkeyPatch,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("VERTEX_CLAUDE_REGIONS", "us-east5,us-central1")
    with emulator(monkeypatch, {"projects": {"fresh-project": {"enabled_services": []}}}) as emu:
        code, out, _ = run(capsys, "--project", "fresh-project", "plan")
        assert claude_requests(emu) == []  # no probe while the API is about to be enabled
        assert code == 0
        assert ("  · model availability: known after apply (the Vertex AI API is being enabled first); apply checks "
                "it once the API is on\n") in out
        code, out, _ = run(capsys, "--project", "fresh-project", "apply", "--auto-approve")
        assert len(claude_requests(emu)) == 2  # once the API is on: each pair once (enablement shares its probe)
    assert code == 3
    tail = out.split("Checks after apply:\n", 1)[1]
    assert tail.startswith(f"  ✗ {SONNET} is not available in us-central1: NOT_SERVABLE_IN_REGION")
    assert tail.endswith("Apply complete! 1 applied.\nApplied, but checks failed (see above): exit 3.\n")


def test_apply_all_available_exits_0(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    with emulator(monkeypatch, {"projects": {"fresh-project": {"enabled_services": []}}}):
        code, out, _ = run(capsys, "--project", "fresh-project", "apply", "--auto-approve")
        assert code == 0
        assert "Checks after apply:\n  · all 2 configured (model, region) pairs are available\n" in out
        code, out, _ = run(capsys, "--project", "fresh-project", "plan")
    assert code == 0
    assert out.endswith("  · all 2 configured (model, region) pairs are available\n\n"
                        "No changes. Project fresh-project matches the configuration.\n")


def test_plan_warns_about_deprecated_models(monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("VERTEX_CLAUDE_MODELS", "claude-opus-4-1@20250805")
    monkeypatch.setenv("VERTEX_CLAUDE_REGIONS", "us-east5")
    with emulator(monkeypatch, {"projects": {"plan-project": {"enabled_services": ON}}}):
        code, out, _ = run(capsys, "--project", "plan-project", "plan")
    assert code == 0
    assert ("  ! model claude-opus-4-1@20250805 (Claude Opus 4.1) is deprecated since 2026-06-05; move to "
            "claude-opus-5-5\n") in out


def test_regions_best_ranks_available_by_latency(monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    scenario = {"projects": {"best-project": {"enabled_services": ON}},
                "region_latency_ms": {"us-east5": 120, "europe-west1": 1, "global": 60}}
    with emulator(monkeypatch, scenario):
        code, out, _ = run(capsys, "--project", "best-project", "regions", "best", SONNET, "--samples", "2",
                           "--regions", "global,us-east5,europe-west1,us-central1", "--json")
    data = json.loads(out)
    assert code == 0
    assert [(r["region"], r["class"]) for r in data["ranking"]] == [
        ("europe-west1", "AVAILABLE"), ("global", "AVAILABLE"), ("us-east5", "AVAILABLE"),
        ("us-central1", "NOT_SERVABLE_IN_REGION")]
    assert data["ranking"][0]["quota_requests_per_minute"] == 60
    assert data["ranking"][2]["latency_ms"] >= 120


def test_regions_best_none_available_exits_3(monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    with emulator(monkeypatch, {"projects": {"best-project": {"enabled_services": ON}}}):
        code, out, _ = run(capsys, "--project", "best-project", "regions", "best", "claude-opus-5-5",
                           "--regions", "us-east5,us-central1")
    assert code == 3
    assert out.splitlines()[-1] == ("claude-opus-5-5 is not available to project best-project in any of these "
                                    "locations.")


def test_models_lists_the_catalog(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "models", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["schema_version"] == 1
    by_id = {m["id"]: m for m in data["models"]}
    assert by_id["claude-3-7-sonnet@20250219"]["status"] == "retired"
    assert by_id["claude-sonnet-4@20250514"]["status_text"] == "deprecated since 2026-04-14"
    assert by_id[SONNET]["quota_base_model"] == "anthropic-claude-sonnet-4-5"
    for seed in ("claude-opus-4-1@20250805", "claude-opus-4@20250514", "claude-3-5-haiku@20241022",
                 "claude-3-5-sonnet-v2@20241022", "claude-3-opus@20240229", "claude-3-haiku@20240307"):
        assert seed in by_id
    code, out, _ = run(capsys, "models", "--family", "haiku")
    assert code == 0 and "claude-haiku-4-5@20251001 (recommended)" in out and "claude-opus" not in out
    assert "hints from public documentation, not guarantees" in out


def test_regions_list_names_hosts(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "regions", "list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["global", "global", "aiplatform.googleapis.com", "claude", "(hint)"]
    assert lines[1].split() == ["us", "multi-region", "aiplatform.us.rep.googleapis.com", "claude", "(hint)"]
    assert "us-central1              region        us-central1-aiplatform.googleapis.com" in out


def test_every_new_command_has_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["models"], ["regions"], ["regions", "audit"], ["regions", "best"], ["regions", "list"]):
        code, out, _ = run(capsys, *argv, "--help")
        assert code == 0 and "Example:" in out, argv
