"""Subcommands of the ``autograder`` command line, one module each."""
