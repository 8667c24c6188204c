"""Google access layer: credentials, endpoints, one retry policy and error translation.

Every Google client library is imported lazily, inside the function that needs it, so that
``--help`` and config errors stay fast.
"""
