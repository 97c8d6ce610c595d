"""LTI grade passback (AGS) with a real worker: a launched student's upload is graded and
its score POSTed to the emulated platform's line item, with a cached access token,
retries on 5xx, a dead letter after the last try, a line item created when the launch gave
none, and the latest or best score as the assignment says."""

from __future__ import annotations

import pytest
from live_services import RedisServer, own_stack, wait_until
from lti_platform import Link, Platform
from lti_support import TOOL, login_and_launch, register
from service_support import FIXTURES

from common.assignment_settings import AssignmentSettings, ScoreCounts, save_assignment_settings
from common.lms import list_dead_letters
from common.lti import claims as c
from common.records import KEYS
from common.settings import Settings
from service import create_app

pytestmark = pytest.mark.slow
MAX_TRIES = 3
WORKER_ENV = {
    "AUTOGRADER_CALLBACK_ALLOW_PRIVATE": "true",
    "AUTOGRADER_CALLBACK_BASE_DELAY_S": "0.05",
    "AUTOGRADER_CALLBACK_MAX_TRIES": str(MAX_TRIES),
    "AUTOGRADER_CALLBACK_TIMEOUT_S": "3",
}
WAIT_S = 90  # an upper bound for grading and delivery, not a timing assertion


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory):
    """A redis-server and a worker of their own that may reach 127.0.0.1 (the platform)."""
    with own_stack(tmp_path_factory.mktemp("lti-stack"), "lti", **WORKER_ENV) as server:
        yield server


@pytest.fixture
def platform():
    with Platform() as emulator:
        emulator.tool_launch_url = f"{TOOL}/lti/launch"
        emulator.tool_jwks_url = "set by the test"
        emulator.add_user("alice")
        emulator.add_link(Link("link-given", {"assignment": "lecture4-numpy"}))
        emulator.add_link(Link("link-container", {"assignment": "lecture4-numpy"}, lineitem=False))
        yield emulator


class Student:
    """A launched student's browser (a test client) and the tool it talks to."""

    def __init__(self, stack: RedisServer, platform: Platform, link: str) -> None:
        settings = Settings(
            redis_url=stack.url, callback_allow_private=True, rate_limits_enabled=False
        )
        self.app = create_app(settings)
        self.client = self.app.test_client()
        self.registration = register(stack.client(), platform)
        self.serve_jwks(platform)
        response, _, _ = login_and_launch(self.client, platform, "alice", link)
        assert response.status_code == 302

    def serve_jwks(self, platform: Platform) -> None:
        """Let the platform fetch the tool's JWKS (a live server of this app)."""
        from browser_support import LiveServer

        self.server = LiveServer(self.app).__enter__()
        platform.tool_jwks_url = f"{self.server.url}/lti/jwks.json"

    def upload(self, fixture: str) -> None:
        page = self.client.get("/student/", base_url=TOOL).get_data(as_text=True)
        csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
        with open(FIXTURES / fixture, "rb") as handle:
            response = self.client.post(
                "/student/submissions",
                base_url=TOOL,
                data={"csrf_token": csrf, "file": (handle, fixture)},
                content_type="multipart/form-data",
            )
        assert response.status_code == 303, response.get_data(as_text=True)

    def close(self) -> None:
        self.server.__exit__(None, None, None)


@pytest.fixture
def student(stack, platform):
    made: list[Student] = []

    def make(link: str = "link-given") -> Student:
        made.append(Student(stack, platform, link))
        return made[-1]

    yield make
    for one in made:
        one.close()


def delivered(platform: Platform, count: int):
    return lambda: [s for s in platform.got.scores if s["answered"] == 200][count - 1 :] or None


def test_a_graded_upload_reaches_the_gradebook_with_a_cached_token(student, platform):
    alice = student()
    alice.upload("numpy_correct.py")
    (score,) = wait_until(delivered(platform, 1), WAIT_S, "the score at the platform")
    body = score["body"]
    assert score["lineitem"] == f"{platform.url}/lineitems/1" and score["auth"]
    assert score["content_type"] == c.SCORE_MEDIA_TYPE
    assert body["userId"] == "user-alice"
    assert (body["scoreGiven"], body["scoreMaximum"]) == (100.0, 100.0)
    assert body["activityProgress"] == "Completed" and body["gradingProgress"] == "FullyGraded"
    assert body["timestamp"] and "numpy_correct.py" in body["comment"]
    (assertion,) = platform.got.tokens
    assert assertion["iss"] == assertion["sub"] == "tool-client-1"
    assert c.SCOPE_SCORE in assertion["scope"].split()
    alice.upload("numpy_overflow_softmax.py")
    wait_until(delivered(platform, 2), WAIT_S, "the second score")
    assert len(platform.got.tokens) == 1  # the token was cached
    assert platform.got.scores[-1]["body"]["scoreGiven"] < 100  # latest counts by default


def test_a_5xx_is_retried_until_the_platform_takes_the_score(student, platform, stack):
    platform.score_script = [503, 502, 200]
    alice = student()
    alice.upload("numpy_correct.py")
    wait_until(delivered(platform, 1), WAIT_S, "the score after retries")
    assert [s["answered"] for s in platform.got.scores] == [503, 502, 200]
    submission_id = next(
        iter(stack.client().zrange(KEYS.index_course(alice.registration.course), 0, -1))
    )
    passback = stack.client().hgetall(KEYS.lti_passback(submission_id))
    assert passback["status"] == "delivered" and passback["attempts"] == "3"


def test_the_passback_is_a_dead_letter_after_the_last_try(student, platform, stack):
    platform.score_script = [503]
    alice = student()
    alice.upload("numpy_correct.py")
    course = alice.registration.course

    def buried():
        return [d for d in list_dead_letters(stack.client()) if d.course == course] or None

    (letter,) = wait_until(buried, WAIT_S, "the dead letter")
    assert letter.kind == "lti" and letter.tries == MAX_TRIES and "HTTP 503" in letter.last_error
    assert len(platform.got.scores) == MAX_TRIES
    assert stack.client().hget(KEYS.lti_passback(letter.submission_id), "status") == "dead"


def test_a_line_item_is_created_when_the_launch_gave_only_the_container(student, platform):
    alice = student("link-container")
    alice.upload("numpy_correct.py")
    (score,) = wait_until(delivered(platform, 1), WAIT_S, "the score")
    (created,) = platform.got.created_lineitems
    assert created["resourceLinkId"] == "link-container" and created["scoreMaximum"] == 100
    assert created["resourceId"] == "lecture4-numpy"
    assert score["lineitem"] == created["id"]
    alice.upload("numpy_correct.py")
    wait_until(delivered(platform, 2), WAIT_S, "the second score")
    assert len(platform.got.created_lineitems) == 1  # found and reused, not made again


def test_best_counts_when_the_assignment_says_so(student, platform, stack):
    alice = student()
    settings = AssignmentSettings(score_counts=ScoreCounts.BEST)
    save_assignment_settings(stack.client(), alice.registration.course, "lecture4-numpy", settings)
    alice.upload("numpy_correct.py")
    wait_until(delivered(platform, 1), WAIT_S, "the first score")
    alice.upload("numpy_overflow_softmax.py")
    wait_until(delivered(platform, 2), WAIT_S, "the second score")
    assert [s["body"]["scoreGiven"] for s in platform.got.scores] == [100.0, 100.0]
