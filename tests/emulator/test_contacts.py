"""The emulator's contacts answer as the SES API reference says (sources in the handler
module's docstring and FIDELITY.md), over HTTP with botocore's own requests."""

from __future__ import annotations

from typing import Any

from tests.emulator.test_fidelity import World, emulator, refused, world

__all__ = ["emulator", "world"]  # the fixtures these tests use

LIST = "news"
WEEKLY = {"TopicName": "weekly", "DisplayName": "Weekly", "DefaultSubscriptionStatus": "OPT_IN"}
OFFERS = {"TopicName": "offers", "DisplayName": "Offers", "DefaultSubscriptionStatus": "OPT_OUT"}


def pref(topic: str, status: str) -> dict[str, str]:
    return {"TopicName": topic, "SubscriptionStatus": status}


def with_list(world: World) -> Any:
    world.ses.create_contact_list(ContactListName=LIST, Topics=[WEEKLY, OFFERS])
    return world.ses


def test_create_refuses_an_unknown_list_a_duplicate_and_a_topic_the_list_lacks(
    world: World,
) -> None:
    ses = world.ses
    assert refused(lambda: ses.create_contact(ContactListName=LIST, EmailAddress="a@x.com")) == (
        404,
        "NotFoundException",
        f"List with name: {LIST} doesn't exist.",
    )
    with_list(world)
    ses.create_contact(ContactListName=LIST, EmailAddress="a@x.com")
    assert refused(lambda: ses.create_contact(ContactListName=LIST, EmailAddress="a@x.com")) == (
        400,
        "AlreadyExistsException",
        "a@x.com already exists in List.",
    )
    unknown = [pref("monthly", "OPT_IN")]
    assert refused(
        lambda: ses.create_contact(
            ContactListName=LIST, EmailAddress="b@x.com", TopicPreferences=unknown
        )
    ) == (400, "BadRequestException", f"List: {LIST} doesn't contain Topic: monthly")
    assert refused(lambda: ses.create_contact(ContactListName=LIST, EmailAddress="nope")) == (
        400,
        "BadRequestException",
        "EmailAddress <nope> is invalid",
    )
    names = [c["EmailAddress"] for c in ses.list_contacts(ContactListName=LIST)["Contacts"]]
    assert names == ["a@x.com"]


def test_get_answers_the_defaults_of_topics_without_an_explicit_preference(world: World) -> None:
    ses = with_list(world)
    ses.create_contact(
        ContactListName=LIST, EmailAddress="a@x.com", TopicPreferences=[pref("weekly", "OPT_OUT")]
    )
    got = ses.get_contact(ContactListName=LIST, EmailAddress="a@x.com")
    assert got["TopicPreferences"] == [pref("weekly", "OPT_OUT")]
    assert got["TopicDefaultPreferences"] == [pref("offers", "OPT_OUT")]
    assert got["UnsubscribeAll"] is False and "AttributesData" not in got
    assert refused(lambda: ses.get_contact(ContactListName=LIST, EmailAddress="b@x.com")) == (
        404,
        "NotFoundException",
        "b@x.com doesn't exist in List.",
    )


def test_update_replaces_preferences_and_resets_what_it_leaves_out(world: World) -> None:
    ses = with_list(world)
    ses.create_contact(
        ContactListName=LIST,
        EmailAddress="a@x.com",
        TopicPreferences=[pref("weekly", "OPT_OUT"), pref("offers", "OPT_IN")],
        UnsubscribeAll=True,
        AttributesData='{"name": "Ada"}',
    )
    ses.update_contact(
        ContactListName=LIST, EmailAddress="a@x.com", TopicPreferences=[pref("offers", "OPT_OUT")]
    )
    got = ses.get_contact(ContactListName=LIST, EmailAddress="a@x.com")
    assert got["TopicPreferences"] == [pref("offers", "OPT_OUT")]
    assert got["UnsubscribeAll"] is False and "AttributesData" not in got
    assert refused(
        lambda: ses.update_contact(
            ContactListName=LIST, EmailAddress="a@x.com", TopicPreferences=[pref("x", "OPT_IN")]
        )
    ) == (400, "BadRequestException", f"List: {LIST} doesn't contain Topic: x")
    assert refused(lambda: ses.update_contact(ContactListName=LIST, EmailAddress="b@x.com"))[
        :2
    ] == (
        404,
        "NotFoundException",
    )


def test_delete_a_contact_and_deleting_the_list_deletes_its_contacts(world: World) -> None:
    ses = with_list(world)
    for address in ("a@x.com", "b@x.com"):
        ses.create_contact(ContactListName=LIST, EmailAddress=address)
    ses.delete_contact(ContactListName=LIST, EmailAddress="a@x.com")
    assert refused(lambda: ses.delete_contact(ContactListName=LIST, EmailAddress="a@x.com"))[
        :2
    ] == (404, "NotFoundException")
    ses.delete_contact_list(ContactListName=LIST)
    with_list(world)
    assert ses.list_contacts(ContactListName=LIST)["Contacts"] == []


def test_list_pages_by_address_and_refuses_pages_past_a_thousand(world: World) -> None:
    ses = with_list(world)
    for i in (3, 1, 2):
        ses.create_contact(ContactListName=LIST, EmailAddress=f"c{i}@x.com", UnsubscribeAll=i == 2)
    first = ses.list_contacts(ContactListName=LIST, PageSize=2)
    second = ses.list_contacts(ContactListName=LIST, PageSize=2, NextToken=first["NextToken"])
    assert [c["EmailAddress"] for c in first["Contacts"]] == ["c1@x.com", "c2@x.com"]
    assert [c["EmailAddress"] for c in second["Contacts"]] == ["c3@x.com"]
    assert "NextToken" not in second
    item = first["Contacts"][1]
    assert item["UnsubscribeAll"] is True and "AttributesData" not in item
    assert item["TopicDefaultPreferences"] == [pref("weekly", "OPT_IN"), pref("offers", "OPT_OUT")]
    assert refused(lambda: ses.list_contacts(ContactListName=LIST, PageSize=1001))[:2] == (
        400,
        "BadRequestException",
    )


def test_list_filters_by_a_topic_status_with_or_without_its_default(world: World) -> None:
    ses = with_list(world)
    ses.create_contact(
        ContactListName=LIST, EmailAddress="out@x.com", TopicPreferences=[pref("weekly", "OPT_OUT")]
    )
    ses.create_contact(ContactListName=LIST, EmailAddress="default@x.com")

    def listed(status: str, use_default: bool) -> list[str]:
        wanted = {"TopicName": "weekly", "UseDefaultIfPreferenceUnavailable": use_default}
        found = ses.list_contacts(
            ContactListName=LIST, Filter={"FilteredStatus": status, "TopicFilter": wanted}
        )
        return [c["EmailAddress"] for c in found["Contacts"]]

    assert listed("OPT_OUT", False) == ["out@x.com"]
    assert listed("OPT_IN", False) == []
    assert listed("OPT_IN", True) == ["default@x.com"]
