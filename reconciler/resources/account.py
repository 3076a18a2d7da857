"""Account-level settings: a singleton that is never created or deleted, only updated.

Only the fields the file names are managed. Each group has its own Put call; VDM attributes
and account details are written whole, so apply overlays the file on the live values.

GetAccount omits VdmAttributes until VDM was first configured, and returns the dashboard and
guardian attributes only while VdmEnabled is ENABLED (each DISABLED unless set). So an absent
block reads as `vdm_enabled: DISABLED`, and the file may name the sub-attributes only with
`vdm_enabled: ENABLED` (config.py refuses the rest with file:line).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..client import Sesv2
from ..models import Account
from ..plan import Change
from .base import Context, field_changes, from_api, managed, overlay, to_api, update_or_nothing
from .kind import ListedKind

KIND = "account"
NAME = "account"
DETAILS_API = {
    "mail_type": "MailType",
    "website_url": "WebsiteURL",
    "use_case_description": "UseCaseDescription",
    "contact_language": "ContactLanguage",
    "additional_contact_email_addresses": "AdditionalContactEmailAddresses",
}


class AccountSettings(ListedKind):
    section = "account"
    kind = KIND
    order = 5
    model = Account
    singleton = True
    comment = "account-level settings: only the fields listed are managed"

    def list_names(self, client: Sesv2) -> list[str]:
        return [NAME]

    def read(self, client: Sesv2, name: str, tags: dict[str, str] | None) -> dict[str, Any] | None:
        answer = client.call("GetAccount")
        details = answer.get("Details") or {}
        reasons = (answer.get("SuppressionAttributes") or {}).get("SuppressedReasons")
        vdm = from_api(answer.get("VdmAttributes")) or {"vdm_enabled": "DISABLED"}
        return {
            "sending_enabled": answer.get("SendingEnabled"),
            "suppression_attributes": {"suppressed_reasons": sorted(reasons or [])},
            "vdm_attributes": vdm,
            "dedicated_ip_auto_warmup_enabled": answer.get("DedicatedIpAutoWarmupEnabled"),
            "details": {key: details.get(api) for key, api in DETAILS_API.items()}
            if details
            else None,
        }

    def diff(
        self, name: str, model: Account | None, live: dict[str, Any] | None, ctx: Context
    ) -> list[Change]:
        if model is None or live is None:
            return []
        want = managed(model)
        reasons = (want.get("suppression_attributes") or {}).get("suppressed_reasons")
        if reasons is not None:
            want["suppression_attributes"]["suppressed_reasons"] = sorted(set(reasons))
        return update_or_nothing(KIND, NAME, live, overlay(live, want))

    def apply(self, client: Sesv2, change: Change) -> None:
        before, after = change.before or {}, change.after or {}
        for field, put in PUTS.items():
            if field_changes(before.get(field), after.get(field)):
                put(client, after.get(field))


def _put_sending(client: Sesv2, value: bool | None) -> None:
    client.call("PutAccountSendingAttributes", SendingEnabled=bool(value))


def _put_suppression(client: Sesv2, value: dict[str, Any] | None) -> None:
    reasons = (value or {}).get("suppressed_reasons") or []
    client.call("PutAccountSuppressionAttributes", SuppressedReasons=reasons)


def _put_vdm(client: Sesv2, value: dict[str, Any] | None) -> None:
    attributes = to_api(value or {})
    attributes.setdefault("VdmEnabled", "DISABLED")
    client.call("PutAccountVdmAttributes", VdmAttributes=attributes)


def _put_warmup(client: Sesv2, value: bool | None) -> None:
    client.call("PutAccountDedicatedIpWarmupAttributes", AutoWarmupEnabled=bool(value))


def _put_details(client: Sesv2, value: dict[str, Any] | None) -> None:
    params = {DETAILS_API[k]: v for k, v in (value or {}).items() if v is not None}
    client.call("PutAccountDetails", **params)


PUTS: dict[str, Callable[[Sesv2, Any], None]] = {
    "sending_enabled": _put_sending,
    "suppression_attributes": _put_suppression,
    "vdm_attributes": _put_vdm,
    "dedicated_ip_auto_warmup_enabled": _put_warmup,
    "details": _put_details,
}
