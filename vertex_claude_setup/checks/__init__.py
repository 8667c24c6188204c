"""Checks a user runs on their own: the "Hey Claude!" smoke test, ``doctor`` and the ``env`` for Claude Code.

A capability under the steps and commands: may import ``availability``, ``gcp``, ``catalog``, ``config``, ``errors``.
"""
