"""Secret references resolve at run time and never reach any output: tested with a canary."""

from __future__ import annotations

import json
from pathlib import Path

from tests.keys import byodkim_key

from .conftest import Env

CANARY = "canary-7f3a-do-not-print"
HEAD = "version: 1\nstack: s\nregion: us-east-1\n"
CONFIG = HEAD + (
    "templates:\n"
    "  t:\n"
    "    subject: Hello\n"
    "    text: 'code: ${env:SESCTL_CANARY}'\n"
    "    html: '${file:secret.txt}'\n"
    "    tags: {token: '${ssm:/sesctl/canary}'}\n"
)


def outputs(*results: object) -> str:
    return "".join(r.stdout + r.stderr for r in results)  # type: ignore[attr-defined]


def no_canary_in_files(root: Path) -> None:
    for path in root.rglob("*"):
        if path.is_file() and ".sesctl" not in path.parts and path.name != "secret.txt":
            assert CANARY not in path.read_text(errors="replace"), path


def test_canary_never_reaches_any_output(env: Env) -> None:
    env.monkeypatch.setenv("SESCTL_CANARY", CANARY)
    (env.tmp / "secret.txt").write_text(f"<p>{CANARY}</p>\n")
    env.ssm().put_parameter(Name="/sesctl/canary", Value=CANARY + "-ssm", Type="SecureString")
    config = env.write(CONFIG)

    runs = [
        env.sesctl("validate", config),
        env.sesctl("plan", config),
        env.sesctl("plan", config, "--format", "json"),
        env.sesctl("plan", config, "--format", "markdown"),
        env.sesctl("apply", config, "--auto-approve"),
    ]
    assert all(r.exit_code == 0 for r in runs), outputs(*runs)
    assert CANARY not in outputs(*runs)
    document = json.loads(runs[2].stdout)
    after = document["changes"][0]["after"]
    assert (after["text"], after["html"], after["tags"]["token"]) == ("(sensitive)",) * 3

    template = env.ses().get_email_template(TemplateName="t")
    assert template["TemplateContent"]["Text"] == f"code: {CANARY}"
    assert template["TemplateContent"]["Html"] == f"<p>{CANARY}</p>"
    assert {"Key": "token", "Value": CANARY + "-ssm"} in template["Tags"]
    assert env.sesctl("plan", config, "--detailed-exitcode").exit_code == 0

    # Rotating the secret: the plan says it changes, and shows neither the old nor the new value.
    env.monkeypatch.setenv("SESCTL_CANARY", CANARY + "-rotated")
    rotated = env.sesctl("plan", config)
    assert '        text: "(sensitive)" → "(sensitive)"' in rotated.stdout
    assert CANARY not in outputs(rotated)

    # Errors and tracebacks are scrubbed too.
    env.fault("UpdateEmailTemplate", "BadRequestException", 400, count=1)
    failed = env.sesctl("apply", config, "--auto-approve", "--verbose")
    assert failed.exit_code == 1 and "Traceback" in failed.stderr
    assert CANARY not in outputs(failed)
    no_canary_in_files(env.tmp)


def test_missing_secret_is_a_clear_error_without_the_value(env: Env) -> None:
    env.monkeypatch.delenv("SESCTL_CANARY", raising=False)
    config = env.write(CONFIG)
    result = env.sesctl("validate", config)
    assert result.exit_code == 1
    assert (
        f"{config}:7:11: templates.t.text: ${{env:SESCTL_CANARY}}: environment variable"
        in result.stderr
    )


def test_missing_ssm_parameter(env: Env) -> None:
    env.monkeypatch.setenv("SESCTL_CANARY", CANARY)
    (env.tmp / "secret.txt").write_text("x")
    config = env.write(CONFIG)
    assert env.sesctl("validate", config).exit_code == 0
    result = env.sesctl("plan", config)
    assert result.exit_code == 1
    assert "templates.t.tags.token: SSM parameter /sesctl/canary does not exist" in result.stderr


BYODKIM = HEAD + (
    "identities:\n"
    "  byod.example.org:\n"
    "    dkim_signing_attributes:\n"
    "      domain_signing_selector: s2026\n"
    "      domain_signing_private_key: ${env:BYODKIM_KEY}\n"
)
LITERAL_KEY = byodkim_key()
LITERAL = BYODKIM.replace("${env:BYODKIM_KEY}", LITERAL_KEY)


def test_byodkim_key_is_write_only_compared_by_fingerprint(env: Env) -> None:
    key, rotated_key = byodkim_key(), byodkim_key()
    env.monkeypatch.setenv("BYODKIM_KEY", key)
    config = env.write(BYODKIM)
    created = env.sesctl("apply", config, "--auto-approve")
    assert created.exit_code == 0, created.output
    dkim = env.ses().get_email_identity(EmailIdentity="byod.example.org")["DkimAttributes"]
    assert (dkim["SigningAttributesOrigin"], dkim["Tokens"]) == ("EXTERNAL", ["s2026"])
    assert env.sesctl("plan", config, "--detailed-exitcode").exit_code == 0

    env.monkeypatch.setenv("BYODKIM_KEY", rotated_key)
    rotated = env.sesctl("plan", config, "--format", "json")
    (change,) = json.loads(rotated.stdout)["changes"]
    assert change["reason"] == "BYODKIM private key rotated"
    assert [f["path"] for f in change["fields"]] == ["tags.sesctl:dkim-key-sha256"]
    applied = env.sesctl("apply", config, "--auto-approve")
    assert applied.exit_code == 0
    assert env.sesctl("plan", config, "--detailed-exitcode").exit_code == 0
    assert key not in outputs(created, rotated, applied)
    assert rotated_key not in outputs(created, rotated, applied)


def test_a_literal_byodkim_key_is_never_printed_either(env: Env) -> None:
    config = env.write(LITERAL)
    results = [env.sesctl("plan", config), env.sesctl("plan", config, "--format", "json")]
    assert all(r.exit_code == 0 for r in results)
    assert LITERAL_KEY not in outputs(*results)
    assert LITERAL_KEY[20:60] not in outputs(*results)
    assert '"domain_signing_selector": "s2026"' in results[1].stdout
