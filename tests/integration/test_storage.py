"""What POST /submissions stores before answering 202, and for how long."""

from __future__ import annotations

import hashlib

import pytest
from service_support import submit_text

from common.records import KEYS, SubmissionRecord

pytestmark = pytest.mark.usefixtures("catalog")


def test_the_record_source_and_indexes_exist_when_202_is_answered(
    make_client, make_key, redis_server
):
    auth = make_key("integration", "store-1")
    accepted = submit_text(make_client(), auth, "y = 2\n", student_id="kim")
    submission_id = accepted.get_json()["id"]
    redis = redis_server.client()

    record = SubmissionRecord.from_redis(redis.hgetall(KEYS.submission(submission_id)))

    assert (record.course, record.student_id, record.filename) == (
        "store-1",
        "kim",
        "submission.py",
    )
    assert record.sha256 == hashlib.sha256(b"y = 2\n").hexdigest()
    assert redis.get(KEYS.source(submission_id)) == "y = 2\n"
    for index in (
        KEYS.index_all,
        KEYS.index_course("store-1"),
        KEYS.index_student("kim"),
        KEYS.index_assignment("lecture4-numpy"),
        KEYS.attempts("store-1", "lecture4-numpy", "kim"),
    ):
        assert redis.zscore(index, submission_id) == record.received_at.timestamp()
    assert len(submission_id) >= 24  # 18 random bytes, URL-safe base64


def test_submissions_never_expire_by_default(make_client, admin_auth, redis_server):
    submission_id = submit_text(make_client(), admin_auth).get_json()["id"]
    redis = redis_server.client()
    assert redis.ttl(KEYS.submission(submission_id)) == -1
    assert redis.ttl(KEYS.source(submission_id)) == -1


def test_retention_sets_an_expiry_on_record_and_source(make_client, admin_auth, redis_server):
    submission_id = submit_text(make_client(retention_days=2), admin_auth).get_json()["id"]
    redis = redis_server.client()
    for key in (KEYS.submission(submission_id), KEYS.source(submission_id)):
        assert 0 < redis.ttl(key) <= 2 * 86400
