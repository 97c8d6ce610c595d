"""docs/result.schema.json is the JSON Schema of GradingResult as the code defines it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from common.contracts import result_json_schema

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "result.schema.json"


def test_committed_result_schema_matches_the_contract():
    committed = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert committed == result_json_schema(), (
        "docs/result.schema.json is stale: run .venv/bin/python scripts/gen_result_schema.py"
    )


def test_a_result_as_json_validates_against_the_committed_schema():
    import jsonschema  # a dependency of nbformat

    from common.contracts import GradingError, GradingResult, TestResult

    result = GradingResult(
        assignment="lecture4-numpy",
        status="graded",
        score=5,
        max_score=10,
        tests=[
            TestResult(
                name="softmax: random scores",
                function="softmax",
                passed=False,
                score=0,
                max_score=5,
                message="softmax returned nan",
                visibility="visible",
                diagnosis="no_max_subtraction",
            )
        ],
        error=GradingError(kind="import_error", message="stopped", line=3, cell=1),
        duration_ms=12.5,
        versions={"python": "3.11.7"},
    )
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.validate(result.model_dump(mode="json"), schema)
    bad = {**result.model_dump(mode="json"), "status": "maybe"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)
