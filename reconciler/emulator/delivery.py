"""What follows SES's acceptance of a message: each recipient's outcome, its events, the
metrics it counts in, and the suppression entries it adds; and opens and clicks later.

Per recipient (mailboxes.py says how each provider answers):
- An address on the account-level suppression list is not sent to: a Bounce (Permanent,
  OnAccountSuppressionList) or, for an entry added by a complaint, a Complaint
  (complaintSubType OnAccountSuppressionList) is published, and neither counts in the bounce
  or complaint rate; the message still counts as a send and against the daily quota
  (developer guide, "Using the Amazon SES account-level suppression list"; "Contents of event
  data"). The list is consulted for the reasons in force for the send (inferred from the
  configuration set override below).
- Delivered: Delivery. Complaint: Delivery, then Complaint. Hard bounce: Bounce (Permanent,
  General). Soft bounce: DeliveryDelay while SES retries, then Bounce (Transient, General)
  when it gives up — SES publishes only the soft bounces it stopped retrying.
- A hard bounce or complaint of an ordinary recipient adds the address to the suppression
  list when the reasons in force hold BOUNCE or COMPLAINT: the configuration set's
  SuppressionOptions when it has them (an override, even an empty one), else the account's
  ("Using configuration set-level suppression to override your account-level suppression
  list"). Soft bounces and the mailbox simulator never add one.

A templated message whose data lacks a variable is a Rendering Failure: published after its
Send, and never delivered. A message carrying the EICAR test file is a Reject (reason "Bad
content": SES found a virus and did not send it; it still counts against the daily quota:
"Sending quota errors"). Opens and clicks (POST /_sesctl/engagement) count only for a
delivered recipient of a message SES tracked: one whose configuration set has an enabled
destination for OPEN or CLICK, or whose account or set enables VDM's engagement metrics
("Amazon SES email sending metrics FAQs"; "Virtual Deliverability Manager").
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from . import events, identities, mailboxes, metrics, suppressions
from .state import ApiFailure, Call, bad_request, not_found

SMTP_OK = "250 2.6.0 Message received"
USER_UNKNOWN = ("5.1.1", "smtp; 550 5.1.1 user unknown")
MAILBOX_FULL = ("4.2.2", "smtp; 452 4.2.2 Mailbox full")
REPORTING_MTA = "a8-1.smtp-out.amazonses.com"
READER = {"ipAddress": "192.0.2.1", "userAgent": "Mozilla/5.0 (sesctl emulator)"}
DELIVERED = frozenset({"deliver", "ooto", "complaint"})


class Sending:
    """What every message of one call shares, worked out once a call: the sender's identity,
    the configuration set (named in the call, else the identity's default: "Default
    configuration sets"), its enabled destinations, the suppression reasons in force, and
    whether VDM counts."""

    def __init__(self, call: Call, identity: str | None, set_name: str | None) -> None:
        self.call, self.identity, self.set_name = call, identity, set_name
        self.destinations = _enabled(call, set_name)
        self.reasons = _reasons(call, set_name)
        self.counted = metrics.Counted(call, identity, set_name)

    @classmethod
    def of(cls, call: Call) -> Sending:
        """The context of a SendEmail or SendBulkEmail call."""
        covering = _identity(call, call.params.get("FromEmailAddress") or "")
        named = call.params.get("ConfigurationSetName")
        default = None if covering is None else covering.configuration_set_name or None
        identity = None if covering is None else str(covering.email_identity)
        return cls(call, identity, str(named) if named else default)

    @classmethod
    def of_message(cls, call: Call, message: Any) -> Sending:
        """The context a message was sent in, for what happens to it later (opens, clicks)."""
        covering = _identity(call, message.sender or "")
        identity = None if covering is None else str(covering.email_identity)
        return cls(call, identity, message.configuration_set)


def _identity(call: Call, sender: str) -> Any:
    """The verified identity that lets the sender send (its address or a domain above it)."""
    return identities.covering(call, mailboxes.bare(sender))


class Sent:
    """One accepted message in its call's context: its recipients and its events."""

    def __init__(self, sending: Sending, message: Any, subject: str | None) -> None:
        call = sending.call
        self.sending, self.call, self.message = sending, call, message
        self.publish = events.Publisher(
            call,
            lambda: events.mail_object(call, message, sending.identity, subject),
            sending.destinations,
        )
        self.recipients = [*message.to, *message.cc, *message.bcc]
        # VDM leaves out every message addressed to more than one recipient.
        self.vdm = len(self.recipients) == 1

    def count(self, metric: str, recipient: str, ordinary: bool) -> None:
        if self.vdm and ordinary:
            self.sending.counted.add(metric, mailboxes.isp(recipient))


def accepted(
    sending: Sending,
    message: Any,
    subject: str | None,
    failure: str | None,
    rejected: bool = False,
) -> None:
    """Everything that follows the acceptance of `message` (failure: why it did not render;
    rejected: SES's virus scan found something, so it was never sent)."""
    sent = Sent(sending, message, subject)
    sent.publish("SEND", {})
    ordinary = [r for r in sent.recipients if not mailboxes.simulated(r)]
    for recipient in ordinary:
        sent.count("SEND", recipient, True)
    if rejected:
        sent.publish("REJECT", {"reason": "Bad content"})
        return
    if failure is not None:
        detail = {"errorMessage": failure, "templateName": message.template}
        sent.publish("RENDERING_FAILURE", detail)
        return
    for recipient in sent.recipients:
        _recipient(sent, recipient, sending.reasons)


def _recipient(sent: Sent, recipient: str, reasons: list[str]) -> None:
    call, address = sent.call, mailboxes.bare(recipient)
    ordinary = not mailboxes.simulated(recipient)
    listed = call.extras.suppressed.get(address) if ordinary else None
    if listed is not None and listed["Reason"] in reasons:
        _suppressed(sent, recipient, listed["Reason"])
        return
    counts = ordinary and identities.covering(call, address) is None
    metrics.reputation(call, sends=int(counts))
    outcome = mailboxes.outcome(call, recipient)
    if outcome in DELIVERED:
        sent.publish("DELIVERY", _delivery(recipient), {"ses:outgoing-ip": [events.OUTGOING_IP]})
        sent.count("DELIVERY", recipient, ordinary)
    if outcome == "complaint":
        sent.publish("COMPLAINT", _complaint(recipient, None))
        sent.count("COMPLAINT", recipient, ordinary)
        sent.count("DELIVERY_COMPLAINT", recipient, ordinary)
        metrics.reputation(call, complaints=int(counts))
        _suppress(call, address, "COMPLAINT", reasons, ordinary)
    elif outcome == "bounce":
        sent.publish("BOUNCE", _bounce(recipient, "Permanent", "General", USER_UNKNOWN))
        sent.count("PERMANENT_BOUNCE", recipient, ordinary)
        metrics.reputation(call, bounces=int(counts))
        _suppress(call, address, "BOUNCE", reasons, ordinary)
    elif outcome == "suppressed":
        sent.publish("BOUNCE", _bounce(recipient, "Permanent", "Suppressed", USER_UNKNOWN))
    elif outcome == "soft_bounce":
        sent.publish("DELIVERY_DELAY", _delay(recipient))
        sent.publish("BOUNCE", _bounce(recipient, "Transient", "General", MAILBOX_FULL))
        sent.count("TRANSIENT_BOUNCE", recipient, ordinary)


def _suppressed(sent: Sent, recipient: str, reason: str) -> None:
    """A recipient the account-level suppression list stopped: not sent, not in the rates."""
    if reason == "COMPLAINT":
        sent.publish("COMPLAINT", _complaint(recipient, "OnAccountSuppressionList"))
        return
    code = ("5.1.1", "Amazon SES did not send to this address: it is on the suppression list")
    sent.publish("BOUNCE", _bounce(recipient, "Permanent", "OnAccountSuppressionList", code))


def _suppress(call: Call, address: str, reason: str, reasons: list[str], ordinary: bool) -> None:
    if ordinary and reason in reasons:
        suppressions.seed(call, {address: reason})


def _reasons(call: Call, set_name: str | None) -> list[str]:
    """The suppression reasons in force for a send: its set's override, else the account's."""
    if set_name:
        override = call.extras.groups.get(set_name, {}).get("SuppressionOptions")
        if override is not None:
            return list(override.get("SuppressedReasons") or [])
    account = call.extras.account.get("SuppressionAttributes") or {}
    return list(account.get("SuppressedReasons") or [])


def _enabled(call: Call, set_name: str | None) -> list[dict[str, Any]]:
    if not set_name:
        return []
    found = call.extras.destinations.get(set_name, {})
    return [{"Name": n, **d} for n, d in sorted(found.items()) if d.get("Enabled")]


def _delivery(recipient: str) -> dict[str, Any]:
    return {
        "timestamp": events.now(),
        "processingTimeMillis": 0,
        "recipients": [mailboxes.bare(recipient)],
        "smtpResponse": SMTP_OK,
        "reportingMTA": REPORTING_MTA,
    }


def _bounce(
    recipient: str, bounce_type: str, subtype: str, code: tuple[str, str]
) -> dict[str, Any]:
    status, diagnostic = code
    bounced = {
        "emailAddress": mailboxes.bare(recipient),
        "action": "failed",
        "status": status,
        "diagnosticCode": diagnostic,
    }
    return {
        "bounceType": bounce_type,
        "bounceSubType": subtype,
        "bouncedRecipients": [bounced],
        "timestamp": events.now(),
        "feedbackId": events.feedback_id(),
        "reportingMTA": f"dsn; {REPORTING_MTA}",
    }


def _complaint(recipient: str, subtype: str | None) -> dict[str, Any]:
    complaint: dict[str, Any] = {
        "complainedRecipients": [{"emailAddress": mailboxes.bare(recipient)}],
        "timestamp": events.now(),
        "feedbackId": events.feedback_id(),
        "complaintSubType": subtype,
    }
    if subtype is None:  # a feedback report came with it
        complaint |= {
            "userAgent": READER["userAgent"],
            "complaintFeedbackType": "abuse",
            "arrivalDate": events.now(),
        }
    return complaint


def _delay(recipient: str) -> dict[str, Any]:
    status, diagnostic = MAILBOX_FULL
    expires = datetime.now(UTC) + timedelta(hours=14)
    delayed = {"emailAddress": mailboxes.bare(recipient), "status": status}
    return {
        "timestamp": events.now(),
        "delayType": "MailboxFull",
        "expirationTime": events.stamp(expires),
        "delayedRecipients": [{**delayed, "diagnosticCode": diagnostic}],
    }


# --- opens and clicks ----------------------------------------------------------------------


def engage(call: Call, request: dict[str, Any], message: Any) -> dict[str, Any]:
    """POST /_sesctl/engagement: a recipient opens the message or clicks a link in it."""
    action = request.get("event")
    if action not in ("open", "click"):
        raise bad_request("event must be open or click")
    recipients = [*message.to, *message.cc, *message.bcc]
    recipient = request.get("recipient") or (recipients[0] if recipients else "")
    if recipient not in recipients:
        raise not_found(f"Recipient {recipient} of message {message.message_id}")
    if not message.delivered or mailboxes.outcome(call, recipient) not in DELIVERED:
        raise ApiFailure(409, "Conflict", f"{recipient} never received {message.message_id}")
    context = Sending.of_message(call, message)
    sent = Sent(context, message, message.subject)
    if not _tracked(call, context):
        return {"tracked": False}
    detail: dict[str, Any] = {**READER, "timestamp": events.now()}
    kind = action.upper()
    if kind == "CLICK":
        link_tags = request.get("link_tags") or {}
        detail |= {
            "link": str(request.get("link") or "https://example.com/"),
            "linkTags": {str(k): [str(v)] for k, v in dict(link_tags).items()},
        }
    sent.publish(kind, {k: detail[k] for k in sorted(detail)})
    if _first(call, message.message_id, recipient, kind):
        ordinary = not mailboxes.simulated(recipient)
        sent.count(kind, recipient, ordinary)
        sent.count(f"DELIVERY_{kind}", recipient, ordinary)
    return {"tracked": True}


def _tracked(call: Call, sending: Sending) -> bool:
    """Whether SES tracked opens and clicks for this message."""
    engaged = {t for d in sending.destinations for t in d.get("MatchingEventTypes", [])}
    if engaged & {"OPEN", "CLICK"}:
        return True
    vdm = call.extras.account.get("VdmAttributes") or {}
    account_on = (vdm.get("DashboardAttributes") or {}).get("EngagementMetrics") == "ENABLED"
    options = call.extras.groups.get(sending.set_name or "", {}).get("VdmOptions") or {}
    set_on = (options.get("DashboardOptions") or {}).get("EngagementMetrics")
    return set_on == "ENABLED" or (account_on and set_on != "DISABLED")


def _first(call: Call, message_id: str, recipient: str, kind: str) -> bool:
    """Whether this is the recipient's first open (or click) of the message: VDM counts unique."""
    seen = call.kept("engagement").setdefault(message_id, {})
    key = f"{kind} {mailboxes.bare(recipient).lower()}"
    if seen.get(key):
        return False
    seen[key] = True
    return True


def tags(given: list[dict[str, str]] | None) -> dict[str, str]:
    """Message tags as a mapping (SendEmail's EmailTags, SendBulkEmail's default or an
    entry's replacement tags; an entry's replace the defaults of the same name: inferred)."""
    return {t["Name"]: t["Value"] for t in given or []}


def tags_json(params: dict[str, Any]) -> str:
    """SendEmail's message tags as JSON text."""
    return json.dumps(tags(params.get("EmailTags")))
