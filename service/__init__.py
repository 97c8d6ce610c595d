"""Web edge: Flask API that validates, stores and enqueues submissions and serves results.

Never imports numpy, torch, the sandbox or the worker.
"""
