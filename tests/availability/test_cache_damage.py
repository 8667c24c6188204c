"""A damaged audit cache, whatever its shape, costs one warning line and a re-probe — never the command.
A cache that cannot be written (the state folder is a file) is a warning too."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from audit_support import ON, claude_requests, emulator, run

PROJECT = "cache-project"
SCENARIO = {"projects": {PROJECT: {"enabled_services": ON}}}
ARGS = ["--project", PROJECT, "regions", "audit", "--probe", "count-tokens", "--models", "claude-opus-4-6",
        "--regions", "us-east5,global", "--no-quotas", "--format", "json"]
CACHE = Path(".vertex-claude/audit-cache.json")


@pytest.fixture(autouse=True)
def _cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VERTEX_CLAUDE_RETRY_INITIAL", "0.01")
    monkeypatch.setenv("VERTEX_CLAUDE_RETRY_DEADLINE", "2")


def _scope(doc: dict[str, Any]) -> dict[str, Any]:
    scope: dict[str, Any] = next(iter(doc["scopes"].values()))
    return scope


def _entry(doc: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = next(iter(_scope(doc)["probes"]["count_tokens"].values()))
    return entry


Damage = Callable[[dict[str, Any]], Any]
SHAPES: list[tuple[str, bytes | Damage, str]] = [
    ("not JSON", b"{", "not JSON"),
    ("not UTF-8", b"\xff\xfe\x00garbage", "not JSON"),
    ("nested 100,000 deep", b"[" * 100_000 + b"]" * 100_000, "not JSON"),
    ("a JSON array", b"[]", "an array instead of an object"),
    ("JSON null", b"null", "null instead of an object"),
    ("a JSON string", b'"cache"', "a string instead of an object"),
    ("a JSON number", b"1e400", "a number instead of an object"),
    ("schema_version a string", lambda d: d.update(schema_version="1"), "no schema_version"),
    ("scopes a list", lambda d: d.update(scopes=[]), "'scopes' is not an object"),
    ("a scope a list", lambda d: d["scopes"].update({"other|p": []}), "scope 'other|p' is not an object"),
    ("probes a list", lambda d: _scope(d).update(probes=[]), "'probes' is not an object"),
    ("a mode a list", lambda d: _scope(d)["probes"].update(count_tokens=[]), "probes of 'count_tokens' are not"),
    ("an entry a list", lambda d: _scope(d)["probes"]["count_tokens"].update({"claude-opus-4-6|us-east5": []}),
     "malformed count_tokens entries"),
    ("probed_at a word", lambda d: _entry(d).update(probed_at="yesterday"), "malformed count_tokens entries"),
    ("probed_at NaN", lambda d: _entry(d).update(probed_at=float("nan")), "malformed count_tokens entries"),
    ("an unknown class", lambda d: _entry(d).update({"class": "MAYBE"}), "malformed count_tokens entries"),
    ("model a number", lambda d: _entry(d).update(model=7), "malformed count_tokens entries"),
    ("an entry under another key", lambda d: _scope(d)["probes"]["count_tokens"].update(
        {"claude-opus-4-6|europe-west1": _entry(d)}), "malformed count_tokens entries"),
    ("latency_ms a list", lambda d: _scope(d).update(latency_ms=[1, 2]), "'latency_ms' is not an object"),
    ("quotas garbled", lambda d: _scope(d).update(quotas={"read_at": "now", "report": []}), "malformed quotas"),
]


@pytest.mark.parametrize(("shape", "damage", "problem"), SHAPES, ids=[s[0] for s in SHAPES])
def test_a_damaged_cache_is_one_warning_and_a_reprobe(monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str], shape: str,
                                                      damage: bytes | Damage, problem: str) -> None:
    with emulator(monkeypatch, SCENARIO) as emu:
        code, out, err = run(capsys, *ARGS)
        assert (code, err) == (0, "")
        expected = [(r["model"], r["region"], r["class"]) for r in json.loads(out)["results"]]
        if isinstance(damage, bytes):
            CACHE.write_bytes(damage)
        else:
            doc = json.loads(CACHE.read_text(encoding="utf-8"))
            damage(doc)
            CACHE.write_text(json.dumps(doc), encoding="utf-8")
        code, out, err = run(capsys, *ARGS)
        assert code == 0, err
        assert [(r["model"], r["region"], r["class"]) for r in json.loads(out)["results"]] == expected
        assert err.startswith(f"Warning: audit cache {CACHE.resolve()} is damaged (")
        assert problem in err.splitlines()[0] and len(err.splitlines()) == 1, err
        assert err.endswith("): ignoring what is damaged; the next probes rewrite it\n")
        # the next run finds a sound cache again: no warning, and the lasting facts come from it
        before = len(claude_requests(emu))
        code, out, err = run(capsys, *ARGS)
        assert (code, err) == (0, "")
        assert all(r["cached"] for r in json.loads(out)["results"])
        assert len(claude_requests(emu)) == before


def test_a_state_folder_that_is_a_file_costs_only_the_cache(monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    Path(".vertex-claude").write_text("not a folder", encoding="utf-8")
    with emulator(monkeypatch, SCENARIO):
        code, out, err = run(capsys, *ARGS)
    assert code == 0
    assert [r["class"] for r in json.loads(out)["results"]] == ["AVAILABLE", "AVAILABLE"]
    state_dir = Path(".vertex-claude").resolve()
    assert err == (f"Warning: audit cache not saved: {state_dir} is a file, not a folder: vertex-claude-setup keeps "
                   f"its state there — fix: move or delete the file {state_dir}\n")


def test_the_cache_is_private(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    Path(".vertex-claude").mkdir(mode=0o755)  # made by an older version: tightened on the next write
    with emulator(monkeypatch, SCENARIO):
        assert run(capsys, *ARGS)[0] == 0
    assert stat.S_IMODE(Path(".vertex-claude").stat().st_mode) == 0o700
    assert stat.S_IMODE(CACHE.stat().st_mode) == 0o600
    assert [p.name for p in Path(".vertex-claude").iterdir()] == ["audit-cache.json"]  # no temporary file left
