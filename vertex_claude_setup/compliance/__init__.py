"""Logging compliance (``logging verify``): reads what the logging steps manage and checks it, never writes.

Sits above ``steps`` (it reads through their ``read``); may import everything below it, never ``cli``.
"""
