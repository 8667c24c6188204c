"""One vocabulary with the single-project commands: ``fleet smoke-test`` takes smoke-test's --model, --region,
--verify-logged and --log-timeout (the same checks, the same errors), and every fleet command whose namesake has
--json has it too (``--format json``)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import Runner

from .conftest import ORG, kinds, organization, rows

FAST = ("--max-qps", "500")
HAIKU = "claude-haiku-4-5@20251001"


def test_model_and_region_pick_the_pair_in_every_project(org: Any, run: Runner) -> None:
    emu = org(organization(projects=8, mix={"api_off": 0.25}))
    result = run("fleet", "smoke-test", "--organization", ORG, "--model", HAIKU, "--region", "global", "--json",
                 *FAST)
    got = rows(result.out)
    assert len(got) == 8 and all([c["id"] for c in r["checks"]] == [f"{HAIKU}/global"] for r in got.values())
    healthy = [p for p, k in kinds(emu).items() if k != "api_off"]
    assert healthy and all(got[p]["status"] == "ok" for p in healthy)
    called = {r.path.split("/")[3] for r in emu.requests if f"models/{HAIKU}:rawPredict" in r.path
              and "/locations/global/" in r.path}
    assert called == set(got)


@pytest.mark.parametrize("args", [["--model", "gpt-4"], ["--region", "mars-1"], ["--all", "--model", HAIKU]],
                         ids=["unknown-model", "unknown-region", "all-and-model"])
def test_bad_model_region_and_all_are_refused_like_smoke_test(org: Any, run: Runner, args: list[str]) -> None:
    emu = org(organization(projects=3, mix={}))
    single = run("--project", "fleet-0001", "smoke-test", *args)
    fleet = run("fleet", "smoke-test", "--organization", ORG, *args, *FAST)
    assert fleet.code == single.code == 1
    assert fleet.err.strip().splitlines()[-1] == single.err.strip().splitlines()[-1], fleet.err
    assert "Traceback" not in fleet.err
    assert not [r for r in emu.requests if ":rawPredict" in r.path]  # refused before any call


def test_log_timeout_is_checked_like_smoke_test(org: Any, run: Runner) -> None:
    org(organization(projects=3, mix={}))
    result = run("fleet", "smoke-test", "--organization", ORG, "--verify-logged", "--log-timeout", "inf")
    assert result.code == 1 and "Invalid value for '--log-timeout'" in result.err


def test_verify_logged_puts_each_projects_log_row_in_its_row_and_the_summary(org: Any, run: Runner) -> None:
    emu = org(organization(projects=12, mix={"logging_on": 0.4}))
    by_kind = kinds(emu)
    logging_on = sorted(p for p, k in by_kind.items() if k == "logging_on")
    broken = logging_on.pop()  # logging on, but its dataset is gone: Vertex cannot write the row
    del emu.state.data["projects"][broken]["bigquery"]["datasets"]["claude_logs"]
    result = run("fleet", "smoke-test", "--organization", ORG, "--verify-logged", "--log-timeout", "0.5", "--json",
                 *FAST)
    report = json.loads(result.out)
    got = rows(result.out)
    assert logging_on and all(got[p]["fields"]["logged"] == 1 and got[p]["status"] == "ok" for p in logging_on)
    assert all("log row: row found in" in got[p]["checks"][0]["message"] for p in logging_on)
    owes_none = [p for p, k in by_kind.items() if k == "ready"]  # logging off for the smoke pair
    assert owes_none and all(got[p]["fields"]["log_not_applicable"] == 1 and got[p]["status"] == "ok"
                             for p in owes_none)  # no row owed: n/a, not a failure
    assert got[broken]["status"] == "findings"
    assert got[broken]["checks"][0]["message"].startswith("NOT_LOGGED: the table does not exist yet")
    assert got[broken]["summary"] == "0 of 1 passed (NOT_LOGGED ×1); log rows: 0 found, 1 missing, 0 n/a"
    assert {k: report["summary"][k] for k in ("log_rows_found", "log_rows_missing", "projects_not_logging")} == {
        "log_rows_found": len(logging_on), "log_rows_missing": 1, "projects_not_logging": 1}
    assert result.code == 3
    table = run("fleet", "smoke-test", "--organization", ORG, "--verify-logged", "--log-timeout", "0.5", *FAST)
    assert f"log rows found: {len(logging_on)}\nlog rows missing: 1\n" in table.out


def _without_timing(report: str) -> dict[str, Any]:
    data = json.loads(report)
    data.pop("generated_at"), data.pop("elapsed_s"), data.pop("requests")
    for row in data["projects"]:
        row.pop("elapsed_s")
        for check in row["checks"]:
            check["message"] = check["message"].split(" ms,")[-1]
        row["fields"].pop("latency_ms", None)
    return data


@pytest.mark.parametrize("command", [["doctor"], ["smoke-test"], ["plan"]])
def test_json_is_format_json_where_the_single_command_has_json(org: Any, run: Runner, command: list[str]) -> None:
    org(organization(projects=4, mix={"api_off": 0.25}))
    shorthand = run("fleet", *command, "--organization", ORG, "--json", *FAST)
    spelled = run("fleet", *command, "--organization", ORG, "--format", "json", *FAST)
    assert shorthand.code == spelled.code and _without_timing(shorthand.out) == _without_timing(spelled.out)
    both = run("fleet", *command, "--organization", ORG, "--json", "--format", "json", *FAST)
    assert both.code == spelled.code and json.loads(both.out)["command"] == json.loads(spelled.out)["command"]
    clash = run("fleet", *command, "--organization", ORG, "--json", "--format", "csv", *FAST)
    assert clash.code == 1 and clash.out == ""
    assert clash.err.strip().splitlines()[-1] == (
        "Error: --json is --format json: pass one of --json or --format csv, not both")
    table = run("fleet", *command, "--organization", ORG, "--format", "table", "--json", *FAST)
    assert table.code == 1 and "pass one of --json or --format table" in table.err
