"""`sesctl doctor`: can this machine send mail through this SES account, and if not, why.

Each check gives a verdict — ok, warn, or fail when it blocks sending — and a line of detail.
A check that cannot run because an earlier one failed (no credentials, no endpoint) is left
out rather than guessed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any, Literal

from .client import Sesv2, is_not_found
from .errors import SesctlError
from .limits import (
    BOUNCE_RATE_PAUSE,
    BOUNCE_RATE_REVIEW,
    COMPLAINT_RATE_PAUSE,
    COMPLAINT_RATE_REVIEW,
)
from .stats.figures import percent

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
# The reputation metrics SES publishes to CloudWatch (AWS/SES, fractions), with the rates at
# which SES reviews the account and may pause its sending.
REPUTATION = {
    "bounce rate": ("Reputation.BounceRate", BOUNCE_RATE_REVIEW, BOUNCE_RATE_PAUSE),
    "complaint rate": ("Reputation.ComplaintRate", COMPLAINT_RATE_REVIEW, COMPLAINT_RATE_PAUSE),
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
    yield from _reputation(client)
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


def _reputation(client: Sesv2) -> Iterator[Check]:
    """The latest bounce and complaint rates of the last 24 hours against SES's thresholds; a
    CloudWatch that cannot be read is a warning, not a verdict on sending. Minutes start on
    the minute, so the newest one holds the newest rate alone (not a blend with older ones)."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    queries = [
        {
            "Id": f"r{index}",
            "MetricStat": {
                "Metric": {"Namespace": "AWS/SES", "MetricName": metric},
                "Period": 60,
                "Stat": "Average",
            },
        }
        for index, (metric, _, _) in enumerate(REPUTATION.values())
    ]
    try:
        answer = client.call_cloudwatch(
            "GetMetricData",
            MetricDataQueries=queries,
            StartTime=now - timedelta(hours=24),
            EndTime=now + timedelta(minutes=5),  # a request's times travel to the second
            ScanBy="TimestampDescending",
        )
    except SesctlError as exc:
        yield Check("warn", "reputation", f"CloudWatch could not be read: {exc.message}")
        return
    latest = {r["Id"]: r.get("Values") or [] for r in answer.get("MetricDataResults", [])}
    for index, (what, (_, review, pause)) in enumerate(REPUTATION.items()):
        values = latest.get(f"r{index}")
        yield _rate(what, values[0] if values else None, review, pause)


def _rate(what: str, value: float | None, review: Fraction, pause: Fraction) -> Check:
    """One reputation rate: ok below the review threshold, warn from it, fail from the pause."""
    limits = f"SES reviews at {percent(review)}, may pause at {percent(pause)}"
    if value is None:
        return Check("ok", what, "no data yet")
    verdict: Verdict = "fail" if value >= pause else "warn" if value >= review else "ok"
    return Check(verdict, what, f"{percent(value)} ({limits})")


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
