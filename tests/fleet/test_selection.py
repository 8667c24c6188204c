"""Selecting a fleet: an organization or folder walked through Resource Manager, a list, labels; ACTIVE only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import Runner

from .conftest import ORG, kinds, organization, rows

HIERARCHY: dict[str, Any] = {
    "organizations": {ORG: {"display_name": "example.com"}},
    "folders": {"11": {"parent": f"organizations/{ORG}"}, "12": {"parent": "folders/11"},
                "13": {"parent": f"organizations/{ORG}", "permissions": []}},
    "projects": {
        "top-level-1": {"parent": f"organizations/{ORG}", "labels": {"team": "red"},
                        "enabled_services": ["aiplatform.googleapis.com"]},
        "nested-deep-2": {"parent": "folders/12", "labels": {"team": "blue"},
                          "enabled_services": ["aiplatform.googleapis.com"]},
        "going-away-3": {"parent": "folders/11", "state": "DELETE_REQUESTED"},
    },
}


def _audit(run: Runner, *selection: str) -> tuple[int, dict[str, Any]]:
    result = run("fleet", "regions", "audit", "--no-quotas", "--format", "json", *selection)
    return result.code, json.loads(result.out) if result.out.startswith("{") else {"raw": result.out + result.err}


def test_organization_is_walked_recursively_and_only_active_projects_run(org: Any, run: Runner) -> None:
    org(HIERARCHY)
    code, report = _audit(run, "--organization", ORG)
    assert sorted(r["project"] for r in report["projects"]) == ["nested-deep-2", "top-level-1"]
    assert report["skipped"] == [{"project": "going-away-3", "state": "DELETE_REQUESTED",
                                  "reason": "project going-away-3 is DELETE_REQUESTED: only ACTIVE projects are run"}]
    assert report["not_read"] == [] and code == 0


def test_a_folder_that_cannot_be_listed_is_named_and_the_rest_goes_on(org: Any, run: Runner) -> None:
    listing = ["resourcemanager.folders.list", "resourcemanager.projects.list"]
    org({**HIERARCHY, "organizations": {ORG: {"permissions": []}},
         "folders": {**HIERARCHY["folders"], "11": {"parent": f"organizations/{ORG}", "permissions": listing}}})
    code, report = _audit(run, "--folder", "11", "--folder", "13")
    assert [r["project"] for r in report["projects"]] == ["nested-deep-2"]
    assert [u["name"] for u in report["not_read"]] == ["folders/13"]  # one line for the node, both listings named
    assert report["not_read"][0]["message"] == ("cannot list folders/13: permissions resourcemanager.projects.list "
                                                "and resourcemanager.folders.list denied (or folders/13 does not "
                                                "exist)")
    assert report["not_read"][0]["fix"] == ("grant roles/browser on folders/13 to your principal, or pick a node "
                                            "you can see")
    assert code == 1  # something could not be read


def test_folder_and_label_filters(org: Any, run: Runner) -> None:
    org(HIERARCHY)
    _, report = _audit(run, "--folder", "folders/11")
    assert [r["project"] for r in report["projects"]] == ["nested-deep-2"]
    _, report = _audit(run, "--organization", ORG, "--label", "team=red")
    assert [r["project"] for r in report["projects"]] == ["top-level-1"]
    code, report = _audit(run, "--label", "team=blue")  # labels alone: projects.search
    assert [r["project"] for r in report["projects"]] == ["nested-deep-2"] and code == 0


def test_an_explicit_list_is_looked_up_and_unknown_projects_are_reported(org: Any, run: Runner,
                                                                          tmp_path: Path) -> None:
    emu = org(HIERARCHY)
    listed = tmp_path / "projects.txt"
    listed.write_text("# the fleet\ntop-level-1\nno-such-project  # typo\n", encoding="utf-8")
    code, report = _audit(run, "--projects-file", str(listed), "--projects", "going-away-3")
    assert [r["project"] for r in report["projects"]] == ["top-level-1"]
    assert [s["project"] for s in report["skipped"]] == ["going-away-3"]
    assert report["not_read"][0]["name"] == "no-such-project" and code == 1
    searches = [r for r in emu.requests if r.path == "/v3/projects:search"]
    assert len(searches) == 1  # one search for the whole list, not one projects.get each


def test_the_generated_organization_is_selected_whole(org: Any, run: Runner) -> None:
    emu = org(organization(projects=20))
    _, report = _audit(run, "--organization", ORG)
    expected = {p for p, kind in kinds(emu).items() if kind != "delete_requested"}
    assert set(rows(json.dumps(report))) == expected
    assert {s["project"] for s in report["skipped"]} == {p for p, k in kinds(emu).items() if k == "delete_requested"}


def test_no_selection_and_bad_selectors_are_one_line_errors(org: Any, run: Runner) -> None:
    org(HIERARCHY)
    result = run("fleet", "doctor")
    assert result.code == 1 and "Error: no fleet selected" in result.err and "fix: pass --projects" in result.err
    result = run("fleet", "doctor", "--folder", "engineering")
    assert result.code == 1 and "--folder 'engineering' is not a numeric folder ID" in result.err
    result = run("fleet", "doctor", "--label", "Team=Red")
    assert result.code == 1 and "--label 'Team=Red' is not a label filter" in result.err
    assert "Traceback" not in result.err


def test_a_listing_google_keeps_failing_is_one_line_and_the_rest_of_the_walk_goes_on(org: Any, run: Runner,
                                                                                     monkeypatch: Any) -> None:
    """503 on every folders.list: our retries only, within the deadline, then the node is reported (no traceback)."""
    monkeypatch.setenv("VERTEX_CLAUDE_RETRY_DEADLINE", "1")
    org({**HIERARCHY, "faults": [{"path": "/v3/folders", "status": 503}]})
    code, report = _audit(run, "--organization", ORG)
    assert [r["project"] for r in report["projects"]] == ["top-level-1"]  # projects.list of the organization worked
    [node] = report["not_read"]
    assert node["name"] == f"organizations/{ORG}"
    assert node["message"].startswith(f"cloudresourcemanager.googleapis.com (organizations/{ORG}): Google answered "
                                      "503 UNAVAILABLE (")
    assert code == 1
