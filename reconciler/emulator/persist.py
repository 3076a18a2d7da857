"""Emulator state as a versioned JSON document, so that reading a state file never runs code.

State files used to be pickles of moto's backends: a `.sesctl/` shipped in a repository ran
code on whoever typed `sesctl --local plan` there. A state file is now JSON, parsed by the json
module and checked member by member before it replaces the running state; any other file is
one plain error naming it and what is wrong. Nothing in a file is ever executed or imported.

Version 1 holds what the handlers keep, per account and region:

    {"format": "sesctl-emulator-state", "version": 1, "accounts": {"<account>": {"<region>": {
      "identities": {"<name>": {"configuration_set_name", "dkim_attributes", "policies",
          "mail_from", "feedback_forwarding", "verified", "created", "key_usable"}},
      "configuration_sets": ["<name>", …],
      "dedicated_ip_pools": {"<name>": {"scaling_mode"}},
      "contact_lists": {"<name>": {"description", "topics", "created", "updated",
          "contacts"?: {"<address>": {"TopicPreferences", "UnsubscribeAll", "AttributesData",
              "CreatedTimestamp", "LastUpdatedTimestamp"}}}},
      "tags": {"<arn>": {"<key>": "<value>"}},
      "extras": null | {"templates": {"<name>": {"content", "created"}}, "groups",
          "destinations", "account", "ips", "suppressed", "rate_window", "day_window",
          "kept": {"<store>": {"<name>": {…}}}},
      "messages": [[message_id, from, to, cc, bcc, template, template_data, subject,
          delivered, attachments, accepted_at, configuration_set, tags], …],
      "cloudwatch": [[metric, value, unit, {"<dimension>": "<value>"}, time, count?], …]}}}}

A contact list's `contacts` are its contacts (contacts.py keeps them on the list); files
written before contacts were kept have none, and still load.

`cloudwatch` holds the datapoints the emulator published in moto's CloudWatch (namespace
AWS/SES: event destinations' metrics, reputation rates), so `sesctl --local stats` reads what
earlier runs sent; files without it still load.

Times are seconds since the epoch. The rate window counts on the monotonic clock, which means
nothing to another process (or after a reboot), so its entries are written on the wall clock
and moved back when read; a message's `accepted_at` is kept as its run's monotonic time.
Members the handlers only echo (DKIM attributes, option groups, destinations, the account,
dedicated IPs, topics) are checked to be objects or arrays, not against SES's shapes; members
they compute with are checked for type.

Left out, because no handler reads them: moto's SES v1 state (verified addresses and domains,
v1 templates, receipt rules, SNS topics, send counters), fields moto sets on its objects
that the handlers ignore (EmailIdentity.tags and verification_status, ContactList's ISO
timestamps, ConfigurationSet's option fields), and the SES v2 backends, which only point at
the SES ones. The emulator's own settings (hardness, faults, call counters, Settings) are
command-line options of each run, not state.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from moto.cloudwatch.models import MetricAggregatedDatum, MetricDatum, cloudwatch_backends
from moto.ses.models import (
    ConfigurationSet,
    ContactList,
    DedicatedIpPool,
    EmailIdentity,
    ses_backends,
)
from moto.sesv2.models import sesv2_backends
from moto.settings import allow_unknown_region

from ..errors import SesctlError
from ..files import write_atomically
from .events import NAMESPACE
from .sending import Message
from .state import Extras, Template, Window

FORMAT = "sesctl-emulator-state"
VERSION = 1
RATE_SPAN, DAY_SPAN = Extras().rate_window.span, Extras().day_window.span  # state.py's spans

T = TypeVar("T")
Where = tuple[str, ...]  # the path of a member in the document, reported as a JSON pointer
NUMBER = (int, float)
ARRAYS = (list, tuple, Message)  # a message's arrays: lists when parsed, tuples when snapshot


class StateError(SesctlError):
    """A state file that cannot be read or is not a version-1 state document."""


# --- writing ---------------------------------------------------------------------------------


def snapshot() -> dict[str, Any]:
    """The whole emulator state as a document; it shares containers with the live state, so
    serialise it before the state changes again (under the emulator's lock)."""
    accounts: dict[str, Any] = {}
    for account, regions in dict.items(ses_backends):
        found = {r: doc for r, backend in regions.items() if (doc := _region_json(backend))}
        if found:
            accounts[account] = found
    return {"format": FORMAT, "version": VERSION, "accounts": accounts}


def _region_json(backend: Any) -> dict[str, Any] | None:
    """One region's state; None when it holds nothing (a region first touched by a read)."""
    extras: Extras | None = getattr(backend, "sesctl_extras", None)
    messages: list[Message] = getattr(backend, "sesctl_messages", [])
    document = {
        "identities": {n: _identity_json(i) for n, i in backend.email_identities.items()},
        "configuration_sets": list(backend.config_sets),
        "dedicated_ip_pools": {
            n: {"scaling_mode": p.scaling_mode} for n, p in backend.dedicated_ip_pools.items()
        },
        "contact_lists": {n: _contact_list_json(c) for n, c in backend.contacts_lists.items()},
        "tags": backend.tagger.tags,
        "extras": None if extras is None else _extras_json(extras),
        "messages": list(messages),  # tuples, in Message's field order: json writes arrays
        "cloudwatch": _datapoints_json(backend.account_id, backend.region_name),
    }
    return document if any(document.values()) else None


def _datapoints_json(account: str, region: str) -> list[list[Any]]:
    """The AWS/SES datapoints in moto's CloudWatch for this account and region: a value, or
    a minute's sum of counts with how many (the sixth member)."""
    if account not in cloudwatch_backends or region not in cloudwatch_backends[account]:
        return []
    rows = []
    for d in cloudwatch_backends[account][region].metric_data:
        if d.namespace != NAMESPACE:
            continue
        moment = d.timestamp.replace(tzinfo=UTC).timestamp()
        dimensions = {x.name: x.value for x in d.dimensions}
        if isinstance(d, MetricAggregatedDatum):
            rows.append([d.name, d.sum, d.unit, dimensions, moment, d.sample_count])
        elif isinstance(d, MetricDatum):
            rows.append([d.name, d.value, d.unit, dimensions, moment])
    return rows


def _identity_json(identity: Any) -> dict[str, Any]:
    """What the handlers set on moto's EmailIdentity, with the defaults they read it with."""
    return {
        "configuration_set_name": identity.configuration_set_name,
        "dkim_attributes": identity.dkim_attributes,
        "policies": identity.policies,
        "mail_from": getattr(identity, "mail_from", None),
        "feedback_forwarding": getattr(identity, "feedback_forwarding", True),
        "verified": getattr(identity, "verified", False),
        "created": getattr(identity, "created", None),
        "key_usable": getattr(identity, "key_usable", True),
    }


def _contact_list_json(found: Any) -> dict[str, Any]:
    return {
        "description": found.description,
        "topics": found.topics,
        "created": getattr(found, "created", None),
        "updated": getattr(found, "updated", None),
        "contacts": found.contacts,
    }


def _extras_json(extras: Extras) -> dict[str, Any]:
    return {
        "templates": {
            n: {"content": t.content, "created": t.created} for n, t in extras.templates.items()
        },
        "groups": extras.groups,
        "destinations": extras.destinations,
        "account": extras.account,
        "ips": extras.ips,
        "suppressed": extras.suppressed,
        "kept": extras.kept,
        "rate_window": _window_json(extras.rate_window, _monotonic_to_wall()),
        "day_window": _window_json(extras.day_window, 0.0),
    }


def _monotonic_to_wall() -> float:
    """What to add to a monotonic time to get the wall-clock time of the same moment."""
    return time.time() - time.monotonic()


def _window_json(window: Window, offset: float) -> list[list[float]]:
    return [[at + offset, recipients] for at, recipients in window.entries]


def dumps() -> bytes:
    """The state as the bytes of a state file: compact JSON, ASCII (any string encodes)."""
    return json.dumps(snapshot(), separators=(",", ":")).encode()


def write(path: Path, data: bytes) -> None:
    """Replace `path` with `data` atomically: a kill or a crash leaves the old file or the new
    one, never part of one."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, data)
    except OSError as exc:
        raise StateError(f"emulator state file {path}: cannot be written: {exc}") from None
    _sync_directory(path.parent)


def _sync_directory(directory: Path) -> None:
    """Make the rename durable too (POSIX); where a directory cannot be opened, skip it."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


# --- reading ---------------------------------------------------------------------------------


def load(path: Path) -> bool:
    """Replace the emulator's state with the file's; False when there is no file. A file that
    is not a state document raises StateError naming it, and leaves the state as it was."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise StateError(f"emulator state file {path}: cannot be read: {exc}") from None
    try:
        restore(parse(data))
    except StateError as exc:
        raise StateError(f"emulator state file {path}: {exc.message}") from None
    return True


def parse(data: bytes) -> Any:
    """JSON text as data (a pickle is named, never opened), or StateError saying why not."""
    if data.startswith(b"\x80"):
        raise StateError(
            "a Python pickle, which sesctl no longer reads (loading one can run any code): "
            "delete it to start with an empty emulator"
        )
    try:
        return json.loads(data)
    except json.JSONDecodeError as exc:
        problem = f"{exc.msg}: line {exc.lineno} column {exc.colno}"
    except UnicodeDecodeError:
        problem = "not UTF-8 text"
    except RecursionError:
        problem = "nested too deeply"
    raise StateError(f"not valid JSON ({problem})")


def legacy_pickle(path: Path) -> Path | None:
    """The pickle an older sesctl kept beside a `.json` state file, if it is still there."""
    legacy = path.with_suffix(".pickle")
    return legacy if path.suffix == ".json" and legacy.is_file() else None


def restore(document: dict[str, Any]) -> None:
    """Replace the emulator's whole state with a document's: every member is checked before
    anything is replaced. The document's containers become the state's: don't reuse it."""
    regions = _document(document)
    ses_backends.clear()
    sesv2_backends.clear()  # each holds a link to the SES backend it was made with
    for regions_of_account in dict.values(cloudwatch_backends):
        for watch in regions_of_account.values():
            watch.metric_data = [d for d in watch.metric_data if d.namespace != NAMESPACE]
    for (account, region), state in regions.items():
        state.install(ses_backends[account][region])


@dataclass
class _Region:
    """One region's state, checked and built, ready to be put on a fresh backend."""

    identities: dict[str, Any]
    configuration_sets: dict[str, Any]
    pools: dict[str, Any]
    contact_lists: dict[str, Any]
    tags: dict[str, dict[str, str | None]]
    extras: Extras | None
    messages: list[Message]
    datapoints: list[dict[str, Any]]

    def install(self, backend: Any) -> None:
        """Put this state on a backend moto has just made."""
        backend.email_identities.update(self.identities)
        backend.config_sets.update(self.configuration_sets)
        backend.dedicated_ip_pools.update(self.pools)
        backend.contacts_lists.update(self.contact_lists)
        backend.tagger.tags.update(self.tags)
        if self.extras is not None:
            backend.sesctl_extras = self.extras
        backend.sesctl_messages = self.messages
        if self.datapoints:
            watch = cloudwatch_backends[backend.account_id][backend.region_name]
            watch.put_metric_data(NAMESPACE, self.datapoints)


TOP = frozenset({"format", "version", "accounts"})
REGION = frozenset(
    {
        "identities",
        "configuration_sets",
        "dedicated_ip_pools",
        "contact_lists",
        "tags",
        "extras",
        "messages",
    }
)
ACCOUNT_ID = re.compile(r"[0-9]{12}")


def _document(value: Any) -> dict[tuple[str, str], _Region]:
    """Every region of a version-1 document, checked and built."""
    top = _object(value, ())
    if top.get("format") != FORMAT:
        found = json.dumps(top.get("format"))
        raise StateError(f'not a sesctl emulator state: its "format" is {found}, not "{FORMAT}"')
    version = top.get("version")
    if type(version) is not int or version != VERSION:
        raise StateError(
            f"state version {json.dumps(version)}: this sesctl reads version {VERSION} only"
        )
    _members(top, (), TOP)
    regions = {}
    for account, value in _object(top["accounts"], ("accounts",)).items():
        if not ACCOUNT_ID.fullmatch(account):
            raise StateError(f"/accounts/{_escape(account)} is not a 12-digit account ID")
        for region, state in _object(value, ("accounts", account)).items():
            where = ("accounts", account, region)
            if not (region in ses_backends[account] or allow_unknown_region()):
                raise StateError(f"{_pointer(where)}: {region} is not an SES region")
            regions[account, region] = _region(state, where)
    return regions


def _region(value: Any, where: Where) -> _Region:
    """One region's members, each checked and built."""
    region = _members(value, where, REGION, optional=frozenset({"cloudwatch"}))
    extras = region["extras"]
    return _Region(
        _map(region["identities"], (*where, "identities"), _identity),
        {
            n: ConfigurationSet(n)
            for n in _strings(region["configuration_sets"], (*where, "configuration_sets"))
        },
        _map(region["dedicated_ip_pools"], (*where, "dedicated_ip_pools"), _pool),
        _map(region["contact_lists"], (*where, "contact_lists"), _contact_list),
        _map(region["tags"], (*where, "tags"), _tags),
        None if extras is None else _extras(extras, (*where, "extras")),
        _messages(region["messages"], (*where, "messages")),
        _datapoints(region.get("cloudwatch", []), (*where, "cloudwatch")),
    )


def _datapoints(value: Any, where: Where) -> list[dict[str, Any]]:
    """CloudWatch datapoints, as moto's put_metric_data takes them (naive UTC times): a value,
    or a minute's sum with how many values it holds (counts of 1, or a single rate)."""
    found = []
    for i, row in enumerate(_array(value, where)):
        at = (*where, str(i))
        if type(row) is not list or len(row) not in (5, 6):
            raise _wrong(at, "an array of 5 or 6 members", row)
        name, number, unit, dimensions, moment = row[:5]
        datum: dict[str, Any] = {
            "MetricName": _string(name, (*at, "0")),
            "Unit": _optional_string(unit, (*at, "2")),
            "Dimensions": [
                {"Name": k, "Value": v} for k, v in _map(dimensions, (*at, "3"), _string).items()
            ],
            "Timestamp": datetime.fromtimestamp(_number(moment, (*at, "4")), UTC).replace(
                tzinfo=None
            ),
        }
        total = _number(number, (*at, "1"))
        if len(row) == 6:
            count = _number(row[5], (*at, "5"))
            mean = total / count if count else 0.0  # counts of 1, or one rate: exact
            datum["StatisticValues"] = {
                "Sum": total, "Minimum": mean, "Maximum": mean, "SampleCount": count
            }  # fmt: skip
        else:
            datum["Value"] = total
        found.append(datum)
    return found


IDENTITY = frozenset(
    {
        "configuration_set_name",
        "dkim_attributes",
        "policies",
        "mail_from",
        "feedback_forwarding",
        "verified",
        "created",
        "key_usable",
    }
)
MAIL_FROM = frozenset({"MailFromDomain", "BehaviorOnMxFailure"})


def _identity(value: Any, where: Where) -> Any:
    found = _members(value, where, IDENTITY)

    def at(member: str) -> tuple[Any, Where]:
        return found[member], (*where, member)

    configuration_set = _optional_string(*at("configuration_set_name"))
    identity: Any = EmailIdentity(where[-1], None, None, configuration_set)
    identity.dkim_attributes = _object(*at("dkim_attributes"))
    identity.policies = _map(*at("policies"), _string)
    identity.mail_from = _mail_from(*at("mail_from"))
    identity.feedback_forwarding = _boolean(*at("feedback_forwarding"))
    identity.verified = _boolean(*at("verified"))
    identity.created = _optional_number(*at("created"))
    identity.key_usable = _boolean(*at("key_usable"))
    return identity


def _mail_from(value: Any, where: Where) -> dict[str, str] | None:
    """None, or the MAIL FROM domain and the behaviour on MX failure."""
    return None if value is None else _map(_members(value, where, MAIL_FROM), where, _string)


def _pool(value: Any, where: Where) -> Any:
    found = _members(value, where, frozenset({"scaling_mode"}))
    return DedicatedIpPool(where[-1], _string(found["scaling_mode"], (*where, "scaling_mode")), [])


CONTACT_LIST = frozenset({"description", "topics", "created", "updated"})
CONTACTS = frozenset({"contacts"})  # absent from files written before contacts were kept


def _contact_list(value: Any, where: Where) -> Any:
    found = _members(value, where, CONTACT_LIST, optional=CONTACTS)
    topics = _list_of_objects(found["topics"], (*where, "topics"))
    contact_list: Any = ContactList(where[-1], "", topics)
    contact_list.description = _optional_string(found["description"], (*where, "description"))
    for stamp in ("created", "updated"):  # absent: the handlers answer the time of the call
        if found[stamp] is not None:
            setattr(contact_list, stamp, _number(found[stamp], (*where, stamp)))
    contact_list.contacts = _contacts(found.get("contacts", {}), (*where, "contacts"))
    return contact_list


CONTACT = frozenset(
    {"TopicPreferences", "UnsubscribeAll", "AttributesData", "CreatedTimestamp",
     "LastUpdatedTimestamp"}
)  # fmt: skip
PREFERENCE = frozenset({"TopicName", "SubscriptionStatus"})


def _contacts(value: Any, where: Where) -> dict[str, dict[str, Any]]:
    """A list's contacts, taken as they are once each is checked (a list can be large)."""
    found = _object(value, where)
    for address, contact in found.items():
        at = (*where, address)
        entry = _members(contact, at, CONTACT)
        for i, preference in enumerate(
            _array(entry["TopicPreferences"], (*at, "TopicPreferences"))
        ):
            pair = _members(preference, (*at, "TopicPreferences", str(i)), PREFERENCE)
            for member in PREFERENCE:
                _string(pair[member], (*at, "TopicPreferences", str(i), member))
        _boolean(entry["UnsubscribeAll"], (*at, "UnsubscribeAll"))
        _optional_string(entry["AttributesData"], (*at, "AttributesData"))
        _number(entry["CreatedTimestamp"], (*at, "CreatedTimestamp"))
        _number(entry["LastUpdatedTimestamp"], (*at, "LastUpdatedTimestamp"))
    return found


def _tags(value: Any, where: Where) -> dict[str, str | None]:
    return _map(value, where, _optional_string)


EXTRAS = frozenset(
    {
        "templates",
        "groups",
        "destinations",
        "account",
        "ips",
        "suppressed",
        "rate_window",
        "day_window",
    }
)
KEPT = frozenset({"kept"})  # absent from files written before kinds kept state of their own


def _extras(value: Any, where: Where) -> Extras:
    found = _members(value, where, EXTRAS, optional=KEPT)

    def at(member: str) -> tuple[Any, Where]:
        return found[member], (*where, member)

    return Extras(
        templates=_map(*at("templates"), _template),
        groups=_map(*at("groups"), _objects),
        destinations=_map(*at("destinations"), _objects),
        account=_account(*at("account")),
        ips=_objects(*at("ips")),
        suppressed=_suppressed(*at("suppressed")),
        kept=_map(found.get("kept", {}), (*where, "kept"), _objects),
        rate_window=_window(*at("rate_window"), RATE_SPAN, _monotonic_to_wall()),
        day_window=_window(*at("day_window"), DAY_SPAN, 0.0),
    )


TEMPLATE = frozenset({"content", "created"})


def _template(value: Any, where: Where) -> Template:
    found = _members(value, where, TEMPLATE)
    content = _map(found["content"], (*where, "content"), _string)
    return Template(content, _number(found["created"], (*where, "created")))


def _account(value: Any, where: Where) -> dict[str, Any]:
    """The GetAccount answer; its quotas are what sending computes with."""
    account = _object(value, where)
    quota = _object(account.get("SendQuota"), (*where, "SendQuota"))
    for member in ("MaxSendRate", "Max24HourSend"):
        _number(quota.get(member), (*where, "SendQuota", member))
    return account


SUPPRESSED = frozenset({"Reason", "LastUpdateTime"})


def _suppressed(value: Any, where: Where) -> dict[str, dict[str, Any]]:
    """The suppression list, taken as it is once each entry is checked (it can be large)."""
    entries = _object(value, where)
    for address, entry in entries.items():
        if not (
            type(entry) is dict
            and entry.keys() == SUPPRESSED
            and type(entry["Reason"]) is str
            and type(entry["LastUpdateTime"]) in NUMBER
        ):
            _suppressed_entry(entry, (*where, address))
    return entries


def _suppressed_entry(value: Any, where: Where) -> None:
    """Raise what is wrong with an entry the fast check refused."""
    entry = _members(value, where, SUPPRESSED)
    _string(entry["Reason"], (*where, "Reason"))
    _number(entry["LastUpdateTime"], (*where, "LastUpdateTime"))


def _window(value: Any, where: Where, span: float, offset: float) -> Window:
    """A window of [time, recipients] pairs, each time moved by -offset to its own clock."""
    entries = deque[tuple[float, int]]()
    for i, pair in enumerate(_array(value, where)):
        at = (*where, str(i))
        if type(pair) is not list or len(pair) != 2:
            raise _wrong(at, "a [time, recipients] pair", pair)
        recipients = pair[1]
        if type(recipients) is not int or recipients < 0:
            raise _wrong((*at, "1"), "a count of recipients", recipients)
        entries.append((_number(pair[0], (*at, "0")) - offset, recipients))
    return Window(span, entries, sum(n for _, n in entries))


# Each message member: what it must be, and a check of it (for saying what is wrong).
MESSAGE_MEMBERS: tuple[tuple[str, Callable[[Any], bool]], ...] = (
    ("a string", lambda v: type(v) is str),
    ("a string or null", lambda v: v is None or type(v) is str),
    ("an array of strings", lambda v: _all_strings(v)),
    ("an array of strings", lambda v: _all_strings(v)),
    ("an array of strings", lambda v: _all_strings(v)),
    ("a string or null", lambda v: v is None or type(v) is str),
    ("JSON text or null", lambda v: v is None or (type(v) is str and _is_json(v))),
    ("a string or null", lambda v: v is None or type(v) is str),
    ("true or false", lambda v: type(v) is bool),
    ("an array of strings", lambda v: _all_strings(v)),
    ("a number", lambda v: type(v) in NUMBER),
    ("a string or null", lambda v: v is None or type(v) is str),
    ("JSON text", lambda v: type(v) is str and _is_json(v)),
)
# Messages saved before sends kept their configuration set and tags: read as neither.
OLD_MEMBERS = len(MESSAGE_MEMBERS) - 2


def _messages(value: Any, where: Where) -> list[Message]:
    """The accepted messages; checked inline, as a state can hold a great many. Arrays may be
    tuples too: snapshot() leaves the messages as they are (json writes tuples as arrays)."""
    messages = []
    for i, row in enumerate(_array(value, where)):
        if type(row) in ARRAYS and len(row) == OLD_MEMBERS:
            row = (*row, None, "{}")
        if type(row) in ARRAYS and len(row) == len(MESSAGE_MEMBERS):
            ident, sender, to, cc, bcc, template, data, subject, delivered, files, at = row[:11]
            cs, tags = row[11:]
            if (
                type(ident) is str
                and (sender is None or type(sender) is str)
                and _all_strings(to)
                and _all_strings(cc)
                and _all_strings(bcc)
                and (template is None or type(template) is str)
                and (data is None or (type(data) is str and _is_json(data)))
                and (subject is None or type(subject) is str)
                and type(delivered) is bool
                and _all_strings(files)
                and type(at) in NUMBER
                and (cs is None or type(cs) is str)
                and type(tags) is str
                and _is_json(tags)
            ):
                message = Message(
                    ident, sender, tuple(to), tuple(cc), tuple(bcc), template, data, subject,
                    delivered, tuple(files), at, cs, tags,
                )  # fmt: skip
                messages.append(message)
                continue
        raise _message_problem(row, (*where, str(i)))
    return messages


def _message_problem(row: Any, where: Where) -> StateError:
    """What is wrong with a message the inline check refused."""
    if type(row) not in ARRAYS or len(row) != len(MESSAGE_MEMBERS):
        return _wrong(where, f"an array of {len(MESSAGE_MEMBERS)} members", row)
    for i, ((expected, ok), member) in enumerate(zip(MESSAGE_MEMBERS, row, strict=True)):
        if not ok(member):
            return _wrong((*where, str(i)), expected, member)
    return StateError(f"{_pointer(where)} is not a message")  # the two checks agree: unreached


def _all_strings(value: Any) -> bool:
    return type(value) in ARRAYS and all(type(s) is str for s in value)


def _is_json(text: str) -> bool:
    """Whether text parses as JSON: template data is parsed when messages are listed."""
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return False
    return True


# --- checks: each returns the value it checked, or raises StateError saying where ------------


def _object(value: Any, where: Where) -> dict[str, Any]:
    if type(value) is not dict:
        raise _wrong(where, "an object", value)
    return value


def _objects(value: Any, where: Where) -> dict[str, dict[str, Any]]:
    """An object whose members are objects (option groups, destinations, dedicated IPs)."""
    return _map(value, where, _object)


def _members(
    value: Any, where: Where, names: frozenset[str], optional: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """An object with exactly these members, and any of the optional ones."""
    found = _object(value, where)
    if not names <= found.keys() <= names | optional:
        missing, unknown = sorted(names - found.keys()), sorted(found.keys() - names - optional)
        problem = f"lacks {', '.join(missing)}" if missing else f"has unknown {', '.join(unknown)}"
        raise StateError(f"{_pointer(where)} {problem}")
    return found


def _map(value: Any, where: Where, item: Callable[[Any, Where], T]) -> dict[str, T]:
    """An object whose every member passes `item`."""
    return {key: item(member, (*where, key)) for key, member in _object(value, where).items()}


def _array(value: Any, where: Where) -> list[Any]:
    if type(value) is not list:
        raise _wrong(where, "an array", value)
    return value


def _list_of_objects(value: Any, where: Where) -> list[dict[str, Any]]:
    return [_object(o, (*where, str(i))) for i, o in enumerate(_array(value, where))]


def _strings(value: Any, where: Where) -> list[str]:
    return [_string(s, (*where, str(i))) for i, s in enumerate(_array(value, where))]


def _string(value: Any, where: Where) -> str:
    if type(value) is not str:
        raise _wrong(where, "a string", value)
    return value


def _number(value: Any, where: Where) -> float:
    if type(value) not in NUMBER:
        raise _wrong(where, "a number", value)
    return value  # an int stays one: what was read is written back the same


def _boolean(value: Any, where: Where) -> bool:
    if type(value) is not bool:
        raise _wrong(where, "true or false", value)
    return value


def _optional_string(value: Any, where: Where) -> str | None:
    if value is not None and type(value) is not str:
        raise _wrong(where, "a string or null", value)
    return value


def _optional_number(value: Any, where: Where) -> float | None:
    if value is not None and type(value) not in NUMBER:
        raise _wrong(where, "a number or null", value)
    return value


def _wrong(where: Where, expected: str, value: Any) -> StateError:
    return StateError(f"{_pointer(where)} should be {expected}, not {_kind(value)}")


def _kind(value: Any) -> str:
    """How an error names what it found: null, true, an object, a string, …"""
    if value is None or type(value) is bool:
        return json.dumps(value)
    return KINDS.get(type(value), type(value).__name__)


KINDS = {dict: "an object", list: "an array", str: "a string", int: "a number", float: "a number"}


def _pointer(where: Where) -> str:
    """The member's JSON pointer (RFC 6901): /accounts/…/identities/example.com."""
    return "/" + "/".join(_escape(part) for part in where) if where else "the document"


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")
