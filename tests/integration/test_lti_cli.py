"""``autograder lti add-platform | list | remove | rotate-key`` on the Redis of a running
serve, with platform URLs checked like callback URLs."""

from __future__ import annotations

import secrets

import pytest

from autograder.cli import main
from common.lti import registry, toolkeys


@pytest.fixture
def redis_env(monkeypatch, redis_server):
    monkeypatch.setenv("AUTOGRADER_REDIS_URL", redis_server.url)
    return redis_server.client()


def add_args(host: str = "https://lms.example.edu", course: str = "CS101") -> list[str]:
    deployment = secrets.token_hex(4)
    return [
        "lti", "add-platform", "--issuer", host, "--client-id", "10000000000042",
        "--deployment-id", deployment, "--auth-url", f"{host}/auth",
        "--token-url", f"{host}/token", "--jwks-url", f"{host}/jwks", "--course", course,
    ]  # fmt: skip


def public_resolver(monkeypatch) -> None:
    """lms.example.edu resolves to a public address (no DNS in the tests)."""
    monkeypatch.setattr("common.callback_urls.resolve_host", lambda host, port: ["93.184.215.14"])


def test_add_list_and_remove_a_platform(redis_env, monkeypatch, capsys):
    public_resolver(monkeypatch)
    assert main(add_args(course="CS-lti")) == 0
    out = capsys.readouterr().out
    reg_id = out.split("registered ")[1].split(":")[0]
    stored = registry.get(redis_env, reg_id)
    assert stored is not None and stored.course == "CS-lti"
    assert stored.token_url == "https://lms.example.edu/token"
    assert main(["lti", "list"]) == 0
    assert reg_id in capsys.readouterr().out
    assert main(["lti", "remove", reg_id]) == 0
    assert registry.get(redis_env, reg_id) is None
    assert main(["lti", "remove", reg_id]) == 1
    assert "no registration" in capsys.readouterr().err


def test_a_private_platform_url_is_refused_unless_allowed(redis_env, monkeypatch, capsys):
    before = len(registry.all_registrations(redis_env))
    assert main(add_args(host="http://127.0.0.1:9")) == 2
    err = capsys.readouterr().err
    assert "non-public address" in err and "Traceback" not in err
    assert len(registry.all_registrations(redis_env)) == before
    monkeypatch.setenv("AUTOGRADER_CALLBACK_ALLOW_PRIVATE", "true")
    assert main(add_args(host="http://127.0.0.1:9")) == 0


def test_a_bad_course_id_is_one_line(redis_env, monkeypatch, capsys):
    public_resolver(monkeypatch)
    assert main(add_args(course="no spaces")) == 2
    err = capsys.readouterr().err
    assert err.startswith("autograder lti: course:") and len(err.strip().splitlines()) == 1


def test_rotate_key_makes_a_new_key_and_keeps_the_old_one_published(redis_env, capsys):
    old = toolkeys.current_key(redis_env)
    assert main(["lti", "rotate-key"]) == 0
    new = toolkeys.current_key(redis_env)
    assert new.kid != old.kid and new.kid in capsys.readouterr().out
    published = {k["kid"] for k in toolkeys.jwks(redis_env)["keys"]}
    assert {old.kid, new.kid} <= published
