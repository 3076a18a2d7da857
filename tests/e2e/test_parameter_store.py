"""Addresses from Parameter Store: `send` and `send-bulk` read `${ssm:/…}` SecureStrings (and
`${env:…}`) for their addresses, as the config file does, and never show what they held."""

from __future__ import annotations

from .conftest import Env

DIGEST = "<html><body><h1>Your weekly digest</h1><p>3 new items.</p></body></html>\n"
TEMPLATE = "templates: {welcome: {subject: 'Welcome, {{name}}!', text: 'Hi {{name}}'}}\n"


def parameters(env: Env, **values: str) -> None:
    for name, value in values.items():
        env.ssm().put_parameter(Name=f"/app/email/{name}", Value=value, Type="SecureString")


def messages(env: Env) -> list[dict]:
    return env.control("GET", "/_sesctl/messages")["messages"]


def test_an_html_digest_goes_from_and_to_the_addresses_parameter_store_holds(env: Env) -> None:
    env.verified("example.com")
    parameters(env, **{"from": "digest@example.com", "to": "reader@example.net"})
    (env.tmp / "digest.html").write_text(DIGEST)
    result = env.sesctl(
        "send", "--from", "${ssm:/app/email/from}", "--to", "${ssm:/app/email/to}",
        "--subject", "Weekly digest", "--html-file", "digest.html",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (message,) = messages(env)
    assert (message["from"], message["to"]) == ("digest@example.com", ["reader@example.net"])
    assert result.stdout.strip() == message["message_id"]
    assert "digest@example.com" not in result.output
    assert "reader@example.net" not in result.output


def test_an_error_about_a_stored_address_does_not_show_it(env: Env) -> None:
    parameters(env, **{"from": "unverified@elsewhere.example"})
    result = env.sesctl(
        "send", "--from", "${ssm:/app/email/from}", "--to", "a@example.net",
        "--subject", "s", "--text", "t",
    )  # fmt: skip
    assert result.exit_code == 1
    assert "not verified" in result.stderr
    assert "unverified@elsewhere.example" not in result.output
    assert messages(env) == []


def test_a_missing_parameter_is_one_plain_error_before_any_send(env: Env) -> None:
    result = env.sesctl(
        "send", "--from", "${ssm:/app/email/nope}", "--to", "a@example.net",
        "--subject", "s", "--text", "t",
    )  # fmt: skip
    assert result.exit_code == 1
    assert "SSM parameter /app/email/nope does not exist" in result.stderr
    assert messages(env) == []


def test_send_bulk_reads_its_sender_and_binds_the_journal_to_the_reference(env: Env) -> None:
    assert env.sesctl("apply", env.write("version: 1\nstack: s\n" + TEMPLATE),
                      "--auto-approve").exit_code == 0  # fmt: skip
    env.verified("example.com")
    parameters(env, **{"from": "news@example.com"})
    people = env.tmp / "people.csv"
    people.write_text("email,name\na@example.net,A\nb@example.net,B\n")
    journal = env.tmp / "journal.jsonl"
    result = env.sesctl(
        "send-bulk", "--from", "${ssm:/app/email/from}", "--template", "welcome",
        "--recipients", str(people), "--journal", str(journal),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert {m["from"] for m in messages(env)} == {"news@example.com"}
    assert "news@example.com" not in journal.read_text()
    assert "${ssm:/app/email/from}" in journal.read_text()
