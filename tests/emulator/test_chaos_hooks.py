"""The emulator's chaos hooks (connection resets, propagation windows, operation faults, concurrent writers),
its loopback-only ``/_emulator/`` admin surface, and BigQuery's If-Match — through the real client libraries."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from conftest import PROJECT

from vertex_claude_setup.emulator import Emulator, State
from vertex_claude_setup.errors import SetupError

VERTEX = "aiplatform.googleapis.com"
MODEL = "claude-sonnet-4-5@20250929"
FETCH = f"/v1beta1/projects/{PROJECT}/locations/us-east5/publishers/anthropic/models/{MODEL}:fetchPublisherModelConfig"
DAY_MS = 86_400_000


@pytest.fixture
def served() -> Iterator[Emulator]:
    emu = Emulator(State.from_scenario({"availability": {"default": "AVAILABLE"}}))
    emu.start()
    yield emu
    emu.stop()


def _admin(emu: Emulator, method: str, what: str, body: Any = None) -> requests.Response:
    return requests.request(method, f"{emu.url}/_emulator/{what}", json=body, timeout=5)


def _enable(emu: Emulator) -> requests.Response:
    return requests.post(f"{emu.url}/v1/projects/{PROJECT}/services/{VERTEX}:enable", json={}, timeout=5)


def _service_state(emu: Emulator) -> str:
    return str(requests.get(f"{emu.url}/v1/projects/{PROJECT}/services/{VERTEX}", timeout=5).json()["state"])


def test_admin_replaces_faults_at_runtime_and_reads_state(served: Emulator) -> None:
    assert requests.get(f"{served.url}/v3/projects/{PROJECT}", timeout=5).status_code == 200
    set_faults = _admin(served, "POST", "faults", {"faults": [{"method": "GET", "path": "/v3/projects/*",
                                                               "status": 503, "times": 1}], "seed": 3})
    assert set_faults.status_code == 200 and set_faults.json()["seed"] == 3
    assert requests.get(f"{served.url}/v3/projects/{PROJECT}", timeout=5).status_code == 503
    assert requests.get(f"{served.url}/v3/projects/{PROJECT}", timeout=5).status_code == 200
    state = _admin(served, "GET", "state").json()
    assert state["faults"] == [{"method": "GET", "path": "/v3/projects/*", "status": 503, "times": 0}]
    assert state["projects"][PROJECT]["projectId"] == PROJECT
    # admin calls are not Google calls: not recorded, never faulted
    assert not any(r.path.startswith("/_emulator/") for r in served.requests)


def test_admin_sets_defaults_and_project_keys(served: Emulator) -> None:
    answer = _admin(served, "POST", "state", {"defaults": {"operation_polls": 2},
                                              "projects": {PROJECT: {"labels": {"team": "ml"}}}})
    assert answer.status_code == 200
    assert _enable(served).json()["done"] is False
    assert served.state.data["projects"][PROJECT]["labels"] == {"team": "ml"}


@pytest.mark.parametrize(("what", "body", "names"), [
    ("faults", {"faults": [{"path": "/x", "stauts": 503}]}, "faults[0].stauts"),
    ("faults", {"concurrent_writes": [{"resource": "arsonist"}]}, "concurrent_writes[0].resource"),
    ("faults", {"propagation": [{"path": "*", "call": 2}]}, "propagation[0].call"),
    ("faults", {"triggers": []}, "triggers"),
    ("state", {"projects": {PROJECT: {"iam_races": 1}}}, "iam_races"),
    ("faults", {"bogus": []}, "bogus"),
    ("state", {"defaults": {"operation_pols": 1}}, "defaults.operation_pols"),
])
def test_admin_refuses_unknown_keys_by_name(served: Emulator, what: str, body: dict[str, Any], names: str) -> None:
    answer = _admin(served, "POST", what, body)
    assert answer.status_code == 400
    assert names in answer.json()["error"]["message"]


def test_admin_answers_loopback_callers_only() -> None:
    emu = Emulator(State())
    _latency, far = emu.accept("GET", "/_emulator/state", {}, b"", peer="203.0.113.7")
    assert far().status == 404
    _latency, near = emu.accept("GET", "/_emulator/state", {}, b"", peer="127.0.0.1")
    assert near().status == 200 and "projects" in near().body


def test_reset_before_drops_the_call_unprocessed(served: Emulator) -> None:
    served.state.data["faults"] = [{"method": "POST", "path": "*:enable", "reset": "before", "times": 1}]
    with pytest.raises(requests.exceptions.ConnectionError):
        _enable(served)
    assert _service_state(served) == "DISABLED"


def test_reset_after_processes_the_call_and_loses_the_answer(served: Emulator) -> None:
    served.state.data["faults"] = [{"method": "POST", "path": "*:enable", "reset": "after", "times": 1}]
    with pytest.raises(requests.exceptions.ConnectionError):
        _enable(served)
    assert _service_state(served) == "ENABLED"
    assert _enable(served).json()["done"] is True  # the one shot is spent


def test_times_counts_a_stall_too(served: Emulator) -> None:
    served.state.data["faults"] = [{"method": "GET", "path": "/v3/projects/*", "latency_ms": 1, "reset": "before",
                                    "times": 1}]
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"{served.url}/v3/projects/{PROJECT}", timeout=5)
    assert requests.get(f"{served.url}/v3/projects/{PROJECT}", timeout=5).status_code == 200
    assert served.state.data["faults"][0]["times"] == 0


def test_propagation_window_is_per_endpoint_and_opens_after_the_enable(served: Emulator) -> None:
    set_rules = _admin(served, "POST", "faults", {"propagation": [
        {"method": "GET", "path": "*:fetchPublisherModelConfig", "calls": 2}]})
    assert set_rules.status_code == 200
    assert requests.get(served.url + FETCH, timeout=5).status_code == 403  # really disabled: the window waits
    assert "windows" not in served.state.data["propagation"][0]
    _enable(served)
    operations = requests.get(f"{served.url}/v1/projects/{PROJECT}/locations/us-east5/operations", timeout=5)
    assert operations.status_code == 200  # this endpoint has propagated
    for _ in range(2):
        answer = requests.get(served.url + FETCH, timeout=5)
        assert answer.status_code == 403
        info = answer.json()["error"]["details"][0]
        assert (info["reason"], info["metadata"]["service"]) == ("SERVICE_DISABLED", VERTEX)
    assert requests.get(served.url + FETCH, timeout=5).status_code == 200
    assert _admin(served, "GET", "state").json()["propagation"][0]["windows"][0]["calls_left"] == 0


def test_replacing_the_propagation_rules_closes_their_windows(served: Emulator) -> None:
    """What the chaos suite's calm relies on: the windows an enable opened go with their rules."""
    _admin(served, "POST", "faults", {"propagation": [{"path": "*:fetchPublisherModelConfig", "seconds": 3600}]})
    _enable(served)
    assert requests.get(served.url + FETCH, timeout=5).status_code == 403
    assert _admin(served, "POST", "faults", {"propagation": []}).json()["propagation"] == []
    assert requests.get(served.url + FETCH, timeout=5).status_code == 200


def test_operation_fault_fails_the_enable_and_its_effect_never_happens(served: Emulator) -> None:
    served.state.data["operation_faults"] = [{"name": "operations/acf*", "status": "INTERNAL", "polls": 1,
                                              "times": 1, "message": "Operation failed."}]
    operation = _enable(served).json()
    assert operation["done"] is False
    polled = requests.get(f"{served.url}/v1/{operation['name']}", timeout=5).json()
    assert polled["done"] is True and polled["error"] == {"code": 13, "message": "Operation failed."}
    assert _service_state(served) == "DISABLED"
    again = _enable(served).json()  # the one shot is spent
    assert again["done"] is True and "error" not in again
    assert _service_state(served) == "ENABLED"


def _bq(emu: Emulator) -> Any:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import bigquery

    return bigquery.Client(project=PROJECT, credentials=AnonymousCredentials(),
                           client_options={"api_endpoint": emu.url})


def test_dataset_patch_honours_if_match(served: Emulator) -> None:
    from google.api_core import exceptions
    from google.cloud import bigquery

    client = _bq(served)
    client.create_dataset(bigquery.Dataset(f"{PROJECT}.logs"), retry=None)
    read = client.get_dataset(f"{PROJECT}.logs", retry=None)
    read.description = "first"
    updated = client.update_dataset(read, ["description"], retry=None)  # sends If-Match: read.etag
    assert updated.description == "first" and updated.etag != read.etag
    read.description = "stale"
    with pytest.raises(exceptions.PreconditionFailed) as caught:
        client.update_dataset(read, ["description"], retry=None)
    assert caught.value.errors[0]["reason"] == "conditionNotMet"
    assert client.get_dataset(f"{PROJECT}.logs", retry=None).description == "first"


def test_concurrent_writer_raises_retention_right_after_the_read(served: Emulator) -> None:
    from google.api_core import exceptions
    from google.cloud import bigquery

    served.state.data["concurrent_writes"] = [
        {"method": "GET", "path": "/bigquery/v2/projects/*/datasets/logs", "when": "after", "status": 200, "nth": 1,
         "only_raise": True, "resource": "dataset", "project": PROJECT, "dataset": "logs",
         "defaultPartitionExpirationMs": str(400 * DAY_MS)}]
    client = _bq(served)
    dataset = bigquery.Dataset(f"{PROJECT}.logs")
    dataset.default_partition_expiration_ms = 10 * DAY_MS
    client.create_dataset(dataset, retry=None)
    read = client.get_dataset(f"{PROJECT}.logs", retry=None)  # the writer strikes right after this answer
    assert read.default_partition_expiration_ms == 10 * DAY_MS
    assert served.state.data["concurrent_writes"][0]["fired"] == 1
    read.default_partition_expiration_ms = 30 * DAY_MS
    with pytest.raises(exceptions.PreconditionFailed):  # a blind overwrite would shorten the writer's 400 days
        client.update_dataset(read, ["default_partition_expiration_ms"], retry=None)
    assert client.get_dataset(f"{PROJECT}.logs", retry=None).default_partition_expiration_ms == 400 * DAY_MS


def test_concurrent_iam_writer_changes_the_etag(served: Emulator) -> None:
    served.state.data["concurrent_writes"] = [
        {"method": "POST", "path": "*:getIamPolicy", "when": "after", "status": 200, "only_raise": True,
         "resource": "iam_policy", "project": PROJECT,
         "bindings": [{"role": "roles/viewer", "members": ["user:w@x.com"]}]}]
    url = f"{served.url}/v3/projects/{PROJECT}"
    read = requests.post(f"{url}:getIamPolicy", json={}, timeout=5).json()
    assert read["bindings"] == [{"role": "roles/owner", "members": ["user:owner@example.com"]}]
    stale = requests.post(f"{url}:setIamPolicy", json={"policy": read}, timeout=5)
    assert stale.status_code == 409
    fresh = requests.post(f"{url}:getIamPolicy", json={}, timeout=5).json()
    assert {"role": "roles/viewer", "members": ["user:w@x.com"]} in fresh["bindings"]


def test_grpc_log_bucket_writer_and_reset() -> None:
    from google.api_core import exceptions
    from google.auth.credentials import AnonymousCredentials
    from google.cloud.logging_v2.services.config_service_v2 import ConfigServiceV2Client
    from google.cloud.logging_v2.services.config_service_v2.transports import ConfigServiceV2GrpcTransport

    rpc = "/google.logging.v2.ConfigServiceV2/GetBucket"
    emu = Emulator(State.from_scenario({
        "faults": [{"path": rpc, "reset": "before", "times": 1}],
        "concurrent_writes": [{"path": rpc, "when": "after", "status": 200, "only_raise": True,
                               "resource": "log_bucket", "project": PROJECT, "retentionDays": 400}]}))
    emu.start()
    try:
        import grpc

        channel = grpc.insecure_channel(emu.grpc_target)
        client = ConfigServiceV2Client(transport=ConfigServiceV2GrpcTransport(
            channel=channel, credentials=AnonymousCredentials()))
        name = f"projects/{PROJECT}/locations/global/buckets/_Default"
        with pytest.raises(exceptions.ServiceUnavailable):
            client.get_bucket(request={"name": name}, retry=None)
        assert client.get_bucket(request={"name": name}, retry=None).retention_days == 30  # the writer came after
        assert client.get_bucket(request={"name": name}, retry=None).retention_days == 400
        channel.close()
    finally:
        emu.stop()


def test_scenario_refuses_an_unknown_writer_and_reset() -> None:
    with pytest.raises(SetupError, match=r"concurrent_writes\[0\]\.resource must be one of dataset, iam_policy, "
                                         r"log_bucket, publisher_model_config, table"):
        State.from_scenario({"concurrent_writes": [{"path": "/x", "resource": "arsonist"}]})
    with pytest.raises(SetupError, match=r"faults\[0\]\.reset must be"):
        State.from_scenario({"faults": [{"path": "/x", "reset": "sometimes"}]})
