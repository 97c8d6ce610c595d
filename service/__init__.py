"""The web edge: parse, authenticate, store, enqueue by task name, answer.

It never imports numpy, torch, ``worker`` or ``reference`` (a test checks ``sys.modules``).
Build the app with :func:`create_app`; importing this package does no I/O.
"""

from service.app import create_app

__all__ = ["create_app"]
