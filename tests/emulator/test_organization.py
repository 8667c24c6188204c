"""A generated organization: a compact seeded scenario becomes folders and projects in a mixed state."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from vertex_claude_setup.emulator import State
from vertex_claude_setup.errors import SetupError

SPEC: dict[str, Any] = {"seed": 11, "projects": 200, "folders": [2, 3], "labels": {"team": ["red", "blue"]},
                        "mix": {"api_off": 0.1, "billing_off": 0.05, "no_permission": 0.05,
                                "delete_requested": 0.05, "logging_on": 0.2, "logging_partial": 0.1,
                                "unavailable": 0.1}}


def _summary(state: State) -> list[tuple[str, str, str, dict[str, str]]]:
    return [(p["projectId"], p["parent"], p["fleet_kind"], p["labels"]) for p in state.data["projects"].values()]


def test_same_seed_same_organization_other_seed_another() -> None:
    first = State.from_scenario({"organization": SPEC})
    again = State.from_scenario({"organization": SPEC})
    other = State.from_scenario({"organization": {**SPEC, "seed": 12}})
    assert _summary(first) == _summary(again)
    assert _summary(first) != _summary(other)


def test_mix_shares_folder_tree_and_states() -> None:
    state = State.from_scenario({"organization": SPEC})
    kinds = Counter(p["fleet_kind"] for p in state.data["projects"].values())
    assert kinds == {"ready": 70, "logging_on": 40, "api_off": 20, "logging_partial": 20, "unavailable": 20,
                     "billing_off": 10, "no_permission": 10, "delete_requested": 10}
    folders = state.data["folders"]
    assert len(folders) == 2 + 2 * 3
    nodes = {"organizations/123456789012", *(f"folders/{ident}" for ident in folders)}
    assert all(f["parent"] in nodes for f in folders.values())
    assert {p["parent"] for p in state.data["projects"].values()} <= nodes
    projects = state.data["projects"]
    by_kind = {p["fleet_kind"]: p for p in projects.values()}
    assert by_kind["api_off"]["services"] == {}
    assert by_kind["billing_off"]["billingEnabled"] is False
    assert by_kind["no_permission"]["permissions"] == []
    assert by_kind["delete_requested"]["state"] == "DELETE_REQUESTED"
    assert by_kind["ready"]["services"]["aiplatform.googleapis.com"] == "ENABLED"
    on = by_kind["logging_on"]
    assert "claude_logs" in on["bigquery"]["datasets"]
    assert len(on["publisherModelConfigs"]) == 3 and on["iamPolicy"]["auditConfigs"][0]["service"] == (
        "aiplatform.googleapis.com")
    assert len(by_kind["logging_partial"]["publisherModelConfigs"]) == 1
    assert set(by_kind["ready"]["labels"]) == {"team"}


def test_unknown_keys_are_refused_by_name() -> None:
    with pytest.raises(SetupError, match=r"organization\.projets"):
        State.from_scenario({"organization": {"projets": 5}})
    with pytest.raises(SetupError, match=r"unknown organization\.mix state 'api_of'"):
        State.from_scenario({"organization": {"mix": {"api_of": 0.5}}})
    with pytest.raises(SetupError, match=r"folders\.12\.displayname"):
        State.from_scenario({"folders": {"12": {"displayname": "x"}}})
