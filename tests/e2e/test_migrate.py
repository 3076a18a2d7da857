"""migrate sendgrid end to end: a fake of SendGrid's v3 API and the emulator, the key in
Parameter Store. migrate → validate → apply → plan `No changes`; the templates render SendGrid's
documented output; the suppression list and the contact list hold exactly what SendGrid held;
the report names every helper left out; the key appears in no output and no file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.handlebars import parse, render
from tests.e2e.conftest import Env
from tests.sendgrid_fake import FakeSendGrid
from tests.unit.test_sendgrid_templates import DOCS, squeeze

KEY = "SG.canary-migrate-0123456789abcdefghijklmnopqrstuvwxyz"
CHOSEN = [0, 3, 4, 6, 12, 14, 15, 17, 19]  # one docs example of each construct SES keeps
UNSUPPORTED = (
    "{{#equals plan 'pro'}}Pro{{/equals}}",
    "{{#greaterThan points 10}}gold{{/greaterThan}}",
    "{{formatDate created 'MMMM DD, YYYY'}}",
    "{{length items}}",
)


def version(ident: str, html: str, data: dict[str, Any] | None, active: int = 1) -> dict[str, Any]:
    found = {
        "id": ident,
        "template_id": "t",
        "active": active,
        "name": f"version {ident}",
        "subject": "Hello {{firstName}}" if data and "firstName" in data else "Your news",
        "html_content": html,
        "plain_content": "",
        "generate_plain_content": False,
        "editor": "code",
        "updated_at": "2026-10-01 10:00:00",
    }
    if data is not None:
        found["test_data"] = json.dumps(data)
    return found


def account() -> dict[str, Any]:
    templates = [
        {
            "id": f"d-docs{i}",
            "name": f"Docs example {i}",
            "generation": "dynamic",
            "updated_at": "2026-10-01 10:00:00",
            "versions": [
                version(f"v{i}-old", "old", {}, 0),
                version(f"v{i}", DOCS[i][0], DOCS[i][1]),
            ],
        }
        for i in CHOSEN
    ]
    templates.append(
        {
            "id": "d-helpers",
            "name": "Helpers SES lacks",
            "generation": "dynamic",
            "updated_at": "2026-10-01 10:00:00",
            "versions": [version("vh", "<p>" + "</p><p>".join(UNSUPPORTED) + "</p>", {})],
        }
    )
    templates.append({"id": "legacy-1", "name": "Old", "generation": "legacy", "versions": []})
    bounce = [
        {
            "created": 1700000000 + i,
            "email": f"b{i}@example.net",
            "reason": "550 5.1.1",
            "status": "5.1.1",
        }
        for i in range(5)
    ]
    return {
        "templates": templates,
        "asm_groups": [
            {
                "id": 11,
                "name": "Weekly digest",
                "description": "Our news",
                "is_default": True,
                "unsubscribes": 2,
            },
            {"id": 12, "name": "Offers", "description": "", "is_default": False, "unsubscribes": 1},
        ],
        "asm_suppressions": {11: ["u1@example.net", "u2@example.net"], 12: ["u2@example.net"]},
        "bounces": bounce,
        "blocks": [
            {
                "created": 1,
                "email": "blocked@example.net",
                "reason": "550 blocked",
                "status": "5.0.0",
            }
        ],
        "invalid_emails": [
            {"created": 1, "email": "typo@example.nte", "reason": "unknown TLD"},
            {"created": 1, "email": "no-at-sign.example.net", "reason": "no at sign"},
        ],
        "spam_reports": [
            {"created": 1, "email": "angry@example.net", "ip": "10.0.0.1"},
            {"created": 1, "email": "b0@example.net", "ip": "10.0.0.1"},
        ],
        "unsubscribes": [
            {"created": 1, "email": "gone@example.net"},
            {"created": 1, "email": "u1@example.net"},
        ],
        "verified_senders": [
            {"id": 1, "from_email": "news@example.com", "verified": True, "nickname": "News"},
            {"id": 2, "from_email": "ops@other.example.org", "verified": True, "nickname": "Ops"},
            {"id": 3, "from_email": "never@other.example.org", "verified": False, "nickname": "No"},
        ],
        "whitelabel_domains": [
            {"id": 1, "domain": "example.com", "subdomain": "em1", "valid": True, "default": True}
        ],
    }


@pytest.fixture
def sendgrid() -> Any:
    with FakeSendGrid(KEY, account(), max_page=2) as fake:
        yield fake


def files_under(path: Path) -> str:
    return "".join(p.read_text(errors="replace") for p in path.rglob("*") if p.is_file())


def test_migrate_validate_apply_and_plan_clean(env: Env, sendgrid: FakeSendGrid) -> None:
    env.ssm().put_parameter(Name="/sendgrid/key", Value=KEY, Type="SecureString")
    sendgrid.throttle("/v3/suppression/bounces", times=1)  # a 429 first: waited for, retried
    out = env.tmp / "migration"
    args = ("--api-key", "${ssm:/sendgrid/key}", "--sendgrid-url", sendgrid.url, "--out", str(out))
    migrated = env.sesctl("migrate", "sendgrid", *args)
    assert migrated.exit_code == 0, migrated.output
    assert "Wrote" in migrated.stdout
    config = str(out / "sesctl.yaml")

    outputs = [migrated.output]
    for step in (("validate", config), ("apply", config, "--auto-approve")):
        result = env.sesctl(*step)
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
    plan = env.sesctl("plan", config, "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output
    assert "No changes" in plan.stdout
    outputs.append(plan.output)

    ses = env.ses()
    suppressed = ses.list_suppressed_destinations()["SuppressedDestinationSummaries"]
    reasons = {s["EmailAddress"]: s["Reason"] for s in suppressed}
    bounces = {f"b{i}@example.net" for i in range(1, 5)} | {
        "blocked@example.net",
        "typo@example.nte",
    }
    assert reasons == {a: "BOUNCE" for a in bounces} | {
        "b0@example.net": "COMPLAINT",
        "angry@example.net": "COMPLAINT",
    }
    contacts = ses.list_contacts(ContactListName="subscribers")["Contacts"]
    found = {
        c["EmailAddress"]: (
            c.get("UnsubscribeAll", False),
            {p["TopicName"]: p["SubscriptionStatus"] for p in c.get("TopicPreferences", [])},
        )
        for c in contacts
    }
    assert found == {
        "gone@example.net": (True, {}),
        "u1@example.net": (True, {"Weekly-digest": "OPT_OUT"}),
        "u2@example.net": (False, {"Weekly-digest": "OPT_OUT", "Offers": "OPT_OUT"}),
    }
    identities = {i["IdentityName"] for i in ses.list_email_identities()["EmailIdentities"]}
    assert identities == {"example.com", "ops@other.example.org"}

    for i in CHOSEN:
        name = f"Docs-example-{i}"
        html = ses.get_email_template(TemplateName=name)["TemplateContent"]["Html"]
        assert squeeze(render(parse(html), DOCS[i][1])) == squeeze(DOCS[i][2]), name

    report = (out / "MIGRATION.md").read_text()
    for helper in ("equals", "greaterThan", "formatDate", "length"):
        assert f"{{{{{helper}}}}} left out" in report
    assert "legacy template" in report and "no-at-sign.example.net" in report
    assert "never@other.example.org: never verified" in report

    statuses = [
        (r.path, r.status)
        for r in sendgrid.requests
        if r.path.startswith("/v3/suppression/bounces")
    ]
    assert (
        statuses[0] == ("/v3/suppression/bounces", 429) and len(statuses) == 5
    )  # 429, 3 pages, empty
    assert all(r.authorized for r in sendgrid.requests)

    dns = env.sesctl("dns", config)
    assert dns.exit_code == 0 and "example.com" in dns.stdout
    outputs.append(dns.output)
    assert not any(KEY in text for text in outputs)
    assert KEY not in files_under(env.tmp)


def test_a_wrong_key_is_one_plain_error_without_the_key(env: Env, sendgrid: FakeSendGrid) -> None:
    env.monkeypatch.setenv("SENDGRID_KEY", "SG.wrong-key-canary-99887766")
    result = env.sesctl(
        "migrate", "sendgrid", "--api-key", "${env:SENDGRID_KEY}", "--sendgrid-url", sendgrid.url
    )
    assert result.exit_code == 1
    assert "SendGrid refused the API key (401)" in result.output
    assert "wrong-key-canary" not in result.output and "Traceback" not in result.output
    assert not (env.tmp / "sendgrid-migration").exists()


def test_a_key_given_as_plain_text_is_refused_before_any_request(
    env: Env, sendgrid: FakeSendGrid
) -> None:
    result = env.sesctl("migrate", "sendgrid", "--api-key", KEY, "--sendgrid-url", sendgrid.url)
    assert result.exit_code == 1
    assert "give a reference" in result.output and KEY not in result.output
    assert sendgrid.requests == []


def test_from_files_gives_the_same_config_as_the_api(env: Env, sendgrid: FakeSendGrid) -> None:
    env.monkeypatch.setenv("SENDGRID_KEY", KEY)
    api = env.sesctl(
        "migrate",
        "sendgrid",
        "--api-key",
        "${env:SENDGRID_KEY}",
        "--sendgrid-url",
        sendgrid.url,
        "--out",
        "a",
    )
    assert api.exit_code == 0, api.output
    export = env.tmp / "export"
    export.mkdir()
    data = account()
    data["asm_suppressions"] = [
        {"email": e, "group_id": g}
        for g, emails in data["asm_suppressions"].items()
        for e in emails
    ]
    for name, value in data.items():
        (export / f"{name}.json").write_text(json.dumps(value))
    (export / "bounces.json").unlink()
    lines = ["email,created,reason,status"] + [
        f"{b['email']},{b['created']},{b['reason']},{b['status']}" for b in data["bounces"]
    ]
    (export / "bounces.csv").write_text("\n".join(lines) + "\n")
    (export / "notes.txt").write_text("an unknown file is ignored")
    files = env.sesctl("migrate", "sendgrid", "--from-files", str(export), "--out", "b")
    assert files.exit_code == 0, files.output

    def body(name: str) -> str:
        return (env.tmp / name / "sesctl.yaml").read_text().split("\n", 3)[3]

    assert body("a") == body("b")


def test_the_example_export_migrates_applies_and_plans_clean(env: Env) -> None:
    """The README's sample: examples/sendgrid-export through migrate, apply and plan."""
    export = Path(env.example("sendgrid-export/templates.json")).parent
    result = env.sesctl("migrate", "sendgrid", "--from-files", str(export), "--out", "m")
    assert result.exit_code == 0, result.output
    assert "2 templates, 2 identities, 5 suppressions, 3 contacts" in result.stdout
    config = str(env.tmp / "m" / "sesctl.yaml")
    assert env.sesctl("apply", config, "--auto-approve").exit_code == 0
    plan = env.sesctl("plan", config, "--detailed-exitcode")
    assert plan.exit_code == 0 and "No changes" in plan.stdout
