"""Write docs/result.schema.json, the JSON Schema of GradingResult (run after changing it).

Usage: .venv/bin/python scripts/gen_result_schema.py
"""

from __future__ import annotations

import json
from pathlib import Path

from common.contracts import result_json_schema

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "docs" / "result.schema.json"


def schema_text() -> str:
    """Return the schema as the committed file holds it: sorted keys, 2-space indent."""
    return json.dumps(result_json_schema(), indent=2, sort_keys=True) + "\n"


def main() -> None:
    """Write the schema file."""
    SCHEMA_PATH.write_text(schema_text(), encoding="utf-8")
    print(SCHEMA_PATH)


if __name__ == "__main__":
    main()
