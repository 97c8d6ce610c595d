"""Benchmarks: the load generator, the fresh-interpreter baseline and the hostile corpus.

Run from the repository root, e.g. ``python -m bench.load`` or
``python -m bench.baseline_fresh --assignment lecture4-torch FILE...``. Results and the
commands that produced them are in BENCHMARKS.md.
"""
