"""Fuzz every operation of the API from its own OpenAPI document (schemathesis).

Schemathesis reads /openapi.json from the real app (in process, over WSGI, on a real
Redis) and sends generated requests, valid and invalid, to every operation. Each response
must be no 5xx and must match what the document says: status code, content type, headers
and body schema; auth must be enforced. Examples are bounded and derandomized, so the run
is the same every time and takes under a minute on two cores.

The app has rate limits off (a fuzzer's request rate would otherwise be answered 429 at
random points) and its own Redis database, so nothing it submits reaches the session's
worker. Submissions it makes are queued and never graded, which is all the API promises.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from common.records import KEYS
from common.settings import Settings

ADMIN_KEY = "fuzz-admin-key-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {ADMIN_KEY}"}
FUZZ_DB = 7  # not 0: the session's worker consumes db 0's queues
MAX_EXAMPLES = 150
METHODS = ("get", "put", "post", "delete", "patch")
# Every check but one: positive_data_acceptance expects every schema-valid request to be
# accepted, and the API adds rules a JSON Schema does not state (exactly one of 'source'
# and 'notebook_base64'; an assignment must exist), which it answers with a documented 422.
EXCLUDED = [schemathesis.checks.positive_data_acceptance]


def make_app(redis_url: str):
    from service import create_app

    return create_app(Settings(redis_url=redis_url, admin_key=ADMIN_KEY, rate_limits_enabled=False))


def operations() -> list[tuple[str, str]]:
    """(METHOD, path) of every documented operation; the factory does no I/O to say so."""
    document = make_app("redis://127.0.0.1:9/0").test_client().get("/openapi.json").get_json()
    return [
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in METHODS
    ]


@pytest.fixture(scope="module")
def api_schema(redis_server):
    from worker.catalog_publisher import build_catalog, publish

    url = f"redis://127.0.0.1:{redis_server.port}/{FUZZ_DB}"
    client = redis_server.client().__class__.from_url(url, decode_responses=True)
    client.flushdb()
    publish(client, build_catalog())  # what a worker publishes at start: real assignments
    # A worker's heartbeat with no TTL: /readyz answers 200, as with a worker running.
    client.sadd(KEYS.workers("cpu"), "fuzz@test")
    client.set(KEYS.heartbeat("cpu", "fuzz@test"), "1")
    client.close()
    app = make_app(url)
    loaded = schemathesis.openapi.from_wsgi("/openapi.json", app)
    # Unknown query parameters are not invalid in OpenAPI (and the API ignores them): do
    # not count them as negative data.
    loaded.config.generation.update(allow_extra_parameters=False)
    yield loaded
    services = app.extensions["autograder"]
    services.redis.close()
    services.queue.celery.close()


@pytest.mark.parametrize(("method", "path"), operations(), ids=lambda value: value)
def test_every_operation_answers_without_5xx_and_as_its_schema_says(api_schema, method, path):
    operation = api_schema[path][method]
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @given(case=cases)
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def fuzz(case):
        case.call_and_validate(headers=AUTH, excluded_checks=EXCLUDED)

    fuzz()
