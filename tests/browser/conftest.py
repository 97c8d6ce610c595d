"""Fixtures of the real-browser tests (tests/browser_support.py has the machinery)."""

from __future__ import annotations

import pytest
from browser_support import LiveServer, start_chromium


@pytest.fixture
def chromium(tmp_path):
    """A headless Chromium at laptop size with a fresh profile; quit after the test."""
    driver = start_chromium(tmp_path / "profile")
    yield driver
    driver.quit()


@pytest.fixture
def live_app(make_settings):
    """Return a factory: live_app(**settings overrides) -> a LiveServer of the API app."""
    from service import create_app

    servers: list[LiveServer] = []

    def make(**overrides) -> LiveServer:
        server = LiveServer(create_app(make_settings(**overrides))).__enter__()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.__exit__(None, None, None)
