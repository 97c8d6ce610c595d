"""Autograder: grades student NumPy and PyTorch code for the loss-and-optimization lecture.

This package holds what every process shares: the typed contracts between web and worker,
the settings object, and the ``autograder`` command line. It imports nothing heavy at import.
"""
