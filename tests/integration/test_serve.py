"""``autograder serve`` end to end: start, grade over HTTP, Ctrl-C, start again, find it all."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import urllib.request

import pytest
from service_support import FIXTURES

from autograder.embedded import free_port, read_state

START_TIMEOUT_S = 180


class Serve:
    """An ``autograder serve`` child whose output lines are read on a thread."""

    def __init__(self, data_dir, port: int) -> None:
        argv = [sys.executable, "-m", "autograder.cli", "serve", "--data-dir", str(data_dir)]
        argv += ["--port", str(port), "--gpu", "no"]
        env = {k: v for k, v in os.environ.items() if k != "AUTOGRADER_ADMIN_KEY"}
        self.data_dir = data_dir
        self.process = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def line_starting(self, prefix: str) -> str:
        while True:
            line = self.lines.get(timeout=START_TIMEOUT_S)
            if line.startswith(prefix):
                return line

    def interrupt(self) -> int:
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(60)

    def close(self) -> None:
        """Kill what is left after a failure (supervisor and recorded children); close pipes."""
        state = read_state(self.data_dir) or {}
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for pid in state.get("pids", {}).values():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.reader.join(10)
        self.process.stdout.close()


def http(method: str, url: str, key: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Authorization", f"Bearer {key}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


@pytest.mark.slow
def test_serve_grades_stops_cleanly_and_keeps_every_submission(tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    first = Serve(tmp_path / "data", port)
    try:
        assert first.line_starting("autograder is running at").endswith("/docs)")
        key = first.line_starting("admin key:").split()[2]
        source = (FIXTURES / "numpy_correct.py").read_text()
        body = {"assignment": "lecture4-numpy", "source": source, "filename": "hw.py"}
        accepted = http("POST", f"{url}/api/v1/submissions", key, body)
        graded = http("GET", f"{url}{accepted['links']['submission']}?wait=30", key)
        assert (graded["status"], graded["score"]) == ("graded", 100)
        assert first.interrupt() == 0
    finally:
        first.close()
    assert read_state(tmp_path / "data") is None

    second = Serve(tmp_path / "data", port)
    try:
        second.line_starting("autograder is running at")
        assert "first start" in second.line_starting("admin key:")
        again = http("GET", f"{url}{accepted['links']['submission']}", key)
        assert again["result"] == graded["result"] and again["status"] == "graded"
        listed = http("GET", f"{url}/api/v1/submissions", key)
        assert [item["id"] for item in listed["items"]] == [accepted["id"]]
        assert second.interrupt() == 0
    finally:
        second.close()


def gone(pids, timeout_s: float = 60) -> bool:
    """Wait until none of ``pids`` runs (zombies count as gone); True if so."""
    import time

    from autograder.commands.serve import running_pids

    deadline = time.monotonic() + timeout_s
    while running_pids({"pid": pids[0], "pids": dict(enumerate(pids[1:]))}):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


@pytest.mark.slow
def test_serve_takes_its_children_along_when_it_dies_or_its_terminal_hangs_up(tmp_path):
    data = tmp_path / "data"
    first = Serve(data, free_port())
    try:
        first.line_starting("autograder is running at")
        children = list(read_state(data)["pids"].values())
        first.process.kill()  # SIGKILL: no chance to stop anything itself
        first.process.wait()
        assert gone(children), "redis, the worker and the API outlived a killed serve"
    finally:
        first.close()
    stop = [sys.executable, "-m", "autograder.cli", "stop", "--data-dir", str(data)]
    stopped = subprocess.run(stop, capture_output=True, text=True, timeout=120)
    assert stopped.returncode == 0 and "nothing of `autograder serve` runs" in stopped.stdout

    second = Serve(data, free_port())
    try:
        second.line_starting("autograder is running at")
        key_line = second.line_starting("admin key:")
        assert f"autograder keys --data-dir {data.resolve()} create" in key_line
        children = list(read_state(data)["pids"].values())
        second.process.send_signal(signal.SIGHUP)  # a dropped SSH session
        assert second.process.wait(60) == 0
        assert gone(children) and read_state(data) is None
    finally:
        second.close()


@pytest.mark.slow
def test_autograder_stop_stops_a_running_serve(tmp_path):
    data = tmp_path / "data"
    serve = Serve(data, free_port())
    try:
        serve.line_starting("autograder is running at")
        children = list(read_state(data)["pids"].values())
        stop = [sys.executable, "-m", "autograder.cli", "stop", "--data-dir", str(data)]
        stopped = subprocess.run(stop, capture_output=True, text=True, timeout=120)
        assert stopped.returncode == 0 and "stopped `autograder serve`" in stopped.stdout
        assert serve.process.wait(60) == 0 and gone(children) and read_state(data) is None
    finally:
        serve.close()
