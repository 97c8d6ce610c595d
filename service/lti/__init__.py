"""The LTI 1.3 tool (issue 13): OIDC login, launch validation, the tool's JWKS, deep
linking and the set-up page for LMS admins. Shared state is in :mod:`common.lti`."""
