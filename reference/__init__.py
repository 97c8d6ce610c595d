"""Reference kernels (NumPy and Torch) and assignment packs: the truth grades are measured against.

Imports nothing else from this project.
"""
