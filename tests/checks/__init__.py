"""Smoke test, doctor, env and the apply check (issue 6): fixtures in this folder's conftest."""
