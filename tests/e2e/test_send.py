"""`sesctl send`: simple, templated, attachments; bad input refused before any call; a call
is made again only when SES surely did not send it."""

from __future__ import annotations

import json

import pytest

from .conftest import Env

WELCOME = "templates: {welcome: {subject: 'Welcome, {{name}}!', text: 'Hi {{name}}'}}\n"
DIGEST = (
    "templates: {digest: {subject: 'Digest for {{name}}', "
    "text: 'Hi {{name}}. Leave: {{amazonSESUnsubscribeUrl}}'}}\n"
    "contact_lists: {news: {topics: {weekly: {display_name: Weekly, "
    "default_subscription_status: OPT_IN}}}}\n"
)


@pytest.fixture(autouse=True)
def sender(env: Env) -> None:
    """SES sends only from verified identities: the domain of every sender here."""
    env.verified("example.com")


def messages(env: Env) -> list[dict]:
    return env.control("GET", "/_sesctl/messages")["messages"]


def test_simple_message_with_cc_bcc_tags_and_headers(env: Env) -> None:
    result = env.sesctl(
        "send", "--from", "Alerts <alerts@example.com>",
        "--to", "a@example.net", "--to", "b@example.net",
        "--cc", "c@example.net", "--bcc", "d@example.net", "--subject", "Hi", "--text", "Hello",
        "--tag", "campaign=launch", "--header", "X-Trace=1",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (message,) = messages(env)
    assert result.stdout.strip() == message["message_id"]
    assert (message["to"], message["cc"], message["bcc"]) == (
        ["a@example.net", "b@example.net"],
        ["c@example.net"],
        ["d@example.net"],
    )
    assert message["subject"] == "Hi" and message["delivered"] is True


def applied(env: Env, body: str) -> None:
    config = env.write("version: 1\nstack: s\nregion: us-east-1\n" + body)
    assert env.sesctl("apply", config, "--auto-approve").exit_code == 0


def test_templated_message_renders_with_ses_rules(env: Env) -> None:
    applied(env, WELCOME)
    sent = env.sesctl(
        "send", "--from", "a@example.com", "--to", "b@example.net", "--template", "welcome",
        "--data", '{"name": "Ada"}',
    )  # fmt: skip
    assert sent.exit_code == 0, sent.output
    (message,) = messages(env)
    assert (message["template"], message["template_data"], message["subject"]) == (
        "welcome",
        {"name": "Ada"},
        "Welcome, Ada!",
    )
    assert message["delivered"] is True


def test_data_the_live_template_cannot_render_is_refused_before_sendemail(env: Env) -> None:
    """SES would accept the message and drop it (a rendering failure): refuse instead."""
    applied(env, WELCOME)
    (env.tmp / "data.json").write_text(json.dumps({"nom": "Ada"}))
    env.reset_calls()
    dropped = env.sesctl(
        "send", "--from", "a@example.com", "--to", "b@example.net", "--template", "welcome",
        "--data-file", "data.json",
    )  # fmt: skip
    assert dropped.exit_code == 1
    assert (
        "Error: template welcome uses {{name}} but the template data has no 'name'"
        in dropped.stderr
    )
    assert "nothing was sent" in dropped.stderr and "internal error" not in dropped.stderr
    assert "SendEmail" not in env.calls() and messages(env) == []
    missing = env.sesctl(
        "send", "--from", "a@example.com", "--to", "b@example.net", "--template", "nope",
    )  # fmt: skip
    assert missing.exit_code == 1 and "template nope does not exist in SES" in missing.stderr


def test_the_unsubscribe_url_renders_only_under_list_management(env: Env) -> None:
    applied(env, DIGEST)
    send = ("send", "--from", "a@example.com", "--to", "b@example.net", "--template", "digest")
    without = env.sesctl(*send, "--data", '{"name": "Ada"}')
    assert without.exit_code == 1
    assert "uses {{amazonSESUnsubscribeUrl}} but the template data has no" in without.stderr
    assert "only under list management: --contact-list" in without.stderr
    listed = env.sesctl(*send, "--data", '{"name": "Ada"}', "--contact-list", "news/weekly")
    assert listed.exit_code == 0, listed.output
    assert [m["delivered"] for m in messages(env)] == [True]


def test_a_lost_answer_is_reported_unknown_and_never_sent_again(env: Env) -> None:
    # SES takes the message, then the connection is cut before its answer (twice, so that a
    # retry would land a second copy).
    fault = {"operation": "SendEmail", "kind": "lost", "status": 500, "count": 2}
    env.control("POST", "/_sesctl/faults", fault)
    env.reset_calls()
    result = env.sesctl(
        "send", "--from", "a@example.com", "--to", "b@example.net", "--subject", "Hi",
        "--text", "Hello",
    )  # fmt: skip
    assert result.exit_code == 1
    assert "the message may or may not have been sent, and was not sent again" in result.stderr
    assert "Traceback" not in result.output
    assert env.calls()["SendEmail"] == 1
    assert len(messages(env)) == 1  # SES took it once; nobody gets it twice


@pytest.mark.parametrize(
    ("code", "status"),
    [("TooManyRequestsException", 429), ("ThrottlingException", 400),
     ("InternalServiceErrorException", 500)],
)  # fmt: skip
def test_what_ses_refused_without_sending_is_sent_again(env: Env, code: str, status: int) -> None:
    env.fault("SendEmail", code, status, count=1)
    env.reset_calls()
    result = env.sesctl(
        "send", "--from", "a@example.com", "--to", "b@example.net", "--subject", "Hi",
        "--text", "Hello",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert env.calls()["SendEmail"] == 2 and len(messages(env)) == 1


def test_a_refusal_is_not_retried(env: Env) -> None:
    env.fault("SendEmail", "MessageRejected", 400, count=1)
    env.reset_calls()
    result = env.sesctl(
        "send", "--from", "a@example.com", "--to", "b@example.net", "--subject", "Hi",
        "--text", "Hello",
    )  # fmt: skip
    assert result.exit_code == 1 and "SendEmail failed: MessageRejected: injected" in result.stderr
    assert env.calls()["SendEmail"] == 1 and messages(env) == []


def test_attachments_carry_their_file_names(env: Env) -> None:
    (env.tmp / "report.pdf").write_bytes(b"%PDF-1.4 tiny")
    (env.tmp / "notes.txt").write_text("notes")
    result = env.sesctl(
        "send", "--from", "a@example.com", "--to", "b@example.net", "--subject", "Files",
        "--html", "<p>see attached</p>", "--attach", "report.pdf", "--attach", "notes.txt",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert messages(env)[0]["attachments"] == ["report.pdf", "notes.txt"]


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--to", "not-an-address"], "--to: 'not-an-address' is not a valid email address"),
        (["--to", "a@b"], "--to: 'a@b' is not a valid email address"),
        (["--to", "x@example.com", "--cc", "bad@@example.com"], "--cc: 'bad@@example.com'"),
        ([f"--to=u{i}@example.com" for i in range(51)], "51 recipients: SES takes at most 50"),
        (["--to", "x@example.com", "--template", "t", "--data", "{nope"], "not valid JSON"),
        (["--to", "x@example.com", "--template", "t", "--subject", "s"], "--template replaces"),
        (["--to", "x@example.com", "--subject", "s"], "needs --subject and --text/--html"),
        (["--to", "x@example.com", "--subject", "s", "--text", "t", "--tag", "x"], "NAME=VALUE"),
        (["--to", "(" * 5000 + "a@example.com"], "is not a valid email address"),
        (["--to", "<" * 100_000 + "a@example.com"], "is not a valid email address"),
        (["--to", "x@example.com", "--template", "t", "--data", "[" * 100_000], "nested too"),
        (["--to", "x@example.com", "--template", "t", "--data", '{"n": NaN}'], "NaN is not"),
    ],
)
def test_bad_input_is_refused_before_any_call(env: Env, args: list[str], error: str) -> None:
    env.reset_calls()
    result = env.sesctl("send", "--from", "a@example.com", *args)
    assert result.exit_code == 1
    assert error in result.stderr and "internal error" not in result.stderr
    assert "SendEmail" not in env.calls()
    assert messages(env) == []
