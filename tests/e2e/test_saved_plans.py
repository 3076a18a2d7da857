"""`plan --out` then `apply PLAN.json`: the plan made now, when it is the saved one; else a
refusal naming why. The file carries no power of its own: edits to it make it stale."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.keys import byodkim_key

from .conftest import Env

HEAD = "version: 1\nstack: s\nregion: us-east-1\n"
SETS = HEAD + (
    "configuration_sets:\n"
    "  receipts: {delivery_options: {tls_policy: REQUIRE}}\n"
    "  alerts: {}\n"
    "templates:\n"
    "  welcome: {subject: Hi, html_file: welcome.html}\n"
)


def planned(env: Env, text: str, out: str = "plan.json") -> str:
    """Write the file and the template part, save its plan, and return the plan's path."""
    (env.tmp / "welcome.html").write_text("<p>Hi</p>\n")
    config = env.write(text)
    result = env.sesctl("plan", config, "--out", out, "--detailed-exitcode")
    assert result.exit_code == 2, result.output
    return out


def tls_policy(env: Env, name: str) -> str | None:
    answer = env.ses().get_configuration_set(ConfigurationSetName=name)
    return answer.get("DeliveryOptions", {}).get("TlsPolicy")


def test_saved_plan_applies_exactly_its_changes_without_asking(env: Env) -> None:
    plan_file = planned(env, SETS)
    saved = json.loads(Path(plan_file).read_text())
    assert saved["saved"]["config"]["path"].endswith("sesctl.yaml")
    assert saved["saved"]["targets"] == [] and saved["saved"]["allow_takeover"] is False

    applied = env.sesctl("apply", plan_file)  # no --auto-approve, no prompt answered
    assert applied.exit_code == 0, applied.output
    assert "Apply complete: 3 created" in applied.stdout
    assert tls_policy(env, "receipts") == "REQUIRE"
    assert env.sesctl("plan", "sesctl.yaml", "--detailed-exitcode").exit_code == 0


def test_a_plan_already_applied_is_stale(env: Env) -> None:
    plan_file = planned(env, SETS)
    assert env.sesctl("apply", plan_file).exit_code == 0
    again = env.sesctl("apply", plan_file)
    assert again.exit_code == 1
    assert (
        "stale plan: configuration set alerts, configuration set receipts, template welcome "
        "differ from the plan made now" in again.stderr
    )


def test_out_of_band_change_makes_the_plan_stale_and_nothing_is_applied(env: Env) -> None:
    first = env.sesctl(
        "apply", env.write(SETS.replace("html_file: welcome.html", "text: x")), "--auto-approve"
    )
    assert first.exit_code == 0, first.output
    (env.tmp / "welcome.html").write_text("<p>Hi</p>\n")
    plan_file = planned(env, SETS.replace("REQUIRE", "OPTIONAL"))

    env.ses().put_configuration_set_delivery_options(
        ConfigurationSetName="receipts", TlsPolicy="REQUIRE", SendingPoolName="ses-shared-pool"
    )
    result = env.sesctl("apply", plan_file)
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: stale plan: configuration set receipts differs from the plan made now (the "
        "account or the plan file changed since); run plan again\n"
    )
    assert tls_policy(env, "receipts") == "REQUIRE"  # untouched
    assert env.ses().get_email_template(TemplateName="welcome")["TemplateContent"]["Text"] == "x"


def test_config_edited_after_planning_is_refused(env: Env) -> None:
    plan_file = planned(env, SETS)
    Path("sesctl.yaml").write_text(SETS.replace("REQUIRE", "OPTIONAL"))
    result = env.sesctl("apply", plan_file)
    assert result.exit_code == 1
    assert "stale plan: sesctl.yaml (or a template file it reads) changed" in result.stderr
    assert env.ses().list_configuration_sets()["ConfigurationSets"] == []


def test_a_template_file_edited_after_planning_is_refused(env: Env) -> None:
    plan_file = planned(env, SETS)
    Path("welcome.html").write_text("<p>Hello</p>\n")
    result = env.sesctl("apply", plan_file)
    assert result.exit_code == 1 and "stale plan" in result.stderr


def test_a_plan_for_another_stack_region_or_account_is_refused(env: Env) -> None:
    plan_file = planned(env, SETS)

    Path("sesctl.yaml").write_text(SETS.replace("stack: s", "stack: other"))
    result = env.sesctl("apply", plan_file)
    assert result.exit_code == 1
    assert f"{plan_file} is a plan for stack s, but sesctl.yaml is stack other" in result.stderr

    Path("sesctl.yaml").write_text(SETS)
    result = env.sesctl("apply", plan_file, "--region", "eu-west-1")
    assert result.exit_code == 1
    assert f"{plan_file} is a plan for region us-east-1, not eu-west-1" in result.stderr

    document = json.loads(Path(plan_file).read_text())
    document["saved"]["account"] = "210987654321"
    Path(plan_file).write_text(json.dumps(document))
    result = env.sesctl("apply", plan_file)
    assert result.exit_code == 1
    assert "is a plan for account 210987654321, but the credentials are for account" in (
        result.stderr
    )
    assert env.ses().list_configuration_sets()["ConfigurationSets"] == []


def test_a_json_plan_without_the_saved_part_is_not_applied(env: Env) -> None:
    config = env.write(SETS.replace("html_file: welcome.html", "text: x"))
    Path("plain.json").write_text(env.sesctl("plan", config, "--format", "json").stdout)
    result = env.sesctl("apply", "plain.json")
    assert result.exit_code == 1
    assert "plain.json: a JSON plan without what apply needs to check it" in result.stderr


CANARY = "canary-5e1d-saved-plan"
SECRET = HEAD + "templates:\n  t: {subject: Hi, text: 'code: ${env:SESCTL_CANARY}'}\n"


def test_secrets_stay_out_of_the_plan_file_and_reach_the_account(env: Env) -> None:
    env.monkeypatch.setenv("SESCTL_CANARY", CANARY)
    config = env.write(SECRET)
    saved = env.sesctl("plan", config, "--out", "plan.json")
    assert CANARY not in Path("plan.json").read_text() + saved.output
    assert "(sensitive)" in Path("plan.json").read_text()

    applied = env.sesctl("apply", "plan.json")
    assert applied.exit_code == 0 and CANARY not in applied.output
    text = env.ses().get_email_template(TemplateName="t")["TemplateContent"]["Text"]
    assert text == f"code: {CANARY}"


def test_a_rotated_byodkim_key_makes_the_saved_plan_stale(env: Env) -> None:
    key_one, key_two = byodkim_key(), byodkim_key()
    env.monkeypatch.setenv("BYODKIM_KEY", key_one)
    config = env.write(
        HEAD + "identities:\n  byod.example.org:\n    dkim_signing_attributes:\n"
        "      domain_signing_selector: s1\n"
        "      domain_signing_private_key: ${env:BYODKIM_KEY}\n"
    )
    env.sesctl("plan", config, "--out", "plan.json")
    assert json.loads(Path("plan.json").read_text())["changes"][0]["write_only"] == [
        "domain_signing_private_key"
    ]
    env.monkeypatch.setenv("BYODKIM_KEY", key_two)
    result = env.sesctl("apply", "plan.json")
    assert result.exit_code == 1
    assert "stale plan: identity byod.example.org differs from the plan made now" in (
        result.stderr
    )  # the key's fingerprint tag moved with it

    env.monkeypatch.setenv("BYODKIM_KEY", key_one)
    assert env.sesctl("apply", "plan.json").exit_code == 0
    assert env.sesctl("plan", config, "--detailed-exitcode").exit_code == 0


def test_a_long_suppression_change_is_planned_again_in_one_pass_over_the_list(env: Env) -> None:
    entries = {f"u{i:03}@example.com": "BOUNCE" for i in range(150)}
    env.control("POST", "/_sesctl/suppressions", {"entries": entries})
    config = env.write(HEAD + "suppressions: {prune: true, addresses: {}}\n")
    assert env.sesctl("plan", config, "--out", "plan.json").exit_code == 0
    env.ses().put_suppressed_destination(EmailAddress="u007@example.com", Reason="COMPLAINT")
    stale = env.sesctl("apply", "plan.json", "--force")
    assert stale.exit_code == 1
    assert "stale plan: suppression u007@example.com differs" in stale.stderr

    env.ses().put_suppressed_destination(EmailAddress="u007@example.com", Reason="BOUNCE")
    env.reset_calls()
    applied = env.sesctl("apply", "plan.json", "--force")
    assert applied.exit_code == 0, applied.output
    calls = env.calls()
    assert calls.get("GetSuppressedDestination", 0) == 0  # the list is streamed, not read 150x
    assert calls["DeleteSuppressedDestination"] == 150


def edited(plan_file: str, edit: Any) -> None:
    document = json.loads(Path(plan_file).read_text())
    edit(document)
    Path(plan_file).write_text(json.dumps(document))


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(
            lambda d: d["changes"][0]["after"].update(delivery_options={"tls_policy": "OPTIONAL"}),
            id="after edited",
        ),
        pytest.param(lambda d: d["changes"][0].update(action="delete"), id="action flipped"),
        pytest.param(
            lambda d: d["changes"].append(
                {
                    "action": "delete",
                    "kind": "configuration_set",
                    "name": "precious",
                    "before": {"tags": {"sesctl:stack": "s"}},
                    "after": None,
                }
            ),
            id="change appended",
        ),
        pytest.param(lambda d: d["changes"].append(d["changes"][0]), id="change repeated"),
        pytest.param(lambda d: d["changes"].pop(), id="change dropped"),
    ],
)
def test_an_edited_saved_plan_applies_nothing(env: Env, edit: Any) -> None:
    env.ses().create_configuration_set(
        ConfigurationSetName="precious", Tags=[{"Key": "sesctl:stack", "Value": "s"}]
    )
    plan_file = planned(env, SETS.replace("  alerts: {}\n", "  alerts: {}\n  precious: {}\n"))
    edited(plan_file, edit)
    result = env.sesctl("apply", plan_file, "--force", "--allow-identity-deletion")
    assert result.exit_code == 1 and "stale plan: " in result.stderr, result.output
    assert env.ses().list_configuration_sets()["ConfigurationSets"] == ["precious"]


def test_guard_limits_come_from_the_file_not_from_the_saved_plan(env: Env) -> None:
    sets = "".join(f"  cs{i}: {{}}\n" for i in range(10))
    config = env.write(HEAD + "configuration_sets:\n" + sets)
    assert env.sesctl("apply", config, "--auto-approve").exit_code == 0
    env.write(HEAD + "configuration_sets:\n" + sets.split("  cs6")[0])  # 4 of 10 deleted
    assert env.sesctl("plan", config, "--out", "plan.json").exit_code == 0
    edited("plan.json", lambda d: d.update(guards=[]))  # the verdict it showed: not read
    result = env.sesctl("apply", "plan.json")
    assert result.exit_code == 3 and "too many deletes" in result.stdout
    edited("plan.json", lambda d: d["saved"].update(limits={"max_delete_percent": 100}))
    refused = env.sesctl("apply", "plan.json")  # no member of a saved plan sets limits
    assert refused.exit_code == 1 and "saved.limits: Extra inputs are not permitted" in (
        refused.stderr
    )
    assert len(env.ses().list_configuration_sets()["ConfigurationSets"]) == 10


def test_a_rotated_secret_makes_the_saved_plan_stale(env: Env) -> None:
    env.monkeypatch.setenv("SESCTL_CANARY", CANARY)
    config = env.write(SECRET)
    assert env.sesctl("plan", config, "--out", "plan.json").exit_code == 0
    env.monkeypatch.setenv("SESCTL_CANARY", CANARY + "-rotated")
    result = env.sesctl("apply", "plan.json")
    assert result.exit_code == 1
    assert "stale plan: a secret value behind a (sensitive) change differs" in result.stderr
    assert CANARY not in result.output
    with pytest.raises(Exception, match="NotFoundException"):
        env.ses().get_email_template(TemplateName="t")


def test_a_takeover_plan_needs_the_flag_again_at_apply(env: Env) -> None:
    env.ses().create_configuration_set(
        ConfigurationSetName="alerts", Tags=[{"Key": "sesctl:stack", "Value": "other"}]
    )
    (env.tmp / "welcome.html").write_text("<p>Hi</p>\n")
    config = env.write(SETS)
    assert env.sesctl("plan", config, "--out", "plan.json", "--allow-takeover").exit_code == 0
    refused = env.sesctl("apply", "plan.json")
    assert refused.exit_code == 1 and "pass --allow-takeover to apply it" in refused.stderr
    assert env.sesctl("apply", "plan.json", "--allow-takeover").exit_code == 0


def test_a_targeted_saved_plan_is_planned_again_with_its_targets(env: Env) -> None:
    (env.tmp / "welcome.html").write_text("<p>Hi</p>\n")
    config = env.write(SETS)
    planned_ = env.sesctl("plan", config, "--out", "plan.json", "--target", "template/welcome")
    assert planned_.exit_code == 0, planned_.output
    applied = env.sesctl("apply", "plan.json")
    assert applied.exit_code == 0 and "Apply complete: 1 created" in applied.stdout
    assert env.ses().list_configuration_sets()["ConfigurationSets"] == []


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d.update(changes="all"),
        lambda d: d["saved"].update(targets="identity/x"),
        lambda d: d["saved"].update(secrets={"salt": "zz", "sha256": 1}),
        lambda d: d["saved"].pop("account"),
        lambda d: d.update(saved=[1, 2]),
        lambda d: d["changes"].append([1]),
    ],
)
def test_a_malformed_saved_plan_is_one_plain_message(env: Env, edit: Any) -> None:
    plan_file = planned(env, SETS)
    edited(plan_file, edit)
    result = env.sesctl("apply", plan_file)
    assert result.exit_code == 1 and "internal error" not in result.output
    (line,) = [x for x in result.stderr.splitlines() if x.startswith("Error: ")]
    assert "plan.json" in line or "stale plan" in line
