"""Property-based: any value for a numeric option is either a usage error (exit 1, named option) or a run that
ends normally against the emulator — never a busy loop, an "unexpected" error or every pair marked ERROR."""

from __future__ import annotations

import math

from conftest import PROJECT, Runner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

PROPERTY = settings(max_examples=25, deadline=None, database=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
numbers = st.one_of(
    st.floats().map(repr), st.floats().map(str), st.integers(-10**12, 10**12).map(str), st.text(max_size=8),
    st.sampled_from(["nan", "-nan", "NaN", "inf", "+inf", "-Infinity", "1e-9", "1e309", "0", "0.5", "1", "600",
                     "601", "1_0", " 5", "0x10"]))
OPTIONS = {"--timeout": (1, 600, float), "--concurrency": (1, 4096, int), "--per-host": (1, 1024, int)}


def _parses(raw: str, kind: type) -> float | None:
    try:
        return float(kind(raw.strip()))
    except ValueError:
        return None


def test_regions_audit_numbers(run: Runner) -> None:
    @PROPERTY
    @given(option=st.sampled_from(sorted(OPTIONS)), raw=numbers)
    @example(option="--timeout", raw="nan")  # the values the issue names, always tried
    @example(option="--timeout", raw="1e-9")
    def check(option: str, raw: str) -> None:
        result = run("--emulator", "--project", PROJECT, "regions", "audit", "--regions", "us-east5",
                     "--models", "claude-sonnet-4-5@20250929", option, raw)
        assert "unexpected" not in result.err and "Traceback" not in result.err, result.err
        low, high, kind = OPTIONS[option]
        value = _parses(raw, kind)
        if value is not None and math.isfinite(value) and low <= value <= high:
            assert result.code == 3, result.out + result.err  # the emulator project has the API off: exit 3
            assert "API_DISABLED" in result.out and "ERROR" not in result.out
        else:
            assert result.code == 1 and f"Error: Invalid value for '{option}'" in result.err, result.err

    check()


def test_log_timeout_numbers(run: Runner) -> None:
    @PROPERTY
    @given(raw=numbers)
    @example(raw="nan")
    def check(raw: str) -> None:
        result = run("--emulator", "--project", PROJECT, "smoke-test", "--verify-logged", "--log-timeout", raw)
        assert "unexpected" not in result.err and "Traceback" not in result.err, result.err
        value = _parses(raw, float)
        if value is not None and math.isfinite(value) and 0 <= value <= 3600:
            assert result.code == 3, result.out + result.err  # API off: the call fails, nothing to wait for
        else:
            assert result.code == 1 and "Error: Invalid value for '--log-timeout'" in result.err, result.err

    check()
