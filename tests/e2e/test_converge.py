"""The test that matters most: apply, then plan again → zero changes, for every field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.keys import byodkim_key

from .conftest import EXAMPLES, Env

WAITING = (
    "tracking_options: waiting for identity click.example.com to be verified (publish the "
    "records of `sesctl dns`); a later apply sets it"
)


def apply_and_verify(env: Env, config: str) -> None:
    """Apply, publish the DNS records (the emulator's verify), apply what waited for them."""
    assert env.sesctl("apply", config, "--auto-approve").exit_code == 0
    env.control("POST", "/_sesctl/verify", {"identities": ["click.example.com"]})
    assert env.sesctl("apply", config, "--auto-approve").exit_code == 0


def test_production_example_applies_and_converges(env: Env) -> None:
    config = env.example("production.yaml")
    first = env.sesctl("plan", config, "--format", "json")
    assert first.exit_code == 0, first.output
    planned = json.loads(first.stdout)
    assert planned["summary"] == {"create": 19, "update": 1, "delete": 0, "replace": 0}
    (held,) = [c for c in planned["changes"] if c.get("waiting")]
    assert (held["action"], held["name"]) == ("create", "transactional")
    assert held["waiting"] == {"tracking_options": WAITING.split(": ", 1)[1]}

    applied = env.sesctl("apply", config, "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert "Apply complete: 19 created, 1 updated, 0 deleted, 0 replaced." in applied.stdout
    assert f"configuration_set transactional {WAITING}" in applied.stdout

    waiting = env.sesctl("plan", config, "--detailed-exitcode")
    assert waiting.exit_code == 2, waiting.stdout
    assert "~ update  configuration_set transactional  (waiting: nothing SES takes yet)" in (
        waiting.stdout
    )
    assert "Plan: 0 to create, 1 to update, 0 to delete, 0 to replace. 1 of them waits" in (
        waiting.stdout
    )
    nothing = env.sesctl("apply", config, "--auto-approve")
    assert nothing.exit_code == 0 and "Apply complete: 0 created, 0 updated" in nothing.stdout

    env.control("POST", "/_sesctl/verify", {"identities": ["click.example.com"]})
    finished = env.sesctl("apply", config, "--auto-approve")
    assert "Apply complete: 0 created, 1 updated" in finished.stdout, finished.output
    again = env.sesctl("plan", config, "--detailed-exitcode")
    assert again.exit_code == 0, again.stdout
    assert "No changes." in again.stdout


def test_every_field_reaches_the_account(env: Env) -> None:
    apply_and_verify(env, env.example("production.yaml"))
    ses = env.ses()
    cs = ses.get_configuration_set(ConfigurationSetName="transactional")
    assert cs["DeliveryOptions"] == {
        "TlsPolicy": "REQUIRE",
        "SendingPoolName": "transactional",
        "MaxDeliverySeconds": 600,
    }
    assert cs["TrackingOptions"] == {
        "CustomRedirectDomain": "click.example.com",
        "HttpsPolicy": "REQUIRE",
    }
    assert cs["VdmOptions"]["GuardianOptions"] == {"OptimizedSharedDelivery": "ENABLED"}
    assert cs["ArchivingOptions"]["ArchiveArn"].endswith("mailmanager-archive/a-1")
    assert sorted(cs["SuppressionOptions"]["SuppressedReasons"]) == ["BOUNCE", "COMPLAINT"]
    tags = {t["Key"]: t["Value"] for t in cs["Tags"]}
    assert tags == {
        "sesctl:stack": "acme-prod",
        "team": "platform",
        "cost-center": "4711",
        "tier": "critical",
    }
    destinations = ses.get_configuration_set_event_destinations(
        ConfigurationSetName="transactional"
    )
    by_name = {d["Name"]: d for d in destinations["EventDestinations"]}
    assert by_name["engagement"]["Enabled"] is True
    assert (
        by_name["engagement"]["CloudWatchDestination"]["DimensionConfigurations"][0][
            "DimensionName"
        ]
        == "campaign"
    )
    marketing = ses.get_configuration_set_event_destinations(ConfigurationSetName="marketing")
    assert {d["Name"]: d["Enabled"] for d in marketing["EventDestinations"]} == {
        "to-eventbridge": True,
        "to-pinpoint": False,
    }
    identity = ses.get_email_identity(EmailIdentity="example.com")
    assert identity["ConfigurationSetName"] == "transactional"
    assert (
        json.loads(identity["Policies"]["allow-billing-app"])["Statement"][0]["Effect"] == "Allow"
    )
    template = ses.get_email_template(TemplateName="welcome")
    assert "<h1>Welcome, {{name}}!</h1>" in template["TemplateContent"]["Html"]
    assert ses.get_dedicated_ip_pool(PoolName="bulk")["DedicatedIpPool"]["ScalingMode"] == "MANAGED"
    account = ses.get_account()
    assert account["VdmAttributes"]["GuardianAttributes"] == {"OptimizedSharedDelivery": "ENABLED"}
    assert account["DedicatedIpAutoWarmupEnabled"] is True
    assert account["Details"]["WebsiteURL"] == "https://example.com"


def test_a_plan_of_a_matching_account_reads_only_what_it_needs(env: Env) -> None:
    config = env.example("production.yaml")
    apply_and_verify(env, config)
    env.reset_calls()
    assert env.sesctl("plan", config, "--detailed-exitcode").exit_code == 0
    calls = env.calls()
    # One list page per kind, one tagging page, one read per resource (two for a set).
    assert calls == {
        "GetAccount": 1,
        "GetResources": 1,
        "ListDedicatedIpPools": 1,
        "ListConfigurationSets": 1,
        "ListEmailIdentities": 1,
        "ListEmailTemplates": 1,
        "GetDedicatedIpPool": 2,
        "GetConfigurationSet": 2,
        "GetConfigurationSetEventDestinations": 2,
        "GetEmailIdentity": 5,  # four identities, and the tracking domain's verification
        "GetEmailTemplate": 2,
        "ListContactLists": 1,
        "GetContactList": 1,
        "GetSuppressedDestination": 2,
    }


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.yaml")))
def test_every_example_applies_and_converges(env: Env, name: str) -> None:
    """Each example as a newcomer runs it: apply, publish DNS (verify), apply, plan = 0."""
    config = env.example(name)
    document = yaml.safe_load(Path(config).read_text())
    env.monkeypatch.setenv("BYODKIM_KEY", byodkim_key())
    if document.get("dedicated_ips"):
        env.control("POST", "/_sesctl/dedicated-ips", {"ips": list(document["dedicated_ips"])})
    first = env.sesctl("apply", config, "--auto-approve")
    assert first.exit_code == 0, first.output
    if document.get("identities"):
        env.control("POST", "/_sesctl/verify", {"identities": list(document["identities"])})
    second = env.sesctl("apply", config, "--auto-approve")
    assert second.exit_code == 0, second.output
    again = env.sesctl("plan", config, "--detailed-exitcode")
    assert again.exit_code == 0, again.stdout
