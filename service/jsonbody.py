"""Flask's JSON provider, made safe for bodies nested deeper than the parser can follow.

``json.loads`` raises RecursionError (not ValueError) on ``[[[[...]]]]`` a few thousand
levels deep, which Flask would let through as a 500. Here it is a JSONDecodeError, so
``request.get_json()`` answers 400 (and ``silent=True`` gives None) like any bad body.
"""

from __future__ import annotations

import json
from typing import Any

from flask.json.provider import DefaultJSONProvider


def loads_bounded(text: str | bytes, **kwargs: Any) -> Any:
    """``json.loads``, with too deep a nesting a JSONDecodeError (a ValueError)."""
    try:
        return json.loads(text, **kwargs)
    except RecursionError:
        raise json.JSONDecodeError("the JSON is nested too deeply", "", 0) from None


class BoundedJSONProvider(DefaultJSONProvider):
    """The app's JSON provider: Flask's, with :func:`loads_bounded` for request bodies."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads_bounded(s, **kwargs)
