"""LTI 1.3 state shared by the web side (launches) and the worker side (grade passback).

- :mod:`common.lti.registry`: the platforms registered by ``autograder lti add-platform``.
- :mod:`common.lti.toolkeys`: the tool's own RSA key set (signing, JWKS, rotation).
- :mod:`common.lti.launches`: what a launch left behind for the passback (who, where the
  line item is) and the claim names of the specification.

Everything lives in Redis under :data:`common.records.KEYS`; neither side imports the other.
"""
