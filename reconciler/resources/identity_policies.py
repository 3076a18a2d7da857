"""Sending-authorization policies of an identity, each a change of its own (`identity/policy`).

Policies are compared semantically: key order, a lone statement versus a list of one, and a
single action versus a list of one all mean the same document to SES.
"""

from __future__ import annotations

import json
from typing import Any

from ..client import Sesv2
from ..plan import Change
from .base import create, field_changes

KIND = "identity_policy"
_LISTY = frozenset({"Action", "NotAction", "Resource", "NotResource"})


def canonical(document: Any) -> Any:
    """A policy document (mapping or JSON text) in one canonical form."""
    return _canonical(json.loads(document) if isinstance(document, str) else document)


def _canonical(document: Any) -> Any:
    if isinstance(document, dict):
        result = {}
        for key, value in document.items():
            if key == "Statement" and isinstance(value, dict):
                value = [value]
            if key in _LISTY and isinstance(value, str):
                value = [value]
            value = _canonical(value)
            if key in _LISTY:
                value = sorted(value)
            result[key] = value
        return result
    if isinstance(document, list):
        return [_canonical(v) for v in document]
    return document


def diff(identity: str, desired: dict[str, Any] | None, live: dict[str, Any]) -> list[Change]:
    """Authoritative when the file lists policies; untouched when it does not."""
    if desired is None:
        return []
    changes: list[Change] = []
    for name in sorted(set(desired) | set(live)):
        address = f"{identity}/{name}"
        before = {"policy": live[name]} if name in live else None
        after = {"policy": canonical(desired[name])} if name in desired else None
        if after is None:
            changes.append(Change("delete", KIND, address, before=before))
        elif before is None:
            changes.append(Change("create", KIND, address, after=after))
        elif fields := field_changes(before, after):
            changes.append(Change("update", KIND, address, before, after, fields))
    return changes


def apply(client: Sesv2, change: Change) -> None:
    identity, name = change.name.split("/", 1)
    target = {"EmailIdentity": identity, "PolicyName": name}
    if change.action == "delete":
        client.call("DeleteEmailIdentityPolicy", **target)
        return
    assert change.after is not None
    document = json.dumps(change.after["policy"], separators=(",", ":"))
    operation = (
        "CreateEmailIdentityPolicy" if change.action == "create" else "UpdateEmailIdentityPolicy"
    )
    if change.action == "create":
        create(client, operation, None, **target, Policy=document)
    else:
        client.call(operation, **target, Policy=document)
