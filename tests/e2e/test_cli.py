"""The command line itself: formats, exit codes, global options, prompts, the --local story."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema

from reconciler.schema import plan_schema
from tests.keys import byodkim_key

from .conftest import Env

HEAD = "version: 1\nstack: s\nregion: us-east-1\n"
ONE = (
    HEAD
    + "templates: {t: {subject: 'Hi {{name}}', text: 'Hello {{name}}', test_data: {name: A}}}\n"
)


def test_detailed_exitcode(env: Env) -> None:
    config = env.write(ONE)
    assert env.sesctl("plan", config).exit_code == 0
    assert env.sesctl("plan", config, "--detailed-exitcode").exit_code == 2
    env.sesctl("apply", config, "--auto-approve")
    assert env.sesctl("plan", config, "--detailed-exitcode").exit_code == 0


def test_json_plan_follows_the_schema(env: Env) -> None:
    env.ses().create_email_identity(EmailIdentity="x.example.com")
    config = env.write(ONE + "identities: {}\n")
    document = json.loads(env.sesctl("plan", config, "--format", "json").stdout)
    jsonschema.validate(document, plan_schema())
    assert document["format_version"] == 1
    assert document["changes"][0]["action"] == "create"
    assert document["changes"][0]["after"]["text"] == "Hello {{name}}"
    assert document["unmanaged"] == [{"kind": "identity", "name": "x.example.com"}]


def test_markdown_plan_for_pull_requests(env: Env) -> None:
    config = env.write(ONE)
    text = env.sesctl("plan", config, "--format", "markdown").stdout
    assert text.startswith("<!-- sesctl-plan:s -->\n")
    assert "| template | 1 | 0 | 0 | 0 |" in text
    assert "<details><summary>+ create <code>template t</code>" in text


def test_text_plan_shows_field_level_changes(env: Env) -> None:
    env.sesctl("apply", env.write(ONE), "--auto-approve")
    config = env.write(ONE.replace("Hello {{name}}", "Howdy {{name}}"))
    text = env.sesctl("plan", config).stdout
    assert '  ~ update  template t\n        text: "Hello {{name}}" → "Howdy {{name}}"\n' in text
    assert text.rstrip().endswith("Plan: 0 to create, 1 to update, 0 to delete, 0 to replace.")


def test_global_options_before_or_after_the_command(env: Env) -> None:
    from click.testing import CliRunner

    from reconciler.cli import cli

    config = env.write(ONE)
    opts = ["--endpoint-url", env.url, "--api-rate", "unlimited"]
    before = CliRunner().invoke(cli, [*opts, "plan", config])
    after = CliRunner().invoke(cli, ["plan", config, *opts])
    assert before.exit_code == after.exit_code == 0
    assert before.stdout == after.stdout


def test_apply_asks_and_only_yes_applies(env: Env) -> None:
    config = env.write(ONE)
    refused = env.sesctl("apply", config, input="no\n")
    assert refused.exit_code == 1 and "apply cancelled: nothing was changed" in refused.stderr
    assert env.ses().list_email_templates()["TemplatesMetadata"] == []
    accepted = env.sesctl("apply", config, input="yes\n")
    assert accepted.exit_code == 0 and "  + created template t" in accepted.stdout


def test_validate_checks_templates_offline(env: Env) -> None:
    good = env.sesctl("validate", env.write(ONE))
    assert good.exit_code == 0 and "valid (stack s: templates 1)" in good.stdout
    missing = env.write(ONE.replace("test_data: {name: A}", "test_data: {nom: A}"))
    result = env.sesctl("validate", missing)
    assert result.exit_code == 1
    assert "uses {{name}}" in result.stderr and "test_data has no 'name'" in result.stderr
    broken = env.write(ONE.replace("'Hello {{name}}'", "'{{#if name}}Hello'"))
    result = env.sesctl("validate", broken)
    assert result.exit_code == 1 and "templates.t.text: template line 1" in result.stderr


def test_validate_github_format_annotates_the_lines(env: Env) -> None:
    path = env.write(
        "version: 1\nstack: s\n"
        "templates:\n  t: {subject: 'Hi {{name}}', text: x, test_data: {nom: A}}\n"
        "identities:\n  example.com: {configuration_set_name: elsewhere}\n"
    )
    result = env.sesctl("validate", path, "--format", "github")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"::warning file={path},line=6,col=41::identity example.com refers to configuration "
        "set 'elsewhere', which this file does not define; plan checks that it exists in the "
        "account",
        f"::error file={path},line=4,col=7::templates.t.subject: uses {{{{name}}}} (template "
        "line 1, column 4) but test_data has no 'name': SES would drop the mail with a "
        "rendering failure",
    ]
    bad = env.write("version: 1\nstack: s\nidentities:\n  a.com: {bogus: 1}\n", "bad.yaml")
    result = env.sesctl("validate", bad, "--format", "github")
    assert result.exit_code == 1
    assert result.stdout.startswith(f"::error file={bad},line=4,col=11::identities.a.com.bogus")
    good = env.sesctl("validate", env.write(ONE, "good.yaml"), "--format", "github")
    assert good.exit_code == 0 and "::" not in good.stdout


def test_examples_validate(env: Env) -> None:
    env.monkeypatch.setenv("BYODKIM_KEY", byodkim_key())
    for name in ("quickstart.yaml", "production.yaml", "byodkim.yaml", "dedicated-ips.yaml"):
        result = env.sesctl("validate", env.example(name))
        assert result.exit_code == 0, result.output


def test_local_tells_the_whole_story_across_invocations(tmp_path: Path) -> None:
    """plan → apply → plan with --local, each a separate process, state kept in .sesctl/."""
    config = Path(__file__).resolve().parents[2] / "examples" / "quickstart.yaml"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["AWS_EC2_METADATA_DISABLED"] = "true"

    def sesctl(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "reconciler", *args]
        return subprocess.run(
            command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
        )

    first = sesctl("--local", "plan", str(config), "--detailed-exitcode")
    assert first.returncode == 2, first.stderr
    assert "+ create  identity example.com" in first.stdout
    applied = sesctl("apply", str(config), "--auto-approve", "--local")
    assert applied.returncode == 0, applied.stderr
    last = sesctl("--local", "plan", str(config), "--detailed-exitcode")
    assert last.returncode == 0, last.stdout + last.stderr
    assert "No changes." in last.stdout
    assert (tmp_path / ".sesctl").is_dir()


TARGETED = HEAD + (
    "configuration_sets:\n"
    "  a:\n"
    "    event_destinations:\n"
    "      x: {matching_event_types: [BOUNCE],"
    " sns_destination: {topic_arn: 'arn:aws:sns:us-east-1:111122223333:t'}}\n"
    "  b: {}\n"
    "identities:\n"
    "  example.com: {configuration_set_name: a}\n"
    "templates: {t: {subject: Hi, text: Hello}}\n"
)


def test_target_limits_plan_and_apply_to_a_resource_and_what_it_needs(env: Env) -> None:
    config = env.write(TARGETED)
    planned = env.sesctl("plan", config, "--format", "json", "--target", "identity/example.com")
    assert planned.exit_code == 0, planned.output
    document = json.loads(planned.stdout)
    assert [(c["kind"], c["name"]) for c in document["changes"]] == [
        ("configuration_set", "a"),
        ("event_destination", "a/x"),
        ("identity", "example.com"),
    ]
    assert any("Targeting is in effect" in w for w in document["warnings"])

    applied = env.sesctl("apply", config, "--auto-approve", "--target", "identity/example.com")
    assert applied.exit_code == 0, applied.output
    assert "Apply complete: 3 created" in applied.stdout
    rest = json.loads(env.sesctl("plan", config, "--format", "json").stdout)
    assert [(c["kind"], c["name"]) for c in rest["changes"]] == [
        ("configuration_set", "b"),
        ("template", "t"),
    ]
    nothing = env.sesctl("plan", config, "--target", "identity/example.com", "--detailed-exitcode")
    assert nothing.exit_code == 0 and "--target identity/example.com: no change" in nothing.output


def test_a_bad_target_is_refused_before_any_call(env: Env) -> None:
    config = env.write(TARGETED)
    env.reset_calls()
    result = env.sesctl("plan", config, "--target", "identities/example.com")
    assert result.exit_code == 1
    assert "--target identities/example.com: unknown kind 'identities'" in result.stderr
    assert env.calls() == {}


SNS = (
    "      {}: {{matching_event_types: [SEND], "
    "sns_destination: {{topic_arn: 'arn:aws:sns:us-east-1:111122223333:t'}}}}\n"
)


def test_a_child_target_takes_its_parent_but_not_its_siblings(env: Env) -> None:
    config = env.write(
        TARGETED.replace(
            "  b: {}\n",
            "  b:\n    event_destinations:\n" + SNS.format("y") + SNS.format("z"),
        )
    )
    planned = env.sesctl("plan", config, "--format", "json", "--target", "event_destination/b/y")
    assert planned.exit_code == 0, planned.output
    document = json.loads(planned.stdout)
    assert [(c["kind"], c["name"]) for c in document["changes"]] == [
        ("configuration_set", "b"),
        ("event_destination", "b/y"),
    ]
    assert (
        env.sesctl("apply", config, "--auto-approve", "--target", "event_destination/b/y").exit_code
        == 0
    )
    policy = (
        "{Version: '2012-10-17', Statement: [{Effect: Allow, Action: 'ses:SendEmail', "
        "Resource: '*', Principal: {AWS: '1'}}]}"
    )
    with_policy = env.write(
        TARGETED.replace(
            "example.com: {configuration_set_name: a}",
            f"example.com: {{configuration_set_name: a, policies: {{p: {policy}, q: {policy}}}}}",
        )
    )
    target = ("--target", "identity_policy/example.com/p")
    policies = json.loads(env.sesctl("plan", with_policy, "--format", "json", *target).stdout)
    assert [(c["kind"], c["name"]) for c in policies["changes"]] == [
        ("configuration_set", "a"),
        ("event_destination", "a/x"),
        ("identity", "example.com"),
        ("identity_policy", "example.com/p"),
    ]
