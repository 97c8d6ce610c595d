"""Autograder: grades student NumPy and PyTorch code for the loss-and-optimization lecture.

This package is the entry layer: the ``autograder`` command line (one module per command
in ``autograder.commands``) and the embedded ``serve``. It is the only package that
imports both ``service`` and ``worker``; what they share lives in ``common``. It imports
nothing heavy at import.
"""
