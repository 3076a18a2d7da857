"""Custom verification email templates without an endpoint: model, pure diff, apply's calls,
and the HTML allowlist."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from reconciler.models import CustomVerificationEmailTemplate
from reconciler.plan import Change
from reconciler.resources.base import Context
from reconciler.resources.custom_verification_email_templates import (
    CustomVerificationEmailTemplates,
    html_problems,
)

KIND = CustomVerificationEmailTemplates()
OWN = {"sesctl:stack": "s"}
ENTRY = {
    "from_email_address": "verify@mail.example.com",
    "template_subject": "Confirm",
    "template_content": "<p>Hello</p>",
    "success_redirection_url": "https://example.com/ok",
    "failure_redirection_url": "https://example.com/failed",
}


def model(**changes: Any) -> CustomVerificationEmailTemplate:
    return CustomVerificationEmailTemplate.model_validate({**ENTRY, **changes})


def live(**changes: Any) -> dict[str, Any]:
    return {**ENTRY, "tags": dict(OWN), **changes}


def ctx(*verified: str) -> Context:
    return Context(stack="s", verified=frozenset(verified))


def test_create_carries_every_member_and_the_stack_tag() -> None:
    (change,) = KIND.diff("welcome", model(), None, ctx("example.com"))
    assert (change.action, change.kind, change.waits) == (
        "create",
        "custom_verification_email_template",
        False,
    )
    assert change.after == {**ENTRY, "tags": OWN}


def test_update_lists_the_member_that_moves_and_no_op_is_nothing() -> None:
    (change,) = KIND.diff("welcome", model(template_subject="New"), live(), ctx("example.com"))
    assert change.action == "update" and not change.waits
    assert [f.dotted for f in change.fields] == ["template_subject"]
    assert KIND.diff("welcome", model(), live(), ctx("example.com")) == []


def test_delete_when_the_file_drops_it() -> None:
    (change,) = KIND.diff("welcome", None, live(), ctx())
    assert (change.action, change.before) == ("delete", live())


@pytest.mark.parametrize("verified", ["verify@mail.example.com", "mail.example.com", "example.com"])
def test_the_address_or_any_domain_above_it_answers_for_the_sender(verified: str) -> None:
    (change,) = KIND.diff("welcome", model(), None, ctx(verified))
    assert not change.waits and not change.held


def test_a_create_or_update_waits_whole_until_its_sender_is_verified() -> None:
    (created,) = KIND.diff("welcome", model(), None, ctx("other.com"))
    assert created.waits and created.waiting
    assert (
        "verify@mail.example.com or mail.example.com or example.com"
        in (created.held["from_email_address"])
    )
    (updated,) = KIND.diff("welcome", model(template_subject="New"), live(), ctx())
    assert updated.waits


def test_tags_alone_need_no_verified_sender() -> None:
    (change,) = KIND.diff("welcome", model(tags={"team": "x"}), live(), ctx())
    assert change.action == "update" and not change.waits
    assert [f.dotted for f in change.fields] == ["tags.team"]


class Calls:
    """The calls apply makes, answered with nothing."""

    def __init__(self) -> None:
        self.made: list[tuple[str, dict[str, Any]]] = []

    def call(self, operation: str, **params: Any) -> dict[str, Any]:
        self.made.append((operation, params))
        return {}

    def arn(self, arn_type: str, name: str) -> str:
        return f"arn:aws:ses:us-east-1:123456789012:{arn_type}/{name}"


API = {
    "FromEmailAddress": ENTRY["from_email_address"],
    "TemplateSubject": ENTRY["template_subject"],
    "TemplateContent": ENTRY["template_content"],
    "SuccessRedirectionURL": ENTRY["success_redirection_url"],
    "FailureRedirectionURL": ENTRY["failure_redirection_url"],
}


def apply(change: Change) -> list[tuple[str, dict[str, Any]]]:
    calls = Calls()
    KIND.apply(calls, change)  # type: ignore[arg-type]
    return calls.made


def test_apply_creates_with_tags_updates_every_member_and_tags_apart() -> None:
    created = Change("create", KIND.kind, "w", after=live())
    assert apply(created) == [
        (
            "CreateCustomVerificationEmailTemplate",
            {"TemplateName": "w", "Tags": [{"Key": "sesctl:stack", "Value": "s"}], **API},
        )
    ]
    moved = Change("update", KIND.kind, "w", before=live(template_subject="Old"), after=live())
    assert apply(moved) == [("UpdateCustomVerificationEmailTemplate", {"TemplateName": "w", **API})]
    tagged = Change("update", KIND.kind, "w", before=live(), after=live(tags={**OWN, "t": "1"}))
    assert [operation for operation, _ in apply(tagged)] == ["TagResource"]
    deleted = Change("delete", KIND.kind, "w", before=live())
    assert apply(deleted) == [("DeleteCustomVerificationEmailTemplate", {"TemplateName": "w"})]


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"from_email_address": "Team <verify@example.com>"}, "no display name"),
        ({"success_redirection_url": "example.com/ok"}, "is not an http(s) URL"),
        ({"failure_redirection_url": "ftp://example.com"}, "is not an http(s) URL"),
        ({"template_content_file": "a.html"}, "template_content or template_content_file"),
        ({"template_content": None}, "template_content or template_content_file"),
        ({"template_subject": ""}, "at least 1 character"),
    ],
)
def test_the_model_refuses_what_ses_refuses(changes: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        model(**changes)


def test_html_outside_the_allowlist_is_named_with_its_line_and_column() -> None:
    content = '<html><body>\n<p class="x">Hi</p><a href="u">go</a>\n<!-- c -->\n<td onclick="j">'
    assert html_problems(content) == [
        "content line 2, column 20: <a> is not a tag SES allows in a custom verification email "
        "(SES adds the verification link itself)",
        "content line 3, column 1: an HTML comment: SES allows none in a custom verification email",
        "content line 4, column 1: <td onclick>: SES allows no onclick attribute on <td>",
    ]
    allowed = '<table summary="s"><tr><td colspan="2"><img src="data:x" alt="a"></td></tr></table>'
    assert html_problems(allowed) == []
    assert html_problems("<script>x</script><style>p{}</style>") == [
        "content line 1, column 1: <script> is not a tag SES allows in a custom verification email",
        "content line 1, column 19: <style> is not a tag SES allows in a custom verification email",
    ]


@given(st.text(max_size=300))
def test_any_content_is_checked_without_an_error(content: str) -> None:
    problems = html_problems(content)
    assert all(p.startswith("content line ") for p in problems)
    if "<" not in content:
        assert problems == []
