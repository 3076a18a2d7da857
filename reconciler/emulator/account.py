"""The account singleton (moto 5.2.1 has no GetAccount in SES v2).

A new account (state.new_account) is in production with SES's starting quotas (50,000 a day,
14 a second), or in the sandbox (200 a day, 1 a second) with `sesctl emulator --sandbox`;
sending is enabled and the account-level suppression list holds bounces and complaints, as for
every account since November 2019 (developer guide, "Using the account-level suppression
list"). Details and VdmAttributes are absent until first set. VdmAttributes carry the
dashboard and guardian attributes only while VdmEnabled is ENABLED, each DISABLED unless set
(what live SES answers, as recorded by another emulator checked against it, and Terraform's
aws_sesv2_account_vdm_attributes, which reads them as computed). Account details are kept as
given; SES would also open a review (ReviewDetails), which is not emulated.
"""

from __future__ import annotations

import copy
from typing import Any

from .state import PRODUCTION_QUOTA, SANDBOX_QUOTA, Call, Kind

DETAIL_KEYS = (
    "MailType",
    "WebsiteURL",
    "ContactLanguage",
    "UseCaseDescription",
    "AdditionalContactEmailAddresses",
)


def get(call: Call) -> dict[str, Any]:
    from .sending import sent_last_24_hours

    answer = copy.deepcopy(call.extras.account)
    answer["SendQuota"]["SentLast24Hours"] = sent_last_24_hours(call)
    return answer


def put_sending(call: Call) -> dict[str, Any]:
    call.extras.account["SendingEnabled"] = bool(call.params.get("SendingEnabled"))
    return {}


def put_suppression(call: Call) -> dict[str, Any]:
    reasons = list(call.params.get("SuppressedReasons") or [])
    call.extras.account["SuppressionAttributes"] = {"SuppressedReasons": reasons}
    return {}


def put_vdm(call: Call) -> dict[str, Any]:
    """The whole VDM block is replaced; sub-attributes are kept only while VDM is enabled."""
    given = dict(call.params["VdmAttributes"])
    if given.get("VdmEnabled") != "ENABLED":
        call.extras.account["VdmAttributes"] = {"VdmEnabled": given.get("VdmEnabled", "DISABLED")}
        return {}
    call.extras.account["VdmAttributes"] = {
        "VdmEnabled": "ENABLED",
        "DashboardAttributes": {"EngagementMetrics": "DISABLED"}
        | dict(given.get("DashboardAttributes") or {}),
        "GuardianAttributes": {"OptimizedSharedDelivery": "DISABLED"}
        | dict(given.get("GuardianAttributes") or {}),
    }
    return {}


def put_warmup(call: Call) -> dict[str, Any]:
    call.extras.account["DedicatedIpAutoWarmupEnabled"] = bool(call.params.get("AutoWarmupEnabled"))
    return {}


def put_details(call: Call) -> dict[str, Any]:
    details = {k: call.params[k] for k in DETAIL_KEYS if k in call.params}
    call.extras.account["Details"] = details
    return {}


def move_to_sandbox(call: Call, sandbox: bool) -> None:
    """Put the account in the sandbox (or grant production access), with that mode's quotas."""
    account = call.extras.account
    account["ProductionAccessEnabled"] = not sandbox
    account["SendQuota"].update(SANDBOX_QUOTA if sandbox else PRODUCTION_QUOTA)


def in_sandbox(call: Call) -> bool:
    return not call.extras.account.get("ProductionAccessEnabled", True)


HANDLERS = {
    "GetAccount": get,
    "PutAccountSendingAttributes": put_sending,
    "PutAccountSuppressionAttributes": put_suppression,
    "PutAccountVdmAttributes": put_vdm,
    "PutAccountDedicatedIpWarmupAttributes": put_warmup,
    "PutAccountDetails": put_details,
}
KIND = Kind(__name__, HANDLERS)
