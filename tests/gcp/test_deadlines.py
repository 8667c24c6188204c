"""Every Google call has a timeout inside one deadline and one retry layer: a stalled or failing endpoint ends
in a one-line error naming the API and the call, in about the deadline — never a hang, never RetryError."""

from __future__ import annotations

import fnmatch
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from audit_support import google_for

from vertex_claude_setup.emulator import Emulator, State
from vertex_claude_setup.errors import GoogleApiError
from vertex_claude_setup.gcp import (
    bigquery,
    cloud_logging,
    folders,
    iam_policy,
    logrows,
    model_garden,
    projects,
    publisher_config,
    quotas,
    retry,
    services,
)
from vertex_claude_setup.gcp.session import GoogleApis

P = "demo-project"
ORG = "organizations/123456789012"  # the emulator's default organization
SONNET = "claude-sonnet-4-5@20250929"
STALL_MS = 120_000  # longer than any timeout the client libraries would pick themselves (60 s)
BOUND_S = 15.0  # a deadline of 0.5 s plus interpreter noise; before: 60 s or forever
LOGGING = {"enabled": True, "samplingRate": 1.0, "bigqueryDestination": {"outputUri": f"bq://{P}.claude_logs"}}
DATASET = {"kind": "bigquery#dataset", "id": f"{P}:claude_logs", "location": "US", "etag": "e1",
           "datasetReference": {"projectId": P, "datasetId": "claude_logs"}}

Start = Callable[..., tuple[Emulator, GoogleApis]]

DEFAULT_BUCKET = "projects/demo-project/locations/global/buckets/_Default"


@pytest.fixture
def start(monkeypatch: pytest.MonkeyPatch) -> Iterator[Start]:
    """An emulator with ``faults`` (and pending operations) and the access layer pointed at it; deadline 0.5 s."""
    monkeypatch.setenv("VERTEX_CLAUDE_RETRY_DEADLINE", "0.5")
    started: list[Emulator] = []

    def _start(*faults: dict[str, Any], operation_polls: int = 0) -> tuple[Emulator, GoogleApis]:
        emu = Emulator(State.from_scenario({
            "defaults": {"operation_polls": operation_polls},
            "projects": {P: {"enabled_services": ["aiplatform.googleapis.com", "cloudquotas.googleapis.com"],
                             "bigquery": {"datasets": {"claude_logs": DATASET}}}},
            "faults": list(faults)}))
        emu.start()
        started.append(emu)
        return emu, google_for(emu, P)

    yield _start
    for emu in started:
        emu.stop()


# (call named in the error, method, path glob, the call, polls an operation stays pending)
CALLS: list[tuple[str, str, str, Callable[[GoogleApis], Any], int]] = [
    ("datasets.get", "GET", "/bigquery/v2/projects/*/datasets/*",
     lambda g: bigquery.get_dataset(g, P, "claude_logs"), 0),
    ("tables.get", "GET", "/bigquery/v2/projects/*/datasets/*/tables/*",
     lambda g: bigquery.get_table(g, P, "claude_logs"), 0),
    ("datasets.insert", "POST", "/bigquery/v2/projects/*/datasets",
     lambda g: bigquery.create_dataset(g, P, "other_logs", "US", None), 0),
    ("datasets.patch", "PATCH", "/bigquery/v2/projects/*/datasets/*",
     lambda g: bigquery.set_default_partition_expiration(g, P, "claude_logs", 86_400_000), 0),
    ("tabledata.list", "GET", "/bigquery/v2/projects/*/datasets/*/tables/*/data",  # smoke-test --verify-logged
     lambda g: logrows.row_count(g, logrows.Table(P, "claude_logs", logrows.TABLE)), 0),
    ("services.get", "GET", "/v1/projects/*/services/*",
     lambda g: services.get_state(g, P, "aiplatform.googleapis.com"), 0),
    ("services.enable", "POST", "/v1/projects/*/services/*:enable",
     lambda g: services.enable(g, P, "bigquery.googleapis.com"), 0),
    ("operations.get", "GET", "/v1/operations/*",  # the enable operation's polls (Service Usage)
     lambda g: services.enable(g, P, "bigquery.googleapis.com"), 2),
    ("projects.get", "GET", "/v3/projects/*", lambda g: projects.get_project(g, P), 0),
    ("projects.list", "GET", "/v3/projects", lambda g: projects.list_projects(g, ORG), 0),  # a fleet's walk
    ("folders.list", "GET", "/v3/folders", lambda g: folders.list_folders(g, ORG), 0),
    ("projects.search", "GET", "/v3/projects:search", lambda g: projects.search_projects(g, f"id:{P}"), 0),
    ("projects.testIamPermissions", "POST", "/v3/projects/*:testIamPermissions",
     lambda g: projects.test_permissions(g, P, ["resourcemanager.projects.get"]), 0),
    ("projects.getIamPolicy", "POST", "/v3/projects/*:getIamPolicy", lambda g: iam_policy.read_audit_configs(g, P), 0),
    ("projects.setIamPolicy", "POST", "/v3/projects/*:setIamPolicy",
     lambda g: iam_policy.ensure_audit_logs(g, P, "allServices", ["DATA_WRITE"]), 0),
    ("ListBuckets", "POST", "/google.logging.v2.ConfigServiceV2/ListBuckets", lambda g: cloud_logging.get_bucket(g, P),
     0),
    ("GetBucket", "POST", "/google.logging.v2.ConfigServiceV2/GetBucket",
     lambda g: cloud_logging.read_bucket(g, P, DEFAULT_BUCKET), 0),
    ("UpdateBucket", "POST", "/google.logging.v2.ConfigServiceV2/UpdateBucket",
     lambda g: cloud_logging.set_retention(g, P, DEFAULT_BUCKET, 60), 0),
    ("fetchPublisherModelConfig", "GET", "*:fetchPublisherModelConfig",
     lambda g: publisher_config.fetch(g, P, "us-east5", SONNET), 0),
    ("setPublisherModelConfig", "POST", "*:setPublisherModelConfig",
     lambda g: publisher_config.set_logging(g, P, "us-east5", SONNET, LOGGING), 0),
    ("operations.get", "GET", "*/locations/*/operations/*",  # the setPublisherModelConfig operation's polls
     lambda g: publisher_config.set_logging(g, P, "us-east5", SONNET, LOGGING), 2),
]


def test_a_stalled_call_ends_within_the_deadline(start: Start, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each call against its own emulator that stalls it, all at once (each waits out the same deadline; 2 s
    leaves the healthy calls before a stalled one room on a busy machine)."""
    from concurrent.futures import ThreadPoolExecutor

    monkeypatch.setenv("VERTEX_CLAUDE_RETRY_DEADLINE", "2")

    def stalled(case: tuple[str, str, str, Callable[[GoogleApis], Any], int]) -> str:
        call, method, path, fn, polls = case
        emu, google = start({"method": method, "path": path, "latency_ms": STALL_MS}, operation_polls=polls)
        began = time.monotonic()
        try:
            fn(google)
        except GoogleApiError as exc:
            took = time.monotonic() - began
            host, port = emu.address
            target = emu.grpc_target if call.endswith(("Bucket", "Buckets")) else f"{host}:{port}"
            text = f"{exc.message} | {exc.hint}".replace(target, "TARGET")
            return text if took < BOUND_S else f"took {took:.0f} s: {text}"
        return "no error"

    with ThreadPoolExecutor(len(CALLS)) as pool:
        got = list(pool.map(stalled, CALLS))
    fix = ("check network access to TARGET (proxy, firewall, [endpoints]); if Google is only slow, raise "
           "VERTEX_CLAUDE_RETRY_DEADLINE (now 2 s)")
    assert [text.split("): ", 1)[-1] for text in got] == [
        f"{call} got no answer from TARGET within the 2 s deadline (1 attempt) | {fix}" for call, *_ in CALLS]


def test_quotas_stalled_are_reported_not_waited_for(start: Start) -> None:
    _emu, google = start({"method": "GET", "path": "*/quotaInfos", "latency_ms": STALL_MS})
    began = time.monotonic()
    report = quotas.read_claude_quotas(google, P)
    assert time.monotonic() - began < BOUND_S
    assert not report.readable
    assert "quotaInfos.list got no answer from" in report.reason


@pytest.mark.parametrize(("path", "fn"), [
    ("/v3/projects/*", lambda g: projects.get_project(g, P)),
    ("/v3/projects/*:getIamPolicy", lambda g: iam_policy.read_audit_configs(g, P)),
    ("/v1/projects/*/services/*", lambda g: services.get_state(g, P, "aiplatform.googleapis.com")),
    ("/v3/projects", lambda g: projects.list_projects(g, ORG)),
    ("/v3/folders", lambda g: folders.list_folders(g, ORG)),
    ("/v3/projects:search", lambda g: projects.search_projects(g, f"id:{P}")),
], ids=["projects.get", "projects.getIamPolicy", "services.get", "projects.list", "folders.list", "projects.search"])
def test_one_retry_layer_for_a_permanent_503(start: Start, path: str, fn: Callable[[GoogleApis], Any]) -> None:
    """The generated clients' own retry (up to 60 s, inside ours) is off: every request is one of our attempts."""
    emu, google = start({"path": path, "status": 503})
    with pytest.raises(GoogleApiError) as raised:
        fn(google)
    sent = sum(1 for r in emu.requests if r.path.endswith(path.rsplit("*", 1)[-1]) and "/v" in r.path)
    assert sent > 1
    assert f"Google answered 503 UNAVAILABLE ({sent} attempts): The service is currently unavailable." in (
        raised.value.message)
    assert "after retries" not in raised.value.message


def test_quotas_list_has_one_retry_layer(start: Start) -> None:
    emu, google = start({"path": "*/quotaInfos", "status": 503})
    report = quotas.read_claude_quotas(google, P)
    sent = sum(1 for r in emu.requests if r.path.endswith("/quotaInfos"))
    assert sent > 1
    assert report.reason.endswith(f"Google answered 503 UNAVAILABLE ({sent} attempts): "
                                  "The service is currently unavailable.")


# -- 500 INTERNAL: retried where repeating is safe, reported as it happened where it is not ---------------------
@pytest.mark.parametrize(("method", "path", "fn"), [
    ("GET", "/v1/projects/*/services/*", lambda g: services.get_state(g, P, "aiplatform.googleapis.com")),
    ("GET", "/v3/projects/*", lambda g: projects.get_project(g, P)),
    ("GET", "/bigquery/v2/projects/*/datasets/*", lambda g: bigquery.get_dataset(g, P, "claude_logs")),
    ("GET", "*:fetchPublisherModelConfig", lambda g: publisher_config.fetch(g, P, "us-east5", SONNET)),
    ("POST", "/google.logging.v2.ConfigServiceV2/ListBuckets", lambda g: cloud_logging.get_bucket(g, P)),
    # writes that are safe to repeat: etag-guarded, masked, or idempotent
    ("POST", "/v3/projects/*:setIamPolicy",
     lambda g: iam_policy.ensure_audit_logs(g, P, "allServices", ["DATA_WRITE"])),
    ("POST", "*:setPublisherModelConfig", lambda g: publisher_config.set_logging(g, P, "us-east5", SONNET, LOGGING)),
    ("POST", "/v1/projects/*/services/*:enable", lambda g: services.enable(g, P, "bigquery.googleapis.com")),
    ("PATCH", "/bigquery/v2/projects/*/datasets/*",
     lambda g: bigquery.set_default_partition_expiration(g, P, "claude_logs", 86_400_000)),
    ("POST", "/google.logging.v2.ConfigServiceV2/UpdateBucket",
     lambda g: cloud_logging.set_retention(g, P, DEFAULT_BUCKET, 60)),
], ids=["services.get", "projects.get", "datasets.get", "fetchPublisherModelConfig", "ListBuckets",
        "setIamPolicy", "setPublisherModelConfig", "services.enable", "datasets.patch", "UpdateBucket"])
def test_500_is_retried_where_repeating_is_safe(start: Start, method: str, path: str,
                                               fn: Callable[[GoogleApis], Any]) -> None:
    _emu, google = start({"method": method, "path": path, "status": 500, "times": 2})
    fn(google)  # no error: the two 500s were retried


def test_a_create_that_cannot_take_a_409_is_not_repeated_after_a_500(start: Start) -> None:
    emu, google = start({"method": "POST", "path": "/bigquery/v2/projects/*/datasets", "status": 500, "times": 1})
    with pytest.raises(GoogleApiError) as raised:
        bigquery.create_dataset(google, P, "other_logs", "US", None, retry_if=retry.is_transient)
    inserts = [r for r in emu.requests if r.method == "POST" and r.path.endswith("/datasets")]
    assert len(inserts) == 1
    assert raised.value.message == ("bigquery.googleapis.com (project demo-project): Google answered 500 INTERNAL: "
                                    "Internal error encountered.")  # no claim of retries that did not happen


def test_the_logging_dataset_create_is_repeated_after_a_500(start: Start) -> None:
    """Its caller (the logging step) adopts a 409 from a create that landed before its answer was lost."""
    _emu, google = start({"method": "POST", "path": "/bigquery/v2/projects/*/datasets", "status": 500, "times": 2})
    assert bigquery.create_dataset(google, P, "other_logs", "US", None)["datasetReference"]["datasetId"] == (
        "other_logs")


def test_an_answer_that_is_not_retried_claims_no_retries(start: Start) -> None:
    emu, google = start({"method": "GET", "path": "/v1/projects/*/services/*", "status": 501,
                         "grpc_status": "UNIMPLEMENTED", "message": "Method not implemented."})
    with pytest.raises(GoogleApiError) as raised:
        services.get_state(google, P, "aiplatform.googleapis.com")
    assert sum(1 for r in emu.requests if r.path.startswith("/v1/projects/")) == 1
    assert raised.value.message == ("serviceusage.googleapis.com (project demo-project): Google answered 501 "
                                    "UNIMPLEMENTED: Method not implemented.")


def test_the_effective_org_policy_has_one_retry_layer_and_the_deadline(start: Start) -> None:
    """``getEffectivePolicy`` (read when a pair is blocked by policy, and by doctor): our retry and timeout
    only — before, the client's own retry (up to 60 s) ran inside ours and its 60 s timeout outlived the deadline."""
    from vertex_claude_setup.gcp import org_policy

    emu, google = start({"path": "*:getEffectivePolicy", "status": 503})
    policy = org_policy.effective_policy(google, P)
    sent = sum(1 for r in emu.requests if r.path.endswith(":getEffectivePolicy"))
    assert not policy.readable and sent > 1
    assert f"Google answered 503 UNAVAILABLE ({sent} attempts)" in policy.reason
    _emu, google = start({"path": "*:getEffectivePolicy", "latency_ms": STALL_MS})
    began = time.monotonic()
    policy = org_policy.effective_policy(google, P)
    assert time.monotonic() - began < BOUND_S
    assert not policy.readable and "getEffectivePolicy got no answer from" in policy.reason


@pytest.mark.parametrize(("path", "fn"), [
    ("/v1beta1/publishers/*/models/*", lambda g: model_garden.get_model(
        g, P, "publishers/anthropic/models/claude-sonnet-4-5@20250929")),
    ("/v1beta1/publishers/*/models", lambda g: model_garden.list_models(g, P)),
], ids=["GetPublisherModel", "ListPublisherModels"])
def test_model_garden_reads_have_one_retry_layer_and_the_deadline(start: Start, path: str,
                                                                  fn: Callable[[GoogleApis], Any]) -> None:
    """Model Garden's generated client: our retry and attempt timeout only (the client's own never run)."""
    emu, google = start({"path": path, "status": 503})
    with pytest.raises(GoogleApiError) as raised:
        fn(google)
    sent = sum(1 for r in emu.requests if fnmatch.fnmatchcase(r.path, path))
    assert sent > 1 and f"Google answered 503 UNAVAILABLE ({sent} attempts)" in raised.value.message
    _emu, google = start({"path": path, "latency_ms": STALL_MS})
    began = time.monotonic()
    with pytest.raises(GoogleApiError, match="got no answer from"):
        fn(google)
    assert time.monotonic() - began < BOUND_S
