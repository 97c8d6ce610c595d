"""Publish what the web side may know of each assignment pack, so it never imports one.

Every worker calls :func:`publish` when it is ready: one AssignmentInfo JSON per pack in
the ``catalog`` hash. Workers of one deployment run the same code, so they write the same
entries; the service reads them to validate submissions and serve /assignments.
"""

from __future__ import annotations

import redis

from common.catalog import AssignmentInfo, CaseInfo, FunctionInfo
from common.records import KEYS
from reference.pack import Pack
from reference.packs import list_packs
from worker.grading.starter import starter_ipynb, starter_py


def assignment_info(pack: Pack) -> AssignmentInfo:
    """Return the public description of ``pack``: functions, visible cases, starters."""
    device = "cpu" if "cpu" in pack.devices else pack.devices[0]
    visible = [case for case in pack.cases(device) if case.visibility == "visible"]
    return AssignmentInfo(
        id=pack.id,
        title=pack.title,
        runtime=pack.runtime,
        devices=list(pack.devices),
        max_score=pack.max_score,
        functions=[
            FunctionInfo(
                name=spec.name,
                points=spec.points,
                signature=spec.signature,
                docstring=spec.docstring,
            )
            for spec in (*pack.functions, *pack.variables)  # a variable: signature = name
        ],
        visible_cases=[
            CaseInfo(name=case.name, function=case.function, describe=case.describe)
            for case in visible
        ],
        starter_py=starter_py(pack),
        starter_ipynb=starter_ipynb(pack),
    )


def build_catalog(packs: list[Pack] | None = None) -> dict[str, AssignmentInfo]:
    """Return the catalog entries of ``packs`` (every registered pack by default)."""
    return {
        pack.id: assignment_info(pack) for pack in (packs if packs is not None else list_packs())
    }


def build_instructions(packs: list[Pack] | None = None) -> dict[str, str]:
    """Return each pack's README (Markdown) by id, for the student page (issue 13)."""
    packs = packs if packs is not None else list_packs()
    return {pack.id: pack.readme for pack in packs if pack.readme}


def publish(
    client: redis.Redis,
    catalog: dict[str, AssignmentInfo],
    instructions: dict[str, str] | None = None,
) -> None:
    """Replace the published catalog with ``catalog`` (an assignment removed from the code
    disappears from the API too), and the instructions with ``instructions`` if given."""
    pipe = client.pipeline(transaction=True)
    pipe.delete(KEYS.catalog)
    if catalog:
        pipe.hset(KEYS.catalog, mapping={k: v.model_dump_json() for k, v in catalog.items()})
    if instructions is not None:
        pipe.delete(KEYS.catalog_instructions)
        if instructions:
            pipe.hset(KEYS.catalog_instructions, mapping=instructions)
    pipe.execute()
