"""The account singleton (moto 5.2.1 has no GetAccount in SES v2).

A new account has production access with SES's default quotas (50,000 messages a day, 14 a
second), sending enabled, and account-level suppression of bounces and complaints. Account details
are kept as given; SES would also open a review (ReviewDetails), which is not emulated.
"""

from __future__ import annotations

import copy
from typing import Any

from .state import Call

DETAIL_KEYS = (
    "MailType",
    "WebsiteURL",
    "ContactLanguage",
    "UseCaseDescription",
    "AdditionalContactEmailAddresses",
)


def get(call: Call) -> dict[str, Any]:
    return copy.deepcopy(call.extras.account)


def put_sending(call: Call) -> dict[str, Any]:
    call.extras.account["SendingEnabled"] = bool(call.params.get("SendingEnabled"))
    return {}


def put_suppression(call: Call) -> dict[str, Any]:
    reasons = list(call.params.get("SuppressedReasons") or [])
    call.extras.account["SuppressionAttributes"] = {"SuppressedReasons": reasons}
    return {}


def put_vdm(call: Call) -> dict[str, Any]:
    call.extras.account["VdmAttributes"] = dict(call.params["VdmAttributes"])
    return {}


def put_warmup(call: Call) -> dict[str, Any]:
    call.extras.account["DedicatedIpAutoWarmupEnabled"] = bool(call.params.get("AutoWarmupEnabled"))
    return {}


def put_details(call: Call) -> dict[str, Any]:
    details = {k: call.params[k] for k in DETAIL_KEYS if k in call.params}
    call.extras.account["Details"] = details
    return {}


HANDLERS = {
    "GetAccount": get,
    "PutAccountSendingAttributes": put_sending,
    "PutAccountSuppressionAttributes": put_suppression,
    "PutAccountVdmAttributes": put_vdm,
    "PutAccountDedicatedIpWarmupAttributes": put_warmup,
    "PutAccountDetails": put_details,
}
