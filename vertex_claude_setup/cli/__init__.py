"""The command line and everything it renders: Click commands, the composition root (``runtime``), ``render/``.

Top layer: may import every folder below it; nothing imports it. Commands parse, call the library, render.
"""
