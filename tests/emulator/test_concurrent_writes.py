"""``[[concurrent_writes]]``, the one way to say "another client writes concurrently", and ``[[propagation]]``, the
one way to say "an enabled API has not reached this endpoint yet": matching (``when``, ``status``, ``nth``,
``times``), the emulator's counts (``seen``, ``fired``, open ``windows``), each writer's notion of ``only_raise``,
IAM merges, and the scenario checks that name what replaced the keys these two mechanisms absorbed."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from vertex_claude_setup.emulator import Emulator, State, bigquery, faults
from vertex_claude_setup.errors import SetupError

PROJECT = "demo-project"
VERTEX = "aiplatform.googleapis.com"
DAY_MS = 86_400_000
GET_PROJECT = f"/v3/projects/{PROJECT}"  # any request can set a writer off: this one is the simplest
MODEL = "claude-sonnet-4-5@20250929"
BASE = f"/v1/projects/{PROJECT}/locations/us-east5"
FETCH = f"/v1beta1/projects/{PROJECT}/locations/us-east5/publishers/anthropic/models/{MODEL}:fetchPublisherModelConfig"
COUNT = f"{BASE}/publishers/anthropic/models/count-tokens:rawPredict"
COUNT_BODY = json.dumps({"model": "claude-sonnet-4-6", "messages": [{"role": "user", "content": "hi"}],
                         "anthropic_version": "vertex-2023-10-16"}).encode()


def _emulator(scenario: dict[str, Any]) -> tuple[Emulator, dict[str, Any]]:
    emu = Emulator(State.from_scenario(scenario))
    project = emu.state.project(PROJECT)
    assert project is not None
    return emu, project


def _writes(*rules: dict[str, Any]) -> list[dict[str, Any]]:
    """Rules set off by ``GET /v3/projects/demo-project``, one call each (nth = its place)."""
    return [{"method": "GET", "path": GET_PROJECT, "nth": i, "project": PROJECT, **rule}
            for i, rule in enumerate(rules, 1)]


def _call(emu: Emulator, times: int = 1) -> None:
    for _ in range(times):
        assert emu.dispatch("GET", GET_PROJECT, {}, b"").status == 200


def _fired(emu: Emulator) -> list[int]:
    return [int(rule.get("fired", 0)) for rule in emu.state.data["concurrent_writes"]]


# -- matching and counts ------------------------------------------------------------------------------
def test_after_rules_match_the_answer_status_from_the_nth_call_and_count_seen_and_fired() -> None:
    emu, _ = _emulator({"faults": [{"method": "GET", "path": GET_PROJECT, "status": 503, "times": 1}],
                        "concurrent_writes": [{"method": "GET", "path": GET_PROJECT, "when": "after", "status": 200,
                                               "nth": 2, "times": 2, "resource": "iam_policy", "project": PROJECT,
                                               "auditConfigs": [{"service": "storage.googleapis.com",
                                                                 "auditLogConfigs": [{"logType": "DATA_READ"}]}]}]})
    etags = []
    assert emu.dispatch("GET", GET_PROJECT, {}, b"").status == 503  # not a 200 answer: not counted
    for _ in range(4):
        _call(emu)
        etags.append(emu.state.data["projects"][PROJECT]["iamPolicy"]["etag"])
    rule = emu.state.data["concurrent_writes"][0]
    assert (rule["seen"], rule["fired"]) == (4, 2)  # struck on the 2nd and 3rd 200 answers, then spent
    assert len(set(etags)) == 3 and etags[2] != etags[1] and etags[3] == etags[2]


def test_a_writer_that_finds_nothing_to_write_stays_armed() -> None:
    emu, project = _emulator({"concurrent_writes": [
        {"method": "GET", "path": GET_PROJECT, "resource": "dataset", "project": PROJECT, "dataset": "logs",
         "defaultPartitionExpirationMs": str(400 * DAY_MS)}]})
    _call(emu)  # no dataset yet: the other writer's PATCH would have been a 404
    assert _fired(emu) == [0]
    bigquery.seed_dataset(project, "logs", defaultPartitionExpirationMs=str(10 * DAY_MS))
    _call(emu, 2)
    assert _fired(emu) == [1]
    assert bigquery.store(project)["datasets"]["logs"]["defaultPartitionExpirationMs"] == str(400 * DAY_MS)


# -- only_raise, per writer --------------------------------------------------------------------------
def test_expirations_only_raised_and_forever_never_shortened() -> None:
    emu, project = _emulator({"concurrent_writes": _writes(
        {"resource": "dataset", "only_raise": True, "dataset": "short",
         "defaultPartitionExpirationMs": str(5 * DAY_MS)},
        {"resource": "dataset", "only_raise": True, "dataset": "forever", "defaultPartitionExpirationMs": "1"},
        {"resource": "table", "only_raise": True, "dataset": "short", "table": "t", "expirationMs": str(400 * DAY_MS)},
        {"resource": "dataset", "only_raise": True, "dataset": "short",
         "defaultPartitionExpirationMs": str(400 * DAY_MS)},
        {"resource": "dataset", "dataset": "short", "defaultPartitionExpirationMs": str(5 * DAY_MS)})})
    short = bigquery.seed_dataset(project, "short", defaultPartitionExpirationMs=str(10 * DAY_MS))
    bigquery.seed_dataset(project, "forever")
    bigquery.create_table(project, "short", "t", {"timePartitioning": {"type": "DAY",
                                                                      "expirationMs": str(10 * DAY_MS)}})
    etag = short["etag"]
    _call(emu, 2)
    assert (short["defaultPartitionExpirationMs"], short["etag"]) == (str(10 * DAY_MS), etag)  # not lowered
    assert "defaultPartitionExpirationMs" not in bigquery.store(project)["datasets"]["forever"]
    _call(emu, 2)
    table = bigquery.store(project)["tables"]["short/t"]
    assert table["timePartitioning"]["expirationMs"] == str(400 * DAY_MS)
    assert short["defaultPartitionExpirationMs"] == str(400 * DAY_MS) and short["etag"] != etag
    _call(emu)  # without only_raise a writer sets its value, lower or not
    assert short["defaultPartitionExpirationMs"] == str(5 * DAY_MS)
    assert _fired(emu) == [0, 0, 1, 1, 1]


def test_bucket_retention_only_raised_and_a_locked_bucket_never_changes() -> None:
    emu, project = _emulator({
        "projects": {PROJECT: {"log_buckets": {"_Default": {"retentionDays": 60},
                                               "audit": {"retentionDays": 10, "locked": True}}}},
        "concurrent_writes": _writes({"resource": "log_bucket", "only_raise": True, "retentionDays": 40},
                                     {"resource": "log_bucket", "bucket": "audit", "retentionDays": 400},
                                     {"resource": "log_bucket", "only_raise": True, "retentionDays": 90},
                                     {"resource": "log_bucket", "bucket": "global/_Default", "retentionDays": 7})})
    _call(emu, 4)
    from vertex_claude_setup.emulator.logging_grpc import buckets

    found = buckets(project)
    assert found["global/audit"]["retentionDays"] == 10  # locked: not even a plain write changes it
    assert found["global/_Default"]["retentionDays"] == 7  # raised to 90, then set (lowered) by the plain writer
    assert _fired(emu) == [0, 0, 1, 1]


def test_sampling_rate_written_only_where_logging_is_on_and_only_raised() -> None:
    on = {"loggingConfig": {"enabled": True, "samplingRate": 0.2}}
    off = {"loggingConfig": {"enabled": False, "samplingRate": 0.2}}
    emu, project = _emulator({
        "projects": {PROJECT: {"publisherModelConfigs": {f"us-east5/{MODEL}": on, f"europe-west1/{MODEL}": off}}},
        "concurrent_writes": _writes(
            {"resource": "publisher_model_config", "location": "europe-west1", "model": MODEL, "samplingRate": 1.0},
            {"resource": "publisher_model_config", "only_raise": True, "location": "us-east5", "model": MODEL,
             "samplingRate": 0.1},
            {"resource": "publisher_model_config", "only_raise": True, "location": "us-east5", "model": MODEL,
             "samplingRate": 1.0})})
    _call(emu, 3)
    configs = project["publisherModelConfigs"]
    assert configs[f"europe-west1/{MODEL}"]["loggingConfig"] == {"enabled": False, "samplingRate": 0.2}
    assert configs[f"us-east5/{MODEL}"]["loggingConfig"]["samplingRate"] == 1.0
    assert _fired(emu) == [0, 0, 1]


def test_iam_writes_merge_members_and_log_types_and_only_raise_writes_only_what_adds() -> None:
    condition = {"title": "until 2030", "expression": "request.time < timestamp('2030-01-01T00:00:00Z')"}
    policy = {"version": 1, "etag": "BwYAAAAAAAA=",
              "bindings": [{"role": "roles/viewer", "members": ["user:a@example.com"]}],
              "auditConfigs": [{"service": "bigquery.googleapis.com", "auditLogConfigs": [
                  {"logType": "DATA_READ", "exemptedMembers": ["user:a@example.com"]}, {"logType": "DATA_WRITE"}]}]}
    grant = {"resource": "iam_policy", "bindings": [
        {"role": "roles/viewer", "members": ["user:a@example.com", "user:b@example.com"]},
        {"role": "roles/viewer", "members": ["user:c@example.com"], "condition": condition}],
        "auditConfigs": [{"service": "bigquery.googleapis.com", "auditLogConfigs": [{"logType": "DATA_READ"}]},
                         {"service": "storage.googleapis.com", "auditLogConfigs": [{"logType": "ADMIN_READ"}]}]}
    emu, project = _emulator({"projects": {PROJECT: {"iam_policy": copy.deepcopy(policy)}},
                              "concurrent_writes": _writes(grant, {**grant, "only_raise": True},
                                                           {**grant, "times": 1})})
    _call(emu)
    after = copy.deepcopy(project["iamPolicy"])
    assert after["bindings"] == [{"role": "roles/viewer", "members": ["user:a@example.com", "user:b@example.com"]},
                                 {"role": "roles/viewer", "members": ["user:c@example.com"], "condition": condition}]
    assert after["auditConfigs"] == [  # the DATA_READ entry replaced (its exemption with it), DATA_WRITE kept
        {"service": "bigquery.googleapis.com",
         "auditLogConfigs": [{"logType": "DATA_WRITE"}, {"logType": "DATA_READ"}]},
        {"service": "storage.googleapis.com", "auditLogConfigs": [{"logType": "ADMIN_READ"}]}]
    assert after["version"] == 3 and after["etag"] != policy["etag"]
    _call(emu)  # only_raise: nothing to add, nothing written
    assert project["iamPolicy"] == after
    _call(emu)  # a plain write of the same policy is still a write: a new etag, as on any setIamPolicy
    assert project["iamPolicy"]["etag"] != after["etag"]
    assert {**project["iamPolicy"], "etag": ""} == {**after, "etag": ""}
    assert _fired(emu) == [1, 0, 1]


def test_a_write_before_set_iam_policy_makes_its_etag_stale() -> None:
    """What ``iam_races`` used to say: the next setIamPolicy finds the etag bumped and the racer's config added."""
    racer = {"service": "sqladmin.googleapis.com", "auditLogConfigs": [{"logType": "DATA_WRITE"}]}
    emu, project = _emulator({"concurrent_writes": [
        {"method": "POST", "path": "*:setIamPolicy", "when": "before", "times": 2, "resource": "iam_policy",
         "project": PROJECT, "auditConfigs": [racer]}]})
    for _ in range(2):
        read = emu.dispatch("POST", f"{GET_PROJECT}:getIamPolicy", {}, b"{}").body
        stale = emu.dispatch("POST", f"{GET_PROJECT}:setIamPolicy", {}, json.dumps({"policy": read}).encode())
        assert stale.status == 409 and stale.body["error"]["status"] == "ABORTED"
    read = emu.dispatch("POST", f"{GET_PROJECT}:getIamPolicy", {}, b"{}").body
    assert read["auditConfigs"] == [racer]  # merged, not added twice
    assert emu.dispatch("POST", f"{GET_PROJECT}:setIamPolicy", {}, json.dumps({"policy": read}).encode()).status == 200
    assert project["iamPolicy"]["auditConfigs"] == [racer]


def test_every_writer_named_in_the_checks_is_registered() -> None:
    assert set(faults.WRITERS) == set(faults.WRITER_FIELDS)


# -- propagation -------------------------------------------------------------------------------------
def _enable(emu: Emulator) -> None:
    answer = emu.dispatch("POST", f"/v1/projects/{PROJECT}/services/{VERTEX}:enable", {}, b"{}")
    assert answer.status == 200 and answer.body["done"] is True


def test_a_window_on_every_endpoint_holds_the_service_but_not_other_apis() -> None:
    """What ``propagation_calls`` used to say: every endpoint of the service, a number of calls after the enable."""
    emu, _ = _emulator({"availability": {"default": "AVAILABLE"}, "propagation": [{"path": "*", "calls": 3}]})
    _enable(emu)
    assert emu.dispatch("GET", f"/v1/projects/{PROJECT}/services/{VERTEX}", {}, b"").status == 200  # Service Usage
    refused = [emu.dispatch("GET", f"{BASE}/operations", {}, b""), emu.dispatch("GET", FETCH, {}, b""),
               emu.dispatch("GET", f"/v1beta1/projects/{PROJECT}/locations/us-east5/operations/1", {}, b"")]
    assert [r.status for r in refused] == [403, 403, 403]
    assert {r.body["error"]["details"][0]["reason"] for r in refused} == {"SERVICE_DISABLED"}
    assert emu.dispatch("POST", COUNT, {}, COUNT_BODY).status == 200


def test_a_window_may_name_the_method_and_the_first_open_window_answers() -> None:
    """What a ``service_disabled`` fault used to say: SERVICE_DISABLED on matching calls (method and path)."""
    emu, _ = _emulator({"availability": {"default": "AVAILABLE"}, "propagation": [
        {"method": "POST", "path": "*count-tokens:rawPredict", "calls": 1},
        {"method": "GET", "path": "*count-tokens:rawPredict", "calls": 5},
        {"path": "*", "calls": 1}]})
    assert emu.dispatch("POST", COUNT, {}, COUNT_BODY).status == 403  # not enabled: no window, really disabled
    assert all("windows" not in rule for rule in emu.state.data["propagation"])
    _enable(emu)
    assert emu.dispatch("POST", COUNT, {}, COUNT_BODY).status == 403  # the first window
    assert emu.dispatch("POST", COUNT, {}, COUNT_BODY).status == 403  # then the one on every endpoint
    assert emu.dispatch("POST", COUNT, {}, COUNT_BODY).status == 200
    left = [[w["calls_left"] for w in rule["windows"]] for rule in emu.state.data["propagation"]]
    assert left == [[0], [5], [0]]  # the GET window was never asked


# -- scenario checks ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("scenario", "message", "hint"), [
    ({"triggers": []}, "scenario key 'triggers' was removed", "[[concurrent_writes]]"),
    ({"defaults": {"propagation_calls": 2}}, "scenario key 'defaults.propagation_calls' was removed",
     '[[propagation]] with path = "*"'),
    ({"faults": [{"path": "/x", "service_disabled": VERTEX}]}, "scenario key 'faults[0].service_disabled' was removed",
     "[[propagation]]"),
    ({"projects": {PROJECT: {"iam_races": 1}}}, f"scenario key 'projects.{PROJECT}.iam_races' was removed",
     "before setIamPolicy"),
    ({"projects": {PROJECT: {"iam_race_audit_config": {}}}}, "iam_race_audit_config' was removed",
     "before setIamPolicy"),
    ({"projects": {PROJECT: {"propagation": {}}}}, f"scenario key 'projects.{PROJECT}.propagation' was removed",
     "[[propagation]]"),
    ({"concurrent_writes": [{"resource": "dataset", "project": PROJECT, "dataset": "d"}]},
     "concurrent_writes[0] (resource dataset) needs defaultPartitionExpirationMs", "add defaultPartitionExpirationMs"),
    ({"concurrent_writes": [{"resource": "dataset", "project": PROJECT, "dataset": "d", "retentionDays": 1,
                             "defaultPartitionExpirationMs": "1"}]},
     "concurrent_writes[0].retentionDays is not a field of resource dataset", "its fields: dataset, "),
    ({"concurrent_writes": [{"resource": "iam_policy", "project": PROJECT, "when": "during"}]},
     "concurrent_writes[0].when must be", '"before"'),
    ({"concurrent_writes": [{"resource": "iam_policy", "project": PROJECT, "status": 200}]},
     'concurrent_writes[0].status needs when = "after"', "the status is that of the answer"),
    ({"concurrent_writes": [{"resource": "iam_policy", "project": PROJECT, "nth": -1}]},
     "concurrent_writes[0].nth must be a whole number, 0 or more", "nth = 2"),
    ({"propagation": [{"path": "*", "seconds": "soon"}]}, "propagation[0].seconds must be a number", "seconds = 2"),
])
def test_scenario_rules_are_checked_with_a_one_line_fix(scenario: dict[str, Any], message: str, hint: str) -> None:
    with pytest.raises(SetupError) as caught:
        State.from_scenario(scenario)
    assert message in caught.value.message and hint in str(caught.value.hint)
    assert "\n" not in caught.value.message + str(caught.value.hint)
