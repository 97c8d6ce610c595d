"""The load generator's own rules, and a small load run through the embedded service.

The small run is the 1,000-submission burst of BENCHMARKS.md in miniature: the real
``autograder serve``, a mixed burst with hostile files, and the same verdict (exit status
0 only with nothing lost and nothing graded twice).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

import pytest
from fault_support import REPO

from bench import _corpus, _http, _stats, _watch


def test_the_load_generator_refuses_every_host_but_127_0_0_1():
    assert _http.loopback_base("http://127.0.0.1:8000") == ("127.0.0.1", 8000)
    for url in ("http://localhost:8000", "http://10.0.0.5:80", "https://127.0.0.1:8000"):
        with pytest.raises(_http.NotLoopbackError):
            _http.loopback_base(url)


def test_a_burst_plan_is_deterministic_and_keeps_the_mix_exactly():
    first, again = _corpus.plan(200, "mixed", seed=3), _corpus.plan(200, "mixed", seed=3)
    assert [p.sample.path for p in first] == [p.sample.path for p in again]
    groups = Counter((p.sample.assignment, p.sample.kind) for p in first)
    assert groups == _corpus.allocate(200, _corpus.MIXES["mixed"])
    assert sum(groups.values()) == 200
    assert len({p.student_id for p in first}) == 200
    assert {p.sample.kind for p in first} == {"correct", "buggy", "hostile"}


def test_percentiles_interpolate_between_ranks():
    values = [1.0, 2.0, 3.0, 4.0]
    assert _stats.percentile(values, 50) == 2.5
    assert _stats.percentile(values, 100) == 4.0
    assert _stats.percentile([7.0], 99) == 7.0


def test_the_worker_log_tells_stored_results_from_no_op_redeliveries(tmp_path):
    log = tmp_path / "worker.log"
    line = "[x: INFO/ForkPoolWorker-1] Task autograder.grade[{}] succeeded in 0.5s: '{}'\n"
    log.write_text(
        line.format("a", "graded")
        + line.format("a", "final")
        + line.format("b", "graded")
        + line.format("b", "failed")
        + "Task autograder.grade[c] received\n"
    )
    outcomes = _watch.worker_log_outcomes(log)
    assert outcomes["a"] == Counter(graded=1, final=1)
    assert _watch.stored_twice(outcomes) == ["b"]


@pytest.mark.slow
def test_a_small_mixed_burst_through_the_embedded_service_loses_nothing(tmp_path):
    out = tmp_path / "burst.json"
    argv = [sys.executable, "-m", "bench.load", "-n", "40", "--warmup", "1", "--seed", "1"]
    argv += ["--time-limit", "420", "--json", str(out)]
    run = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=480)

    assert run.returncode == 0, run.stdout + run.stderr
    figures = json.loads(out.read_text())
    outcome = figures["outcome"]
    assert (outcome["accepted"], outcome["finished"]) == (40, 40)
    assert (outcome["lost"], outcome["graded_twice"]) == (0, 0)
    assert outcome["witnesses"] == ["redis", "log"]
    assert figures["statuses"]["correct_short"] == 0
    assert figures["memory"]["pss_mib"] > 0
