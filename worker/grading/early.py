"""Start a one-shot grading's sandbox run before the pipeline asks for it.

``autograder grade`` spends a few hundred milliseconds importing the pipeline (pydantic
above all) while the sandbox would sit idle. :func:`start_early` works out the request
the pipeline is going to make (:mod:`worker.grading.prepare`, which imports no pydantic)
and runs it in a thread; waiting on the sandbox releases the GIL, so the imports go on
meanwhile. The pipeline then gets an :class:`EarlyRunner`, which answers that very
request with the report already made, and runs any other request itself.
"""

from __future__ import annotations

import threading
from dataclasses import replace

from reference.pack import Device, Pack
from worker.grading.plan import plan_cases
from worker.grading.prepare import sandbox_request, static_facts
from worker.grading.source import NotGradableError, parse_submission
from worker.sandbox.api import CallSpec, SandboxReport, SandboxRequest, SandboxRunner

CLOSE_JOIN_S = 5.0  # an interrupted command: how long to let the run notice its sandbox end


class EarlyRunner:
    """A SandboxRunner over ``runner`` that has already started one ``request`` in a thread.

    Not for concurrent use (nor is ``runner``): each :meth:`run` first waits for the early
    run to end.
    """

    def __init__(self, runner: SandboxRunner, request: SandboxRequest | None) -> None:
        self.runner, self.request = runner, request
        self._report: SandboxReport | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="early-sandbox-run", daemon=True)
        if request is not None:
            self._thread.start()

    def _run(self) -> None:
        try:
            self._report = self.runner.run(self.request)
        except BaseException as e:  # noqa: BLE001 - raised again in the caller's thread
            self._error = e

    def run(self, request: SandboxRequest) -> SandboxReport:
        """The early run's report if ``request`` asks the same (once), else a fresh run."""
        early = self.request
        if early is not None:
            self._thread.join()
            self.request = None
            if same_request(early, request):
                if self._error is not None:
                    raise self._error
                return self._report
        return self.runner.run(request)

    def close(self) -> None:
        """Close the runner; an early run still going (the command was interrupted) ends
        with its sandbox."""
        self.runner.close()
        if self._thread.is_alive():
            self._thread.join(CLOSE_JOIN_S)


def start_early(
    pack: Pack, device: Device, filename: str, source: str | bytes, runner: SandboxRunner
) -> EarlyRunner:
    """Start the run the pipeline will ask ``runner`` for; return the runner to give it.

    A file that cannot be graded starts nothing: the pipeline finds out and says why.
    """
    try:
        parsed = parse_submission(filename, source)
        static = static_facts(pack, parsed)
    except NotGradableError:
        return EarlyRunner(runner, None)
    planned = plan_cases(pack, device)
    return EarlyRunner(runner, sandbox_request(pack, device, parsed, static, planned))


def same_request(a: SandboxRequest, b: SandboxRequest) -> bool:
    """Whether ``b`` asks exactly what ``a`` asked: equal fields, and call inputs that are
    the very same objects (a pack's case inputs are built once per process and shared)."""
    fields = ("runtime", "device", "chunks", "forbidden", "limits")
    if any(getattr(a, name) != getattr(b, name) for name in fields):
        return False
    if dict(a.oracles) != dict(b.oracles) or len(a.calls) != len(b.calls):
        return False
    return all(_same_call(x, y) for x, y in zip(a.calls, b.calls, strict=True))


def _same_call(x: CallSpec, y: CallSpec) -> bool:
    if replace(x, kwargs={}) != replace(y, kwargs={}) or x.kwargs.keys() != y.kwargs.keys():
        return False
    return all(x.kwargs[name] is y.kwargs[name] for name in x.kwargs)
