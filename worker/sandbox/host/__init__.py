"""Host side of the sandbox: the worker's view (see worker/sandbox/__init__.py)."""
