"""Tests of logging compliance (``logging verify``)."""
