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


def test_a_secret_true_masks_itself_not_every_other_true(env: Env) -> None:
    env.monkeypatch.setenv("FLAG", "true")
    config = env.write(
        HEAD
        + "configuration_sets:\n  cs:\n    reputation_options: {reputation_metrics_enabled: true}\n"
        "    tags: {flag: '${env:FLAG}', plain: 'true'}\n"
    )
    planned = env.sesctl("plan", config, "--format", "json")
    document = json.loads(planned.stdout)  # still JSON: `true` was never blanked in the text
    after = document["changes"][0]["after"]
    assert after["reputation_options"] == {"reputation_metrics_enabled": True}
    assert after["tags"]["flag"] == "(sensitive)"
    assert after["tags"]["plain"] == "(sensitive)"  # equal to the secret: it would tell it
    text = env.sesctl("plan", config).stdout
    assert "reputation_options.reputation_metrics_enabled: true" in text


def test_a_secret_inside_an_arn_leaves_the_saved_plan_usable(env: Env) -> None:
    env.monkeypatch.setenv("TOPIC_ACCOUNT", "123456789012")
    config = env.write(
        HEAD + "configuration_sets:\n  cs:\n    event_destinations:\n      d:\n"
        "        matching_event_types: [BOUNCE]\n"
        "        sns_destination: {topic_arn: 'arn:aws:sns:us-east-1:${env:TOPIC_ACCOUNT}:t'}\n"
    )
    assert env.sesctl("plan", config, "--out", "plan.json").exit_code == 0
    saved = json.loads(Path("plan.json").read_text())
    assert saved["saved"]["account"] == "123456789012"  # the account itself is no secret here
    destination = next(c for c in saved["changes"] if c["kind"] == "event_destination")
    assert destination["after"]["sns_destination"]["topic_arn"] == "(sensitive)"
    applied = env.sesctl("apply", "plan.json")
    assert applied.exit_code == 0, applied.output


def test_short_and_empty_secrets_and_what_they_replace_are_masked(env: Env) -> None:
    for value in ("", "x", "ab"):
        env.monkeypatch.setenv("SHORT", value)
        env.ses().create_email_template(
            TemplateName="t", TemplateContent={"Subject": "s", "Text": "old-secret-text"}
        )
        config = env.write(HEAD + "templates: {t: {subject: s, text: '${env:SHORT}v'}}\n")
        (change,) = json.loads(env.sesctl("plan", config, "--format", "json").stdout)["changes"]
        assert (change["before"]["text"], change["after"]["text"]) == ("(sensitive)",) * 2
        fields = [f for f in change["fields"] if f["path"] == "text"]
        assert fields == [{"path": "text", "before": "(sensitive)", "after": "(sensitive)"}]
        for fmt in ("text", "markdown"):
            shown = env.sesctl("plan", config, "--format", fmt).stdout
            assert 'text: "(sensitive)" → "(sensitive)"' in shown, fmt
            assert "old-secret-text" not in shown and f'"{value}v"' not in shown, fmt
        env.ses().delete_email_template(TemplateName="t")


def test_a_secret_inside_a_list_masks_the_value_it_replaces(env: Env) -> None:
    dimension = (
        "HEAD_PLACEHOLDER"
        "configuration_sets:\n  cs:\n    event_destinations:\n      d:\n"
        "        matching_event_types: [OPEN]\n        cloud_watch_destination:\n"
        "          dimension_configurations:\n"
        "            - {dimension_name: c, dimension_value_source: MESSAGE_TAG, "
        "default_dimension_value: 'V'}\n"
    ).replace("HEAD_PLACEHOLDER", HEAD)
    assert (
        env.sesctl(
            "apply", env.write(dimension.replace("'V'", "previous-value")), "--auto-approve"
        ).exit_code
        == 0
    )
    env.monkeypatch.setenv("DIMENSION", "next-value")
    config = env.write(dimension.replace("'V'", "'${env:DIMENSION}'"))
    for fmt in ("text", "json", "markdown"):
        shown = env.sesctl("plan", config, "--format", fmt).stdout
        assert "previous-value" not in shown and "next-value" not in shown, fmt


def test_a_file_secret_stays_inside_the_config_directory(env: Env) -> None:
    env.monkeypatch.setenv("SESCTL_CANARY", CANARY)
    outside = env.tmp.parent / f"{env.tmp.name}-outside.txt"
    outside.write_text(CANARY)
    (env.tmp / "link.txt").symlink_to(outside)
    for reference in ("/proc/self/environ", f"../{outside.name}", "link.txt"):
        config = env.write(
            HEAD + f"templates: {{t: {{subject: s, text: '${{file:{reference}}}'}}}}\n"
        )
        result = env.sesctl("plan", config)
        assert result.exit_code == 1 and "outside the config's directory" in result.stderr
        assert CANARY not in outputs(result)
