"""Configuration sets, their seven option groups, and their event destinations.

A set is a moto ConfigurationSet (so moto's tagging API lists it); its option groups are kept
as SES returns them. What SES does, and so does this (sources in each docstring; the SES v2
API reference unless said otherwise):
- A set created with a name only reports SendingOptions {SendingEnabled: true} and
  ReputationOptions {ReputationMetricsEnabled: false} (the documented defaults), and no other
  group (Terraform's aws_sesv2_configuration_set plans clean after creating one that way).
- Each Put…Options call replaces its group whole. A boolean the Put omits is written false
  (Terraform's tests send false by omitting it and read false back). A Put without the
  group's key member (SuppressedReasons, CustomRedirectDomain, ArchiveArn, VdmOptions) removes
  the group; SuppressedReasons [] keeps it, suppressing nothing. Delivery options without
  TlsPolicy read back OPTIONAL.
- CreateConfigurationSet with an empty SuppressionOptions fails with a 500 InternalFailure
  and creates nothing (observed on live SES by another emulator's authors).
- A custom redirect domain must be a verified identity: "Domain <d> is not verified under
  this account." (400; developer guide, "Configuring custom domains to handle open and click
  tracking": verify the subdomain itself).
- A sending pool must exist (or be SES's built-in ses-default-dedicated-pool /
  ses-shared-pool): "SendingPool <p> doesn't exist" (400).
- A new event destination is disabled unless `Enabled` is given; a set has at most 10
  (developer guide, "Service quotas"); EventBridge destinations go to the default bus only.
"""

from __future__ import annotations

from typing import Any

from moto.ses.models import ConfigurationSet

from . import identities
from .state import (
    ApiFailure,
    Call,
    Kind,
    Taggable,
    already_exists,
    bad_request,
    check_name,
    not_found,
    page,
)
from .tags import check_tags

ARN_TYPE = "configuration-set"
DEFAULTS = {
    "SendingOptions": {"SendingEnabled": True},
    "ReputationOptions": {"ReputationMetricsEnabled": False},
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
# Put operation → (group, the member whose absence removes the group, or None)
PUTS = {
    "PutConfigurationSetDeliveryOptions": ("DeliveryOptions", None),
    "PutConfigurationSetReputationOptions": ("ReputationOptions", None),
    "PutConfigurationSetSendingOptions": ("SendingOptions", None),
    "PutConfigurationSetSuppressionOptions": ("SuppressionOptions", "SuppressedReasons"),
    "PutConfigurationSetTrackingOptions": ("TrackingOptions", "CustomRedirectDomain"),
    "PutConfigurationSetVdmOptions": ("VdmOptions", "VdmOptions"),
    "PutConfigurationSetArchivingOptions": ("ArchivingOptions", "ArchiveArn"),
}
# Booleans a Put writes false when it omits them.
FLAGS = {"ReputationOptions": "ReputationMetricsEnabled", "SendingOptions": "SendingEnabled"}
BUILT_IN_POOLS = frozenset({"ses-default-dedicated-pool", "ses-shared-pool"})
DESTINATION_TYPES = (
    "KinesisFirehoseDestination",
    "CloudWatchDestination",
    "SnsDestination",
    "EventBridgeDestination",
    "PinpointDestination",
)
MAX_DESTINATIONS = 10


def _name(call: Call) -> str:
    name = call.params["ConfigurationSetName"]
    if name not in call.backend.config_sets:
        raise not_found(f"Configuration set {name}")
    return name


def _group(call: Call, group: str, value: dict[str, Any]) -> dict[str, Any] | None:
    """The group as SES keeps it after a Put (or a create) with `value`; None: removed."""
    if group == "TrackingOptions":
        _check_tracking(call, value)
    if group == "DeliveryOptions":
        pool = value.get("SendingPoolName")
        if pool and pool not in BUILT_IN_POOLS and pool not in call.backend.dedicated_ip_pools:
            raise bad_request(f"SendingPool {pool} doesn't exist")
        return {"TlsPolicy": "OPTIONAL", **value}
    if group in FLAGS:
        return {FLAGS[group]: bool(value.get(FLAGS[group]))}
    return value or None


def _check_tracking(call: Call, value: dict[str, Any]) -> None:
    domain = value.get("CustomRedirectDomain")
    if not domain:
        if value.get("HttpsPolicy"):
            raise bad_request("CustomRedirectDomain must be specified.")
        return
    identity = call.backend.email_identities.get(domain)
    if identity is None or not identities.verified(call, identity):
        raise bad_request(f"Domain <{domain}> is not verified under this account.")


def create(call: Call) -> dict[str, Any]:
    name = check_name("ConfigurationSetName", call.params["ConfigurationSetName"])
    if name in call.backend.config_sets:
        raise already_exists(f"Configuration set {name}")
    check_tags(call.params.get("Tags") or [])
    if call.params.get("SuppressionOptions") == {}:
        raise ApiFailure(500, "InternalFailure", "An internal failure has occurred.")
    groups: dict[str, Any] = {g: dict(v) for g, v in DEFAULTS.items()}
    for group in GROUPS:
        if group in call.params:
            kept = _group(call, group, dict(call.params[group]))
            if kept is not None:
                groups[group] = kept
    call.backend.config_sets[name] = ConfigurationSet(name)
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
        call.params.get("VdmOptions") or {}
        if group == "VdmOptions"
        else {k: v for k, v in call.params.items() if k != "ConfigurationSetName"}
    )
    groups = call.extras.groups.setdefault(name, {})
    kept = (
        None if key and key not in call.params and key not in value else _group(call, group, value)
    )
    if group == "TrackingOptions" and kept is None and value.get("HttpsPolicy"):
        raise bad_request("CustomRedirectDomain must be specified.")
    if kept is None:
        groups.pop(group, None)
    else:
        groups[group] = kept
    return {}


def _definition(call: Call) -> dict[str, Any]:
    definition = dict(call.params.get("EventDestination") or {})
    chosen = [t for t in DESTINATION_TYPES if t in definition]
    if len(chosen) != 1:
        raise bad_request(
            "Please provide only one destination with each request. Either a Firehose "
            "Destination or a Cloudwatch Destination or an SNS Destination or an EventBridge "
            "Destination."
        )
    if not definition.get("MatchingEventTypes"):
        raise bad_request("MatchingEventTypes must not be empty.")
    bus = (definition.get("EventBridgeDestination") or {}).get("EventBusArn", "")
    if chosen == ["EventBridgeDestination"] and not bus.endswith(":event-bus/default"):
        raise bad_request("Only the default event bus is supported.")
    definition.setdefault("Enabled", False)
    return definition


def get_destinations(call: Call) -> dict[str, Any]:
    destinations = call.extras.destinations.get(_name(call), {})
    return {"EventDestinations": [{"Name": n, **d} for n, d in sorted(destinations.items())]}


def create_destination(call: Call) -> dict[str, Any]:
    destinations = call.extras.destinations.setdefault(_name(call), {})
    name = check_name("EventDestinationName", call.params["EventDestinationName"])
    if name in destinations:
        raise already_exists(f"Event destination {name}")
    if len(destinations) >= MAX_DESTINATIONS:
        raise ApiFailure(
            400, "LimitExceededException", "A configuration set has at most 10 destinations."
        )
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
KIND = Kind(__name__, HANDLERS, Taggable(ARN_TYPE, lambda call: call.backend.config_sets))
