"""Tests of the engine: saved plan files."""
