"""`sesctl doctor`: can this machine send mail through this SES account, and if not, why.

Each check gives a verdict — ok, warn, or fail when it blocks sending — and a line of detail.
A check that cannot run because an earlier one failed (no credentials, no endpoint) is left
out rather than guessed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from .client import Sesv2, is_not_found
from .errors import SesctlError

Verdict = Literal["ok", "warn", "fail"]
MARK = {"ok": "✓", "warn": "!", "fail": "✗"}
QUOTA_WARNING = 0.8
# botocore's names for where credentials came from, as a person would say them.
SOURCES = {
    "env": "environment variables",
    "shared-credentials-file": "shared credentials file",
    "config-file": "AWS config file",
    "sso": "IAM Identity Center (SSO)",
    "assume-role": "assumed role (profile)",
    "assume-role-with-web-identity": "web identity (OIDC)",
    "iam-role": "instance profile (IMDS)",
    "container-role": "container credentials (ECS)",
    "custom-process": "credential_process",
}


@dataclass(frozen=True)
class Check:
    verdict: Verdict
    what: str
    detail: str

    def line(self) -> str:
        return f"{MARK[self.verdict]} {self.what}: {self.detail}"


def checks(client: Sesv2, identities: list[str], local: bool) -> Iterator[Check]:
    """Every check in order; stops after one that leaves nothing to check."""
    method = "emulator (throwaway key)" if local else client.credential_source()
    if method is None:
        yield Check("fail", "credentials", "none found (AWS_PROFILE, AWS_ACCESS_KEY_ID, SSO…)")
        return
    yield Check("ok", "credentials", SOURCES.get(method, method))
    yield Check("ok", "region", client.region)
    try:
        account = client.call("GetAccount")
    except SesctlError as exc:
        yield Check("fail", "endpoint", exc.message)
        return
    yield Check("ok", "endpoint", f"{client.endpoint()} answered")
    yield from _account(account)
    for name in identities:
        yield _identity(client, name)


def _account(account: dict[str, Any]) -> Iterator[Check]:
    if account.get("SendingEnabled", True):
        yield Check("ok", "sending", "enabled for the account")
    else:
        yield Check("fail", "sending", "paused for the account (PutAccountSendingAttributes)")
    if account.get("ProductionAccessEnabled"):
        yield Check("ok", "production access", "granted")
    else:
        yield Check("warn", "production access", "sandbox: only verified recipients, 200 a day")
    quota = account.get("SendQuota") or {}
    limit, sent = quota.get("Max24HourSend", -1), quota.get("SentLast24Hours", 0)
    if limit is None or limit < 0:
        yield Check("ok", "24-hour quota", f"{sent:,.0f} sent, no limit")
    else:
        share = sent / limit if limit else 1.0
        verdict: Verdict = "fail" if share >= 1 else "warn" if share > QUOTA_WARNING else "ok"
        yield Check(verdict, "24-hour quota", f"{sent:,.0f} of {limit:,.0f} used ({share:.0%})")
    yield Check("ok", "maximum send rate", f"{quota.get('MaxSendRate', 0):g} messages a second")
    status = account.get("EnforcementStatus", "HEALTHY")
    verdicts: dict[str, Verdict] = {"HEALTHY": "ok", "PROBATION": "warn"}
    verdict = verdicts.get(status, "fail")
    yield Check(verdict, "enforcement status", status)


def _identity(client: Sesv2, name: str) -> Check:
    what = f"identity {name}"
    try:
        answer = client.call("GetEmailIdentity", EmailIdentity=name)
    except SesctlError as exc:
        if is_not_found(exc):
            return Check("fail", what, "does not exist: run apply")
        return Check("fail", what, exc.message)
    if not answer.get("VerifiedForSendingStatus"):
        hint = "confirm the email SES sent" if "@" in name else "publish `sesctl dns` records"
        return Check("fail", what, f"not verified: {hint}")
    dkim = answer.get("DkimAttributes") or {}
    if "@" not in name and not (dkim.get("SigningEnabled") and dkim.get("Status") == "SUCCESS"):
        state = "off" if not dkim.get("SigningEnabled") else dkim.get("Status", "?").lower()
        return Check("warn", what, f"verified, DKIM signing {state}")
    return Check("ok", what, "verified" + (", DKIM signing on" if "@" not in name else ""))
