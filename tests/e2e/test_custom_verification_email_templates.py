"""Custom verification email templates end to end through the CLI: create, update, delete,
no-op, converge; waiting for the sender's verification; validate's HTML check; import."""

from __future__ import annotations

import yaml

from .conftest import Env
from .test_kinds import HEAD, actions, converge, plan_json

KIND = "custom_verification_email_template"
HTML = "<html><body>\n<h1>Welcome</h1>\n<p>Confirm your address below.</p>\n</body></html>\n"


def section(
    subject: str = "Confirm",
    sender: str = "verify@mail.example.com",
    content: str = HTML,
    content_file: str | None = None,
) -> str:
    """The section with one template, its content inline (a block) or in a file."""
    lines = [
        "custom_verification_email_templates:",
        "  welcome:",
        f"    from_email_address: {sender}",
        f"    template_subject: {subject}",
        "    success_redirection_url: https://example.com/ok",
        "    failure_redirection_url: https://example.com/failed",
    ]
    if content_file is not None:
        lines.append(f"    template_content_file: {content_file}")
    else:
        lines += ["    template_content: |", *(f"      {line}" for line in content.splitlines())]
    return "\n".join(lines) + "\n"


def test_create_update_noop_delete_converge(env: Env) -> None:
    env.verified("example.com")
    planned = converge(env, HEAD + section())
    assert actions(planned) == [("create", KIND, "welcome")]
    live = env.ses().get_custom_verification_email_template(TemplateName="welcome")
    assert live["TemplateContent"] == HTML and live["TemplateSubject"] == "Confirm"

    planned = converge(env, HEAD + section(subject="Please confirm"))
    (change,) = planned["changes"]
    assert change["action"] == "update"
    assert [f["path"] for f in change["fields"]] == ["template_subject"]

    again = env.sesctl("plan", env.write(HEAD + section(subject="Please confirm")))
    assert "No changes." in again.stdout

    planned = converge(env, HEAD + "custom_verification_email_templates: {}\n")
    assert actions(planned) == [("delete", KIND, "welcome")]
    assert (
        env.ses().list_custom_verification_email_templates()["CustomVerificationEmailTemplates"]
        == []
    )


def test_it_waits_for_its_sender_then_a_later_apply_makes_it(env: Env) -> None:
    config = env.write(HEAD + "identities: {example.com: {}}\n" + section())
    first = plan_json(env, config)
    waiting = next(c for c in first["changes"] if c["kind"] == KIND)
    assert waiting["waits"] is True and "example.com" in waiting["waiting"]["from_email_address"]
    applied = env.sesctl("apply", config, "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert "Waiting (SES takes these once verified; apply again then):" in applied.stdout
    assert (
        env.ses().list_custom_verification_email_templates()["CustomVerificationEmailTemplates"]
        == []
    )
    assert env.sesctl("plan", config, "--detailed-exitcode").exit_code == 2

    env.control("POST", "/_sesctl/verify", {"identities": ["example.com"]})
    second = plan_json(env, config)
    assert actions(second) == [("create", KIND, "welcome")]
    assert "waits" not in second["changes"][0]
    assert env.sesctl("apply", config, "--auto-approve").exit_code == 0
    assert env.sesctl("plan", config, "--detailed-exitcode").exit_code == 0


def test_a_sender_no_identity_answers_is_an_error_naming_the_candidates(env: Env) -> None:
    config = env.write(HEAD + section(sender="verify@nowhere.example.org"))
    checked = env.sesctl("validate", config)
    assert checked.exit_code == 0
    assert "verify@nowhere.example.org', which this file does not define" in checked.output
    result = env.sesctl("plan", config)
    assert result.exit_code == 1
    assert (
        "custom verification email template welcome refers to identity "
        "'verify@nowhere.example.org', which exists neither in the file nor in the account "
        "(SES needs it, or nowhere.example.org or example.org, as a verified identity)"
    ) in result.output


def test_validate_names_html_ses_does_not_allow_with_line_and_column(env: Env) -> None:
    html = '<p>Hi</p>\n<a href="https://x">go</a> <!-- note -->\n'
    config = env.write(HEAD + section(content=html))
    result = env.sesctl("validate", config)
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if "content line" in line]
    where = f"{config}:10:5: custom_verification_email_templates.welcome.template_content"
    assert lines == [
        f"Error: {where}: content line 2, column 1: <a> is not a tag SES allows in a custom "
        "verification email (SES adds the verification link itself)",
        f"{where}: content line 2, column 28: an HTML comment: SES allows none in a custom "
        "verification email",
    ]


def test_content_from_a_file_beside_the_config_and_import_writes_it_back(env: Env) -> None:
    env.verified("example.com")
    (env.tmp / "verify.html").write_text(HTML)
    entry = section(content_file="verify.html")
    config = env.write(HEAD + entry)
    converge(env, HEAD + entry)
    live = env.ses().get_custom_verification_email_template(TemplateName="welcome")
    assert live["TemplateContent"] == HTML

    (env.tmp / "verify.html").write_text(HTML.replace("Welcome", "Hello"))
    assert [f["path"] for f in plan_json(env, config)["changes"][0]["fields"]] == [
        "template_content"
    ]

    out = env.tmp / "imported" / "sesctl.yaml"
    out.parent.mkdir()
    imported = env.sesctl("import", "--stack", "s", "--region", "us-east-1", "--out", str(out))
    assert imported.exit_code == 0, imported.output
    written = yaml.safe_load(out.read_text())["custom_verification_email_templates"]["welcome"]
    assert written["template_content_file"] == "custom_verification_email_templates/welcome.html"
    assert (out.parent / written["template_content_file"]).read_text() == HTML
    again = plan_json(env, str(out))  # the identity env.verified made untagged is adopted
    assert [c for c in again["changes"] if c["kind"] == KIND] == []


def test_a_content_file_outside_the_config_directory_is_refused(env: Env) -> None:
    entry = section(content_file="../outside.html")
    result = env.sesctl("validate", env.write(HEAD + entry))
    assert result.exit_code == 1
    assert "custom_verification_email_templates.welcome.template_content_file" in result.output
    assert "Traceback" not in result.output


def test_more_than_fifty_is_refused_offline(env: Env) -> None:
    one = yaml.safe_load(section())["custom_verification_email_templates"]["welcome"]
    many = {"custom_verification_email_templates": {f"t{i}": one for i in range(51)}}
    result = env.sesctl("validate", env.write(HEAD + yaml.safe_dump(many)))
    assert result.exit_code == 1
    assert "51 custom verification email templates (50 per account): SES allows at most 50" in (
        result.output
    )
