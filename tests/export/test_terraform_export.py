"""``export terraform`` against the emulator's scenarios: golden files, HCL that parses, imports, nothing weakened."""

from __future__ import annotations

import copy
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import hcl2
import logging_support
import pytest
from logging_support import PROJECT, Env
from terraform_support import (
    EPOCH,
    EXISTING,
    FRESH,
    HAIKU,
    OPUS,
    SONNET,
    check_golden,
    export,
    parse,
    read_dir,
    scenario,
)

from vertex_claude_setup.export import hcl

make_env = logging_support.make_env  # the fixture: a fresh emulator and config per test

DAY_MS = 86_400_000
# The import ids each resource type documents (provider v7.45.0 website/docs/r/*).
IMPORT_IDS = {
    "google_project_service": rf"^{PROJECT}/aiplatform\.googleapis\.com$",
    "google_bigquery_dataset": rf"^projects/{PROJECT}/datasets/claude_logs$",
    "google_project_iam_audit_config": rf"^{PROJECT} aiplatform\.googleapis\.com$",
    "google_logging_project_bucket_config": rf"^projects/{PROJECT}/locations/global/buckets/_Default$",
}


@pytest.fixture(autouse=True)
def _reproducible(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)


def _fresh(make_env: Any) -> Env:
    env: Env = make_env(scenario("fresh"), **FRESH)
    return env


def _existing(make_env: Any) -> Env:
    env: Env = make_env(scenario("existing"), **EXISTING)
    return env


def test_fresh_project_export_matches_golden(make_env: Any, tmp_path: Path) -> None:
    env = _fresh(make_env)
    code, out, err = export(env, tmp_path / "tf")
    assert (code, err) == (0, "")
    assert out == (f"Wrote 7 files to {tmp_path / 'tf'}: versions.tf, vertex_ai.tf, bigquery.tf, audit_logs.tf, "
                   "log_bucket.tf, request_logging.tf, checks.tf\n"
                   f"1 existing resource adopted with import blocks. Next: cd {tmp_path / 'tf'} && terraform init "
                   "&& terraform plan\n")
    check_golden("fresh", tmp_path / "tf")


def test_existing_project_export_matches_golden(make_env: Any, tmp_path: Path) -> None:
    env = _existing(make_env)
    code, out, err = export(env, tmp_path / "tf")
    assert code == 0
    assert "4 existing resources adopted with import blocks" in out
    # opus 4.7 is not served in us-east5: a failed check, said once (the file says where).
    assert err == ("! 1 check failed: the files say where; `vertex-claude-setup plan` shows them with their fixes\n")
    check_golden("existing", tmp_path / "tf")


def test_every_file_parses_and_is_laid_out_as_terraform_fmt_lays_it_out(make_env: Any, tmp_path: Path) -> None:
    export(_fresh(make_env), tmp_path / "fresh")
    for directory in (tmp_path / "fresh", Path(__file__).parent / "golden" / "existing"):
        for name, text in read_dir(directory).items():
            assert hcl2.loads(text), name
            assert hcl.fmt(text.rstrip("\n")) + "\n" == text, name
            assert "\t" not in text and not any(line != line.rstrip() for line in text.splitlines()), name


def test_fresh_project_creates_everything_and_adopts_the_default_bucket(make_env: Any, tmp_path: Path) -> None:
    export(_fresh(make_env), tmp_path / "tf")
    found = parse(tmp_path / "tf")
    resources = found["resources"]
    # Only the _Default bucket exists in a fresh project: the one import.
    assert found["imports"] == {"google_logging_project_bucket_config.default":
                                f"projects/{PROJECT}/locations/global/buckets/_Default"}
    api = resources[("google_project_service", "vertex_ai")]
    assert (api["service"], api["disable_on_destroy"]) == ("aiplatform.googleapis.com", False)
    dataset = resources[("google_bigquery_dataset", "claude_logs")]
    assert (dataset["location"], dataset["default_partition_expiration_ms"]) == ("US", 30 * DAY_MS)
    assert dataset["lifecycle"][0]["prevent_destroy"] is True
    audit = resources[("google_project_iam_audit_config", "vertex_ai")]
    assert [c["log_type"] for c in audit["audit_log_config"]] == ["DATA_READ", "DATA_WRITE"]
    bucket = resources[("google_logging_project_bucket_config", "default")]
    # The form the provider's import stores: the plain id would force a replacement (#15725).
    assert (bucket["project"], bucket["retention_days"]) == (f"projects/{PROJECT}", 30)
    # global cannot log: one terraform_data, for us-east5, waiting for the API it depends on.
    pairs = {name: body for (kind, name), body in resources.items() if kind == "terraform_data"}
    assert list(pairs) == ["request_logging_claude_sonnet_4_5_20250929_us_east5"]
    pair = pairs["request_logging_claude_sonnet_4_5_20250929_us_east5"]
    local_exec = pair["provisioner"][0]["local-exec"]
    assert local_exec["command"] == (f"vertex-claude-setup --project {PROJECT} logging enable --model {SONNET} "
                                     "--region us-east5")
    assert local_exec["environment"]["VERTEX_CLAUDE_LOGGING_SAMPLING_RATE"] == "1.0"
    assert pair["depends_on"] == ["google_project_service.vertex_ai", "google_bigquery_dataset.claude_logs"]
    assert "log_table_retention" in found["checks"]


def test_existing_resources_are_imported_with_their_documented_ids(make_env: Any, tmp_path: Path) -> None:
    export(_existing(make_env), tmp_path / "tf")
    found = parse(tmp_path / "tf")
    google = sorted(f"{kind}.{name}" for kind, name in found["resources"] if kind.startswith("google_"))
    assert sorted(found["imports"]) == google  # everything Google-side already exists here: all adopted
    for target, import_id in found["imports"].items():
        assert re.match(IMPORT_IDS[target.split(".")[0]], import_id), (target, import_id)


def test_stronger_values_in_place_are_exported_as_they_are(make_env: Any, tmp_path: Path) -> None:
    export(_existing(make_env), tmp_path / "tf")
    resources = parse(tmp_path / "tf")["resources"]
    # 400-day retentions stay 400 days (the config asks for 30).
    assert resources[("google_bigquery_dataset", "claude_logs")]["default_partition_expiration_ms"] == 400 * DAY_MS
    assert resources[("google_logging_project_bucket_config", "default")]["retention_days"] == 400
    # ADMIN_READ (not asked for) and the exemption stay: the resource is authoritative for its service.
    audit = resources[("google_project_iam_audit_config", "vertex_ai")]["audit_log_config"]
    assert audit == [{"log_type": "ADMIN_READ"},
                     {"log_type": "DATA_READ",
                      "exempted_members": [f"serviceAccount:batch@{PROJECT}.iam.gserviceaccount.com"]},
                     {"log_type": "DATA_WRITE"}]
    # The pair logging at 0.5 keeps 0.5; pairs logging nothing yet get the configured 0.25.
    rates = {name: body["triggers_replace"]["sampling_rate"]
             for (kind, name), body in resources.items() if kind == "terraform_data"}
    assert rates == {"request_logging_claude_haiku_4_5_20251001_us_east5": 0.25,
                     "request_logging_claude_sonnet_4_5_20250929_us_east5": 0.5}
    # The dataset's own description is not the tool's: it is not written, and ignore_changes keeps it.
    dataset = resources[("google_bigquery_dataset", "claude_logs")]
    assert "description" not in dataset and "description" in dataset["lifecycle"][0]["ignore_changes"]


def test_shorter_values_are_raised_and_what_terraform_cannot_fix_is_said(make_env: Any, tmp_path: Path) -> None:
    policy = {"version": 1, "etag": "BwYAAAAAAAA=", "bindings": [], "auditConfigs": [
        {"service": "aiplatform.googleapis.com", "auditLogConfigs": [{"logType": "DATA_READ"}]}]}
    data = {"projects": {PROJECT: {"enabled_services": ["aiplatform.googleapis.com"], "iam_policy": policy,
                                   "log_buckets": {"_Default": {"retentionDays": 7}}}}}
    env: Env = make_env(data, models=[SONNET], extra="[logging]\nretention_days = 90\n")
    from vertex_claude_setup.emulator import bigquery

    bigquery.seed_dataset(env.project, "claude_logs", defaultPartitionExpirationMs=str(10 * DAY_MS))
    bigquery.create_table(env.project, "claude_logs", "request_response_logging",
                          {"timePartitioning": {"type": "DAY", "field": "logging_time",
                                                "expirationMs": str(10 * DAY_MS)}})
    assert export(env, tmp_path / "tf")[0] == 0
    files = read_dir(tmp_path / "tf")
    resources = parse(tmp_path / "tf")["resources"]
    assert resources[("google_bigquery_dataset", "claude_logs")]["default_partition_expiration_ms"] == 90 * DAY_MS
    assert "  # Raised from 10 days (never shortened).\n" in files["bigquery.tf"]
    assert "request_logging.tf" in files
    assert "partitions expire after 10 days, shorter than the dataset's: Terraform does not manage the" in " ".join(
        line.lstrip("# ") for line in files["bigquery.tf"].splitlines())
    assert resources[("google_logging_project_bucket_config", "default")]["retention_days"] == 90
    assert "# Raised from 7 days (never lowered).\n" in files["log_bucket.tf"]
    # The audit config in place is adopted, and the log type the config asks for is added to it.
    audit = resources[("google_project_iam_audit_config", "vertex_ai")]["audit_log_config"]
    assert audit == [{"log_type": "DATA_READ"}, {"log_type": "DATA_WRITE"}]
    assert "  # Added by this export (the configuration asks for it).\n  audit_log_config {\n    log_type = " \
           '"DATA_WRITE"' in files["audit_logs.tf"]
    assert "google_project_iam_audit_config.vertex_ai" in parse(tmp_path / "tf")["imports"]


def test_a_locked_short_bucket_is_exported_as_it_is_and_called_non_compliant(make_env: Any, tmp_path: Path) -> None:
    data = {"projects": {PROJECT: {"log_buckets": {"_Default": {"retentionDays": 10, "locked": True}}}}}
    env: Env = make_env(data, models=[SONNET])
    assert export(env, tmp_path / "tf")[0] == 0
    text = read_dir(tmp_path / "tf")["log_bucket.tf"]
    assert parse(tmp_path / "tf")["resources"][("google_logging_project_bucket_config", "default")][
        "retention_days"] == 10
    assert "# NOT COMPLIANT, left as it is: the bucket is locked at 10 days (< 30);" in text


def test_audit_logs_that_all_services_already_provides_are_not_managed(make_env: Any, tmp_path: Path) -> None:
    policy = {"version": 1, "etag": "BwYAAAAAAAA=", "bindings": [], "auditConfigs": [
        {"service": "allServices", "auditLogConfigs": [{"logType": "DATA_READ"}, {"logType": "DATA_WRITE"}]}]}
    env: Env = make_env({"projects": {PROJECT: {"iam_policy": policy}}}, models=[SONNET])
    assert export(env, tmp_path / "tf")[0] == 0
    found = parse(tmp_path / "tf")
    assert not [key for key in found["resources"] if key[0] == "google_project_iam_audit_config"]
    assert "google_project_iam_audit_config.vertex_ai" not in found["imports"]
    text = " ".join(line.lstrip("# ") for line in read_dir(tmp_path / "tf")["audit_logs.tf"].splitlines())
    assert "allServices also turns on DATA_READ, DATA_WRITE for every service; it is not managed here" in text


def test_the_commands_terraform_runs_set_logging_without_weakening_it(make_env: Any, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    env = _existing(make_env)
    export(env, tmp_path / "tf")
    pairs = [body for (kind, _), body in parse(tmp_path / "tf")["resources"].items() if kind == "terraform_data"]
    for body in pairs:  # as Terraform runs them: in the export's folder (no config there), with their environment
        local_exec = body["provisioner"][0]["local-exec"]
        with monkeypatch.context() as scope:
            scope.delenv("VERTEX_CLAUDE_CONFIG")
            scope.chdir(tmp_path / "tf")
            for name, value in local_exec["environment"].items():
                scope.setenv(name, value)
            program, *args = shlex.split(local_exec["command"])
            assert program == "vertex-claude-setup"
            code, out, err = env.run(*args)
        assert code == 0, out + err
    configs = {key: {k: v for k, v in value["loggingConfig"].items() if k != "requestResponseLoggingSchemaVersion"}
               for key, value in env.project["publisherModelConfigs"].items()}  # that field is output only
    ours = {"outputUri": f"bq://{PROJECT}.claude_logs.request_response_logging"}
    assert configs == {
        f"us-east5/{SONNET}": {"enabled": True, "samplingRate": 0.5, "bigqueryDestination": ours},  # kept
        f"us-east5/{HAIKU}": {"enabled": True, "samplingRate": 0.25, "bigqueryDestination": ours}}
    # Exported again, every pair is adopted as it is: running the commands again changes nothing.
    export(env, tmp_path / "again")
    text = " ".join(line.lstrip("# ") for line in read_dir(tmp_path / "again")["request_logging.tf"].splitlines())
    assert text.count("adopted, the command changes nothing") == 1
    assert "on at sampling 0.5, higher than the configured 0.25: kept" in text


def test_a_destination_already_enabled_elsewhere_is_kept_and_said(make_env: Any, tmp_path: Path) -> None:
    data = scenario("existing")
    elsewhere = "bq://audit-project.claude.requests"
    data["projects"][PROJECT]["publisherModelConfigs"][f"us-east5/{SONNET}"]["loggingConfig"][
        "bigqueryDestination"] = {"outputUri": elsewhere}
    env: Env = make_env(data, regions=["us-east5"], models=[SONNET], extra="[logging]\nsampling_rate = 0.25\n")
    assert export(env, tmp_path / "tf")[0] == 0
    text = " ".join(line.lstrip("# ") for line in read_dir(tmp_path / "tf")["request_logging.tf"].splitlines())
    assert (f"us-east5: AVAILABLE; logging is on at sampling 0.5, higher than the configured 0.25: kept; it writes "
            f"to {elsewhere}, kept (its retention is not managed here).") in text


def test_impersonation_and_quota_project_reach_the_provider_and_the_commands(make_env: Any, tmp_path: Path) -> None:
    odd = "123456789-compute@developer.gserviceaccount.com"  # the default compute service account
    extra = f'impersonate_service_account = "{odd}"\nquota_project = "billing-project"\n'
    env: Env = make_env(scenario("existing"), regions=["us-east5"], models=[SONNET], extra=extra)
    assert export(env, tmp_path / "tf")[0] == 0
    provider = hcl2.loads(read_dir(tmp_path / "tf")["versions.tf"])["provider"][0]['"google"']
    assert (provider["impersonate_service_account"], provider["billing_project"], provider["user_project_override"]) \
        == (f'"{odd}"', '"billing-project"', True)
    (body,) = [b for (kind, _), b in parse(tmp_path / "tf")["resources"].items() if kind == "terraform_data"]
    command = body["provisioner"][0]["local-exec"]["command"]
    assert command.startswith("vertex-claude-setup ")
    # What local-exec's /bin/sh makes of it: exactly these arguments, nothing run.
    echoed = subprocess.run(["sh", "-c", "printf '%s\\n' " + command.removeprefix("vertex-claude-setup ")],
                            capture_output=True, text=True, check=True, cwd=tmp_path)
    assert echoed.stdout.splitlines() == ["--project", PROJECT, "--impersonate-service-account", odd, "--quota-project",
                                          "billing-project", "logging", "enable", "--model", SONNET, "--region",
                                          "us-east5"]


def test_the_export_is_deterministic_whatever_the_order_of_the_config(make_env: Any, tmp_path: Path) -> None:
    env = _existing(make_env)
    export(env, tmp_path / "one")
    export(env, tmp_path / "two")
    reordered = {**EXISTING, "regions": list(reversed(EXISTING["regions"])), "models": [OPUS, SONNET, HAIKU]}
    export(make_env(scenario("existing"), **reordered), tmp_path / "three")
    assert read_dir(tmp_path / "one") == read_dir(tmp_path / "two") == read_dir(tmp_path / "three")


def test_the_export_only_reads(make_env: Any, tmp_path: Path) -> None:
    env = _existing(make_env)
    def snapshot() -> dict[str, Any]:
        return copy.deepcopy({"services": env.project["services"], "iamPolicy": env.project["iamPolicy"],
                              "datasets": env.project["bigquery"]["datasets"],
                              "publisherModelConfigs": env.project["publisherModelConfigs"]})

    before = snapshot()
    assert export(env, tmp_path / "tf")[0] == 0
    writes = [f"{r.method} {r.path}" for r in env.emulator.requests
              if r.method not in ("GET",) and not r.path.endswith(("count-tokens:rawPredict", ":getIamPolicy"))]
    assert writes == []
    assert snapshot() == before
    assert env.project["logBuckets"]["global/_Default"]["retentionDays"] == 400


def test_logging_off_exports_the_api_alone_and_removes_the_files_no_longer_needed(make_env: Any,
                                                                                 tmp_path: Path) -> None:
    env = _fresh(make_env)
    (tmp_path / "tf").mkdir()
    (tmp_path / "tf" / "main.tf").write_text("# the team's own file\n", encoding="utf-8")
    export(env, tmp_path / "tf")
    logging_support.write_config(tmp_path / "vertex-claude.toml", ["us-east5"], [SONNET],
                                 "[logging]\nenabled = false\n")
    code, out, _ = export(env, tmp_path / "tf")
    assert code == 0
    assert "Removed bigquery.tf, audit_logs.tf, log_bucket.tf, request_logging.tf (written by an earlier export, " \
           "no longer needed)" in out
    assert sorted(read_dir(tmp_path / "tf")) == ["checks.tf", "main.tf", "versions.tf", "vertex_ai.tf"]
    assert (tmp_path / "tf" / "main.tf").read_text(encoding="utf-8") == "# the team's own file\n"
    assert "check \"" not in read_dir(tmp_path / "tf")["checks.tf"]


def test_a_file_the_export_did_not_write_is_never_overwritten(make_env: Any, tmp_path: Path) -> None:
    env = _fresh(make_env)
    (tmp_path / "tf").mkdir()
    (tmp_path / "tf" / "versions.tf").write_text("terraform {}\n", encoding="utf-8")
    code, out, err = export(env, tmp_path / "tf")
    assert (code, out) == (1, "")
    assert err == (f"Error: {tmp_path / 'tf' / 'versions.tf'} exists and was not written by vertex-claude-setup\n"
                   "  fix: export into another folder with --dir, or move that file away\n")
    assert read_dir(tmp_path / "tf") == {"versions.tf": "terraform {}\n"}


def test_errors_are_one_line(make_env: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env: Env = make_env({"projects": {PROJECT: {"exists": False}}, "defaults": {"auto_create_projects": False}})
    code, out, err = export(env, tmp_path / "tf")
    assert (code, out) == (1, "")
    assert err.startswith(f"Error: cannot export project {PROJECT}: project: ")
    assert len(err.splitlines()) == 2 and err.splitlines()[1].startswith("  fix: ")
    assert not (tmp_path / "tf").exists()
    (tmp_path / "file").write_text("x", encoding="utf-8")
    env = _fresh(make_env)
    assert export(env, tmp_path / "file")[2] == (f"Error: --dir {tmp_path / 'file'} is a file, not a folder\n"
                                                 "  fix: pass a folder path (it is created if missing)\n")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    assert export(env, tmp_path / "tf")[2] == (
        "Error: environment SOURCE_DATE_EPOCH: 'yesterday' is not a Unix timestamp\n"
        "  fix: set it to seconds since 1970 (e.g. SOURCE_DATE_EPOCH=1767225600) or unset it\n")


def test_help_lists_the_command_with_an_example(make_env: Any) -> None:
    env = _fresh(make_env)
    code, out, _ = env.run("--help")
    assert code == 0 and "export      Write the setup as Terraform" in out
    code, out, _ = env.run("export", "terraform", "--help")
    assert code == 0
    assert "vertex-claude-setup export terraform --dir infra/claude" in out
