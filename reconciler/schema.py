"""JSON Schemas: the config's is generated from models.py, the plan's is written here.

`python -m reconciler.schema` rewrites schemas/; a test fails when the files are stale.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from .document import PlanDocument
from .models import Config
from .plan import kind_order

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"


def config_schema() -> dict[str, Any]:
    schema = Config.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def plan_schema() -> dict[str, Any]:
    """The plan document's schema, from its models; a change's kind is one the registry has."""
    schema = PlanDocument.model_json_schema()
    schema["$defs"]["ChangeDocument"]["properties"]["kind"]["enum"] = list(kind_order())
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


SCHEMAS = {"config.v1.json": config_schema, "plan.v1.json": plan_schema}


def dump(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def write(directory: Path = SCHEMA_DIR) -> None:
    directory.mkdir(exist_ok=True)
    for name, build in SCHEMAS.items():
        (directory / name).write_text(dump(build()), encoding="utf-8")


def stale(directory: Path = SCHEMA_DIR) -> list[str]:
    """Schema files that differ from what the models generate now."""
    return [
        name
        for name, build in SCHEMAS.items()
        if not (directory / name).exists()
        or (directory / name).read_text(encoding="utf-8") != dump(build())
    ]


if __name__ == "__main__":
    if "--check" in sys.argv:
        if names := stale():
            sys.exit(f"stale schemas: {', '.join(names)} (run python -m reconciler.schema)")
    else:
        write()
