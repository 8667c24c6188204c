"""The plan/apply engine: the Step contract and plan model (``model``), the graph runner, saved plan files.

Knows no concrete step and no Google API: imports only ``config``, ``errors`` and ``gcp.session`` types.
"""
