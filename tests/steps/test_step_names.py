"""The step names a saved plan may hold are exactly the names of the steps the tool has."""

from __future__ import annotations

from vertex_claude_setup import config
from vertex_claude_setup.steps import STEP_NAMES, all_steps


def test_step_names_match_every_step() -> None:
    everything = config.load(None, {"project": "demo-project"}, environ={})  # logging, audit logs, smoke test on
    names = [step.name for step in all_steps(everything)]
    assert sorted(names) == sorted(STEP_NAMES)
    assert len(set(names)) == len(names)
