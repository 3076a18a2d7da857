"""Bad input and failing calls: one plain message, exit 1, no traceback, nothing lost."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import cli

from .conftest import Env

HEAD = "version: 1\nstack: s\nregion: us-east-1\n"


def assert_plain_error(result, *fragments: str) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result.stderr
    for fragment in fragments:
        assert fragment in result.stderr


def test_missing_file(env: Env) -> None:
    assert_plain_error(env.sesctl("plan", "nope.yaml"), "nope.yaml: file not found")


@pytest.mark.parametrize(
    ("text", "where", "what"),
    [
        ("version: 1\nstack: [s\n", ":3:1:", "YAML syntax error"),
        (HEAD + "identitis: {}\n", ":4:1:", "unknown key (did you mean 'identities'?)"),
        (
            HEAD + "templates: {t: {subject: 1, text: [x]}}\n",
            ":4:26:",
            "Input should be a valid string",
        ),
        (
            HEAD + "dedicated_ip_pools: {p: {scaling_mode: FAST}}\n",
            ":4:40:",
            "'STANDARD' or 'MANAGED'",
        ),
        (HEAD + "templates: {}\ntemplates: {}\n", ":5:1:", "duplicate key 'templates'"),
        (
            HEAD + "templates: {t: {subject: a, text_file: gone.txt}}\n",
            ":4:40:",
            "cannot read gone.txt",
        ),
    ],
)
def test_bad_config(env: Env, text: str, where: str, what: str) -> None:
    config = env.write(text)
    assert_plain_error(env.sesctl("plan", config), f"{config}{where}", what)
    assert_plain_error(env.sesctl("validate", config), f"{config}{where}", what)


def test_dangling_reference_checked_live_by_plan(env: Env) -> None:
    config = env.write(HEAD + "identities: {a.example.com: {configuration_set_name: ghost}}\n")
    validated = env.sesctl("validate", config)
    assert validated.exit_code == 0
    assert (
        "refers to configuration set 'ghost', which this file does not define" in validated.stderr
    )
    assert_plain_error(env.sesctl("plan", config), "exists neither in the file nor in the account")
    env.ses().create_configuration_set(ConfigurationSetName="ghost")
    assert env.sesctl("plan", config).exit_code == 0


def test_missing_credentials(env: Env, tmp_path: Path) -> None:
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        env.monkeypatch.delenv(var)
    env.monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    env.monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    config = env.write(HEAD + "templates: {}\n")
    assert_plain_error(env.sesctl("plan", config), "no AWS credentials found")


def test_unknown_region_is_refused_before_any_call(env: Env) -> None:
    config = env.write(HEAD.replace("us-east-1", "mars-north-1") + "templates: {}\n")
    result = CliRunner().invoke(cli, ["plan", config], catch_exceptions=False)
    assert_plain_error(result, "unknown AWS region 'mars-north-1'")


def test_endpoint_refusing_connections(env: Env) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = env.write(HEAD + "templates: {}\n")
    args = ["plan", config, "--endpoint-url", f"http://127.0.0.1:{port}", "--max-attempts", "1"]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert_plain_error(result, f"cannot connect to http://127.0.0.1:{port}")


def test_access_denied(env: Env) -> None:
    env.ses().create_email_identity(EmailIdentity="a.example.com")
    env.fault("GetEmailIdentity", "AccessDeniedException", 403)
    config = env.write(HEAD + "identities: {a.example.com: {}}\n")
    assert_plain_error(env.sesctl("plan", config), "access denied: GetEmailIdentity is not allowed")


def test_throttling_past_the_retries(env: Env) -> None:
    env.fault("ListEmailTemplates", "TooManyRequestsException", 429)
    config = env.write(HEAD + "templates: {}\n")
    assert_plain_error(
        env.sesctl("plan", config), "SES kept throttling ListEmailTemplates after 2 attempts"
    )


def test_throttling_within_the_retries_is_invisible(env: Env) -> None:
    env.fault("ListEmailTemplates", "TooManyRequestsException", 429, count=1)
    config = env.write(HEAD + "templates: {}\n")
    result = env.sesctl("plan", config)
    assert result.exit_code == 0 and "No changes." in result.stdout


def test_verbose_adds_the_traceback(env: Env) -> None:
    env.fault("ListEmailTemplates", "AccessDeniedException", 403)
    config = env.write(HEAD + "templates: {}\n")
    result = env.sesctl("plan", config, "--verbose")
    assert result.exit_code == 1 and "Traceback" in result.stderr


def test_apply_failing_midway_reports_exactly_and_a_rerun_converges(env: Env) -> None:
    config = env.write(
        HEAD + "dedicated_ip_pools: {p: {}}\n"
        "configuration_sets: {cs: {delivery_options: {sending_pool_name: p}}}\n"
        "identities: {a.example.com: {configuration_set_name: cs}}\n"
    )
    env.fault("CreateConfigurationSet", "AccessDeniedException", 403, count=1)
    failed = env.sesctl("apply", config, "--auto-approve")
    assert_plain_error(
        failed,
        "apply stopped at create configuration_set cs: access denied",
        "Applied (1):\n  create dedicated_ip_pool p\n",
        "Not applied (2):\n  create configuration_set cs\n  create identity a.example.com\n",
    )
    assert "  + created dedicated_ip_pool p" in failed.stdout
    assert "identity a.example.com …" not in failed.stdout  # it waits for its set: never began
    rerun = env.sesctl("apply", config, "--auto-approve")
    assert rerun.exit_code == 0, rerun.output
    assert "Apply complete: 2 created" in rerun.stdout
    assert env.sesctl("plan", config, "--detailed-exitcode").exit_code == 0


def test_ctrl_c_during_apply_starts_no_call_and_reports_each_change_call_by_call(
    env: Env,
) -> None:
    """The identity's create is held on the wire; Ctrl-C; then it lands and nothing follows."""
    env.control("POST", "/_sesctl/faults", {"operation": "CreateEmailIdentity", "kind": "hold"})
    mail_from = "{mail_from_attributes: {mail_from_domain: m.a.example.com}}"
    config = env.write(HEAD + f"identities: {{a.example.com: {mail_from}}}\n")
    command = [sys.executable, "-m", "reconciler", "apply", config, "--auto-approve"]
    options = ["--endpoint-url", env.url, "--api-rate", "unlimited"]
    process = subprocess.Popen(
        [*command, *options], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert env.control("GET", "/_sesctl/held")["held"] == 1  # on the wire now
        process.send_signal(signal.SIGINT)
        assert process.stderr is not None
        said = process.stderr.readline()
        assert said.startswith("Interrupted: starting nothing new"), said
        env.control("POST", "/_sesctl/release")
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, err
    assert "Partly applied (1): these calls landed, the rest did not" in err
    assert "  create identity a.example.com: CreateEmailIdentity\n" in err
    assert "Applied (0): none" in err
    identity = env.ses().get_email_identity(EmailIdentity="a.example.com")
    assert "MailFromDomain" not in identity["MailFromAttributes"]  # its next call never started
    assert env.sesctl("apply", config, "--auto-approve").exit_code == 0
    assert env.sesctl("plan", config, "--detailed-exitcode").exit_code == 0


def test_an_output_that_is_an_input_is_refused_before_anything_is_written(env: Env) -> None:
    (env.tmp / "body.html").write_text("<p>Hi</p>\n")
    text = HEAD + "templates: {t: {subject: s, html_file: body.html}}\n"
    config = env.write(text)
    env.reset_calls()
    for output in (config, str(env.tmp / "body.html"), "./sesctl.yaml"):
        assert_plain_error(
            env.sesctl("plan", config, "--out", output), "is a file the plan is read from"
        )
    assert Path(config).read_text() == text and env.calls() == {}


@pytest.mark.parametrize(
    ("template", "what"),
    [
        ("{subject: 'Hi {{#if x}}', text: t}", "templates.t.subject: template line 1"),
        ("{subject: 'Hi {{name}}', text: t, test_data: {nom: A}}", "uses {{name}}"),
    ],
)
def test_plan_and_apply_check_templates_as_validate_does(
    env: Env, template: str, what: str
) -> None:
    config = env.write(HEAD + f"templates: {{t: {template}}}\n")
    env.reset_calls()
    for command in (("plan", config), ("apply", config, "--auto-approve")):
        assert_plain_error(env.sesctl(*command), f"{config}:4:", what)
    assert env.calls() == {}


def test_a_create_another_stack_made_while_the_answer_was_lost_is_not_taken(env: Env) -> None:
    """The first CreateEmailTemplate is cut before it lands; meanwhile stack `other` creates the
    template; botocore's retry meets AlreadyExists. sesctl must not write onto their template."""
    theirs = {"TemplateName": "t", "TemplateContent": {"Subject": "theirs", "Text": "theirs"}}
    theirs["Tags"] = [{"Key": "sesctl:stack", "Value": "other"}]
    rule = {"operation": "CreateEmailTemplate", "kind": "cut", "count": 1}
    rule["meanwhile"] = [{"operation": "CreateEmailTemplate", "params": theirs}]
    env.control("POST", "/_sesctl/faults", rule)
    config = env.write(HEAD + "templates: {t: {subject: ours, text: ours}}\n")
    assert_plain_error(
        env.sesctl("apply", config, "--auto-approve"),
        "CreateEmailTemplate: template/t already exists, made by stack 'other' while this "
        "apply's first attempt went unanswered; not taking it over (plan again)",
    )
    content = env.ses().get_email_template(TemplateName="t")["TemplateContent"]
    assert content == {"Subject": "theirs", "Text": "theirs"}


def test_our_own_create_whose_answer_was_lost_is_claimed(env: Env) -> None:
    env.control(
        "POST", "/_sesctl/faults", {"operation": "CreateEmailTemplate", "kind": "lost", "count": 1}
    )
    config = env.write(HEAD + "templates: {t: {subject: ours, text: ours}}\n")
    result = env.sesctl("apply", config, "--auto-approve")
    assert result.exit_code == 0, result.output
    assert env.sesctl("plan", config, "--detailed-exitcode").exit_code == 0
