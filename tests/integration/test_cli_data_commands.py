"""Commands that touch stored data find serve's Redis by themselves, and say in one line
what to do when there is none (never a traceback)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from autograder.cli import build_parser, main
from autograder.embedded import free_port
from service.keys import KeyStore

KEYS_CREATE = ["keys", "create", "--role", "integration", "--course", "CS5242", "--name", "canvas"]


def fake_serve(data_dir, redis_url: str) -> None:
    """Write the serve.json a running serve would (its pid: this live process)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    state = {"url": "http://127.0.0.1:1", "redis_url": redis_url, "pid": os.getpid(), "pids": {}}
    (data_dir / "serve.json").write_text(json.dumps(state))


@pytest.fixture
def no_env_redis(monkeypatch, tmp_path):
    """No AUTOGRADER_REDIS_URL; AUTOGRADER_DATA_DIR an empty folder of the test's own."""
    monkeypatch.delenv("AUTOGRADER_REDIS_URL", raising=False)
    monkeypatch.setenv("AUTOGRADER_DATA_DIR", str(tmp_path / "default"))


def test_keys_without_a_reachable_redis_is_one_line_with_the_fix(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("AUTOGRADER_REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    monkeypatch.setenv("AUTOGRADER_DATA_DIR", str(tmp_path))
    assert main(KEYS_CREATE) == 2
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert err.startswith("autograder keys: cannot reach Redis at 127.0.0.1:")
    assert "--data-dir" in err and "autograder serve" in err


@pytest.mark.usefixtures("no_env_redis")
def test_keys_find_the_running_serve_through_autograder_data_dir(redis_server, capsys):
    fake_serve(Path(os.environ["AUTOGRADER_DATA_DIR"]), redis_server.url)
    assert main(KEYS_CREATE) == 0
    key_id = capsys.readouterr().out.split("id:")[1].split()[0]
    assert any(k.id == key_id for k in KeyStore(redis_server.client()).all())


@pytest.mark.usefixtures("no_env_redis")
def test_keys_and_regrade_take_data_dir(redis_server, capsys, tmp_path):
    fake_serve(tmp_path / "served", redis_server.url)
    assert main(["keys", "--data-dir", str(tmp_path / "served"), "list"]) == 0
    args = ["regrade", "--assignment", "lecture4-numpy", "--course", "none-such"]
    assert main(args + ["--data-dir", str(tmp_path / "served")]) == 0
    assert "0 of 0 regraded" in capsys.readouterr().out


@pytest.mark.usefixtures("no_env_redis")
def test_a_data_dir_without_a_running_serve_says_how_to_start_it(capsys, tmp_path):
    assert main(["regrade", "--assignment", "lecture4-numpy", "--data-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"no `autograder serve` is running on {tmp_path}" in err
    assert f"autograder serve --data-dir {tmp_path}" in err


def test_every_command_and_action_has_a_description():
    def walk(parser, path):
        for action in parser._actions:
            if hasattr(action, "choices") and isinstance(action.choices, dict):
                for name, sub in action.choices.items():
                    yield f"{path} {name}", sub
                    yield from walk(sub, f"{path} {name}")

    missing = [path for path, sub in walk(build_parser(), "autograder") if not sub.description]
    assert missing == []
