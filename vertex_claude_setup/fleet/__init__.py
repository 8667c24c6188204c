"""Fleets: the single-project commands over hundreds of projects in one process, under Google's quotas.

Selects the projects (a list, a folder or an organization walked through Resource Manager, a label
filter), resolves each project's config (one TOML for all, per-project overrides), runs the same
library calls the single-project commands make (``steps.workflow``, ``compliance.verify``,
``availability.audit``, ``checks``) for every project with bounded concurrency and the rate limits of
``gcp.ratelimit``, keeps each result as it lands (``--resume``), and returns one report. A project that
fails is a row with its reason; the others go on. Sits above ``compliance`` and below ``cli``.
"""
