"""Event destinations of a configuration set, each a change of its own (`set/destination`).

A destination's definition is replaced whole by UpdateConfigurationSetEventDestination, so
every field of it is managed: `enabled` defaults to true in the file.
"""

from __future__ import annotations

from typing import Any

from ..client import Sesv2
from ..models import EventDestination
from ..plan import Change
from .base import create, field_changes, from_api, managed, to_api

KIND = "event_destination"


def normalise(destination: dict[str, Any]) -> dict[str, Any]:
    """Sets sorted, dimensions ordered by name: the same destination always compares equal."""
    data = {k: v for k, v in destination.items() if k != "name" and v is not None}
    data["matching_event_types"] = sorted({t.upper() for t in data["matching_event_types"]})
    data.setdefault("enabled", False)
    cloud_watch = data.get("cloud_watch_destination")
    if cloud_watch:
        dims = cloud_watch.get("dimension_configurations", [])
        cloud_watch["dimension_configurations"] = sorted(dims, key=lambda d: d["dimension_name"])
    return data


def read_all(client: Sesv2, set_name: str) -> dict[str, dict[str, Any]]:
    answer = client.call("GetConfigurationSetEventDestinations", ConfigurationSetName=set_name)
    return {d["Name"]: normalise(from_api(d)) for d in answer.get("EventDestinations", [])}


def desired(model: EventDestination) -> dict[str, Any]:
    return normalise(managed(model))


def diff(
    set_name: str,
    models: dict[str, EventDestination] | None,
    live: dict[str, dict[str, Any]],
) -> list[Change]:
    """Authoritative when the file lists destinations; untouched when it does not."""
    if models is None:
        return []
    changes: list[Change] = []
    for name in sorted(set(models) | set(live)):
        address = f"{set_name}/{name}"
        if name not in models:
            changes.append(Change("delete", KIND, address, before=live[name]))
            continue
        want = desired(models[name])
        if name not in live:
            changes.append(Change("create", KIND, address, after=want))
        elif fields := field_changes(live[name], want):
            changes.append(Change("update", KIND, address, live[name], want, fields))
    return changes


def apply(client: Sesv2, change: Change) -> None:
    set_name, name = change.name.split("/", 1)
    target = {"ConfigurationSetName": set_name, "EventDestinationName": name}
    if change.action == "delete":
        client.call("DeleteConfigurationSetEventDestination", **target)
    elif change.action == "create":
        create(
            client,
            "CreateConfigurationSetEventDestination",
            None,
            **target,
            EventDestination=to_api(change.after),
        )
    else:
        client.call(
            "UpdateConfigurationSetEventDestination",
            **target,
            EventDestination=to_api(change.after),
        )
