"""Numeric options refuse nan, inf and absurd values before any call: `--log-timeout nan` used to busy-loop,
`--timeout nan` (or 1e-9) marked every pair ERROR."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import PROJECT, Runner


@pytest.mark.parametrize(("args", "shown"), [
    (("smoke-test", "--verify-logged", "--log-timeout", "nan"), "Invalid value for '--log-timeout': 'nan' is not a "
                                                                "finite number"),
    (("smoke-test", "--verify-logged", "--log-timeout", "inf"), "Invalid value for '--log-timeout': inf is not in "
                                                                "the range 0<=x<=3600."),
    (("smoke-test", "--log-timeout", "-1"), "Invalid value for '--log-timeout': -1.0 is not in the range"),
    (("regions", "audit", "--timeout", "nan"), "Invalid value for '--timeout': 'nan' is not a finite number"),
    (("regions", "audit", "--timeout", "-inf"), "Invalid value for '--timeout': -inf is not in the range 1<=x<=600."),
    (("regions", "audit", "--timeout", "1e-9"), "Invalid value for '--timeout': 1e-09 is not in the range 1<=x<=600."),
    (("regions", "audit", "--timeout", "0"), "Invalid value for '--timeout': 0.0 is not in the range 1<=x<=600."),
    (("regions", "audit", "--concurrency", "0"), "Invalid value for '--concurrency': 0 is not in the range"),
    (("regions", "audit", "--concurrency", "10000000000"), "Invalid value for '--concurrency': 10000000000 is not "
                                                           "in the range 1<=x<=4096."),
    (("regions", "audit", "--per-host", "-3"), "Invalid value for '--per-host': -3 is not in the range 1<=x<=1024."),
])
def test_absurd_numbers_are_usage_errors(run: Runner, args: tuple[str, ...], shown: str) -> None:
    result = run("--emulator", "--project", PROJECT, *args)
    assert (result.code, result.out) == (1, "")
    assert f"Error: {shown}" in result.err
    assert "unexpected" not in result.err and "Traceback" not in result.err
    assert not Path(".vertex-claude").exists()  # refused while parsing: no emulator, no state, no call


def test_sane_numbers_still_run(run: Runner) -> None:
    result = run("--emulator", "--project", PROJECT, "regions", "audit", "--regions", "us-east5", "--timeout", "1",
                 "--concurrency", "4096", "--per-host", "1")
    assert result.code in (0, 3), result.err
    assert "ERROR" not in result.out
