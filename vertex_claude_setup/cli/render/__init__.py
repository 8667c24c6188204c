"""Renderers: plans, audits, checks and compliance reports as text, JSON, CSV, Markdown, HTML and JUnit.

Pure functions of results already computed: they may import the capabilities' result types, never ``gcp``.
"""
