"""Tests of the command line: every command in-process, whole output and exit codes."""
