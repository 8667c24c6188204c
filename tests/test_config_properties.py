"""Property-based: generated config files, ids and environment values never raise anything but a one-line
ConfigError, and an accepted id never carries whitespace, a control character or a non-ASCII character."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from vertex_claude_setup import config, envnumbers
from vertex_claude_setup.errors import ConfigError

PROPERTY = settings(max_examples=120, deadline=None, database=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
PROJECT = "demo-project"
KNOWN = sorted(config._SCHEMA)
IDS = ["project", "quota_project", "impersonate_service_account", "logging.dataset", "logging.location",
       "smoke_test.model", "smoke_test.region"]
VALID = {"project": PROJECT, "quota_project": PROJECT, "impersonate_service_account": "sa@demo-project.iam."
         "gserviceaccount.com", "logging.dataset": "claude_logs", "logging.location": "US",
         "smoke_test.model": "claude-sonnet-4-5@20250929", "smoke_test.region": "us-east5"}

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=40),
                    st.sampled_from(["", "\n", " ", "us-east5", "claude_logs\n", "http://exa mple.com", "\x00",
                                     "https://[::1]:99999", "nan", "inf", PROJECT + "\n", "١٢٣"]))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                      max_leaves=12)


def _toml(value: Any) -> str:
    """A TOML literal for ``value`` (None has none: an empty inline table stands in for it)."""
    if value is None:
        return "{}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + "}"


@st.composite
def config_texts(draw: st.DrawFn) -> str:
    keys = draw(st.lists(st.one_of(st.sampled_from(KNOWN), st.text(min_size=1, max_size=12)), max_size=8,
                         unique=True))
    top = [k for k in keys if "." not in k]
    sections: dict[str, list[str]] = {}
    for key in keys:
        if "." in key:
            section, _, name = key.rpartition(".")
            sections.setdefault(section, []).append(name)
    lines = [f'project = "{PROJECT}"'] if draw(st.booleans()) and "project" not in top else []
    lines += [f"{json.dumps(k)} = {_toml(draw(values))}" for k in top]
    for section, names in sections.items():
        lines.append(f"[{json.dumps(section)}]")
        lines += [f"{json.dumps(n)} = {_toml(draw(values))}" for n in names]
    return "\n".join(lines) + "\n"


def _load_or_one_line_error(**kwargs: Any) -> config.Config | None:
    try:
        return config.load(**kwargs)
    except ConfigError as exc:
        assert exc.one_line() and "\n" not in exc.one_line() and "\r" not in exc.one_line()
        return None


def _clean(value: str) -> bool:
    return all(ch.isascii() and ch.isprintable() and not ch.isspace() for ch in value)


@PROPERTY
@given(text=config_texts())
@example(text=f'project = "{PROJECT}"\n[logging]\ndataset = "claude_logs\\n"\n')  # the dataset
@example(text=f'project = "{PROJECT}"\nx = ' + "[" * 5000 + "]" * 5000 + "\n")  # and its nesting
def test_generated_config_files_load_or_fail_in_one_line(tmp_path: Path, text: str) -> None:
    path = tmp_path / "generated.toml"
    path.write_text(text, encoding="utf-8")
    loaded = _load_or_one_line_error(path=path, environ={})
    if loaded is not None:
        assert all(_clean(v) for v in (loaded.project, loaded.logging.dataset, loaded.quota_project, *loaded.models,
                                       *loaded.regions, *(u for u in loaded.endpoints.values())))


@PROPERTY
@given(data=st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode)))
def test_arbitrary_bytes_as_a_config_file_fail_in_one_line(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "bytes.toml"
    path.write_bytes(data)
    _load_or_one_line_error(path=path, environ={"GOOGLE_CLOUD_PROJECT": PROJECT})


ids = st.one_of(st.text(max_size=40), st.sampled_from(list(VALID.values())).flatmap(
    lambda good: st.sampled_from([good + "\n", good + " ", "\n" + good, good + "\r\n", good + "\x00", good.upper(),
                                  good + "\u2028", good.replace("2", "٢"), good])))


@PROPERTY
@given(key=st.sampled_from(IDS), value=ids)
def test_an_accepted_id_is_exactly_an_id(key: str, value: str) -> None:
    overrides = {**({} if key == "project" else {"project": PROJECT}), key: value}
    loaded = _load_or_one_line_error(path=None, overrides=overrides, environ={})
    if loaded is not None and value:
        assert _clean(value), f"{key} accepted {value!r}"


@PROPERTY
@given(name=st.sampled_from(sorted({config.env_name(k) for k in KNOWN} | set(envnumbers.ENV_NUMBERS))),
       value=st.one_of(st.text(max_size=30), st.floats().map(str), st.integers().map(str),
                       st.sampled_from(["nan", "inf", "-inf", "1e309", "0x10", "1_000", " 5", "true", ","])))
def test_environment_settings_load_or_fail_in_one_line(name: str, value: str) -> None:
    if "\x00" in value:  # an environment variable cannot hold NUL
        return
    _load_or_one_line_error(path=None, environ={"GOOGLE_CLOUD_PROJECT": PROJECT, name: value})
