"""Where things live: the ``_Default`` log bucket outside ``global``, and the multi-regions ``us``/``eu`` where
Google cannot set request-response logging for Claude."""

from __future__ import annotations

from typing import Any

import logging_support
from logging_support import PROJECT, Env

make_env = logging_support.make_env  # the fixture: a fresh emulator and config per test

ON = ["aiplatform.googleapis.com"]
OPUS = "claude-opus-4-7"  # served in global, us and eu (catalog hints), not in us-east5
SONNET = "claude-sonnet-4-5@20250929"


# -- item 8: the _Default bucket in the organization's default storage location ----------------------------
def test_default_bucket_in_another_location_is_found_and_raised(make_env: Any) -> None:
    env: Env = make_env({"projects": {PROJECT: {"enabled_services": ON, "log_storage_location": "europe-west1",
                                                "log_buckets": {"_Default": {"retentionDays": 10}}}}})
    code, out, err = env.run("plan")
    assert "  ~ raise _Default log bucket retention\n      10 days → 30 days\n" in out, out + err
    code, out, err = env.run("apply", "--auto-approve")
    assert code == 0, out + err
    assert env.project["logBuckets"]["europe-west1/_Default"]["retentionDays"] == 30
    assert "global/_Default" not in env.project["logBuckets"]
    code, out, _ = env.run("logging", "verify")
    assert "PASS  Cloud Logging bucket _Default retention ≥ 30 days" in out
    code, out, _ = env.run("plan", "--detailed-exitcode")
    assert code == 0, out


def test_a_locked_bucket_elsewhere_is_named_by_its_real_location(make_env: Any) -> None:
    env: Env = make_env({"projects": {PROJECT: {"enabled_services": ON, "log_storage_location": "eu",
                                                "log_buckets": {"_Default": {"retentionDays": 10, "locked": True}}}}})
    code, out, _ = env.run("plan")
    assert code == 3
    assert f"log bucket projects/{PROJECT}/locations/eu/buckets/_Default is locked at 10 days" in out


# -- item 9: request-response logging cannot be set in the multi-regions -----------------------------------
def test_multi_region_logging_is_a_plan_time_warning_not_a_failed_apply(make_env: Any) -> None:
    availability = {f"{SONNET}|us": "AVAILABLE"}
    env: Env = make_env({"projects": {PROJECT: {"enabled_services": ON, "availability": availability}}},
                        regions=["us", "us-east5"], models=[SONNET])
    code, out, err = env.run("plan")
    assert code == 0, out + err
    assert f"enable request-response logging {SONNET} in us\n" not in out
    assert f"  ~ enable request-response logging {SONNET} in us-east5\n" in out
    assert (f"  ! request-response logging cannot be configured in the us multi-region (for {SONNET}): Google "
            "supports it for Anthropic models only on regional endpoints, so calls through us are not logged\n"
            "      fix: send Claude calls to a regional endpoint (e.g. us-east5) for logged traffic, or rely on "
            "Data Access audit logs for us calls\n") in out
    code, out, err = env.run("apply", "--auto-approve")
    assert code == 0, out + err
    assert "Apply complete!" in out
    # Nothing was asked of Vertex AI's publisher-model config in us: not planned, not tried.
    assert [p for p in env.paths("/locations/us/") if "PublisherModelConfig" in p] == []
    assert [p for p in env.paths("/locations/us-east5/") if "setPublisherModelConfig" in p]
    code, out, _ = env.run("logging", "verify")
    assert (f"WARN  request-response logging {SONNET} in us        us multi-region endpoint: Google supports "
            "request-response logging for Anthropic models only on regional endpoints") in out
    code, out, _ = env.run("plan", "--detailed-exitcode")
    assert code == 0, out


def test_logging_enable_refuses_a_multi_region(make_env: Any) -> None:
    env: Env = make_env({"projects": {PROJECT: {"enabled_services": ON}}}, regions=["eu"], models=[OPUS])
    code, _out, err = env.run("logging", "enable", "--model", OPUS, "--region", "eu")
    assert code == 1
    assert err.startswith("Error: --region eu: request-response logging cannot be configured on the eu "
                          "multi-region endpoint")
    assert env.paths("PublisherModelConfig") == []
