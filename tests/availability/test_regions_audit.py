# ruff: noqa: E501  (whole CLI outputs are compared verbatim)
"""``regions audit`` end to end: the emulator answers, the real anthropic SDK and Cloud Quotas client ask."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from audit_support import ON, claude_requests, emulator, run

PROJECT = "mixed-project"
MODELS = "claude-sonnet-4-5@20250929,claude-opus-4-6,claude-fable-5"
MIXED = {
    "projects": {PROJECT: {
        "enabled_services": ON,
        "availability": {"claude-opus-4-6|us-east5": "NOT_ENABLED"},
        "quotas": {"anthropic-claude-sonnet-4-5|europe-west1": 0},
    }},
}


@pytest.fixture(autouse=True)
def _cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VERTEX_CLAUDE_RETRY_INITIAL", "0.01")
    monkeypatch.setenv("VERTEX_CLAUDE_RETRY_DEADLINE", "2")


def test_mixed_matrix_exact_table_and_exit_3(monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    with emulator(monkeypatch, MIXED):
        code, out, err = run(capsys, "--project", PROJECT, "regions", "audit", "--models", MODELS,
                             "--regions", "us-east5,europe-west1,global,us-central1")
    assert code == 3
    assert err == ""  # no progress bar when not on a terminal
    fable_fix = ("enable data sharing with Anthropic for claude-fable-5 in each location you call it from "
                 "(PublisherModelConfig.dataSharingEnabledProvider=ANTHROPIC via setPublisherModelConfig) after "
                 "accepting the terms in Model Garden: https://console.cloud.google.com/vertex-ai/publishers/"
                 "anthropic/model-garden/claude-fable-5?project=mixed-project")
    assert out == f"""\
Claude on Vertex AI for project mixed-project (probe: auto)
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━━━━━━━┳━━━━━━━━┳━━━━━━━━━━━━━┓
┃ model                      ┃ us-east5 ┃ europe-west1 ┃ global ┃ us-central1 ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━━━━━╇━━━━━━━━╇━━━━━━━━━━━━━┩
│ claude-sonnet-4-5@20250929 │    ✓     │      ∅       │   ✓    │      ·      │
│ claude-opus-4-6            │    ○     │      ✓       │   ✓    │      ·      │
│ claude-fable-5             │    ·     │      ·       │   ⇄    │      ·      │
└────────────────────────────┴──────────┴──────────────┴────────┴─────────────┘
Legend: ✓ AVAILABLE  · NOT_SERVABLE_IN_REGION  ○ NOT_ENABLED  ⇄ DATA_SHARING_REQUIRED  ∅ QUOTA_EXHAUSTED

Not available:
  ∅ claude-sonnet-4-5@20250929 in europe-west1: QUOTA_EXHAUSTED — quota is 0 requests/min for anthropic-claude-sonnet-4-5 in europe-west1 (not throttling)
      fix: reachable, but the quota for claude-sonnet-4-5@20250929 in europe-west1 is 0 or spent: request an increase at https://console.cloud.google.com/iam-admin/quotas?project=mixed-project
  · claude-sonnet-4-5@20250929 in us-central1: NOT_SERVABLE_IN_REGION — not served in this location (400 FAILED_PRECONDITION)
      fix: call claude-sonnet-4-5@20250929 from another region; the catalog hints it is served in global, us-east5, europe-west1, asia-southeast1 (`vertex-claude-setup regions best claude-sonnet-4-5@20250929`)
  ○ claude-opus-4-6 in us-east5: NOT_ENABLED — not enabled for the project in Model Garden (400 FAILED_PRECONDITION)
      fix: enable claude-opus-4-6 for project mixed-project in Model Garden (accept the terms): https://console.cloud.google.com/vertex-ai/publishers/anthropic/model-garden/claude-opus-4-6?project=mixed-project
  · claude-opus-4-6 in us-central1: NOT_SERVABLE_IN_REGION — not served in this location (400 FAILED_PRECONDITION)
      fix: call claude-opus-4-6 from another region; the catalog hints it is served in global, us-east5, europe-west1, asia-southeast1 (`vertex-claude-setup regions best claude-opus-4-6`)
  · claude-fable-5 in us-east5, europe-west1, us-central1: NOT_SERVABLE_IN_REGION — not served in this location (400 FAILED_PRECONDITION)
      fix: call claude-fable-5 from another region; the catalog hints it is served in global, us, eu, asia-southeast1 (`vertex-claude-setup regions best claude-fable-5`)
  ⇄ claude-fable-5 in global: DATA_SHARING_REQUIRED — needs data sharing with Anthropic enabled (403)
      fix: {fable_fix}

Quota: requests per minute per base model (Cloud Quotas API)
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━━━━━━━┳━━━━━━━━┳━━━━━━━━━━━━━┓
┃ base model                  ┃ us-east5 ┃ europe-west1 ┃ global ┃ us-central1 ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━━━━━╇━━━━━━━━╇━━━━━━━━━━━━━┩
│ anthropic-claude-sonnet-4-5 │       60 │            0 │    120 │           - │
│ anthropic-claude-opus-4-6   │       60 │           60 │    120 │           - │
│ anthropic-claude-fable      │        - │            - │    120 │           - │
└─────────────────────────────┴──────────┴──────────────┴────────┴─────────────┘
4 of 12 (model, location) pairs available; 8 not (exit 3).
"""


JSON_KEYS = {"schema_version", "tool", "project", "generated_at", "probe", "models", "regions", "legend", "results",
             "quotas", "org_policy", "summary", "exit_code"}
RESULT_KEYS = {"model", "region", "class", "symbol", "http_status", "status", "message", "fix", "latency_ms",
               "attempts", "probed_at", "cached", "explanation", "quota_requests_per_minute", "probe", "costs_tokens"}


def test_json_schema_is_stable_and_keeps_raw_status(monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    with emulator(monkeypatch, MIXED):
        code, out, _ = run(capsys, "--project", PROJECT, "regions", "audit", "--models", MODELS,
                           "--regions", "us-east5,europe-west1,global,us-central1", "--format", "json")
    data = json.loads(out)
    assert code == 3 and data["exit_code"] == 3
    assert set(data) == JSON_KEYS
    assert data["schema_version"] == 1 and data["probe"] == "auto" and data["project"] == PROJECT
    assert [m["id"] for m in data["models"]] == MODELS.split(",")
    assert data["regions"][2] == {"id": "global", "kind": "global", "host": "aiplatform.googleapis.com"}
    for row in data["results"]:
        assert set(row) - {"permission", "quota_state"} == RESULT_KEYS
    by_pair = {(r["model"], r["region"]): r for r in data["results"]}
    quota = by_pair[("claude-sonnet-4-5@20250929", "europe-west1")]
    assert (quota["class"], quota["http_status"], quota["status"], quota["quota_state"]) == (
        "QUOTA_EXHAUSTED", 429, "RESOURCE_EXHAUSTED", "zero")
    assert quota["message"].startswith("Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_"
                                       "base_model with base model: anthropic-claude-sonnet-4-5.")
    servable = by_pair[("claude-opus-4-6", "us-central1")]
    assert (servable["http_status"], servable["status"]) == (400, "FAILED_PRECONDITION")
    assert servable["message"] == ("Publisher Model `projects/mixed-project/locations/us-central1/publishers/"
                                   "anthropic/models/claude-opus-4-6` is not servable in region us-central1.")
    assert by_pair[("claude-opus-4-6", "global")]["latency_ms"] > 0
    assert data["summary"] == {"pairs": 12, "available": 4, "unavailable": 8, "from_cache": 0, "by_class": {
        "AVAILABLE": 4, "NOT_SERVABLE_IN_REGION": 5, "NOT_ENABLED": 1, "DATA_SHARING_REQUIRED": 1,
        "QUOTA_EXHAUSTED": 1}}
    assert data["quotas"]["readable"] is True


def test_csv_and_markdown(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    with emulator(monkeypatch, MIXED):
        _, csv_out, _ = run(capsys, "--project", PROJECT, "regions", "audit", "--models", "claude-opus-4-6",
                            "--regions", "us-east5,global", "--format", "csv")
        _, md_out, _ = run(capsys, "--project", PROJECT, "regions", "audit", "--models", "claude-opus-4-6",
                           "--regions", "us-east5,global", "--format", "markdown")
    lines = csv_out.splitlines()
    assert lines[0] == ("model,region,class,symbol,http_status,status,latency_ms,attempts,cached,"
                        "quota_requests_per_minute,explanation,fix,message,probe,costs_tokens")
    assert lines[1].startswith("claude-opus-4-6,us-east5,NOT_ENABLED,○,400,FAILED_PRECONDITION,")
    assert lines[2].startswith("claude-opus-4-6,global,AVAILABLE,✓,200,OK,")
    assert "| model | us-east5 | global |" in md_out
    assert "| `claude-opus-4-6` | ○ | ✓ |" in md_out
    assert "- **claude-opus-4-6** in us-east5: `NOT_ENABLED`" in md_out
    assert "| `anthropic-claude-opus-4-6` | 60 | 120 |" in md_out


def test_cache_hit_then_refresh(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--project", PROJECT, "regions", "audit", "--models", "claude-opus-4-6", "--regions", "us-central1,global"]
    with emulator(monkeypatch, MIXED) as emu:
        run(capsys, *args)
        assert len(claude_requests(emu)) == 2
        code, out, _ = run(capsys, *args)
        assert code == 3
        assert len(claude_requests(emu)) == 2  # every answer came from the cache
        assert out.splitlines()[-1] == ("1 of 2 (model, location) pairs available; 1 not (exit 3). "
                                        "2 from the cache (--refresh re-probes).")
        assert Path(".vertex-claude/audit-cache.json").exists()
        run(capsys, *args, "--refresh")
        assert len(claude_requests(emu)) == 4
        monkeypatch.setenv("VERTEX_CLAUDE_AUDIT_CACHE_TTL", "0")  # expired entries are probed again
        run(capsys, *args)
        assert len(claude_requests(emu)) == 6


def test_html_report_is_self_contained_and_parses(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                                  tmp_path: Path) -> None:
    from html.parser import HTMLParser

    target = tmp_path / "report.html"
    with emulator(monkeypatch, MIXED):
        code, out, _ = run(capsys, "--project", PROJECT, "regions", "audit", "--models", MODELS,
                           "--regions", "us-east5,europe-west1,global,us-central1", "--format", "html",
                           "--output", str(target))
    assert code == 3
    assert out == f"Wrote {target} (html). 4 of 12 (model, location) pairs available; 8 not (exit 3).\n"

    class Cells(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.cells: dict[tuple[str, str], str] = {}
            self.tags: set[str] = set()
            self.urls: list[str] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.tags.add(tag)
            found = dict(attrs)
            self.urls += [v or "" for k, v in attrs if k in {"src", "href"}]
            if found.get("data-class"):
                self.cells[(found["data-model"] or "", found["data-region"] or "")] = found["data-class"] or ""

    parser = Cells()
    parser.feed(target.read_text(encoding="utf-8"))
    assert parser.cells[("claude-opus-4-6", "us-east5")] == "NOT_ENABLED"
    assert parser.cells[("claude-fable-5", "global")] == "DATA_SHARING_REQUIRED"
    assert parser.cells[("claude-sonnet-4-5@20250929", "europe-west1")] == "QUOTA_EXHAUSTED"
    assert sum(v == "AVAILABLE" for v in parser.cells.values()) == 4 and len(parser.cells) == 12
    assert "style" in parser.tags and not parser.tags & {"script", "link", "img", "iframe"}
    assert parser.urls == []


def test_all_regions_uses_the_hinted_locations(monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    with emulator(monkeypatch, MIXED):
        code, out, _ = run(capsys, "--project", PROJECT, "regions", "audit", "--all-regions", "--models",
                           "claude-opus-4-6", "--format", "json")
    data = json.loads(out)
    assert code == 3
    assert [r["id"] for r in data["regions"]] == ["global", "us", "eu", "us-east5", "europe-west1", "asia-east1",
                                                  "asia-southeast1"]
    assert [r["class"] for r in data["results"]] == ["AVAILABLE", "NOT_SERVABLE_IN_REGION", "NOT_SERVABLE_IN_REGION",
                                                     "NOT_ENABLED", "AVAILABLE", "NOT_SERVABLE_IN_REGION",
                                                     "AVAILABLE"]


@pytest.mark.parametrize(("args", "message"), [
    (["--models", "claude-sonnet-4-20250514"],
     "Error: --models 'claude-sonnet-4-20250514': Vertex model ids put the date after '@': use "
     "'claude-sonnet-4@20250514'\n"),
    (["--models", "claude-sonet-4-5@20250929"],
     "Error: --models 'claude-sonet-4-5@20250929': not in the catalog; did you mean 'claude-sonnet-4-5@20250929'?\n"),
    (["--models", "gpt-4o"],
     "Error: --models 'gpt-4o': use a Vertex id like 'claude-sonnet-4@20250514' (see `vertex-claude-setup models`)\n"),
    (["--models", "claude-3-7-sonnet@20250219"],
     "Error: --models 'claude-3-7-sonnet@20250219': model claude-3-7-sonnet@20250219 (Claude Sonnet 3.7) is retired "
     "since 2026-05-11; use claude-sonnet-4-6\n"),
    (["--regions", "us-east-5"], "Error: --regions 'us-east-5': unknown Vertex AI location; did you mean 'us-east5'?\n"),
    (["--regions", "atlantis"],
     "Error: --regions 'atlantis': unknown Vertex AI location; e.g. us-east5, europe-west1 or global\n"),
])
def test_bad_model_ids_and_regions_exit_1(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                          args: list[str], message: str) -> None:
    with emulator(monkeypatch, MIXED) as emu:
        code, out, err = run(capsys, "--project", PROJECT, "regions", "audit", *args)
        assert claude_requests(emu) == []
    assert (code, out, err) == (1, "", message)


def test_deprecated_model_warns_with_replacement(monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    with emulator(monkeypatch, MIXED):
        code, out, err = run(capsys, "--project", PROJECT, "regions", "audit", "--models",
                             "claude-sonnet-4@20250514", "--regions", "us-east5", "--format", "json")
    assert code == 0
    assert err == ("Warning: model claude-sonnet-4@20250514 (Claude Sonnet 4) is deprecated since 2026-04-14; "
                   "move to claude-sonnet-4-5@20250929\n")
    assert json.loads(out)["models"][0]["status"] == "deprecated"


def test_generate_probe_sends_one_token_rawpredict(monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    with emulator(monkeypatch, MIXED) as emu:
        code, _, _ = run(capsys, "--project", PROJECT, "regions", "audit", "--models", "claude-opus-4-6",
                         "--regions", "global", "--probe", "generate")
        calls = [r for r in emu.requests if r.path.endswith(":rawPredict")]
    assert code == 0
    assert [c.path for c in calls] == [
        "/v1/projects/mixed-project/locations/global/publishers/anthropic/models/claude-opus-4-6:rawPredict"]
    body = calls[0].json()
    assert body["max_tokens"] == 1 and body["anthropic_version"] == "vertex-2023-10-16" and "model" not in body


def test_no_credentials_is_one_line_error_without_traceback(tmp_path: Path) -> None:
    """Exactly what a user without ADC sees: the error once, exit 1, no orphaned quota-read task."""
    import os
    import subprocess
    import sys

    empty = tmp_path / "empty-home"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VERTEX_CLAUDE_", "GOOGLE_", "CLOUDSDK_"))}
    env.update(HOME=str(empty), CLOUDSDK_CONFIG=str(empty), GOOGLE_APPLICATION_CREDENTIALS=str(empty / "missing.json"))
    proc = subprocess.run([sys.executable, "-m", "vertex_claude_setup", "--project", "demo-project", "regions", "audit"],
                          env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (1, "")
    # (GOOGLE_APPLICATION_CREDENTIALS names a missing file, so no other credentials are looked for)
    assert proc.stderr.startswith(f"Error: GOOGLE_APPLICATION_CREDENTIALS names {empty / 'missing.json'}, which does "
                                  "not exist\n  fix: ")
    assert len(proc.stderr.splitlines()) == 2, proc.stderr


def test_quota_read_without_credentials_reports_instead_of_raising(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from vertex_claude_setup import config
    from vertex_claude_setup.gcp.quotas import read_claude_quotas
    from vertex_claude_setup.gcp.session import GoogleApis

    for name in ("VERTEX_CLAUDE_EMULATOR_HOST", "VERTEX_CLAUDE_EMULATOR_GRPC_HOST"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    google = GoogleApis(config.load(None, {"project": "demo-project"}, environ={}))
    report = read_claude_quotas(google, "demo-project")
    assert (report.readable, report.reason) == (
        False, f"GOOGLE_APPLICATION_CREDENTIALS names {tmp_path / 'missing.json'}, which does not exist")
    assert report.hint.startswith("point it at an existing credentials file")


def test_a_fixable_class_is_never_cached(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """API off -> API_DISABLED; `api enable`; the next audit (no --refresh) probes again and sees AVAILABLE."""
    args = ["--project", "off-project", "regions", "audit", "--models", "claude-opus-4-6", "--regions",
            "us-east5,us-central1", "--format", "json"]
    with emulator(monkeypatch, {"projects": {"off-project": {"enabled_services": []}}}) as emu:
        code, out, _ = run(capsys, *args)
        assert code == 3
        assert [r["class"] for r in json.loads(out)["results"]] == ["API_DISABLED", "API_DISABLED"]
        code, out, _ = run(capsys, "--project", "off-project", "api", "enable")
        assert code == 0, out
        code, out, _ = run(capsys, *args)
        data = json.loads(out)
        assert [(r["class"], r["cached"]) for r in data["results"]] == [("AVAILABLE", False),
                                                                         ("NOT_SERVABLE_IN_REGION", False)]
        assert len(claude_requests(emu)) == 4
        code, out, _ = run(capsys, *args)  # the facts are cached now
        assert [(r["class"], r["cached"]) for r in json.loads(out)["results"]] == [("AVAILABLE", True),
                                                                                    ("NOT_SERVABLE_IN_REGION", True)]
        assert len(claude_requests(emu)) == 4


def test_only_lasting_facts_are_cached(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    with emulator(monkeypatch, MIXED) as emu:
        run(capsys, "--project", PROJECT, "regions", "audit", "--models", MODELS,
            "--regions", "us-east5,europe-west1,global,us-central1")
        assert len(claude_requests(emu)) == 14  # 12 pairs; the lasting 429 took 3 attempts
        code, out, _ = run(capsys, "--project", PROJECT, "regions", "audit", "--models", MODELS,
                           "--regions", "us-east5,europe-west1,global,us-central1", "--format", "json")
    assert code == 3
    # NOT_ENABLED, DATA_SHARING_REQUIRED and QUOTA_EXHAUSTED (3 attempts) were probed again; the rest came from
    # the cache.
    assert len(claude_requests(emu)) == 19
    cached = {(r["class"], r["cached"]) for r in json.loads(out)["results"]}
    assert cached == {("AVAILABLE", True), ("NOT_SERVABLE_IN_REGION", True), ("NOT_ENABLED", False),
                      ("DATA_SHARING_REQUIRED", False), ("QUOTA_EXHAUSTED", False)}
    stored = json.loads(Path(".vertex-claude/audit-cache.json").read_text(encoding="utf-8"))
    entries = next(iter(stored["scopes"].values()))["probes"]["auto"]
    assert {e["class"] for e in entries.values()} == {"AVAILABLE", "NOT_SERVABLE_IN_REGION"}


def _location(path: str) -> str:
    return path.split("/locations/", 1)[1].split("/", 1)[0]


def test_next_audit_sends_the_slowest_locations_first(monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """Each audit stores every location's round trip; the next one probes the slowest locations first."""
    # No lasting 429 here: its retries would go out after the first round and blur the dispatch order.
    scenario = {"projects": {PROJECT: {**MIXED["projects"][PROJECT], "quotas": {}}},
                "region_latency_ms": {"asia-east1": 150, "europe-west1": 60, "*": 0}}
    args = ["--project", PROJECT, "regions", "audit", "--models", "claude-sonnet-4-5@20250929,claude-opus-4-6",
            "--regions", "us-central1,europe-west1,asia-east1", "--refresh"]
    with emulator(monkeypatch, scenario) as emu:
        run(capsys, *args)
        stored = json.loads(Path(".vertex-claude/audit-cache.json").read_text(encoding="utf-8"))
        hints = {region: entry["ms"] for region, entry in next(iter(stored["scopes"].values()))["latency_ms"].items()}
        assert hints["asia-east1"] >= 150 and 60 <= hints["europe-west1"] < 150 and hints["us-central1"] < 60
        run(capsys, *args)  # --refresh re-probes every pair, still in the hinted order
        second = [_location(p) for p in claude_requests(emu)[6:]]
    assert len(second) == 6
    where = {region: [i for i, r in enumerate(second) if r == region] for region in set(second)}
    assert max(where["asia-east1"]) < min(where["us-central1"])
    assert sum(where["asia-east1"]) < sum(where["europe-west1"]) < sum(where["us-central1"])


def test_latency_hints_order_ties_and_expiry(tmp_path: Path) -> None:
    from vertex_claude_setup.availability.cache import AuditCache
    from vertex_claude_setup.availability.probe import slowest_first

    pairs = [(m, r) for m in ("a", "b") for r in ("us-east5", "asia-east1", "europe-west1", "me-west1")]
    # asia first; europe and us-east5 (2 ms apart: a tie) keep their model-major order; no hint = maybe far = first.
    assert slowest_first(pairs, {"us-east5": 31.0, "asia-east1": 180.0, "europe-west1": 33.0}) == [
        ("a", "me-west1"), ("b", "me-west1"), ("a", "asia-east1"), ("b", "asia-east1"),
        ("a", "us-east5"), ("a", "europe-west1"), ("b", "us-east5"), ("b", "europe-west1")]
    assert slowest_first(pairs, {}) == pairs

    cache_file = tmp_path / "audit-cache.json"
    cache = AuditCache(cache_file, "emulator", "p")
    cache.put("count_tokens", [])
    assert cache.latency_hints() == {}
    stored = json.loads(cache_file.read_text(encoding="utf-8"))
    stored["scopes"]["emulator|p"]["latency_ms"] = {
        "asia-east1": {"ms": 180.0, "at": 0.0},  # older than a week: ignored
        "us-east5": {"ms": 31.0, "at": time.time()},
        "europe-west1": {"ms": "garbled"},  # a damaged entry is skipped, not fatal
    }
    cache_file.write_text(json.dumps(stored), encoding="utf-8")
    assert cache.latency_hints() == {"us-east5": 31.0}
