""""Did you mean": the dated id Vertex serves for the same model, never another version of the same line."""

from __future__ import annotations

import pytest

from vertex_claude_setup import catalog


@pytest.mark.parametrize(("value", "meant"), [
    ("claude-sonnet-4-5", "claude-sonnet-4-5@20250929"),  # suggested claude-sonnet-5-5 before
    ("claude-opus-4-1", "claude-opus-4-1@20250805"),  # suggested claude-opus-4-8 before
    ("claude-sonet-4-5", "claude-sonnet-4-5@20250929"),
    ("claude-sonnet-4-5@20250930", "claude-sonnet-4-5@20250929"),
])
def test_a_near_miss_suggests_the_served_id(value: str, meant: str) -> None:
    assert catalog.check_model_id(value).endswith(f"did you mean '{meant}'?")


def test_malformed_ids_are_matched_case_and_separator_blind() -> None:
    assert catalog.check_model_id("Claude-Sonnet-4.5").endswith("did you mean 'claude-sonnet-4-5@20250929'?")


@pytest.mark.parametrize("value", ["claude-sonnet-6", "claude-opus-4-9", "claude-haiku-6-1@20270101"])
def test_another_version_of_a_line_is_a_newer_model_not_a_typo(value: str) -> None:
    assert catalog.check_model_id(value) == ""


def test_model_gardens_list_makes_a_new_pinned_version_known() -> None:
    newer = "claude-haiku-4-5@20260301"
    assert catalog.check_model_id(newer) == "not in the catalog; did you mean 'claude-haiku-4-5@20251001'?"
    assert catalog.check_model_id(newer, {newer}) == ""
    assert catalog.check_model_id("claude-haiku-4-5@20260302", {newer}) == (
        "not in the catalog or Model Garden's list; did you mean 'claude-haiku-4-5@20260301'?")
