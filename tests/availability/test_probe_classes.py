"""Every availability class, produced by the emulator and classified from the real SDK's answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from audit_support import ON, claude_requests, emulator, google_for

from vertex_claude_setup.availability.audit import DESCRIPTIONS, run_audit
from vertex_claude_setup.availability.cache import AuditCache
from vertex_claude_setup.availability.classify import Availability
from vertex_claude_setup.availability.probe import PROBE_MESSAGES, Limits, quiet_gc

SONNET = "claude-sonnet-4-5@20250929"


@pytest.fixture(autouse=True)
def _fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VERTEX_CLAUDE_RETRY_INITIAL", "0.01")
    monkeypatch.setenv("VERTEX_CLAUDE_RETRY_DEADLINE", "2")


SCENARIO: dict[str, Any] = {
    "projects": {
        "good-project": {"enabled_services": ON, "availability": {f"{SONNET}|europe-west1": "NOT_ENABLED"},
                         "quotas": {"anthropic-claude-sonnet-4-5|asia-southeast1": 0}},
        "noperm-project": {"enabled_services": ON, "permissions": ["cloudquotas.quotas.get"]},
        "off-project": {"enabled_services": []},
        "nobill-project": {"enabled_services": ON, "billing_enabled": False},
        "policy-project": {"enabled_services": ON, "parent": "folders/42"},
    },
    "org_policies": {"folders/42": {"vertexai.allowedModels": {"rules": [{"denyAll": True}]}}},
    "faults": [{"path": "*/locations/us/*", "status": 503}, {"path": "*/locations/eu/*", "status": 429}],
}


def _classes(emu: Any, project: str, models: list[str], regions: list[str]) -> dict[tuple[str, str], Any]:
    audit = run_audit(google_for(emu, project), project, models, regions, limits=Limits(attempts=3))
    return {**audit.results, ("audit", ""): audit}


def test_every_class_is_produced_and_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[Availability, Any] = {}
    with emulator(monkeypatch, SCENARIO) as emu:
        good = _classes(emu, "good-project", [SONNET, "claude-fable-5", "claude-imaginary-9"],
                        ["us-east5", "europe-west1", "us-central1", "asia-southeast1", "us", "eu"])
        for project in ("noperm-project", "off-project", "nobill-project", "policy-project"):
            seen.update({r.availability: r for k, r in _classes(emu, project, [SONNET], ["us-east5"]).items()
                         if k[0] != "audit"})
    audit = good.pop(("audit", ""))
    seen.update({r.availability: r for r in good.values()})
    expect = {
        (SONNET, "us-east5"): Availability.AVAILABLE,
        (SONNET, "europe-west1"): Availability.NOT_ENABLED,
        (SONNET, "us-central1"): Availability.NOT_SERVABLE_IN_REGION,
        (SONNET, "asia-southeast1"): Availability.QUOTA_EXHAUSTED,
        (SONNET, "us"): Availability.ERROR,
        (SONNET, "eu"): Availability.QUOTA_EXHAUSTED,
        ("claude-fable-5", "asia-southeast1"): Availability.DATA_SHARING_REQUIRED,
        ("claude-imaginary-9", "us-east5"): Availability.NOT_FOUND_OR_NO_ACCESS,
    }
    assert {k: good[k].availability for k in expect} == expect
    assert set(seen) == set(Availability)
    for cls, result in seen.items():
        assert DESCRIPTIONS[cls]
        assert cls is Availability.AVAILABLE or (result.verdict.fix and result.verdict.message), cls
    assert seen[Availability.PERMISSION_DENIED].verdict.permission == "aiplatform.endpoints.predict"
    assert "roles/aiplatform.user" in seen[Availability.PERMISSION_DENIED].verdict.fix
    assert "vertex-claude-setup api enable" in seen[Availability.API_DISABLED].verdict.fix
    assert "billing" in seen[Availability.BILLING_DISABLED].verdict.fix
    assert "model-garden/claude-sonnet-4-5?project=good-project" in good[(SONNET, "europe-west1")].verdict.fix
    assert good[("claude-imaginary-9", "us-east5")].verdict.http_status == 404
    # 429: a zero quota is named as such; a positive quota used up is "spent", not confused with it.
    assert audit.quota_state(good[(SONNET, "asia-southeast1")]) == "zero"
    assert audit.explanation(good[(SONNET, "asia-southeast1")]) == (
        "quota is 0 requests/min for anthropic-claude-sonnet-4-5 in asia-southeast1 (not throttling)")
    assert audit.quota_state(good[(SONNET, "eu")]) == "unknown"  # no eu quota for this base model


def test_lasting_503_is_error_and_lasting_429_is_quota_exhausted_after_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    with emulator(monkeypatch, SCENARIO) as emu:
        results = _classes(emu, "good-project", [SONNET], ["us", "eu"])
        paths = claude_requests(emu)
    error, quota = results[(SONNET, "us")], results[(SONNET, "eu")]
    assert (error.availability, error.attempts, error.verdict.http_status) == (Availability.ERROR, 3, 503)
    assert error.verdict.status == "UNAVAILABLE"
    assert sum("/locations/us/" in p for p in paths) == 3
    # A 429 is a blip until it outlasts the retries; then QUOTA_EXHAUSTED says it did.
    assert (quota.availability, quota.attempts) == (Availability.QUOTA_EXHAUSTED, 3)
    assert quota.verdict.message.endswith("(still 429 after 3 attempt(s): the retry budget is spent)")
    assert sum("/locations/eu/" in p for p in paths) == 3


def test_one_429_is_retried_and_is_available(monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = {"projects": {"good-project": {"enabled_services": ON}},
                "faults": [{"path": "*/locations/us-east5/*count-tokens*", "status": 429, "times": 1,
                            "retry_delay": "0.05s"}]}
    with emulator(monkeypatch, scenario) as emu:
        audit = run_audit(google_for(emu, "good-project"), "good-project", [SONNET], ["us-east5"], quotas=False,
                          limits=Limits(attempts=3))
    result = audit.result(SONNET, "us-east5")
    assert (result.availability, result.attempts) == (Availability.AVAILABLE, 2)


def test_a_retry_info_past_the_deadline_is_not_retried_early_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    # RetryInfo asks for 30 s; the retry deadline here is 2 s: retrying sooner would ignore Google's ask.
    scenario = {"projects": {"good-project": {"enabled_services": ON}},
                "faults": [{"path": "*/locations/us-east5/*count-tokens*", "status": 429, "times": 1,
                            "retry_delay": "30s"}]}
    with emulator(monkeypatch, scenario) as emu:
        audit = run_audit(google_for(emu, "good-project"), "good-project", [SONNET], ["us-east5"], quotas=False,
                          limits=Limits(attempts=3))
        probes = len(claude_requests(emu))
    result = audit.result(SONNET, "us-east5")
    assert (result.availability, result.attempts, probes) == (Availability.QUOTA_EXHAUSTED, 1, 1)
    assert result.verdict.message.endswith(
        "(still 429 after 1 attempt(s): Google asked to retry in 30 s, past the retry deadline)")


def test_one_shot_503_recovers_after_retry(monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = {"projects": {"good-project": {"enabled_services": ON}},
                "faults": [{"path": "*/locations/global/publishers/*", "status": 503, "times": 1}]}
    with emulator(monkeypatch, scenario) as emu:
        result = _classes(emu, "good-project", [SONNET], ["global"])[(SONNET, "global")]
    assert (result.availability, result.attempts) == (Availability.AVAILABLE, 2)


def test_a_429_with_retry_info_is_retried_after_the_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    """RetryInfo says "retry after this": a per-minute rate limit is a blip; a 429 without it stays a fact."""
    scenario = {"projects": {"good-project": {"enabled_services": ON}},
                "faults": [{"path": "*/locations/global/publishers/*", "status": 429, "times": 1,
                            "reason": "RATE_LIMIT_EXCEEDED", "retry_delay": "0.2s"}]}
    with emulator(monkeypatch, scenario) as emu:
        result = _classes(emu, "good-project", [SONNET], ["global"])[(SONNET, "global")]
    assert (result.availability, result.attempts) == (Availability.AVAILABLE, 2)


def test_timeouts_and_connection_errors_are_error(monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = {"projects": {"good-project": {"enabled_services": ON}}, "region_latency_ms": {"us-east5": 1500}}
    with emulator(monkeypatch, scenario) as emu:
        google = google_for(emu, "good-project")
        audit = run_audit(google, "good-project", [SONNET], ["us-east5", "global"], quotas=False,
                          limits=Limits(timeout=0.3, attempts=2))
    slow = audit.result(SONNET, "us-east5")
    assert (slow.availability, slow.verdict.status, slow.attempts) == (Availability.ERROR, "DEADLINE_EXCEEDED", 2)
    assert audit.result(SONNET, "global").availability is Availability.AVAILABLE
    # Nothing listens any more: a connection error, classified, not a traceback. (A new command: one command
    # asks each pair once and would reuse the answer it had.)
    dead = run_audit(google_for(emu, "good-project"), "good-project", [SONNET], ["global"], quotas=False,
                     limits=Limits(attempts=1))
    assert dead.result(SONNET, "global").verdict.status == "UNAVAILABLE"
    assert "check network access to aiplatform.googleapis.com" in dead.result(SONNET, "global").verdict.fix


def test_global_and_regional_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    import anthropic

    from vertex_claude_setup.availability.classify import classify

    scenario = {"projects": {"good-project": {"enabled_services": ON}}}
    with emulator(monkeypatch, scenario) as emu:
        google = google_for(emu, "good-project")
        run_audit(google, "good-project", [SONNET], ["global", "us-east5"], quotas=False)
        hosts = {r.path.split("/locations/")[1].split("/")[0]: r.host for r in emu.requests
                 if "count-tokens" in r.path}
        assert hosts == {"global": "aiplatform.googleapis.com", "us-east5": "us-east5-aiplatform.googleapis.com"}
        # A regional host asked for location global is a 404, as on Google.
        base = google.claude_base_url("us-east5")
        # Closed on leaving: an open client's socket would be collected (and warned about) in a later test.
        with anthropic.AnthropicVertex(project_id="good-project", region="global", base_url=base,
                                       access_token="t", max_retries=0,
                                       default_headers=google.vertex_headers("us-east5")) as client, \
                pytest.raises(anthropic.NotFoundError) as caught:
            client.messages.count_tokens(model=SONNET, messages=[{"role": "user", "content": "hi"}])
    verdict = classify(caught.value.status_code, caught.value.response.content, project="good-project",
                       model=SONNET, region="global")
    assert verdict.availability is Availability.NOT_FOUND_OR_NO_ACCESS
    assert "global: aiplatform.googleapis.com" in verdict.fix


def test_error_bodies_sent_as_json_arrays_are_classified(monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = {"projects": {"good-project": {"enabled_services": ON}}, "availability": {"array_errors": True}}
    with emulator(monkeypatch, scenario) as emu:
        audit = run_audit(google_for(emu, "good-project"), "good-project", [SONNET, "claude-fable-5"],
                          ["us-central1", "global"], quotas=False)
        raw = [r for r in emu.requests if "us-central1" in r.path]
    assert raw
    assert audit.result(SONNET, "us-central1").availability is Availability.NOT_SERVABLE_IN_REGION
    assert audit.result("claude-fable-5", "global").availability is Availability.DATA_SHARING_REQUIRED


def test_quotas_unreadable_is_reported_and_the_audit_goes_on(monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = {"projects": {"p-no-quota-read": {"enabled_services": ON,
                                                 "permissions": ["aiplatform.endpoints.predict"]}}}
    with emulator(monkeypatch, scenario) as emu:
        audit = run_audit(google_for(emu, "p-no-quota-read"), "p-no-quota-read", [SONNET], ["global"])
    assert audit.result(SONNET, "global").availability is Availability.AVAILABLE
    assert not audit.quotas.readable
    assert audit.quotas.reason == ("your principal may not read quotas of project p-no-quota-read "
                                   "(needs cloudquotas.quotas.get)")
    assert audit.quotas.hint == "grant roles/cloudquotas.viewer on project p-no-quota-read"


def test_quota_infos_follow_the_rest_shape(monkeypatch: pytest.MonkeyPatch) -> None:
    from vertex_claude_setup.gcp.quotas import read_claude_quotas

    scenario = {"projects": {"good-project": {"enabled_services": ON, "quotas": {"anthropic-claude-opus|us": 7}}}}
    with emulator(monkeypatch, scenario) as emu:
        report = read_claude_quotas(google_for(emu, "good-project"), "good-project")
        listed = [r for r in emu.requests if r.path.endswith("/quotaInfos")]
    assert listed[0].path == "/v1/projects/good-project/locations/global/services/aiplatform.googleapis.com/quotaInfos"
    assert report.readable
    assert report.limit("anthropic-claude-opus", "us") == 7
    assert report.limit("anthropic-claude-opus", "global") == 120
    assert report.limit("anthropic-claude-sonnet-4-5", "us-east5") == 60
    assert all(e.base_model.startswith("anthropic-claude") for e in report.entries)  # gemini filtered out


def test_cache_never_keeps_transient_errors(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with emulator(monkeypatch, SCENARIO) as emu:
        google = google_for(emu, "good-project")
        cache = AuditCache(tmp_path / "cache.json", "emulator", "good-project")
        run_audit(google, "good-project", [SONNET], ["us", "us-east5"], cache=cache, quotas=False)
        second = run_audit(google, "good-project", [SONNET], ["us", "us-east5"], cache=cache, quotas=False)
    assert second.result(SONNET, "us-east5").cached is True
    assert second.result(SONNET, "us").cached is False


def test_the_probe_sends_the_request_messages_count_tokens_sends(monkeypatch: pytest.MonkeyPatch) -> None:
    """The probe's low-level SDK call is the SDK's own count-tokens request (same host, path and body),
    with the anthropic_version Google documents for count-tokens."""

    def seen(emu: Any) -> list[tuple[str, str, str, Any]]:
        return [(r.method, r.path, r.host, r.json()) for r in emu.requests if r.path.endswith(":rawPredict")]

    with emulator(monkeypatch, {"projects": {"good-project": {"enabled_services": ON}}}) as emu:
        google = google_for(emu, "good-project")
        run_audit(google, "good-project", [SONNET], ["us-east5", "global"], quotas=False)
        probed = seen(emu)
        emu.requests.clear()
        for region in ("us-east5", "global"):
            with google.anthropic_client(region) as client:
                client.messages.count_tokens(model=SONNET, messages=PROBE_MESSAGES,
                                             extra_body={"anthropic_version": "vertex-2023-10-16"})
        assert probed == seen(emu)
    assert [(path, host) for _, path, host, _ in probed] == [
        ("/v1/projects/good-project/locations/us-east5/publishers/anthropic/models/count-tokens:rawPredict",
         "us-east5-aiplatform.googleapis.com"),
        ("/v1/projects/good-project/locations/global/publishers/anthropic/models/count-tokens:rawPredict",
         "aiplatform.googleapis.com")]
    assert probed[0][3] == {"model": SONNET, "messages": PROBE_MESSAGES, "anthropic_version": "vertex-2023-10-16"}


def test_quiet_gc_pauses_collection_only_for_the_burst() -> None:
    import gc

    assert gc.isenabled()
    with quiet_gc():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with quiet_gc():
            assert not gc.isenabled()
        assert not gc.isenabled(), "a caller that turned collection off keeps it off"
    finally:
        gc.enable()
