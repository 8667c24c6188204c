"""The emulator answers like Google for etag races, bucket locations, multi-regions and Host-addressed calls."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import grpc
import pytest
import requests

from vertex_claude_setup.emulator import Emulator, State
from vertex_claude_setup.errors import SetupError

PROJECT = "demo-project"
ON = ["aiplatform.googleapis.com"]
DATASET = f"/bigquery/v2/projects/{PROJECT}/datasets/claude_logs"
MODEL_PATH = f"projects/{PROJECT}/locations/{{loc}}/publishers/anthropic/models/claude-sonnet-4-5@20250929"


@pytest.fixture
def started() -> Iterator[Any]:
    emulators: list[Emulator] = []

    def start(scenario: dict[str, Any]) -> Emulator:
        emu = Emulator(State.from_scenario(scenario))
        emu.start()
        emulators.append(emu)
        return emu

    yield start
    for emu in emulators:
        emu.stop()


def _dataset(emu: Emulator) -> dict[str, Any]:
    created = requests.post(f"{emu.url}/bigquery/v2/projects/{PROJECT}/datasets", timeout=5, json={
        "datasetReference": {"projectId": PROJECT, "datasetId": "claude_logs"}, "location": "US"})
    assert created.status_code == 200
    return dict(created.json())


def test_dataset_etag_changes_on_every_write_and_if_match_is_enforced(started: Any) -> None:
    emu = started({})
    first = _dataset(emu)
    body = {"defaultPartitionExpirationMs": "2592000000"}
    ok = requests.patch(emu.url + DATASET, json=body, headers={"If-Match": first["etag"]}, timeout=5)
    assert ok.status_code == 200 and ok.json()["etag"] != first["etag"]
    stale = requests.patch(emu.url + DATASET, json=body, headers={"If-Match": first["etag"]}, timeout=5)
    assert stale.status_code == 412
    assert stale.json() == {"error": {"code": 412, "message": "Precondition check failed.",
                                      "status": "FAILED_PRECONDITION", "errors": [
                                          {"message": "Precondition check failed.", "domain": "global",
                                           "reason": "conditionNotMet"}]}}
    unguarded = requests.patch(emu.url + DATASET, json=body, timeout=5)  # no If-Match: no precondition
    assert unguarded.status_code == 200 and unguarded.json()["etag"] not in {first["etag"], ok.json()["etag"]}


def test_google_cloud_bigquery_update_dataset_sends_if_match_and_gets_412(started: Any) -> None:
    from google.api_core import exceptions
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import bigquery

    emu = started({})
    _dataset(emu)
    client = bigquery.Client(project=PROJECT, credentials=AnonymousCredentials(),
                             client_options={"api_endpoint": emu.url})
    read = client.get_dataset(f"{PROJECT}.claude_logs")
    read.default_partition_expiration_ms = 30 * 86_400_000
    client.update_dataset(read, ["default_partition_expiration_ms"])  # carries the etag it was read with
    with pytest.raises(exceptions.PreconditionFailed):
        client.update_dataset(read, ["default_partition_expiration_ms"])  # that etag is stale now
    assert [r.headers.get("if-match") for r in emu.requests if r.method == "PATCH"] == [read.etag, read.etag]


def test_a_concurrent_writer_fires_when_its_request_arrives(started: Any) -> None:
    emu = started({"concurrent_writes": [
        {"method": "PATCH", "path": DATASET, "resource": "dataset", "project": PROJECT, "dataset": "claude_logs",
         "defaultPartitionExpirationMs": "34560000000"}]})
    read = _dataset(emu)
    assert requests.get(emu.url + DATASET, timeout=5).json()["etag"] == read["etag"]  # GET: not its request
    raced = requests.patch(emu.url + DATASET, json={"description": "x"}, headers={"If-Match": read["etag"]}, timeout=5)
    assert raced.status_code == 412  # the other writer got there first: a new etag
    now = requests.get(emu.url + DATASET, timeout=5).json()
    assert now["defaultPartitionExpirationMs"] == "34560000000"
    again = requests.patch(emu.url + DATASET, json={"description": "x"}, headers={"If-Match": now["etag"]}, timeout=5)
    assert again.status_code == 200  # once only (times = 1)


def test_concurrent_writes_keys_are_checked() -> None:
    with pytest.raises(SetupError, match=r"unknown scenario key 'concurrent_writes\[0\]\.retention_days'"):
        State.from_scenario({"concurrent_writes": [{"resource": "log_bucket", "retention_days": 400}]})


def _config_client(emu: Emulator) -> Any:
    from google.cloud.logging_v2.services.config_service_v2 import ConfigServiceV2Client
    from google.cloud.logging_v2.services.config_service_v2.transports import ConfigServiceV2GrpcTransport

    return ConfigServiceV2Client(transport=ConfigServiceV2GrpcTransport(
        channel=grpc.insecure_channel(emu.grpc_target)))


def test_buckets_live_in_the_storage_location_and_list_under_locations_dash(started: Any) -> None:
    from google.api_core import exceptions

    emu = started({"projects": {PROJECT: {"log_storage_location": "europe-west1",
                                          "log_buckets": {"us-east1/audit": {"retentionDays": 90}}}}})
    client = _config_client(emu)
    every = [b.name for b in client.list_buckets(request={"parent": f"projects/{PROJECT}/locations/-",
                                                          "page_size": 1})]
    assert every == [f"projects/{PROJECT}/locations/europe-west1/buckets/_Default",
                     f"projects/{PROJECT}/locations/europe-west1/buckets/_Required",
                     f"projects/{PROJECT}/locations/us-east1/buckets/audit"]
    assert list(client.list_buckets(request={"parent": f"projects/{PROJECT}/locations/global"})) == []
    with pytest.raises(exceptions.NotFound):
        client.get_bucket(request={"name": f"projects/{PROJECT}/locations/global/buckets/_Default"})
    found = client.get_bucket(request={"name": every[0]})
    assert (found.retention_days, found.locked) == (30, False)


def test_multi_regions_read_publisher_model_config_but_refuse_to_set_it(started: Any) -> None:
    emu = started({"projects": {PROJECT: {"enabled_services": ON}}})
    body = {"publisherModelConfig": {"loggingConfig": {"enabled": False}}, "updateMask": "loggingConfig"}
    for location, host in (("us", "aiplatform.us.rep.googleapis.com"), ("eu", "aiplatform.eu.rep.googleapis.com")):
        url = f"{emu.url}/v1beta1/{MODEL_PATH.format(loc=location)}"
        fetched = requests.get(url + ":fetchPublisherModelConfig", headers={"Host": host}, timeout=5)
        assert (fetched.status_code, fetched.json()) == (200, {})
        refused = requests.post(url + ":setPublisherModelConfig", json=body, headers={"Host": host}, timeout=5)
        assert refused.status_code == 400 and refused.json()["error"]["status"] == "INVALID_ARGUMENT"
    regional = requests.post(f"{emu.url}/v1beta1/{MODEL_PATH.format(loc='us-east5')}:setPublisherModelConfig",
                             json=body, headers={"Host": "us-east5-aiplatform.googleapis.com"}, timeout=5)
    assert regional.status_code == 200


def test_the_intended_host_travels_in_the_host_header_never_in_the_path(started: Any) -> None:
    emu = started({"projects": {PROJECT: {"enabled_services": ON}}})
    body = {"anthropic_version": "vertex-2023-10-16", "model": "claude-sonnet-4-5@20250929",
            "messages": [{"role": "user", "content": "hi"}]}
    path = f"/v1/projects/{PROJECT}/locations/global/publishers/anthropic/models/count-tokens:rawPredict"
    assert requests.post(emu.url + path, json=body, headers={"Host": "aiplatform.googleapis.com"},
                         timeout=5).status_code == 200
    # A regional host asked for location global is Google's 404, told by the Host header alone.
    assert requests.post(emu.url + path, json=body, headers={"Host": "us-east5-aiplatform.googleapis.com"},
                         timeout=5).status_code == 404
    assert requests.post(f"{emu.url}/_host/aiplatform.googleapis.com{path}", json=body, timeout=5).status_code == 404
