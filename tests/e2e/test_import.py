"""`sesctl import` round trip: import an account, apply it (only ownership tags move), plan = 0."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import yaml

from tests.keys import byodkim_key

from .conftest import Env


def untag_everything(env: Env) -> None:
    """Make the account look hand-made: no sesctl tags anywhere."""
    ses = env.ses()
    tagging = boto3.client(
        "resourcegroupstaggingapi", endpoint_url=env.url, region_name="us-east-1"
    )
    for page in tagging.get_paginator("get_resources").paginate(ResourceTypeFilters=["ses"]):
        for item in page["ResourceTagMappingList"]:
            keys = [t["Key"] for t in item["Tags"] if t["Key"].startswith("sesctl:")]
            if keys:
                ses.untag_resource(ResourceArn=item["ResourceARN"], TagKeys=keys)


def test_import_then_apply_changes_only_ownership_tags_then_converges(env: Env) -> None:
    env.control("POST", "/_sesctl/dedicated-ips", {"ips": ["198.51.100.7"]})
    source = Path(env.example("production.yaml"))
    extra = "dedicated_ips: {198.51.100.7: {pool: transactional, warmup_percentage: 40}}\n"
    target = source.with_name("source.yaml")
    target.write_text(source.read_text() + extra)
    applied = env.sesctl("apply", str(target), "--auto-approve")
    assert applied.exit_code == 0, applied.output
    env.monkeypatch.setenv("BYODKIM_KEY_BYOD_EXAMPLE_ORG", byodkim_key())
    env.ses().create_email_identity(
        EmailIdentity="byod.example.org",
        DkimSigningAttributes={
            "DomainSigningSelector": "s1",
            "DomainSigningPrivateKey": byodkim_key(),
        },
    )
    untag_everything(env)

    out = env.tmp / "imported" / "sesctl.yaml"
    out.parent.mkdir()
    imported = env.sesctl("import", "--stack", "imported", "--out", str(out))
    assert imported.exit_code == 0, imported.output
    document = yaml.safe_load(out.read_text())
    assert document["stack"] == "imported"
    assert document["templates"]["welcome"]["html_file"] == "templates/welcome.html"
    assert (out.parent / "templates" / "welcome.html").read_text().startswith("<!doctype html>")
    assert document["identities"]["byod.example.org"]["dkim_signing_attributes"] == {
        "domain_signing_selector": "s1",
        "domain_signing_private_key": "${env:BYODKIM_KEY_BYOD_EXAMPLE_ORG}",
    }
    assert document["suppressions"]["addresses"]["blocked@example.com"] == "BOUNCE"
    assert env.sesctl("validate", str(out)).exit_code == 0

    result = env.sesctl("plan", str(out), "--format", "json")
    assert result.exit_code == 0, result.stderr + out.read_text()
    planned = json.loads(result.stdout)
    assert planned["changes"], "the ownership tags must be added"
    for change in planned["changes"]:
        assert change["action"] == "update", change
        assert all(f["path"].startswith("tags.sesctl:") for f in change["fields"]), change
    assert env.sesctl("apply", str(out), "--auto-approve").exit_code == 0
    again = env.sesctl("plan", str(out), "--detailed-exitcode")
    assert again.exit_code == 0, again.stdout


def test_import_chosen_kinds_to_stdout(env: Env) -> None:
    env.ses().create_email_template(TemplateName="t", TemplateContent={"Subject": "s", "Text": "x"})
    result = env.sesctl("import", "--stack", "s", "--kinds", "templates")
    assert result.exit_code == 0
    document = yaml.safe_load(result.stdout)
    assert document["templates"] == {"t": {"subject": "s", "text": "x", "tags": {}}}
    assert "identities" not in document
    bad = env.sesctl("import", "--stack", "s", "--kinds", "templets")
    assert bad.exit_code == 1 and "--kinds: unknown templets" in bad.stderr


def test_import_keeps_protection(env: Env) -> None:
    config = env.write(
        "version: 1\nstack: s\ntemplates:\n  t: {subject: Hi, text: x, protect: true}\n"
    )
    assert env.sesctl("apply", config, "--auto-approve").exit_code == 0
    out = env.tmp / "imported.yaml"
    assert (
        env.sesctl("import", "--stack", "s", "--kinds", "templates", "--out", str(out)).exit_code
        == 0
    )
    assert yaml.safe_load(out.read_text())["templates"]["t"]["protect"] is True
    assert env.sesctl("plan", str(out), "--detailed-exitcode").exit_code == 0
