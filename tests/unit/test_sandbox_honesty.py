"""AUTOGRADER_SANDBOX=auto never grades without isolation; 'process' says so loudly."""

from __future__ import annotations

import logging

import pytest

from common.contracts import GradingStatus
from common.settings import Settings
from worker.sandbox.host import bwrap_runner, factory
from worker.sandbox.host.api import SandboxInfrastructureError
from worker.sandbox.host.isolation import LAYERS, NO_ISOLATION, probe

BLOCKED = "bwrap cannot create namespaces here (user namespaces blocked?): setting up uid map"


@pytest.fixture
def no_bwrap(monkeypatch):
    """This machine as Ubuntu 23.10+ leaves it: bubblewrap cannot make namespaces."""
    monkeypatch.setitem(bwrap_runner._support, "reason", BLOCKED)


@pytest.mark.usefixtures("no_bwrap")
def test_auto_refuses_to_grade_without_bubblewrap_and_says_why_and_what_to_do():
    with pytest.raises(SandboxInfrastructureError) as caught:
        factory.make_runner("auto")
    assert BLOCKED in str(caught.value)
    assert "docs/sandbox.md" in str(caught.value)
    assert "AUTOGRADER_SANDBOX=process" in str(caught.value)


@pytest.mark.usefixtures("no_bwrap")
def test_auto_without_bubblewrap_grades_nothing(monkeypatch):
    from worker.grading import runner_setup
    from worker.grading.pipeline import grade_source

    monkeypatch.setattr(runner_setup, "_SHARED", {})
    settings = Settings(sandbox="auto", sandbox_scratch_mb=63)  # a runner of its own
    result = grade_source(
        "lecture4-numpy", "a.py", "def softmax(s):\n    return s\n", settings=settings
    )
    assert result.status == GradingStatus.FAILED and result.score == 0


@pytest.mark.usefixtures("no_bwrap")
def test_the_probe_reports_the_problem_and_no_active_layer():
    isolation = probe("auto")
    assert isolation.mode == "unavailable" and BLOCKED in isolation.problem
    assert not any(isolation.layers.values())
    assert "nothing will be graded" in isolation.summary()


def test_process_mode_has_no_layers_and_warns_at_every_start(caplog):
    assert probe("process").layers == dict.fromkeys(LAYERS, False)
    with caplog.at_level(logging.WARNING):
        for _ in range(2):
            factory.make_runner("process").close()
    assert [r.getMessage() for r in caplog.records].count(NO_ISOLATION) == 2


def test_the_hardened_sandbox_reports_its_layers():
    if bwrap_runner.BwrapRunner.unsupported_reason() is not None:
        pytest.skip("bubblewrap cannot run here")
    isolation = probe("auto")
    assert isolation.mode == "bwrap" and isolation.problem is None
    assert all(isolation.layers[name] for name in ("namespaces", "seccomp", "landlock"))


@pytest.mark.usefixtures("no_bwrap")
def test_serve_refuses_to_start_and_says_why(capsys, tmp_path, monkeypatch):
    from autograder.cli import main

    monkeypatch.setenv("AUTOGRADER_SANDBOX", "auto")
    assert main(["serve", "--data-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "sandbox UNAVAILABLE, nothing will be graded" in err and BLOCKED in err
    assert not (tmp_path / "serve.json").exists()
