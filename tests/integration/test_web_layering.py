"""The web process never imports numpy, torch, the worker or the reference packs."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, sys
import service
from common.settings import Settings
app = service.create_app(Settings(redis_url="redis://127.0.0.1:1/0"))
client = app.test_client()
client.get("/openapi.json"); client.get("/docs"); client.get("/healthz")
print(json.dumps(sorted(sys.modules)))
"""
FORBIDDEN = ("numpy", "torch", "worker", "reference")


def test_creating_and_using_the_app_imports_no_grading_code():
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    modules = json.loads(out.splitlines()[-1])
    leaked = [m for m in modules if m.split(".")[0] in FORBIDDEN]
    assert "flask" in modules and "celery" in modules
    assert leaked == []
