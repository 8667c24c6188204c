"""A retired or deprecated model's replacement follows the chain to an active model (and survives loops)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from audit_support import ON, claude_requests, emulator, run

from vertex_claude_setup import catalog

DAY = dt.date(2026, 9, 1)


def _model(model_id: str, replacement: str | None, deprecated: str | None = None,
           retired: str | None = None) -> dict[str, Any]:
    return {"id": model_id, "name": model_id, "family": "opus", "quota_base_model": "anthropic-claude-opus",
            "deprecated_on": deprecated, "retired_on": retired, "replacement": replacement}


def test_opus_3_points_past_the_deprecated_opus_4_1() -> None:
    assert catalog.models()["claude-3-opus@20240229"].replacement == "claude-opus-4-1@20250805"
    assert catalog.active_replacement("claude-3-opus@20240229", DAY) == "claude-opus-5-5"
    assert catalog.retired_error("claude-3-opus@20240229", DAY) == (
        "model claude-3-opus@20240229 (Claude Opus 3) is retired since 2026-01-05; use claude-opus-5-5 "
        "(claude-opus-4-1@20250805 is deprecated too)")
    # Before Opus 4.1 was deprecated, it was the right answer.
    assert catalog.active_replacement("claude-3-opus@20240229", dt.date(2026, 2, 1)) == "claude-opus-4-1@20250805"
    assert catalog.retired_error("claude-3-opus@20240229", dt.date(2026, 2, 1)).endswith(
        "; use claude-opus-4-1@20250805")


def test_an_active_replacement_is_named_as_listed() -> None:
    assert catalog.model_warning("claude-sonnet-4@20250514", DAY) == (
        "model claude-sonnet-4@20250514 (Claude Sonnet 4) is deprecated since 2026-04-14; move to "
        "claude-sonnet-4-5@20250929")


def test_every_catalog_replacement_chain_ends_at_an_active_model() -> None:
    for info in catalog.models().values():
        if info.status(DAY) != "active" and info.replacement:
            target = catalog.active_replacement(info.id, DAY)
            assert target is not None and catalog.models()[target].status(DAY) == "active", info.id


def test_a_replacement_loop_ends_without_hanging() -> None:
    known = catalog.parse_models({"models": [
        _model("claude-a", "claude-b", deprecated="2026-01-01"),
        _model("claude-b", "claude-c", deprecated="2026-01-01", retired="2026-02-01"),
        _model("claude-c", "claude-a", deprecated="2026-01-01"),
        _model("claude-x", "claude-y", deprecated="2026-01-01", retired="2026-02-01"),
        _model("claude-y", "claude-x", deprecated="2026-01-01", retired="2026-02-01"),
        _model("claude-new", "claude-unlisted", deprecated="2026-01-01"),
    ]})
    # No active model in the loop: the first one still usable (deprecated, not retired) is the answer.
    assert catalog.active_replacement("claude-a", DAY, known) == "claude-c"
    assert catalog.active_replacement("claude-x", DAY, known) is None  # nothing usable at all
    assert catalog.active_replacement("claude-new", DAY, known) == "claude-unlisted"  # newer than the catalog


def test_the_cli_names_the_active_replacement(monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    with emulator(monkeypatch, {"projects": {"p": {"enabled_services": ON}}}) as emu:
        code, out, err = run(capsys, "--project", "p", "regions", "audit", "--models", "claude-3-opus@20240229")
        assert claude_requests(emu) == []
    assert (code, out) == (1, "")
    assert err == ("Error: --models 'claude-3-opus@20240229': model claude-3-opus@20240229 (Claude Opus 3) is "
                   "retired since 2026-01-05; use claude-opus-5-5 (claude-opus-4-1@20250805 is deprecated too)\n")
