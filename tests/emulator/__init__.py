"""Tests of the emulator: paths, wire shapes and faults, checked against discovery documents."""
