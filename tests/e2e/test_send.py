"""`sesctl send`: simple, templated, attachments; bad input refused before any call."""

from __future__ import annotations

import json

import pytest

from .conftest import Env


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


def test_templated_message_renders_with_ses_rules(env: Env) -> None:
    config = env.write(
        "version: 1\nstack: s\nregion: us-east-1\n"
        "templates: {welcome: {subject: 'Welcome, {{name}}!', text: 'Hi {{name}}'}}\n"
    )
    assert env.sesctl("apply", config, "--auto-approve").exit_code == 0
    sent = env.sesctl(
        "send", "--from", "a@example.com", "--to", "b@example.net", "--template", "welcome",
        "--data", '{"name": "Ada"}',
    )  # fmt: skip
    assert sent.exit_code == 0, sent.output
    (env.tmp / "data.json").write_text(json.dumps({"nom": "Ada"}))
    dropped = env.sesctl(
        "send", "--from", "a@example.com", "--to", "b@example.net", "--template", "welcome",
        "--data-file", "data.json",
    )  # fmt: skip
    assert dropped.exit_code == 0
    first, second = messages(env)
    assert (first["template"], first["template_data"], first["subject"]) == (
        "welcome",
        {"name": "Ada"},
        "Welcome, Ada!",
    )
    assert first["delivered"] is True and second["delivered"] is False  # SES: rendering failure


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
    ],
)
def test_bad_input_is_refused_before_any_call(env: Env, args: list[str], error: str) -> None:
    env.reset_calls()
    result = env.sesctl("send", "--from", "a@example.com", *args)
    assert result.exit_code == 1
    assert error in result.stderr
    assert "SendEmail" not in env.calls()
    assert messages(env) == []
