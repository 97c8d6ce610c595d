"""The shared kernel: what the web side, the worker side and the command line agree on.

Contracts (results, the grade-task message), records in Redis, the settings, the catalog
of assignments as the web sees it, signing, callback URL rules, LMS keys and heartbeats.
Imports nothing of ``service``, ``worker``, ``reference`` or ``autograder`` (a test checks
it), and nothing heavy at import.
"""
