"""Fleet commands over a generated organization: each project gets the single-project command's verdict."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import Runner

from .conftest import ORG, kinds, organization, rows

# Google's published quotas would make a test wait like a real run does (tests/gcp/test_ratelimit.py tests them).
FAST = ("--max-qps", "500")


def _json(run: Runner, *args: str) -> tuple[int, dict[str, Any]]:
    result = run("fleet", *args, "--organization", ORG, "--format", "json", *FAST)
    assert result.out.startswith("{"), result.out + result.err
    return result.code, json.loads(result.out)


def test_audit_classifies_every_project_like_regions_audit(org: Any, run: Runner) -> None:
    emu = org(organization(projects=30))
    code, report = _json(run, "regions", "audit")
    by_kind = kinds(emu)
    got = rows(json.dumps(report))
    for project, row in got.items():
        classes = set(row["fields"]["classes"])
        expected = {"api_off": {"API_DISABLED"}, "billing_off": {"API_DISABLED"},
                    "no_permission": {"PERMISSION_DENIED"}, "unavailable": {"NOT_ENABLED", "AVAILABLE"}}
        assert classes == expected.get(by_kind[project], {"AVAILABLE"}), project
        assert row["status"] == ("ok" if classes == {"AVAILABLE"} else "findings")
        assert len(row["checks"]) == 4  # 2 models × 2 regions, one check each
    summary = report["summary"]
    assert summary["pairs"] == 4 * len(got) and summary["by_class"]["AVAILABLE"] > 0
    assert summary["all_available"] == sum(r["status"] == "ok" for r in got.values())
    assert code == 3 and report["exit_code"] == 3


def test_logging_verify_tells_compliant_from_not_and_names_unreadable_projects(org: Any, run: Runner) -> None:
    emu = org(organization(projects=30))
    code, report = _json(run, "logging", "verify")
    by_kind = kinds(emu)
    verdicts = {p: r["fields"].get("verdict") for p, r in rows(json.dumps(report)).items()}
    assert {p for p, v in verdicts.items() if v == "compliant"} == {p for p, k in by_kind.items() if k == "logging_on"}
    partial = [p for p, k in by_kind.items() if k == "logging_partial"]
    assert partial and all(verdicts[p] == "NOT compliant" for p in partial)
    denied = [p for p, k in by_kind.items() if k == "no_permission"]
    assert {u["name"] for u in report["not_read"]} == set(denied)
    assert all("permission" in u["message"] for u in report["not_read"])
    assert code == 1  # some projects could not be read: errors beat findings


def test_apply_converges_what_can_converge_reports_the_rest_and_a_second_run_changes_nothing(
        org: Any, run: Runner) -> None:
    emu = org(organization(projects=20))
    by_kind = kinds(emu)
    first = run("fleet", "apply", "--organization", ORG, "--auto-approve", "--format", "json", *FAST)
    assert first.err.startswith("Fleet plan: 19 projects"), first.err  # one combined plan first (on stderr: JSON out)
    report = json.loads(first.out)
    got = rows(first.out)
    cannot = {p for p, k in by_kind.items() if k in {"billing_off", "no_permission"}}
    assert {p for p, r in got.items() if r["status"] == "error"} == cannot
    for project in cannot:
        reason = got[project]["error"]
        assert ("billing is not enabled" in reason) if by_kind[project] == "billing_off" else ("no access" in reason)
        assert got[project]["hint"]
    converged = [p for p, r in got.items() if r["status"] != "error"]
    assert all(emu.state.data["projects"][p]["services"].get("aiplatform.googleapis.com") == "ENABLED"
               for p in converged)
    assert report["summary"]["applied"] > 0 and first.code == 1
    second = run("fleet", "apply", "--organization", ORG, "--auto-approve", "--format", "json", *FAST)
    again = rows(second.out)
    assert all(again[p]["fields"]["applied"] == 0 and again[p]["summary"] == "no changes" for p in converged)
    assert {p for p, r in again.items() if r["status"] == "error"} == cannot
    plan = run("fleet", "plan", "--organization", ORG, "--format", "json", *FAST)
    planned = rows(plan.out)
    assert all(planned[p]["summary"] == "no changes" for p in converged)


def test_apply_asks_before_changing_anything(org: Any, run: Runner) -> None:
    emu = org(organization(projects=6))
    result = run("fleet", "apply", "--organization", ORG)
    assert result.code == 1 and "pass --auto-approve" in result.err
    assert "Fleet plan: 6 projects" in result.out
    assert not any(r.method == "POST" and r.path.endswith(":enable") for r in emu.requests)


def test_plan_detailed_exitcode_and_one_row_per_project(org: Any, run: Runner) -> None:
    org({"projects": {"plain-proj-1": {"enabled_services": ["aiplatform.googleapis.com"]},
                      "plain-proj-2": {"enabled_services": ["aiplatform.googleapis.com"]}}},
        config='models = ["claude-sonnet-4-5@20250929"]\nregions = ["us-east5"]\n')
    result = run("fleet", "plan", "--projects", "plain-proj-1,plain-proj-2", "--detailed-exitcode")
    assert result.code == 2, result.out + result.err
    assert "plain-proj-1  ok" in result.out and "changes: 6" in result.out
    assert result.out.rstrip().endswith("Exit 2: changes planned.")


def test_smoke_test_and_doctor_over_the_fleet(org: Any, run: Runner) -> None:
    emu = org(organization(projects=12))
    by_kind = kinds(emu)
    code, report = _json(run, "smoke-test")
    got = rows(json.dumps(report))
    healthy = [p for p, k in by_kind.items() if k in {"ready", "logging_on", "logging_partial"}]
    assert all(got[p]["status"] == "ok" and got[p]["fields"]["passed"] == 1 for p in healthy)
    unavailable = [p for p, k in by_kind.items() if k == "unavailable"]  # the smoke model is not enabled there
    assert unavailable and all(got[p]["checks"][0]["message"].startswith("NOT_ENABLED") for p in unavailable)
    assert all(got[p]["summary"] == "0 of 1 passed (NOT_ENABLED ×1)" for p in unavailable)  # why, in the table
    assert report["summary"]["pairs_passed"] == len(healthy) and code == 3
    code, report = _json(run, "doctor")
    doctor = rows(json.dumps(report))
    off = [p for p, k in by_kind.items() if k == "api_off"]
    assert off and all(any(c["id"] == "api" and c["status"] == "FAIL" for c in doctor[p]["checks"]) for p in off)
    assert code == 3


def test_per_project_overrides_change_one_project_and_bad_ones_are_refused(org: Any, run: Runner,
                                                                           tmp_path: Path) -> None:
    org({"projects": {"plain-proj-1": {"enabled_services": ["aiplatform.googleapis.com"]},
                      "plain-proj-2": {"enabled_services": ["aiplatform.googleapis.com"]}}})
    overrides = tmp_path / "fleet.toml"
    overrides.write_text('[projects."plain-proj-2"]\nregions = ["europe-west1"]\n'
                         'models = ["claude-sonnet-4-5@20250929"]\n', encoding="utf-8")
    result = run("fleet", "regions", "audit", "--projects", "plain-proj-1,plain-proj-2", "--overrides",
                 str(overrides), "--format", "json", "--no-quotas")
    got = rows(result.out)
    assert [c["id"] for c in got["plain-proj-2"]["checks"]] == ["claude-sonnet-4-5@20250929/europe-west1"]
    assert len(got["plain-proj-1"]["checks"]) == 4
    overrides.write_text('[projects."plain-proj-2".logging]\nretention_days = 7\n', encoding="utf-8")
    # A value one project's override gets wrong is that project's error, named where it came from.
    result = run("fleet", "doctor", "--projects", "plain-proj-1,plain-proj-2", "--overrides", str(overrides),
                 "--format", "json")
    got = rows(result.out)
    assert got["plain-proj-2"]["error"] == (f'{overrides}: [projects."plain-proj-2"] key \'logging.retention_days\': '
                                            "retention_days = 7 is below the minimum 30")
    assert got["plain-proj-2"]["hint"] == "set retention_days = 30 or more (0 keeps logs forever)"
    assert got["plain-proj-1"]["status"] != "error" and result.code == 1
    overrides.write_text('[projects."plain-proj-2"]\nregoins = ["us-east5"]\n', encoding="utf-8")
    result = run("fleet", "doctor", "--projects", "plain-proj-2", "--overrides", str(overrides))
    assert result.code == 1 and "unknown key 'regoins'" in result.err and "fix: rename it to 'regions'" in result.err


def test_a_model_only_model_garden_lists_is_accepted_once_read_like_the_single_commands(org: Any,
                                                                                        run: Runner) -> None:
    new = "claude-haiku-4-5@20260301"
    org({"model_garden": {"extra_models": [{"id": new, "launch_stage": "PUBLIC_PREVIEW"}]},
         "projects": {"plain-proj-1": {"enabled_services": ["aiplatform.googleapis.com"]}}},
        config=f'regions = ["us-east5"]\nmodels = ["{new}"]\n')
    before = run("fleet", "regions", "audit", "--projects", "plain-proj-1", "--no-quotas")
    assert before.code == 1 and f"model '{new}': not in the catalog" in before.err
    assert run("--project", "plain-proj-1", "models", "--live").code == 0  # the emulator's Model Garden list, cached
    after = run("fleet", "regions", "audit", "--projects", "plain-proj-1", "--no-quotas", "--format", "json")
    assert after.code == 0, after.err
    assert [c["id"] for c in rows(after.out)["plain-proj-1"]["checks"]] == [f"{new}/us-east5"]
