"""``--probe auto``: count-tokens first; a 1-token generate request where count-tokens is not served, marked."""

from __future__ import annotations

import json
from typing import Any

import pytest
from audit_support import ON, claude_requests, emulator, google_for, run

from vertex_claude_setup.availability.audit import run_audit
from vertex_claude_setup.availability.classify import Availability

SONNET, HAIKU, OPUS = "claude-sonnet-4-5@20250929", "claude-haiku-4-5@20251001", "claude-opus-4-1@20250805"
PROJECT = "auto-project"
# europe-west1 serves Sonnet and Haiku (catalog hints) but, here, not count-tokens; Opus is not served there.
SCENARIO: dict[str, Any] = {"projects": {PROJECT: {"enabled_services": ON}},
                            "availability": {"no_count_tokens": ["europe-west1"]}}


def _generate_calls(emu: Any) -> list[str]:
    return [p for p in claude_requests(emu) if not p.endswith("/count-tokens:rawPredict")]


def test_a_location_without_count_tokens_shows_the_models_real_class(monkeypatch: pytest.MonkeyPatch) -> None:
    with emulator(monkeypatch, SCENARIO) as emu:
        google = google_for(emu, PROJECT)
        plain = run_audit(google, PROJECT, [SONNET, OPUS], ["us-east5", "europe-west1"], mode="count_tokens",
                          quotas=False)
        assert _generate_calls(emu) == []
        auto = run_audit(google, PROJECT, [SONNET, OPUS], ["us-east5", "europe-west1"], quotas=False)
        generated = _generate_calls(emu)
    # count-tokens alone: a 404 for the count-tokens endpoint, whatever the model
    assert plain.result(SONNET, "europe-west1").availability is Availability.NOT_FOUND_OR_NO_ACCESS
    assert "/models/count-tokens`" in plain.result(SONNET, "europe-west1").verdict.message
    assert auto.probe == "auto"
    assert auto.result(SONNET, "europe-west1").availability is Availability.AVAILABLE
    assert auto.result(OPUS, "europe-west1").availability is Availability.NOT_SERVABLE_IN_REGION
    assert [r.by_generate for r in auto.ordered()] == [False, True, False, True]
    assert sorted(generated) == sorted(f"/v1/projects/{PROJECT}/locations/europe-west1/publishers/anthropic/models/"
                                       f"{m}:rawPredict" for m in (SONNET, OPUS))
    rows = {(r["model"], r["region"]): r for r in auto.to_json()["results"]}
    assert (rows[(SONNET, "europe-west1")]["probe"], rows[(SONNET, "europe-west1")]["costs_tokens"]) == (
        "generate", True)
    assert (rows[(OPUS, "europe-west1")]["probe"], rows[(OPUS, "europe-west1")]["costs_tokens"]) == (
        "generate", False)  # a refused request costs nothing
    assert (rows[(SONNET, "us-east5")]["probe"], rows[(SONNET, "us-east5")]["costs_tokens"]) == (
        "count_tokens", False)


def test_only_a_not_found_where_count_tokens_may_be_missing_is_probed_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 404 naming the model in a documented count-tokens location is the model's own answer: no generate."""
    with emulator(monkeypatch, {"projects": {PROJECT: {"enabled_services": ON}}}) as emu:
        audit = run_audit(google_for(emu, PROJECT), PROJECT, ["claude-imaginary-9"], ["us-east5", "us-east4"],
                          quotas=False)
        generated = _generate_calls(emu)
    assert [r.availability for r in audit.ordered()] == [Availability.NOT_FOUND_OR_NO_ACCESS] * 2
    # us-east4 is not a documented count-tokens location: its 404 could mean either, so it is asked again.
    assert [r.by_generate for r in audit.ordered()] == [False, True]
    assert len(generated) == 1 and "/locations/us-east4/" in generated[0]


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "markdown", "html"])
def test_every_format_marks_the_pairs_probed_by_generate(monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    with emulator(monkeypatch, SCENARIO):
        code, out, _ = run(capsys, "--project", PROJECT, "regions", "audit", "--models", f"{SONNET},{HAIKU}",
                           "--regions", "us-east5,europe-west1", "--no-quotas", "--format", fmt)
    assert code == 0
    note = ("† probed with a 1-token generate request (count-tokens is not served there): 2 pair(s), 2 of them cost "
            "tokens")
    if fmt == "table":
        assert "(probe: auto)" in out and "✓†" in out and note in out
    elif fmt == "json":
        rows = json.loads(out)["results"]
        assert [(r["region"], r["probe"], r["costs_tokens"]) for r in rows] == [
            ("us-east5", "count_tokens", False), ("europe-west1", "generate", True)] * 2
    elif fmt == "csv":
        lines = out.splitlines()
        assert lines[0].endswith(",probe,costs_tokens")
        assert lines[2].startswith(f"{SONNET},europe-west1,AVAILABLE,") and lines[2].endswith(",generate,True")
    elif fmt == "markdown":
        assert f"| `{SONNET}` | ✓ | ✓† |" in out and note in out
    else:
        assert 'data-region="europe-west1" data-class="AVAILABLE" data-probe="generate">✓†</td>' in out
        assert f'<p id="probe-note">{note}</p>' in out


def test_cached_generate_answers_say_how_they_were_probed_and_cost_nothing(monkeypatch: pytest.MonkeyPatch,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--project", PROJECT, "regions", "audit", "--models", SONNET, "--regions", "europe-west1", "--no-quotas",
            "--format", "json"]
    with emulator(monkeypatch, SCENARIO) as emu:
        run(capsys, *args)
        _, out, _ = run(capsys, *args)
        assert len(_generate_calls(emu)) == 1  # the second audit answered from the cache
    row = json.loads(out)["results"][0]
    assert (row["cached"], row["probe"], row["costs_tokens"], row["class"]) == (True, "generate", False, "AVAILABLE")


def test_plan_checks_the_real_class_and_says_which_pairs_cost_a_token(monkeypatch: pytest.MonkeyPatch,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("VERTEX_CLAUDE_MODELS", SONNET)
    monkeypatch.setenv("VERTEX_CLAUDE_REGIONS", "us-east5,europe-west1")
    with emulator(monkeypatch, SCENARIO):
        code, out, _ = run(capsys, "--project", PROJECT, "plan")
    assert code == 0
    assert "  · all 2 configured (model, region) pairs are available\n" in out
    assert (f"  · probed with a 1-token generate request (count-tokens is not served there): {SONNET} in "
            "europe-west1\n") in out
