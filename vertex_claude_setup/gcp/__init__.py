"""The Google access layer: credentials, endpoints, one retry policy, error translation; one module per API.

Imports only ``config``, ``catalog`` and ``errors``. Client libraries are imported lazily (fast ``--help``).
"""
