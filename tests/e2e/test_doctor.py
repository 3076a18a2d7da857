"""`sesctl doctor`: a verdict per line, exit 1 when something blocks sending."""

from __future__ import annotations

import json

from click.testing import CliRunner

from reconciler.cli import cli

from .conftest import Env

CONFIG = (
    "version: 1\nstack: s\nregion: us-east-1\nidentities: {example.com: {}, ops@example.net: {}}\n"
)


def ready(env: Env) -> str:
    config = env.write(CONFIG)
    assert env.sesctl("apply", config, "--auto-approve").exit_code == 0
    env.control("POST", "/_sesctl/verify", {"identities": ["example.com", "ops@example.net"]})
    return config


def test_a_healthy_account_passes_every_check(env: Env) -> None:
    result = env.sesctl("doctor", ready(env))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "✓ credentials: environment variables",
        "✓ region: us-east-1",
        f"✓ endpoint: {env.url} answered",
        "✓ sending: enabled for the account",
        "✓ production access: granted",
        "✓ 24-hour quota: 0 of 50,000 used (0%)",
        "✓ maximum send rate: 14 messages a second",
        "✓ enforcement status: HEALTHY",
        "✓ bounce rate: no data yet",
        "✓ complaint rate: no data yet",
        "✓ identity example.com: verified, DKIM signing on",
        "✓ identity ops@example.net: verified",
    ]


def test_unverified_or_missing_identities_block_sending(env: Env) -> None:
    config = env.write(CONFIG)
    partial = env.write(CONFIG.replace(", ops@example.net: {}", ""), "partial.yaml")
    assert env.sesctl("apply", partial, "--auto-approve").exit_code == 0
    result = env.sesctl("doctor", config)
    assert result.exit_code == 1
    assert "✗ identity example.com: not verified: publish `sesctl dns` records" in result.stdout
    assert "✗ identity ops@example.net: does not exist: run apply" in result.stdout
    assert result.stderr.strip() == "Error: something above blocks sending"


def test_quota_warns_past_80_percent_and_fails_when_spent(env: Env) -> None:
    config = ready(env)
    env.control("POST", "/_sesctl/send-quota", {"max_24_hour_send": 10})
    ses = env.ses()

    def send(count: int) -> None:
        for _ in range(count):
            ses.send_email(
                FromEmailAddress="ops@example.net",
                Destination={"ToAddresses": ["a@example.org"]},
                Content={"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "t"}}}},
            )

    send(9)
    warned = env.sesctl("doctor", config)
    assert warned.exit_code == 0 and "! 24-hour quota: 9 of 10 used (90%)" in warned.stdout
    send(1)
    spent = env.sesctl("doctor", config)
    assert spent.exit_code == 1 and "✗ 24-hour quota: 10 of 10 used (100%)" in spent.stdout


def test_paused_sending_blocks(env: Env) -> None:
    env.ses().put_account_sending_attributes(SendingEnabled=False)
    result = env.sesctl("doctor")
    assert result.exit_code == 1
    assert "✗ sending: paused for the account" in result.stdout


def test_no_credentials_and_no_endpoint_are_said_plainly(env: Env) -> None:
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        env.monkeypatch.delenv(variable)
    env.monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(env.tmp / "none"))
    env.monkeypatch.setenv("AWS_CONFIG_FILE", str(env.tmp / "none"))
    env.monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    bare = env.sesctl("doctor")
    assert bare.exit_code == 1
    assert bare.stdout.startswith("✗ credentials: none found")

    env.monkeypatch.setenv("AWS_ACCESS_KEY_ID", "t")
    env.monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "t")
    result = CliRunner().invoke(
        cli, ["doctor", "--endpoint-url", "http://127.0.0.1:9", "--region", "us-east-1",
              "--max-attempts", "1"],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "✗ endpoint: cannot connect to http://127.0.0.1:9" in result.stdout
    assert "Traceback" not in result.output


def test_iam_policy_prints_only_the_policy_for_the_account_and_runs_no_check(env: Env) -> None:
    env.reset_calls()
    result = env.sesctl(
        "doctor", "--iam-policy", "--from", "news@example.com", "--parameter", "/app/email/from"
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    send, read, decrypt = document["Statement"]
    assert send["Resource"] == [
        "arn:aws:ses:us-east-1:123456789012:identity/example.com",
        "arn:aws:ses:us-east-1:123456789012:identity/news@example.com",
    ]
    assert send["Condition"] == {"StringEquals": {"ses:FromAddress": "news@example.com"}}
    assert read["Resource"] == ["arn:aws:ssm:us-east-1:123456789012:parameter/app/email/from"]
    assert decrypt["Action"] == ["kms:Decrypt"]
    assert "GetAccount" not in env.calls()


def test_iam_policy_options_go_together(env: Env) -> None:
    bare = env.sesctl("doctor", "--iam-policy")
    assert (bare.exit_code, bare.stdout) == (1, "")
    assert bare.stderr == "Error: --iam-policy needs --from, the address the application sends as\n"
    stray = env.sesctl("doctor", "--from", "news@example.com", "--template", "t")
    assert (stray.exit_code, stray.stdout) == (1, "")
    assert stray.stderr == "Error: --from, --template only go with --iam-policy\n"
