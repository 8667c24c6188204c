"""smoke-test through the real anthropic SDK against the emulator: success, every failure class, streaming, logs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from vertex_claude_setup.emulator import Emulator

from .conftest import Run, healthy, normalize, squash, write_config

Runner = Callable[..., Run]
Start = Callable[[dict[str, Any]], Emulator]


def test_success_prints_reply_latency_tokens_and_request_id(emulator: Start, run: Runner) -> None:
    emu = emulator(healthy())
    result = run("smoke-test")
    assert result.code == 0, result.err
    assert normalize(result.out) == (
        "Smoke test: claude-sonnet-4-6 in us-east5: PASS\n"
        "  reply:      Hello! I'm Claude, answering from Vertex AI in us-east5. How can I help you today?\n"
        "  latency:    N ms\n"
        "  tokens:     10 in / 15 out (stop reason end_turn)\n"
        "  request id: REQ_ID\n")
    # Exactly the seed's request: model in the URL, anthropic_version in the body, no model in the body.
    calls = [r for r in emu.requests if r.path.endswith(":rawPredict")]
    assert [c.path for c in calls] == [
        "/v1/projects/demo-project/locations/us-east5/publishers/anthropic/models/claude-sonnet-4-6:rawPredict"]
    body = calls[0].json()
    assert body == {"max_tokens": 100, "messages": [{"role": "user", "content": "Hey Claude!"}],
                    "anthropic_version": "vertex-2023-10-16"}


def test_prompt_and_max_tokens_come_from_config(emulator: Start, run: Runner, tmp_path: Path) -> None:
    emulator(healthy())
    cfg = write_config(tmp_path / "c.toml", extra='[smoke_test]\nprompt = "Ping"\nmax_tokens = 3\n')
    result = run("smoke-test", "--json", config=cfg)
    assert result.code == 0
    data = json.loads(result.out)["results"][0]
    assert data["reply"] == "Hello! I'm Claude,"
    assert (data["output_tokens"], data["stop_reason"], data["ok"]) == (3, "max_tokens", True)
    assert data["request_id"].startswith("req_vrtx_")


FAILURES = [
    ({"availability": {"claude-sonnet-4-6|us-east5": "NOT_SERVABLE_IN_REGION"}}, "NOT_SERVABLE_IN_REGION",
     "400 FAILED_PRECONDITION: Publisher Model `projects/demo-project/locations/us-east5/publishers/anthropic/models/"
     "claude-sonnet-4-6` is not servable in region us-east5.",
     "call claude-sonnet-4-6 from another region; the catalog hints it is served in global, us-east5, europe-west1"),
    ({"availability": {"claude-sonnet-4-6|us-east5": "NOT_ENABLED"}}, "NOT_ENABLED",
     "is not allowed to use Publisher Model", "enable claude-sonnet-4-6 for project demo-project in Model Garden"),
    ({"availability": {"claude-sonnet-4-6|us-east5": "NOT_FOUND"}}, "NOT_FOUND_OR_NO_ACCESS",
     "was not found or your project does not have access to it", "check the model id claude-sonnet-4-6"),
    ({"availability": {"claude-sonnet-4-6|us-east5": "DATA_SHARING_REQUIRED"}}, "DATA_SHARING_REQUIRED",
     "requires data sharing to be enabled", "dataSharingEnabledProvider=ANTHROPIC"),
    ({"availability": {"claude-sonnet-4-6|us-east5": "QUOTA_ZERO"}}, "QUOTA_EXHAUSTED",
     "429 RESOURCE_EXHAUSTED: Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model",
     "request an increase at https://console.cloud.google.com/iam-admin/quotas?project=demo-project"),
    ({"enabled_services": []}, "API_DISABLED", "Vertex AI API has not been used in project",
     "`vertex-claude-setup api enable`"),
    ({"billing_enabled": False}, "BILLING_DISABLED", "requires billing to be enabled",
     "link a billing account: https://console.cloud.google.com/billing/linkedaccount?project=demo-project"),
    ({"permissions": ["resourcemanager.projects.get"]}, "PERMISSION_DENIED",
     "Permission 'aiplatform.endpoints.predict' denied",
     "grant roles/aiplatform.user (has aiplatform.endpoints.predict) to your principal on project demo-project"),
    ({"availability": {"claude-sonnet-4-6|us-east5": "ERROR"}}, "ERROR", "503 UNAVAILABLE",
     "retry later"),
]


@pytest.mark.parametrize(("project", "klass", "said", "fix"), FAILURES, ids=[f[1] for f in FAILURES])
def test_every_failure_class_is_explained_with_its_fix(emulator: Start, run: Runner, project: dict[str, Any],
                                                       klass: str, said: str, fix: str) -> None:
    emulator(healthy(**project))
    result = run("smoke-test")
    assert result.code == 3
    lines = result.out.splitlines()
    assert lines[0] == f"Smoke test: claude-sonnet-4-6 in us-east5: FAIL ({klass})"
    error = next(line for line in lines if line.startswith("  error:"))
    fix_line = next(line for line in lines if line.startswith("  fix:"))
    assert said in error
    assert fix in fix_line
    assert "Traceback" not in result.out + result.err


def test_all_pairs_run_concurrently_as_a_table(emulator: Start, run: Runner) -> None:
    emulator(healthy(availability={"claude-haiku-4-5@20251001|global": "NOT_SERVABLE_IN_REGION"}))
    result = run("smoke-test", "--all")
    assert result.code == 3
    assert squash(normalize(result.out)) == (
        "MODEL  REGION  RESULT  LATENCY  TOKENS IN/OUT  REQUEST ID\n"
        "claude-sonnet-4-6  us-east5  PASS  N ms  10/15  REQ_ID\n"
        "claude-sonnet-4-6  global  PASS  N ms  10/15  REQ_ID\n"
        "claude-haiku-4-5@20251001  us-east5  PASS  N ms  10/15  REQ_ID\n"
        "claude-haiku-4-5@20251001  global  FAIL (NOT_SERVABLE_IN_REGION)  -  -  -\n"
        "\n"
        "✗ claude-haiku-4-5@20251001 in global:\n"
        "  error:  400 FAILED_PRECONDITION: Publisher Model `projects/demo-project/locations/global/publishers/"
        "anthropic/models/claude-haiku-4-5@20251001` is not servable in region global.\n"
        "  fix:  call claude-haiku-4-5@20251001 from another region; the catalog hints it is served in "
        "global, us-east5, europe-west1 (`vertex-claude-setup regions best claude-haiku-4-5@20251001`)\n"
        "\n"
        "3 of 4 (model, region) pairs passed.\n")


def test_all_is_concurrent(emulator: Start, run: Runner) -> None:
    emulator({**healthy(), "faults": [{"path": "*:rawPredict", "latency_ms": 200}]})
    result = run("smoke-test", "--all", "--json")
    assert result.code == 0
    data = json.loads(result.out)["results"]
    assert len(data) == 4 and all(r["ok"] for r in data)
    assert all(r["latency_ms"] >= 200 for r in data)


def test_stream_uses_stream_raw_predict_and_reports_time_to_first_token(emulator: Start, run: Runner) -> None:
    emu = emulator(healthy())
    result = run("smoke-test", "--stream")
    assert result.code == 0, result.out
    assert normalize(result.out) == (
        "Smoke test: claude-sonnet-4-6 in us-east5: PASS\n"
        "  reply:      Hello! I'm Claude, answering from Vertex AI in us-east5. How can I help you today?\n"
        "  latency:    N ms (time to first token N ms)\n"
        "  tokens:     10 in / 15 out (stop reason end_turn)\n"
        "  request id: REQ_ID\n")
    streamed = [r for r in emu.requests if r.path.endswith(":streamRawPredict")]
    assert len(streamed) == 1
    assert streamed[0].json()["stream"] is True


def test_stream_failure_is_classified(emulator: Start, run: Runner) -> None:
    emulator(healthy(availability={"claude-sonnet-4-6|us-east5": "QUOTA_ZERO"}))
    result = run("smoke-test", "--stream")
    assert result.code == 3
    assert result.out.splitlines()[0] == "Smoke test: claude-sonnet-4-6 in us-east5: FAIL (QUOTA_EXHAUSTED)"


def _logged(project: str = "demo-project") -> dict[str, Any]:
    destination = {"outputUri": f"bq://{project}.claude_logs.request_response_logging"}
    dataset = {"kind": "bigquery#dataset", "id": f"{project}:claude_logs", "location": "US",
               "datasetReference": {"projectId": project, "datasetId": "claude_logs"}}
    return {"publisherModelConfigs": {
        "us-east5/claude-sonnet-4-6": {"loggingConfig": {"enabled": True, "samplingRate": 1.0,
                                                         "bigqueryDestination": destination}}},
            "bigquery": {"datasets": {"claude_logs": dataset}}}


def test_verify_logged_finds_the_row(emulator: Start, run: Runner) -> None:
    emu = emulator(healthy(**_logged()))
    result = run("smoke-test", "--verify-logged", "--log-timeout", "5")
    assert result.code == 0, result.out
    assert normalize(result.out).splitlines()[-1] == (
        "  log row:    row found in demo-project.claude_logs.request_response_logging after Ns")
    assert any(r.path.endswith("/tables/request_response_logging/data") for r in emu.requests)


def test_verify_logged_reports_a_missing_row_within_the_bound(emulator: Start, run: Runner) -> None:
    scenario = _logged()
    del scenario["bigquery"]  # logging is on, but its dataset is gone: Vertex cannot write the row
    emulator(healthy(**scenario))
    result = run("smoke-test", "--verify-logged", "--log-timeout", "0.3")
    assert result.code == 3
    assert normalize(result.out) == (
        "Smoke test: claude-sonnet-4-6 in us-east5: FAIL (NOT_LOGGED)\n"
        "  reply:      Hello! I'm Claude, answering from Vertex AI in us-east5. How can I help you today?\n"
        "  latency:    N ms\n"
        "  tokens:     10 in / 15 out (stop reason end_turn)\n"
        "  request id: REQ_ID\n"
        "  log row:    the table does not exist yet in demo-project.claude_logs.request_response_logging after Ns\n"
        "  fix:        logging is on for claude-sonnet-4-6: check that Vertex AI can write to "
        "demo-project.claude_logs.request_response_logging (`vertex-claude-setup logging verify`); rows can take "
        "minutes: retry with a longer --log-timeout\n")


def _data_reads(emu: Emulator) -> list[str]:
    return [r.path for r in emu.requests if r.path.endswith("/data")]


def test_verify_logged_all_reports_pairs_that_cannot_log_as_not_applicable(emulator: Start, run: Runner) -> None:
    # Logged: sonnet in us-east5 only. global can never be configured; haiku in us-east5 has no logging.
    emu = emulator(healthy(**_logged()))
    result = run("smoke-test", "--all", "--verify-logged")  # the default 180 s bound: nothing may wait for it
    assert result.code == 0, result.out
    assert squash(normalize(result.out)) == (
        "MODEL  REGION  RESULT  LATENCY  TOKENS IN/OUT  LOGGED  REQUEST ID\n"
        "claude-sonnet-4-6  us-east5  PASS  N ms  10/15  yes  REQ_ID\n"
        "claude-sonnet-4-6  global  PASS  N ms  10/15  n/a  REQ_ID\n"
        "claude-haiku-4-5@20251001  us-east5  PASS  N ms  10/15  n/a  REQ_ID\n"
        "claude-haiku-4-5@20251001  global  PASS  N ms  10/15  n/a  REQ_ID\n"
        "\n"
        "Log row n/a (no row owed, not a failure):\n"
        "  claude-sonnet-4-6 in global: not loggable: request-response logging cannot be configured on the global "
        "endpoint (Google supports it for Anthropic models only on regional endpoints)\n"
        "  claude-haiku-4-5@20251001 in us-east5: not loggable: request-response logging is not enabled for "
        "claude-haiku-4-5@20251001 in us-east5\n"
        "  claude-haiku-4-5@20251001 in global: not loggable: request-response logging cannot be configured on the "
        "global endpoint (Google supports it for Anthropic models only on regional endpoints)\n"
        "\n"
        "4 of 4 (model, region) pairs passed.\n")
    # One baseline count and one read found the only row owed: no polling for rows that cannot come.
    assert _data_reads(emu) == ["/bigquery/v2/projects/demo-project/datasets/claude_logs/tables/"
                                "request_response_logging/data"] * 2
    # The logging config was read for the regional pairs only (global has none to read).
    fetched = sorted(r.path.split("/locations/")[1] for r in emu.requests
                     if r.path.endswith(":fetchPublisherModelConfig"))
    assert fetched == ["us-east5/publishers/anthropic/models/claude-haiku-4-5@20251001:fetchPublisherModelConfig",
                       "us-east5/publishers/anthropic/models/claude-sonnet-4-6:fetchPublisherModelConfig"]
    data = json.loads(run("smoke-test", "--all", "--verify-logged", "--json").out)["results"]
    assert [(r["region"], r["ok"], r["logged"]["found"], r["logged"]["loggable"]) for r in data] == [
        ("us-east5", True, True, True), ("global", True, False, False), ("us-east5", True, False, False),
        ("global", True, False, False)]
    assert data[2]["logged"]["fix"] == ("`vertex-claude-setup logging enable --model claude-haiku-4-5@20251001 "
                                        "--region us-east5` (or [logging] enabled = true and "
                                        "`vertex-claude-setup apply`)")


def test_verify_logged_on_global_via_cloud_ml_region_does_not_wait(emulator: Start, run: Runner,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    emu = emulator(healthy(**_logged()))
    monkeypatch.setenv("CLOUD_ML_REGION", "global")
    result = run("smoke-test", "--verify-logged")
    assert result.code == 0, result.out
    assert normalize(result.out) == (
        "Smoke test: claude-sonnet-4-6 in global: PASS\n"
        "  reply:      Hello! I'm Claude, answering from Vertex AI in global. How can I help you today?\n"
        "  latency:    N ms\n"
        "  tokens:     10 in / 15 out (stop reason end_turn)\n"
        "  request id: REQ_ID\n"
        "  log row:    n/a (not loggable: request-response logging cannot be configured on the global endpoint "
        "(Google supports it for Anthropic models only on regional endpoints))\n")
    assert _data_reads(emu) == []


def test_verify_logged_sampled_pair_is_not_waited_for(emulator: Start, run: Runner) -> None:
    scenario = _logged()
    config = scenario["publisherModelConfigs"]["us-east5/claude-sonnet-4-6"]["loggingConfig"]
    config["samplingRate"] = 1e-9  # the emulator samples like Vertex: this call is (all but surely) not logged
    emu = emulator(healthy(**scenario))
    result = run("smoke-test", "--verify-logged", "--json")  # the default 180 s bound
    assert result.code == 0, result.out
    logged = json.loads(result.out)["results"][0]["logged"]
    assert (logged["found"], logged["loggable"]) == (False, False)
    assert logged["message"] == ("sampled out: samplingRate 1e-09 logs about 0% of calls and this one has no row in "
                                 "demo-project.claude_logs.request_response_logging")
    assert len(_data_reads(emu)) == 2  # the baseline and one read


def test_verify_logged_uses_the_destination_the_pair_logs_to(emulator: Start, run: Runner) -> None:
    scenario = _logged()
    config = scenario["publisherModelConfigs"]["us-east5/claude-sonnet-4-6"]["loggingConfig"]
    config["bigqueryDestination"] = {"outputUri": "bq://demo-project.audit_logs"}  # adopted, not [logging] dataset
    scenario["bigquery"]["datasets"]["audit_logs"] = {
        **scenario["bigquery"]["datasets"]["claude_logs"], "id": "demo-project:audit_logs",
        "datasetReference": {"projectId": "demo-project", "datasetId": "audit_logs"}}
    emulator(healthy(**scenario))
    result = run("smoke-test", "--verify-logged", "--log-timeout", "5")
    assert result.code == 0, result.out
    assert normalize(result.out).splitlines()[-1] == (
        "  log row:    row found in demo-project.audit_logs.request_response_logging after Ns")


def test_no_credentials_is_a_one_line_error(run: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("HOME", str(empty))
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(empty))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing-key.json"))
    for args in (("smoke-test",), ("smoke-test", "--all", "--verify-logged")):
        result = run(*args)
        assert result.code == 1, result.out
        assert result.out == ""
        assert result.err == (
            f"Error: GOOGLE_APPLICATION_CREDENTIALS names {tmp_path / 'missing-key.json'}, which does not exist\n"
            "  fix: point it at an existing credentials file, or unset it to use gcloud's "
            "(`gcloud auth application-default login`)\n")


def test_verify_logged_ignores_rows_of_other_requests(emulator: Start, run: Runner) -> None:
    emulator(healthy(**_logged()))
    assert run("smoke-test").code == 0  # an earlier, unrelated request is logged
    result = run("smoke-test", "--verify-logged", "--log-timeout", "5", "--json")
    data = json.loads(result.out)["results"][0]
    assert data["logged"]["found"] is True


def test_log_rows_are_served_as_tabledata_list(emulator: Start, run: Runner) -> None:
    emu = emulator(healthy(**_logged()))
    assert run("smoke-test").code == 0
    base = f"http://{emu.address[0]}:{emu.address[1]}"
    url = f"{base}/bigquery/v2/projects/demo-project/datasets/claude_logs/tables/request_response_logging/data"
    page = requests.get(url, timeout=5).json()
    assert page["kind"] == "bigquery#tableDataList" and page["totalRows"] == "1"
    cells = [c["v"] for c in page["rows"][0]["f"]]
    assert len(cells) == 13
    assert cells[6:9] == ["publishers/anthropic/models/claude-sonnet-4-6", "", "rawPredict"]
    assert json.loads(cells[9])["messages"] == [{"role": "user", "content": "Hey Claude!"}]
    assert float(cells[2]) > 1.6e9  # TIMESTAMP as float seconds unless useInt64Timestamp
    missing = requests.get(url.replace("claude_logs", "other"), timeout=5)
    assert missing.status_code == 404


def test_emulator_validates_the_request_like_vertex(emulator: Start) -> None:
    emu = emulator(healthy())
    base = f"http://{emu.address[0]}:{emu.address[1]}"
    url = f"{base}/v1/projects/demo-project/locations/us-east5/publishers/anthropic/models/claude-sonnet-4-6:rawPredict"
    message = {"max_tokens": 10, "messages": [{"role": "user", "content": "Hi"}]}
    no_version = requests.post(url, json=message, timeout=5)
    assert no_version.status_code == 400
    assert no_version.json()["error"] == {"type": "invalid_request_error",
                                          "message": "anthropic_version: field required"}
    with_model = requests.post(url, json={**message, "anthropic_version": "vertex-2023-10-16",
                                          "model": "claude-sonnet-4-6"}, timeout=5)
    assert with_model.status_code == 400
    assert "model: Extra inputs are not permitted" in with_model.text
    wrong_version = requests.post(url, json={**message, "anthropic_version": "2023-06-01"}, timeout=5)
    assert wrong_version.status_code == 400
    ok = requests.post(url, json={**message, "anthropic_version": "vertex-2023-10-16"}, timeout=5)
    assert ok.status_code == 200 and ok.headers["request-id"].startswith("req_vrtx_")
    assert ok.json()["usage"] == {"input_tokens": 8, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0,
                                  "output_tokens": 10}


def test_model_and_region_flags_are_validated(emulator: Start, run: Runner) -> None:
    emulator(healthy())
    bad = run("smoke-test", "--region", "us-centrall1")
    assert bad.code == 1
    assert bad.err.startswith("Error: --region 'us-centrall1': unknown Vertex AI location; did you mean 'us-central1'?")
    both = run("smoke-test", "--all", "--model", "claude-sonnet-4-6")
    assert both.code == 1 and "--all calls every configured pair" in both.err


def test_a_stalled_claude_call_ends_within_the_one_deadline(emulator: Start, run: Runner,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The smoke test's call sits under VERTEX_CLAUDE_RETRY_DEADLINE like every Google call (it waited the
    SDK's 60 s before): a stalled endpoint is a classified failure, not a hang."""
    import time

    monkeypatch.setenv("VERTEX_CLAUDE_RETRY_DEADLINE", "1")
    emulator({**healthy(), "faults": [{"path": "*:rawPredict", "latency_ms": 30_000}]})
    began = time.monotonic()
    result = run("smoke-test")
    assert time.monotonic() - began < 10
    assert result.code == 3, result.out + result.err
    assert "FAIL" in result.out and "unexpected" not in result.err
