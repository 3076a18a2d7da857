"""JSON Schemas: the config's is generated from models.py, the plan's is written here.

`python -m reconciler.schema` rewrites schemas/; a test fails when the files are stale.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from .models import Config
from .plan import ACTIONS, FORMAT_VERSION, kind_order

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"


def config_schema() -> dict[str, Any]:
    schema = Config.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def plan_schema() -> dict[str, Any]:
    state = {"type": ["object", "null"]}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://sesctl.dev/schemas/plan.v1.json",
        "title": "sesctl plan (format version 1)",
        "type": "object",
        "required": ["format_version", "stack", "region", "summary", "changes", "unmanaged"],
        "additionalProperties": False,
        "properties": {
            "format_version": {"const": FORMAT_VERSION},
            "stack": {"type": "string"},
            "region": {"type": "string"},
            "summary": {
                "type": "object",
                "required": list(ACTIONS),
                "properties": {a: {"type": "integer", "minimum": 0} for a in ACTIONS},
                "additionalProperties": False,
            },
            "changes": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["action", "kind", "name", "before", "after"],
                    "additionalProperties": False,
                    "properties": {
                        "action": {"enum": list(ACTIONS)},
                        "kind": {"enum": list(kind_order())},
                        "name": {
                            "type": "string",
                            "description": "event destinations: <set>/<destination>; "
                            "policies: <identity>/<policy>",
                        },
                        "before": state,
                        "after": state,
                        "fields": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["path", "before", "after"],
                                "properties": {
                                    "path": {"type": "string"},
                                    "before": {},
                                    "after": {},
                                },
                                "additionalProperties": False,
                            },
                        },
                        "reason": {"type": "string"},
                        "waiting": {
                            "type": "object",
                            "additionalProperties": {"type": "string"},
                            "description": "parts SES cannot take yet (a tracking domain "
                            "whose identity is not verified), by key: apply leaves them for a "
                            "later run",
                        },
                        "write_only": {
                            "type": "array",
                            "items": {"type": "string"},
                            "description": "write-only values apply takes from the config "
                            "(names only; values are never written)",
                        },
                    },
                },
            },
            "unmanaged": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["kind", "name"],
                    "properties": {
                        "kind": {"type": "string"},
                        "name": {"type": "string"},
                        "owner": {"type": "string"},
                    },
                    "additionalProperties": False,
                },
            },
            "warnings": {"type": "array", "items": {"type": "string"}},
            "guards": {
                "type": "array",
                "description": "safety guards the plan trips; blocking ones make apply exit 3",
                "items": {
                    "type": "object",
                    "required": ["guard", "message", "changes", "allowed_by", "blocking"],
                    "additionalProperties": False,
                    "properties": {
                        "guard": {"type": "string"},
                        "message": {"type": "string"},
                        "changes": {"type": "array", "items": {"type": "string"}},
                        "allowed_by": {"type": ["string", "null"]},
                        "blocking": {"type": "boolean"},
                    },
                },
            },
            "saved": _saved_schema(),
            "metadata": {
                "type": "object",
                "description": "about the run that made the plan: `run` holds API calls per "
                "operation, retries, throttles and wall time",
            },
        },
    }


def _saved_schema() -> dict[str, Any]:
    """What `plan --out` adds so that `apply PLAN.json` can trust the plan later."""
    return {
        "type": "object",
        "required": ["version", "config", "account", "existing", "limits", "fingerprints"],
        "properties": {
            "version": {"const": 1},
            "sesctl_version": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
            "config": {
                "type": "object",
                "required": ["path", "sha256"],
                "properties": {"path": {"type": "string"}, "sha256": {"type": "string"}},
            },
            "account": {"type": "string"},
            "existing": {"type": "object", "additionalProperties": {"type": "integer"}},
            "limits": {"type": "object"},
            "fingerprints": {
                "type": "object",
                "description": "`<kind> <name>` → SHA-256 of its live state when planned, "
                "or `absent`",
                "additionalProperties": {"type": "string"},
            },
        },
    }


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
