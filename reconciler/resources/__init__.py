"""Resource kinds: one module per SES v2 kind, listed here in apply order."""

from __future__ import annotations

from typing import Any

from . import event_destinations, identity_policies
from .account import AccountSettings
from .base import Kind
from .configuration_sets import ConfigurationSets
from .contact_lists import ContactLists
from .dedicated_ip_pools import DedicatedIpPools
from .dedicated_ips import DedicatedIps
from .identities import Identities
from .suppressions import SuppressionList
from .templates import Templates

KINDS: tuple[Kind, ...] = (
    AccountSettings(),
    DedicatedIpPools(),
    DedicatedIps(),
    ConfigurationSets(),
    Identities(),
    Templates(),
    ContactLists(),
)
# Kinds too large to list and read one by one: they compute their changes while streaming.
STREAMED: tuple[Any, ...] = (SuppressionList(),)
BY_KIND: dict[str, Any] = {k.kind: k for k in (*KINDS, *STREAMED)}

# Kinds that live inside another and are applied by their own module.
CHILD_APPLY = {
    event_destinations.KIND: event_destinations.apply,
    identity_policies.KIND: identity_policies.apply,
}
