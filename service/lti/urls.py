"""The tool's own absolute URLs, as platforms reach them."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request, url_for

from service.context import services


def base_url() -> str:
    """AUTOGRADER_PUBLIC_URL when set (behind a proxy), else the URL this request came to."""
    return (services().settings.public_url or request.url_root).rstrip("/")


def tool_url(endpoint: str, **values) -> str:
    """The absolute URL of ``endpoint`` under :func:`base_url`."""
    return base_url() + url_for(endpoint, **values)


def is_ours(url: str) -> bool:
    """True when ``url`` is on this tool's origin (scheme and host of :func:`base_url`, or
    the host this request came to), so that a login never sends a token elsewhere."""
    target = urlsplit(url)
    origins = {urlsplit(base_url())[:2], urlsplit(request.url_root)[:2]}
    return (target.scheme, target.netloc) in origins
