"""Tests of the steps: plan → apply → plan through the real Google clients against the emulator."""
