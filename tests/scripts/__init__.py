"""Tests of the maintainer scripts in scripts/ (their pure parts; the downloads are not run here)."""
