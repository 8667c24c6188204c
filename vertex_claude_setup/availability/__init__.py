"""Availability: probe (model, location) pairs, classify the answers, audit matrices, cache, rank locations.

A capability under the steps and commands: may import ``gcp``, ``catalog``, ``config`` and ``errors`` only.
"""
