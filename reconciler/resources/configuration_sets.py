"""Configuration sets: seven option groups, tags, and their event destinations.

Each option group is written whole by its own Put…Options call, so apply reads the live group
and overlays what the file names (read-modify-write): a field the file leaves out keeps its
live value. A group's key member written as null (`suppressed_reasons`, `custom_redirect_domain`,
`archive_arn`) unsets the whole group, as a Put without that member does in SES. Event
destinations are changes of their own (see event_destinations.py).

SES refuses a custom redirect domain that is not a verified identity ("Configuring custom
domains to handle open and click tracking", developer guide). A new domain verifies only once
its DNS records are published, so the tracking options wait: the plan shows them held, apply
writes everything else, and the first apply after verification writes them.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from ..client import Sesv2
from ..models import (
    BUILT_IN_POOLS,
    ArchivingOptions,
    ConfigurationSet,
    DeliveryOptions,
    ReputationOptions,
    SendingOptions,
    SuppressionOptions,
    TrackingOptions,
    VdmOptions,
)
from ..plan import Change
from . import event_destinations
from .base import (
    Context,
    apply_tags,
    authoritative,
    create,
    desired_tags,
    field_changes,
    from_api,
    lifecycle,
    listed,
    managed,
    pascal,
    read_or_none,
    tags_from_api,
    tags_to_api,
    to_api,
)
from .kind import Child, ListedKind, Refers, clean

KIND = "configuration_set"

# option group → the member whose null unsets the group (a Put without it removes the group)
KEY_MEMBERS = {
    "suppression_options": "suppressed_reasons",
    "tracking_options": "custom_redirect_domain",
    "archiving_options": "archive_arn",
}
# option group → (its model, the Put operation that writes it whole)
GROUPS: dict[str, tuple[type[BaseModel], str]] = {
    "delivery_options": (DeliveryOptions, "PutConfigurationSetDeliveryOptions"),
    "reputation_options": (ReputationOptions, "PutConfigurationSetReputationOptions"),
    "sending_options": (SendingOptions, "PutConfigurationSetSendingOptions"),
    "suppression_options": (SuppressionOptions, "PutConfigurationSetSuppressionOptions"),
    "tracking_options": (TrackingOptions, "PutConfigurationSetTrackingOptions"),
    "vdm_options": (VdmOptions, "PutConfigurationSetVdmOptions"),
    "archiving_options": (ArchivingOptions, "PutConfigurationSetArchivingOptions"),
}


def normalise_group(group: str, value: dict[str, Any] | None) -> dict[str, Any] | None:
    """Keep the members sesctl manages; sort sets; an empty group is no group."""
    if not value:
        return None
    fields = GROUPS[group][0].model_fields
    data = {k: v for k, v in value.items() if k in fields}
    reasons = data.get("suppressed_reasons")
    if reasons is not None:
        data["suppressed_reasons"] = sorted({r.upper() for r in reasons})
    return data or None


def _group_params(group: str, value: dict[str, Any] | None) -> dict[str, Any]:
    params = to_api(value or {})
    return {"VdmOptions": params} if group == "vdm_options" else params


class ConfigurationSets(ListedKind):
    section = "configuration_sets"
    kind = KIND
    arn_type = "configuration-set"
    order = 20
    model = ConfigurationSet
    comment = "configuration sets, their option groups and event destinations"
    children = (Child(event_destinations.KIND, "event_destinations", 30, event_destinations.apply),)
    refers = (
        Refers(
            ("delivery_options", "sending_pool_name"), "dedicated_ip_pool", exempt=BUILT_IN_POOLS
        ),
        Refers(("tracking_options", "custom_redirect_domain"), "identity", verified=True),
    )

    def imported(self, name: str, state: dict[str, Any]) -> dict[str, Any]:
        """Its destinations are listed even when there are none: authoritative, as written."""
        data = super().imported(name, state)
        data["event_destinations"] = clean(state.get("event_destinations") or {})
        return data

    def list_names(self, client: Sesv2) -> list[str]:
        return list(client.pages("ListConfigurationSets", "ConfigurationSets", PageSize=1000))

    def read(self, client: Sesv2, name: str, tags: dict[str, str] | None) -> dict[str, Any] | None:
        answer = read_or_none(client, "GetConfigurationSet", ConfigurationSetName=name)
        if answer is None:
            return None
        state = {g: normalise_group(g, from_api(answer.get(pascal(g)))) for g in GROUPS}
        state["tags"] = tags_from_api(answer.get("Tags"))
        state["event_destinations"] = event_destinations.read_all(client, name)
        return state

    def desired(self, model: ConfigurationSet, ctx: Context) -> dict[str, Any]:
        data = managed(model)
        want = {g: normalise_group(g, data[g]) for g in GROUPS if g in data}
        for group, member in KEY_MEMBERS.items():
            kept = want.get(group) or {}
            if member in kept and kept[member] is None:
                want[group] = None
        want["tags"] = desired_tags(ctx, model)
        return want

    def diff(
        self, name: str, model: ConfigurationSet | None, live: dict[str, Any] | None, ctx: Context
    ) -> list[Change]:
        own = _own(live) if live is not None else None
        if model is None:
            return lifecycle(KIND, name, None, own, ctx)
        live_destinations = live["event_destinations"] if live else {}
        changes = lifecycle(
            KIND, name, self.desired(model, ctx), own, ctx, authoritative(model, "tags")
        )
        for change in changes:
            _hold_unverified_tracking(change, ctx)
        return [
            *changes,
            *event_destinations.diff(name, listed(model, "event_destinations"), live_destinations),
        ]

    def apply(self, client: Sesv2, change: Change) -> None:
        name, before, after = change.name, change.before or {}, change.after or {}
        if change.action == "delete":
            client.call("DeleteConfigurationSet", ConfigurationSetName=name)
            return
        if change.action == "create":
            groups = {
                pascal(g): params
                for g in GROUPS
                if g not in change.held and (params := to_api(after.get(g) or {}))
            }
            create(
                client,
                "CreateConfigurationSet",
                (self.arn_type, name),
                ConfigurationSetName=name,
                Tags=tags_to_api(after["tags"]),
                **groups,
            )
            return
        for group, (_, operation) in GROUPS.items():
            if group not in change.held and field_changes(before.get(group), after.get(group)):
                params = _group_params(group, after.get(group))
                client.call(operation, ConfigurationSetName=name, **params)
        apply_tags(client, client.arn(self.arn_type, name), before["tags"], after["tags"])


def _hold_unverified_tracking(change: Change, ctx: Context) -> None:
    """Hold the tracking options back while their domain's identity is not verified."""
    if change.action not in ("create", "update"):
        return
    before, after = change.before or {}, change.after or {}
    domain = (after.get("tracking_options") or {}).get("custom_redirect_domain")
    moved = field_changes(before.get("tracking_options"), after.get("tracking_options"))
    if domain and moved and domain not in ctx.verified:
        change.held["tracking_options"] = (
            f"waiting for identity {domain} to be verified (publish the records of "
            "`sesctl dns`); a later apply sets it"
        )


def _own(live: dict[str, Any]) -> dict[str, Any]:
    """The set's own state, without its destinations (they are changes of their own)."""
    return {k: v for k, v in live.items() if k != "event_destinations"}
