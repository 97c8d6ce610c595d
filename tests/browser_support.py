"""Real-browser test support: the API app served over real HTTP on loopback, and headless
Chromium from Debian's packages (``chromium``, ``chromium-driver``) driven by Selenium.

Nothing is downloaded at test time: Selenium is given the system chromedriver, so its
driver manager never runs. ``scripts/install-browser`` installs both packages (CI runs it
as root before pytest); without them the browser tests fail, saying so, and are never
skipped. Screenshots go to ``artifacts/screenshots/`` (kept after the run, not in git).
"""

from __future__ import annotations

import threading
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait
from werkzeug.serving import make_server

REPO = Path(__file__).resolve().parent.parent
SCREENSHOTS = REPO / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
LAPTOP = (1366, 900)
PHONE = (390, 844)

# As root, with this machine's closed network: no sandbox (root), and nothing that phones
# home (each refused connection would otherwise be retried, and slow every page).
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
)


def require_chromium() -> None:
    """Fail (never skip) when the system browser is missing, saying how to install it."""
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not Path(path).exists()]
    if missing:
        raise RuntimeError(
            f"{', '.join(missing)} not found: run scripts/install-browser as root "
            "(Debian packages chromium and chromium-driver)"
        )


def start_chromium(profile: Path, size: tuple[int, int] = LAPTOP) -> webdriver.Chrome:
    """Start headless Chromium with a fresh profile in ``profile``, at ``size`` pixels."""
    require_chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={size[0]},{size[1]}")
    # Downloads (the starter files) land in the profile's folder, without a prompt.
    downloads = profile / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False},
    )
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    return driver


def downloads_of(profile: Path) -> Path:
    """The folder the browser started on ``profile`` downloads into."""
    return profile / "downloads"


def wait_for(driver: webdriver.Chrome, condition, timeout_s: float = 60.0):
    """Wait until ``condition(driver)`` is truthy; return its value."""
    return WebDriverWait(driver, timeout_s, poll_frequency=0.2).until(condition)


def screenshot(driver: webdriver.Chrome, name: str) -> Path:
    """Save a PNG of the page as ``artifacts/screenshots/<name>.png``; return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


def full_page_screenshot(driver: webdriver.Chrome, name: str, width: int) -> Path:
    """Resize to the page's full height at ``width`` pixels, then save a screenshot."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, max(height + 120, 400))
    return screenshot(driver, name)


class LiveServer:
    """A WSGI app served by werkzeug on 127.0.0.1 in a thread (threaded: long polls)."""

    def __init__(self, app) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)
