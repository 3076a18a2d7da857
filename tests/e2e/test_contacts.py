"""Contacts of a contact list end to end, over the real CLI against the emulator: create,
update, prune or not, no-op, converge, import, and validate's cross-reference check."""

from __future__ import annotations

import json
from typing import Any

from .conftest import Env

HEAD = "version: 1\nstack: s\nregion: us-east-1\n"
LIST = (
    "contact_lists:\n"
    "  news:\n"
    "    topics:\n"
    "      weekly: {display_name: Weekly digest, default_subscription_status: OPT_IN}\n"
    "      offers: {display_name: Offers, default_subscription_status: OPT_OUT}\n"
)
CONTACTS = (
    "    contacts:\n"
    "{prune}"
    "      addresses:\n"
    "        ada@example.com: {{unsubscribe_all: true}}\n"
    "        bob@example.com: {{topic_preferences: {{weekly: {bob}}}}}\n"
    "        cy@example.com: {{}}\n"
)


def config(bob: str = "opt_out", prune: bool | None = None) -> str:
    flag = "" if prune is None else f"      prune: {str(prune).lower()}\n"
    return HEAD + LIST + CONTACTS.format(prune=flag, bob=bob)


def plan(env: Env, path: str) -> list[tuple[str, str, str, list[str]]]:
    result = env.sesctl("plan", path, "--format", "json")
    assert result.exit_code == 0, result.output
    return [
        (c["action"], c["kind"], c["name"], [f["path"] for f in c.get("fields", [])])
        for c in json.loads(result.stdout)["changes"]
    ]


def apply_and_converge(env: Env, path: str) -> None:
    applied = env.sesctl("apply", path, "--auto-approve")
    assert applied.exit_code == 0, applied.output
    again = env.sesctl("plan", path, "--detailed-exitcode")
    assert again.exit_code == 0, again.stdout
    assert "No changes" in again.stdout


def contact(env: Env, address: str) -> dict[str, Any]:
    answer: dict[str, Any] = env.ses().get_contact(ContactListName="news", EmailAddress=address)
    return answer


def test_contacts_are_created_after_their_list_and_converge(env: Env) -> None:
    path = env.write(config())
    assert plan(env, path) == [
        ("create", "contact_list", "news", []),
        ("create", "contact", "news/ada@example.com", []),
        ("create", "contact", "news/bob@example.com", []),
        ("create", "contact", "news/cy@example.com", []),
    ]
    apply_and_converge(env, path)
    assert contact(env, "ada@example.com")["UnsubscribeAll"] is True
    bob = contact(env, "bob@example.com")
    assert bob["TopicPreferences"] == [{"TopicName": "weekly", "SubscriptionStatus": "OPT_OUT"}]
    assert bob["UnsubscribeAll"] is False
    cy = contact(env, "cy@example.com")
    assert cy["TopicPreferences"] == [] and cy["UnsubscribeAll"] is False


def test_a_flipped_preference_is_one_update_that_keeps_what_the_file_leaves_out(
    env: Env,
) -> None:
    apply_and_converge(env, env.write(config()))
    env.ses().update_contact(  # by hand: what the file does not name must survive the update
        ContactListName="news",
        EmailAddress="bob@example.com",
        TopicPreferences=[{"TopicName": "weekly", "SubscriptionStatus": "OPT_OUT"}],
        UnsubscribeAll=True,
        AttributesData='{"plan": "pro"}',
    )
    path = env.write(config(bob="OPT_IN"))
    assert plan(env, path) == [
        ("update", "contact", "news/bob@example.com", ["topic_preferences.weekly"])
    ]
    apply_and_converge(env, path)
    bob = contact(env, "bob@example.com")
    assert bob["TopicPreferences"] == [{"TopicName": "weekly", "SubscriptionStatus": "OPT_IN"}]
    assert bob["UnsubscribeAll"] is True and bob["AttributesData"] == '{"plan": "pro"}'


def test_prune_false_leaves_unlisted_contacts_and_prune_true_deletes_them(env: Env) -> None:
    apply_and_converge(env, env.write(config()))
    env.ses().create_contact(ContactListName="news", EmailAddress="zed@example.com")
    for kept in (config(), config(prune=False)):
        unchanged = env.sesctl("plan", env.write(kept), "--detailed-exitcode")
        assert unchanged.exit_code == 0, unchanged.stdout
    path = env.write(config(prune=True))
    assert plan(env, path) == [("delete", "contact", "news/zed@example.com", [])]
    apply_and_converge(env, path)
    listed = env.ses().list_contacts(ContactListName="news")["Contacts"]
    assert sorted(c["EmailAddress"] for c in listed) == [
        "ada@example.com",
        "bob@example.com",
        "cy@example.com",
    ]


def test_a_no_op_apply_writes_nothing_and_unmanaged_contacts_are_never_read(env: Env) -> None:
    path = env.write(config())
    apply_and_converge(env, path)
    env.reset_calls()
    again = env.sesctl("apply", path, "--auto-approve")
    assert again.exit_code == 0, again.output
    calls = env.calls()
    assert not {op for op in calls if op.endswith("Contact")} - {"GetContact"}, calls
    env.reset_calls()
    without = env.write(HEAD + LIST)  # contacts not managed: none are read
    assert env.sesctl("plan", without, "--detailed-exitcode").exit_code == 0
    assert not {op for op in env.calls() if "Contact" in op and "ContactList" not in op}


def test_a_long_file_reads_the_list_in_pages_not_one_call_a_contact(env: Env) -> None:
    addresses = "".join(f"        u{i}@example.com: {{}}\n" for i in range(40))
    path = env.write(HEAD + LIST + "    contacts:\n      addresses:\n" + addresses)
    apply_and_converge(env, path)
    env.reset_calls()
    assert env.sesctl("plan", path, "--detailed-exitcode").exit_code == 0
    calls = env.calls()
    assert calls.get("ListContacts") == 1 and "GetContact" not in calls, calls


def test_import_writes_the_contacts_and_plans_to_zero(env: Env) -> None:
    apply_and_converge(env, env.write(config(bob="OPT_IN")))
    env.ses().create_contact(
        ContactListName="news",
        EmailAddress="dee@example.com",
        TopicPreferences=[{"TopicName": "offers", "SubscriptionStatus": "OPT_IN"}],
    )
    out = env.tmp / "imported.yaml"
    imported = env.sesctl("import", "--stack", "s", "--kinds", "contact_lists", "--out", str(out))
    assert imported.exit_code == 0, imported.output
    assert "dee@example.com:\n          topic_preferences:\n            offers: OPT_IN" in (
        out.read_text()
    )
    again = env.sesctl("plan", str(out), "--detailed-exitcode")
    assert again.exit_code == 0, again.stdout


def test_validate_refuses_a_preference_naming_a_topic_the_list_lacks(env: Env) -> None:
    path = env.write(config(bob="OPT_IN").replace("{weekly: OPT_IN}", "{monthly: OPT_IN}"))
    result = env.sesctl("validate", path)
    assert result.exit_code == 1
    assert f"{path}:12:47: contact_lists.news.contacts.addresses.bob@example.com" in result.output
    assert "contact list news has no topic 'monthly' (its topics: offers, weekly)" in (
        result.output
    )
