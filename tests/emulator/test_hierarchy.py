"""The emulated Resource Manager v3 hierarchy (folders.list/get, projects.list/search) through the real client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from google.api_core import exceptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import resourcemanager_v3

from vertex_claude_setup.emulator import Emulator, State

ORG = "organizations/123456789012"
SCENARIO: dict[str, Any] = {
    "organizations": {"123456789012": {"display_name": "example.com"}},
    "folders": {
        "101": {"display_name": "Zeta", "parent": ORG},
        "102": {"display_name": "alpha", "parent": ORG},
        "103": {"display_name": "beta", "parent": "folders/102"},
        "104": {"display_name": "Gone", "parent": ORG, "state": "DELETE_REQUESTED"},
    },
    "projects": {
        "proj-one-1": {"parent": "folders/102", "labels": {"team": "red", "env": "prod"}, "display_name": "Bravo"},
        "proj-two-2": {"parent": "folders/102", "labels": {"team": "blue"}, "display_name": "alpha"},
        "proj-gone-3": {"parent": "folders/102", "state": "DELETE_REQUESTED"},
        "proj-deep-4": {"parent": "folders/103", "labels": {"team": "red"}},
        "proj-hidden-5": {"parent": "folders/103", "permissions": []},
    },
}


@pytest.fixture
def clients() -> Iterator[tuple[Any, Any]]:
    emu = Emulator(State.from_scenario(SCENARIO))
    url = emu.start()
    opts = {"api_endpoint": url}
    folders = resourcemanager_v3.FoldersClient(credentials=AnonymousCredentials(), transport="rest",
                                               client_options=opts)
    projects = resourcemanager_v3.ProjectsClient(credentials=AnonymousCredentials(), transport="rest",
                                                 client_options=opts)
    yield folders, projects
    emu.stop()


def test_folders_list_gives_direct_children_sorted_by_display_name(clients: tuple[Any, Any]) -> None:
    folders, _ = clients
    listed = list(folders.list_folders(parent=ORG))
    assert [(f.name, f.display_name, f.state.name) for f in listed] == [
        ("folders/102", "alpha", "ACTIVE"), ("folders/101", "Zeta", "ACTIVE")]
    with_deleted = list(folders.list_folders(request={"parent": ORG, "show_deleted": True}))
    assert [f.name for f in with_deleted] == ["folders/102", "folders/104", "folders/101"]
    assert [f.parent for f in folders.list_folders(parent="folders/102")] == ["folders/102"]
    assert folders.get_folder(name="folders/103").display_name == "beta"


def test_projects_list_is_direct_children_active_unless_show_deleted(clients: tuple[Any, Any]) -> None:
    _, projects = clients
    listed = list(projects.list_projects(parent="folders/102"))
    assert [(p.project_id, p.display_name) for p in listed] == [("proj-two-2", "alpha"), ("proj-one-1", "Bravo")]
    assert dict(listed[1].labels) == {"team": "red", "env": "prod"}
    everything = list(projects.list_projects(request={"parent": "folders/102", "show_deleted": True}))
    assert {p.project_id: p.state.name for p in everything}["proj-gone-3"] == "DELETE_REQUESTED"
    # A project the caller may not read is still a child of the folder it may list.
    assert [p.project_id for p in projects.list_projects(parent="folders/103")] == ["proj-deep-4", "proj-hidden-5"]


def test_list_pages_with_an_opaque_token(clients: tuple[Any, Any]) -> None:
    _, projects = clients
    pager = projects.list_projects(request={"parent": "folders/102", "show_deleted": True, "page_size": 2})
    pages = list(pager.pages)
    assert [len(page.projects) for page in pages] == [2, 1]
    assert pages[0].next_page_token and not pages[0].next_page_token.isdigit()


def test_search_matches_any_term_and_only_readable_projects(clients: tuple[Any, Any]) -> None:
    _, projects = clients
    red = sorted(p.project_id for p in projects.search_projects(query="labels.team:red"))
    assert red == ["proj-deep-4", "proj-one-1"]
    either = sorted(p.project_id for p in projects.search_projects(query="labels.team:blue labels.env:prod"))
    assert either == ["proj-one-1", "proj-two-2"]
    under = sorted(p.project_id for p in projects.search_projects(query="parent:folders/103"))
    assert under == ["proj-deep-4"]  # proj-hidden-5 is not readable: search never returns it
    assert [p.project_id for p in projects.search_projects(query="name:alp*")] == ["proj-two-2"]
    with pytest.raises(exceptions.BadRequest):
        list(projects.search_projects(query="colour:red"))


def test_listing_needs_the_list_permission_on_the_parent(clients: tuple[Any, Any]) -> None:
    folders, projects = clients
    with pytest.raises(exceptions.Forbidden) as denied:
        list(projects.list_projects(parent="folders/999"))
    assert denied.value.reason == "IAM_PERMISSION_DENIED"
    with pytest.raises(exceptions.BadRequest):
        list(folders.list_folders(parent="projects/123"))


def test_permissions_are_granted_on_a_node_and_inherited_below_it() -> None:
    scenario = {"organizations": {"123456789012": {"permissions": []}},
                "folders": {"201": {"parent": ORG, "permissions": ["resourcemanager.projects.list"]},
                            "202": {"parent": "folders/201"}},
                "projects": {"proj-under-1": {"parent": "folders/202"}}}
    emu = Emulator(State.from_scenario(scenario))
    url = emu.start()
    try:
        client = resourcemanager_v3.ProjectsClient(credentials=AnonymousCredentials(), transport="rest",
                                                   client_options={"api_endpoint": url})
        assert [p.project_id for p in client.list_projects(parent="folders/202")] == ["proj-under-1"]
        with pytest.raises(exceptions.Forbidden):
            list(client.list_projects(parent=ORG))
    finally:
        emu.stop()


@pytest.mark.parametrize(("path", "query", "field", "message"), [
    ("/v3/folders", {"parent": ORG, "showDeleted": "yes"}, "show_deleted",
     "Invalid value at 'show_deleted' (TYPE_BOOL), \"yes\""),
    ("/v3/projects", {"parent": ORG, "pageSize": "ten"}, "page_size",
     "Invalid value at 'page_size' (TYPE_INT32), \"ten\""),
    ("/v3/projects:search", {"query": "id:proj-one-1", "showDeleted": "true"}, "showDeleted",
     'Invalid JSON payload received. Unknown name "showDeleted": Cannot bind query parameter. Field \'showDeleted\' '
     "could not be found in request message."),  # search has no showDeleted: only list does
    ("/v3/projects", {"parent": ORG, "filter": "x"}, "filter",
     'Invalid JSON payload received. Unknown name "filter": Cannot bind query parameter. Field \'filter\' could not '
     "be found in request message."),
], ids=["bool", "int32", "search-showDeleted", "unknown"])
def test_query_parameters_are_checked_against_the_discovery_document(path: str, query: dict[str, str], field: str,
                                                                      message: str) -> None:
    import requests

    emu = Emulator(State.from_scenario(SCENARIO))
    url = emu.start()
    try:
        answer = requests.get(f"{url}{path}", params=query, headers={"Host": "cloudresourcemanager.googleapis.com"},
                              timeout=10)
        ok = requests.get(f"{url}{path}", params={**{k: v for k, v in query.items() if k in {"parent", "query"}},
                                                  "show_deleted": "false", "page_size": "5", "$alt": "json"}
                          if path != "/v3/projects:search" else {"query": "id:proj-one-1", "page_size": "5"},
                          headers={"Host": "cloudresourcemanager.googleapis.com"}, timeout=10)
    finally:
        emu.stop()
    assert answer.status_code == 400
    assert answer.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert answer.json()["error"]["message"] == message
    assert answer.json()["error"]["details"] == [{"@type": "type.googleapis.com/google.rpc.BadRequest",
                                                  "fieldViolations": [{"field": field, "description": message}]}]
    assert ok.status_code == 200, ok.text  # proto names and system parameters are accepted
