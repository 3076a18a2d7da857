"""Configuration sets, their seven option groups, and their event destinations.

A set is a moto ConfigurationSet (so moto's tagging API lists it); its option groups are kept
as SES returns them. Defaults for a new set follow SES: sending enabled, reputation metrics
off, TLS optional. Each Put…Options call replaces its whole group, as SES does; a Put that
omits the group's key member (SuppressedReasons, CustomRedirectDomain, ArchiveArn) removes
the group. A new event destination is disabled unless `Enabled` is given (SES's default).
"""

from __future__ import annotations

from typing import Any

from moto.ses.models import ConfigurationSet

from .state import Call, already_exists, bad_request, not_found, page

ARN_TYPE = "configuration-set"
DEFAULTS = {
    "SendingOptions": {"SendingEnabled": True},
    "ReputationOptions": {"ReputationMetricsEnabled": False},
    "DeliveryOptions": {"TlsPolicy": "OPTIONAL"},
}
GROUPS = (
    "TrackingOptions",
    "DeliveryOptions",
    "ReputationOptions",
    "SendingOptions",
    "SuppressionOptions",
    "VdmOptions",
    "ArchivingOptions",
)
# Put operation → (group, the member whose absence clears the group, or None)
PUTS = {
    "PutConfigurationSetDeliveryOptions": ("DeliveryOptions", None),
    "PutConfigurationSetReputationOptions": ("ReputationOptions", None),
    "PutConfigurationSetSendingOptions": ("SendingOptions", None),
    "PutConfigurationSetSuppressionOptions": ("SuppressionOptions", "SuppressedReasons"),
    "PutConfigurationSetTrackingOptions": ("TrackingOptions", "CustomRedirectDomain"),
    "PutConfigurationSetVdmOptions": ("VdmOptions", None),
    "PutConfigurationSetArchivingOptions": ("ArchivingOptions", "ArchiveArn"),
}
DESTINATION_TYPES = (
    "KinesisFirehoseDestination",
    "CloudWatchDestination",
    "SnsDestination",
    "EventBridgeDestination",
    "PinpointDestination",
)


def _name(call: Call) -> str:
    name = call.params["ConfigurationSetName"]
    if name not in call.backend.config_sets:
        raise not_found(f"Configuration set {name}")
    return name


def create(call: Call) -> dict[str, Any]:
    name = call.params["ConfigurationSetName"]
    if name in call.backend.config_sets:
        raise already_exists(f"Configuration set {name}")
    call.backend.config_sets[name] = ConfigurationSet(name)
    groups = {g: dict(v) for g, v in DEFAULTS.items()}
    groups.update({g: call.params[g] for g in GROUPS if call.params.get(g)})
    call.extras.groups[name] = groups
    call.extras.destinations[name] = {}
    call.set_tags(ARN_TYPE, name, call.params.get("Tags"))
    return {}


def get(call: Call) -> dict[str, Any]:
    name = _name(call)
    groups = call.extras.groups.get(name, {})
    return {"ConfigurationSetName": name, **groups, "Tags": call.tags(ARN_TYPE, name)}


def delete(call: Call) -> dict[str, Any]:
    name = _name(call)
    del call.backend.config_sets[name]
    call.extras.groups.pop(name, None)
    call.extras.destinations.pop(name, None)
    call.drop_tags(ARN_TYPE, name)
    return {}


def list_all(call: Call) -> dict[str, Any]:
    names, token = page(list(call.backend.config_sets), call.params, maximum=1000)
    return {"ConfigurationSets": names, **({"NextToken": token} if token else {})}


def put_group(call: Call) -> dict[str, Any]:
    name = _name(call)
    group, key = PUTS[call.operation]
    value = (
        call.params.get("VdmOptions", {})
        if group == "VdmOptions"
        else {k: v for k, v in call.params.items() if k != "ConfigurationSetName"}
    )
    groups = call.extras.groups.setdefault(name, {})
    if (key and key not in value) or not value:
        groups.pop(group, None)
    else:
        groups[group] = value
    return {}


def _definition(call: Call) -> dict[str, Any]:
    definition = dict(call.params.get("EventDestination") or {})
    chosen = [t for t in DESTINATION_TYPES if t in definition]
    if len(chosen) != 1:
        raise bad_request("An event destination needs exactly one destination type.")
    if not definition.get("MatchingEventTypes"):
        raise bad_request("MatchingEventTypes must not be empty.")
    definition.setdefault("Enabled", False)
    return definition


def get_destinations(call: Call) -> dict[str, Any]:
    destinations = call.extras.destinations.get(_name(call), {})
    return {"EventDestinations": [{"Name": n, **d} for n, d in sorted(destinations.items())]}


def create_destination(call: Call) -> dict[str, Any]:
    destinations = call.extras.destinations.setdefault(_name(call), {})
    name = call.params["EventDestinationName"]
    if name in destinations:
        raise already_exists(f"Event destination {name}")
    destinations[name] = _definition(call)
    return {}


def update_destination(call: Call) -> dict[str, Any]:
    destinations = call.extras.destinations.setdefault(_name(call), {})
    name = call.params["EventDestinationName"]
    if name not in destinations:
        raise not_found(f"Event destination {name}")
    destinations[name] = _definition(call)
    return {}


def delete_destination(call: Call) -> dict[str, Any]:
    destinations = call.extras.destinations.setdefault(_name(call), {})
    name = call.params["EventDestinationName"]
    if destinations.pop(name, None) is None:
        raise not_found(f"Event destination {name}")
    return {}


HANDLERS = {
    "CreateConfigurationSet": create,
    "GetConfigurationSet": get,
    "DeleteConfigurationSet": delete,
    "ListConfigurationSets": list_all,
    **dict.fromkeys(PUTS, put_group),
    "GetConfigurationSetEventDestinations": get_destinations,
    "CreateConfigurationSetEventDestination": create_destination,
    "UpdateConfigurationSetEventDestination": update_destination,
    "DeleteConfigurationSetEventDestination": delete_destination,
}
