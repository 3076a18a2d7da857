"""Safety guards: apply exits 3, the plan printed with the guard marked; a flag lets it pass."""

from __future__ import annotations

import json

from .conftest import Env

HEAD = "version: 1\nstack: s\nregion: us-east-1\n"


def templates(names: range, subject: str = "Hi", extra: str = "") -> str:
    lines = "".join(f"  t{i}: {{subject: {subject}, text: x{extra}}}\n" for i in names)
    return HEAD + "templates:\n" + (lines or "  {}\n")


def applied(env: Env, text: str, *flags: str) -> None:
    result = env.sesctl("apply", env.write(text), "--auto-approve", *flags)
    assert result.exit_code == 0, result.output


def template_names(env: Env) -> set[str]:
    return {t["TemplateName"] for t in env.ses().list_email_templates()["TemplatesMetadata"]}


def test_a_protected_resource_is_not_deleted_even_once_its_block_is_gone(env: Env) -> None:
    applied(env, HEAD + "configuration_sets:\n  receipts: {protect: true}\n")
    tags = env.ses().get_configuration_set(ConfigurationSetName="receipts")["Tags"]
    assert {"Key": "sesctl:protect", "Value": "true"} in tags

    config = env.write(HEAD + "configuration_sets: {}\n")
    plan = env.sesctl("plan", config, "--detailed-exitcode")
    assert plan.exit_code == 3
    assert "- delete  configuration_set receipts  [refused: protected]" in plan.stdout
    assert "Apply would be refused by the safety guards above (exit 3)." in plan.stdout

    refused = env.sesctl("apply", config, "--auto-approve", "--force")  # no flag overrides it
    assert refused.exit_code == 3
    assert "configuration_set receipts is protected (sesctl:protect=true)" in refused.stderr
    assert "apply `protect: false` for it first" in refused.stderr
    assert "- delete  configuration_set receipts" in refused.stdout  # the plan, still printed
    env.ses().get_configuration_set(ConfigurationSetName="receipts")  # still there

    applied(env, HEAD + "configuration_sets:\n  receipts: {protect: false}\n")
    config = env.write(HEAD + "configuration_sets: {}\n")
    assert env.sesctl("plan", config, "--detailed-exitcode").exit_code == 2
    applied(env, HEAD + "configuration_sets: {}\n")
    assert env.ses().list_configuration_sets()["ConfigurationSets"] == []


def test_protect_is_a_tag_that_converges_and_unsets(env: Env) -> None:
    applied(env, templates(range(1), extra=", protect: true"))
    config = env.write(templates(range(1), extra=", protect: true"))
    assert env.sesctl("plan", config, "--detailed-exitcode").exit_code == 0
    unprotect = env.sesctl("plan", env.write(templates(range(1))), "--format", "json")
    (change,) = json.loads(unprotect.stdout)["changes"]
    assert change["fields"] == [{"path": "tags.sesctl:protect", "before": "true", "after": None}]


def test_deleting_an_identity_needs_its_own_flag(env: Env) -> None:
    applied(env, HEAD + "identities: {example.com: {}, keep.example.com: {}}\n")
    config = env.write(HEAD + "identities: {keep.example.com: {}}\n")
    assert env.sesctl("plan", config, "--detailed-exitcode").exit_code == 3
    passing = env.sesctl("plan", config, "--detailed-exitcode", "--allow-identity-deletion")
    assert passing.exit_code == 2
    assert "[allowed by --allow-identity-deletion: identity deletion]" in passing.stdout

    refused = env.sesctl("apply", config, "--auto-approve")
    assert refused.exit_code == 3
    assert "deleting identity example.com loses its verification and DKIM keys" in refused.stderr
    assert "(pass --allow-identity-deletion to apply it)" in refused.stderr
    assert len(env.ses().list_email_identities()["EmailIdentities"]) == 2

    applied(env, HEAD + "identities: {keep.example.com: {}}\n", "--allow-identity-deletion")
    assert [i["IdentityName"] for i in env.ses().list_email_identities()["EmailIdentities"]] == [
        "keep.example.com"
    ]


def test_deleting_more_than_30_percent_of_a_kind_needs_force(env: Env) -> None:
    applied(env, templates(range(10)))
    too_many = env.write(templates(range(4, 10)))  # 4 of 10 deleted: 40 %
    plan = env.sesctl("plan", too_many, "--format", "json", "--detailed-exitcode")
    assert plan.exit_code == 3
    (guard,) = json.loads(plan.stdout)["guards"]
    assert guard["guard"] == "too many deletes" and guard["blocking"] is True
    assert guard["message"].startswith("4 of 10 template resources would be deleted (40% > 30%")
    assert env.sesctl("apply", too_many, "--auto-approve").exit_code == 3
    assert len(template_names(env)) == 10

    applied(env, templates(range(3, 10)))  # 3 of 10: at the threshold, allowed
    applied(env, templates(range(6, 10)), "--force")  # 3 of 7: 43 %, forced
    assert template_names(env) == {"t6", "t7", "t8", "t9"}


def test_updating_more_than_30_percent_needs_force_and_thresholds_come_from_the_file(
    env: Env,
) -> None:
    applied(env, templates(range(10)))
    changed = templates(range(4), "Hello") + templates(range(4, 10)).split("templates:\n")[1]
    assert env.sesctl("apply", env.write(changed), "--auto-approve").exit_code == 3
    relaxed = changed + "guards: {max_update_percent: 50}\n"
    applied(env, relaxed)
    subject = env.ses().get_email_template(TemplateName="t0")["TemplateContent"]["Subject"]
    assert subject == "Hello"


def test_adopting_many_resources_is_not_a_mass_update(env: Env) -> None:
    for i in range(10):
        env.ses().create_email_template(
            TemplateName=f"t{i}", TemplateContent={"Subject": "Hi", "Text": "x"}
        )
    applied(env, templates(range(10)))  # ten updates that only add the ownership tag


def test_pruning_more_than_100_suppressions_needs_force(env: Env) -> None:
    ses = env.ses()
    for i in range(101):
        ses.put_suppressed_destination(EmailAddress=f"u{i}@example.com", Reason="BOUNCE")
    config = env.write(HEAD + "suppressions: {prune: true, addresses: {}}\n")
    plan = env.sesctl("plan", config, "--format", "markdown", "--detailed-exitcode")
    assert plan.exit_code == 3
    assert "> [!CAUTION]" in plan.stdout
    assert "suppressions.prune would remove 101 entries (more than 100" in plan.stdout
    assert env.sesctl("apply", config, "--auto-approve").exit_code == 3
    applied(env, HEAD + "suppressions: {prune: true, addresses: {}}\n", "--force")
    assert ses.list_suppressed_destinations()["SuppressedDestinationSummaries"] == []


def test_a_saved_plan_is_judged_with_the_flags_given_to_apply(env: Env) -> None:
    applied(env, HEAD + "identities: {example.com: {}}\n")
    config = env.write(HEAD + "identities: {}\n")
    assert env.sesctl("plan", config, "--out", "plan.json").exit_code == 0
    refused = env.sesctl("apply", "plan.json")
    assert refused.exit_code == 3 and "[refused: identity deletion]" in refused.stdout
    assert env.sesctl("apply", "plan.json", "--allow-identity-deletion").exit_code == 0
    assert env.ses().list_email_identities()["EmailIdentities"] == []
