"""Tests of the Google access layer: the retry policy and error translation."""
