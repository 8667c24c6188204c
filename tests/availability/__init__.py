"""Tests of the availability capability: probes, classes, audits, cache, ranking."""
