"""The chaos suite's parts (``benchmarks/chaos.py`` is the entry point).

``world`` seeds a project the way users have them (foreign IAM, audit configs, publisher-model fields, higher
retentions); ``schedules`` draws seeded fault schedules on top; ``harness`` runs the emulator and the tool as
real processes; ``invariants`` judges the emulator's state, never the tool's output; ``suite`` ties them up.
"""
