"""The contacts' diff is pure: applying its changes to any live list, then diffing again, leaves
nothing; unlisted contacts are deleted only with prune; and reading falls back to SES's own
page size when SES refuses sesctl's."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.errors import ApiError, SesctlError
from reconciler.models import Contact, Contacts
from reconciler.plan import Change
from reconciler.resources import contacts

TOPICS = ("weekly", "offers", "news")
ADDRESSES = st.sampled_from([f"{n}@example.com" for n in ("a", "b", "c", "d", "e")])
STATUS = st.sampled_from(["OPT_IN", "OPT_OUT", "opt_out"])
PREFERENCES = st.dictionaries(st.sampled_from(TOPICS), STATUS, max_size=3)
LIVE_STATE = st.fixed_dictionaries(
    {
        "unsubscribe_all": st.booleans(),
        "topic_preferences": st.dictionaries(
            st.sampled_from(TOPICS), st.sampled_from(["OPT_IN", "OPT_OUT"]), max_size=3
        ),
    }
)


@st.composite
def contact(draw: st.DrawFn) -> Contact | None:
    fields: dict[str, Any] = {}
    if draw(st.booleans()):
        fields["unsubscribe_all"] = draw(st.booleans())
    if draw(st.booleans()):
        fields["topic_preferences"] = draw(st.none() | PREFERENCES)
    return None if not fields and draw(st.booleans()) else Contact(**fields)


SECTIONS = st.builds(
    Contacts, prune=st.booleans(), addresses=st.dictionaries(ADDRESSES, contact(), max_size=5)
)


def applied(live: dict[str, Any], changes: list[Change]) -> dict[str, Any]:
    """What SES holds after the changes: a create leaves SES's defaults for what it omits."""
    after = {a: dict(s) for a, s in live.items()}
    for change in changes:
        address = change.name.split("/", 1)[1]
        if change.action == "delete":
            del after[address]
        elif change.action == "create":
            want = change.after or {}
            after[address] = {
                "unsubscribe_all": want.get("unsubscribe_all", False),
                "topic_preferences": want.get("topic_preferences", {}),
            }
        else:
            after[address] = dict(change.after or {})
    return after


@given(SECTIONS, st.dictionaries(ADDRESSES, LIVE_STATE, max_size=5))
def test_applying_the_diff_converges(section: Contacts, live: dict[str, Any]) -> None:
    changes = contacts.diff("news", section, live)
    assert all(c.kind == "contact" and c.name.startswith("news/") for c in changes)
    deleted = {c.name.split("/", 1)[1] for c in changes if c.action == "delete"}
    assert deleted == (set(live) - set(section.addresses) if section.prune else set())
    after = applied(live, changes)
    assert contacts.diff("news", section, after) == []
    for address in set(live) - set(section.addresses) - deleted:
        assert after[address] == live[address]  # an unlisted contact is never touched


def test_unmanaged_contacts_plan_nothing_and_unknown_live_topics_are_refused() -> None:
    live = {"a@example.com": {"unsubscribe_all": True, "topic_preferences": {}}}
    assert contacts.diff("news", None, live) == []
    section = Contacts(addresses={"a@example.com": Contact(topic_preferences={"x": "OPT_IN"})})
    with pytest.raises(SesctlError, match="names x, which the contact list does not have"):
        contacts.diff("news", section, live, topics={"weekly": {}})


class Pages:
    """A client whose ListContacts refuses PageSize, as SES would past its maximum."""

    def __init__(self) -> None:
        self.asked: list[dict[str, Any]] = []

    def pages(self, operation: str, key: str, **params: Any) -> Any:
        self.asked.append(params)
        if "PageSize" in params:
            raise ApiError("PageSize must be at most 100.", "BadRequestException")
        return iter([{"EmailAddress": "a@example.com", "UnsubscribeAll": True}])


def test_a_refused_page_size_falls_back_to_ses_own() -> None:
    client: Any = Pages()
    found = dict(contacts.stream(client, "news"))
    assert found == {"a@example.com": {"unsubscribe_all": True, "topic_preferences": {}}}
    assert [("PageSize" in p) for p in client.asked] == [True, False]
