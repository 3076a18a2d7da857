"""sesctl against SES as SES behaves (issue: real SES, not our own emulator), end to end.

Each test drives the real CLI over HTTP against an emulator that enforces what SES enforces:
identity ARNs, tracking domains that wait for verification, VDM's shapes, sender
verification and the sandbox, what SES refuses (caught offline first), templates with SES's
own variables, the throttling forms, and nulls.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from typing import Any

import boto3
import pytest

from reconciler.client import ClientSettings, RateLimits, Sesv2
from reconciler.errors import SesctlError
from reconciler.plan import Change
from reconciler.resources.identities import Identities
from tests.keys import byodkim_key

from .conftest import Env
from .test_errors import assert_plain_error

HEAD = "version: 1\nstack: s\nregion: us-east-1\n"
ACCOUNT = "123456789012"


def tagging(env: Env) -> Any:
    return boto3.client("resourcegroupstaggingapi", endpoint_url=env.url, region_name="us-east-1")


def plan_json(env: Env, config: str) -> dict[str, Any]:
    result = env.sesctl("plan", config, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# --- 1. identity ARNs -----------------------------------------------------------------------


def test_owned_identities_are_found_by_their_ses_arn_and_deleted_when_they_leave(
    env: Env,
) -> None:
    env.ses().create_email_identity(EmailIdentity="legacy.example.com")  # adopted: tagged
    config = env.write(HEAD + "identities: {a.example.com: {}, legacy.example.com: {}}\n")
    assert env.sesctl("apply", config, "--auto-approve").exit_code == 0
    owned = tagging(env).get_resources(
        ResourceTypeFilters=["ses:identity"], TagFilters=[{"Key": "sesctl:stack"}]
    )
    assert sorted(r["ResourceARN"] for r in owned["ResourceTagMappingList"]) == [
        f"arn:aws:ses:us-east-1:{ACCOUNT}:identity/a.example.com",
        f"arn:aws:ses:us-east-1:{ACCOUNT}:identity/legacy.example.com",
    ]
    assert env.sesctl("plan", config, "--detailed-exitcode").exit_code == 0

    smaller = env.write(HEAD + "identities: {legacy.example.com: {}}\n")
    refused = env.sesctl("apply", smaller, "--auto-approve")
    assert refused.exit_code == 3 and "- delete  identity a.example.com" in refused.stdout
    done = env.sesctl("apply", smaller, "--auto-approve", "--allow-identity-deletion")
    assert done.exit_code == 0, done.output
    names = [i["IdentityName"] for i in env.ses().list_email_identities()["EmailIdentities"]]
    assert names == ["legacy.example.com"]


# --- 2. tracking domains wait for verification --------------------------------------------------

TRACKED = HEAD + (
    "identities: {click.example.com: {}}\n"
    "configuration_sets:\n"
    "  cs:\n"
    "    sending_options: {sending_enabled: true}\n"
    "    tracking_options: {custom_redirect_domain: click.example.com, https_policy: REQUIRE}\n"
)


def test_a_tracking_domain_waits_for_its_identity_and_a_later_apply_sets_it(env: Env) -> None:
    config = env.write(TRACKED)
    planned = plan_json(env, config)
    (held,) = [c for c in planned["changes"] if c.get("waiting")]
    assert (held["action"], held["kind"], held["name"]) == ("create", "configuration_set", "cs")
    assert (
        "waiting for identity click.example.com to be verified"
        in (held["waiting"]["tracking_options"])
    )
    markdown = env.sesctl("plan", config, "--format", "markdown").stdout
    assert "tracking_options: waiting for identity click.example.com" in markdown

    applied = env.sesctl("apply", config, "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert "Waiting (SES takes these once verified; apply again then):" in applied.stdout
    assert "TrackingOptions" not in env.ses().get_configuration_set(ConfigurationSetName="cs")

    waiting = env.sesctl("plan", config, "--detailed-exitcode")
    assert waiting.exit_code == 2
    assert "~ update  configuration_set cs  (waiting: nothing SES takes yet)" in waiting.stdout

    env.control("POST", "/_sesctl/verify", {"identities": ["click.example.com"]})
    assert env.sesctl("apply", config, "--auto-approve").exit_code == 0
    tracking = env.ses().get_configuration_set(ConfigurationSetName="cs")["TrackingOptions"]
    assert tracking == {"CustomRedirectDomain": "click.example.com", "HttpsPolicy": "REQUIRE"}
    assert env.sesctl("plan", config, "--detailed-exitcode").exit_code == 0


def test_a_saved_plan_that_waited_is_stale_once_the_domain_verifies(env: Env) -> None:
    env.ses().create_email_identity(EmailIdentity="click.example.com")
    config = env.write(TRACKED)
    assert env.sesctl("plan", config, "--out", "plan.json").exit_code == 0
    assert env.sesctl("apply", "plan.json").exit_code == 0  # waits, applies the rest
    assert "TrackingOptions" not in env.ses().get_configuration_set(ConfigurationSetName="cs")
    assert env.sesctl("plan", config, "--out", "plan.json").exit_code == 0  # still waiting
    env.control("POST", "/_sesctl/verify", {"identities": ["click.example.com"]})
    stale = env.sesctl("apply", "plan.json")  # a plan made now would set the tracking options
    assert stale.exit_code == 1 and "configuration set cs differs" in stale.stderr
    (change,) = plan_json(env, config)["changes"]
    assert "waiting" not in change  # verified now: a plain update
    assert env.sesctl("apply", config, "--auto-approve").exit_code == 0
    assert env.sesctl("plan", config, "--detailed-exitcode").exit_code == 0


def test_a_tracking_domain_no_identity_covers_is_a_plan_error(env: Env) -> None:
    config = env.write(
        HEAD + "configuration_sets: {cs: {tracking_options: {custom_redirect_domain: c.x.com}}}\n"
    )
    validated = env.sesctl("validate", config)
    assert validated.exit_code == 0 and "SES needs it as an identity of its own" in (
        validated.stderr
    )
    assert_plain_error(
        env.sesctl("plan", config),
        f"{config}:4:70: configuration set cs refers to identity 'c.x.com', which exists "
        "neither in the file nor in the account",
    )


# --- 3. VDM -------------------------------------------------------------------------------------


def test_vdm_converges_on_what_get_account_shows(env: Env) -> None:
    disabled = env.write(HEAD + "account: {vdm_attributes: {vdm_enabled: DISABLED}}\n", "off.yaml")
    assert env.sesctl("plan", disabled, "--detailed-exitcode").exit_code == 0  # absent = off
    enabled = env.write(
        HEAD + "account:\n  vdm_attributes:\n    vdm_enabled: ENABLED\n"
        "    dashboard_attributes: {engagement_metrics: ENABLED}\n"
    )
    assert env.sesctl("apply", enabled, "--auto-approve").exit_code == 0
    assert env.sesctl("plan", enabled, "--detailed-exitcode").exit_code == 0
    assert env.sesctl("apply", disabled, "--auto-approve").exit_code == 0
    assert env.sesctl("plan", disabled, "--detailed-exitcode").exit_code == 0
    assert env.ses().get_account()["VdmAttributes"] == {"VdmEnabled": "DISABLED"}


def test_vdm_details_without_vdm_enabled_are_refused_offline(env: Env) -> None:
    config = env.write(
        HEAD
        + "account:\n  vdm_attributes:\n    dashboard_attributes: {engagement_metrics: ENABLED}\n"
    )
    assert_plain_error(
        env.sesctl("validate", config),
        f"{config}:6:5: account.vdm_attributes: dashboard_attributes need vdm_enabled: ENABLED",
    )


# --- 4. sending rules ---------------------------------------------------------------------------


def test_sending_from_an_unverified_identity_says_what_ses_says(env: Env) -> None:
    send = ("send", "--from", "a@example.com", "--to", "b@example.net", "--subject", "s")
    env.ses().create_email_identity(EmailIdentity="example.com")
    assert_plain_error(
        env.sesctl(*send, "--text", "t"),
        "SendEmail failed: MessageRejected: Email address is not verified. The following "
        "identities failed the check in region US-EAST-1: a@example.com",
    )
    env.control("POST", "/_sesctl/verify", {"identities": ["example.com"]})
    assert env.sesctl(*send, "--text", "t").exit_code == 0


def test_the_sandbox_refuses_unverified_recipients_and_doctor_says_sandbox(env: Env) -> None:
    env.control("POST", "/_sesctl/sandbox", {"sandbox": True})
    env.verified("example.com")
    doctor = env.sesctl("doctor")
    assert "! production access: sandbox: only verified recipients, 200 a day" in doctor.stdout
    assert "✓ 24-hour quota: 0 of 200 used (0%)" in doctor.stdout
    send = ("send", "--from", "a@example.com", "--subject", "s", "--text", "t", "--to")
    assert_plain_error(
        env.sesctl(*send, "stranger@example.org"), "failed the check in region US-EAST-1"
    )
    assert env.sesctl(*send, "success@simulator.amazonses.com").exit_code == 0


def test_the_emulator_command_serves_a_sandbox_that_verifies_at_once(tmp_path: Any) -> None:
    command = [sys.executable, "-m", "reconciler", "emulator", "--port", "0", "--sandbox"]
    process = subprocess.Popen(
        [*command, "--verify-after", "0"], stderr=subprocess.PIPE, text=True, cwd=tmp_path
    )
    try:
        line = process.stderr.readline() if process.stderr else ""
        url = line.split(" on ", 1)[1].split(" ", 1)[0]
        ses = boto3.client(
            "sesv2",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id="t",
            aws_secret_access_key="t",
        )
        assert ses.get_account()["ProductionAccessEnabled"] is False
        ses.create_email_identity(EmailIdentity="example.com")
        assert ses.get_email_identity(EmailIdentity="example.com")["VerifiedForSendingStatus"]
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)


# --- 5. what SES refuses, caught offline with file:line ----------------------------------------

KEY = "${env:BYODKIM_KEY}"
REFUSED = [
    ("configuration_sets: {'has space': {}}\n", ":4:22:", "configuration set name 'has space'"),
    ("templates: {'a/b': {subject: s, text: t}}\n", ":4:13:", "template name 'a/b'"),
    ("dedicated_ip_pools: {MyPool: {}}\n", ":4:22:", "pool name 'MyPool'"),
    ("contact_lists: {a: {}, b: {}}\n", ":4:16:", "2 contact lists (one per account)"),
    (
        "contact_lists: {a: {topics: {"
        + ", ".join(
            f"t{i}: {{display_name: T, default_subscription_status: OPT_IN}}" for i in range(21)
        )
        + "}}}\n",
        ":4:29:",
        "21 topics in one contact list: SES allows at most 20",
    ),
    (
        "identities: {a.example.com: {policies: {"
        + ", ".join(f"p{i}: {{}}" for i in range(21))
        + "}}}\n",
        ":4:40:",
        "21 policies on one identity: SES allows at most 20",
    ),
    ("templates: {t: {subject: s, text: t, tags: {'aws:x': y}}}\n", ":4:45:", "aws: prefix"),
    (
        "templates: {t: {subject: s, text: t, tags: {"
        + ", ".join(f"k{i}: v" for i in range(50))
        + "}}}\n",
        ":4:38:",
        "51 tags with the file-wide tags and sesctl's own 1: SES allows at most 50",
    ),
    ("templates: {t: {subject: s, text: t, tags: {'sesctl:x': y}}}\n", ":4:45:", "sesctl: tag"),
    (
        "configuration_sets: {cs: {event_destinations: {d: {matching_event_types: [SEND], "
        "event_bridge_destination: {event_bus_arn: "
        "'arn:aws:events:us-east-1:123456789012:event-bus/mine'}}}}}\n",
        ":4:124:",
        "SES sends events to the account's default event bus only",
    ),
    (
        "identities: {a.example.com: {dkim_signing_attributes: {domain_signing_selector: s1, "
        f"domain_signing_private_key: '{KEY}'}}}}}}\n",
        ":4:113:",
        "the key is not a base64 DER RSA private key",
    ),
    (
        "identities: {a.example.com: {mail_from_attributes: {mail_from_domain: m.b.com}}}\n",
        ":4:71:",
        "only under the identity's domain",
    ),
    ("identities: {a@example.com: {dkim_signing_enabled: true}}\n", ":4:30:", "DKIM settings"),
    (
        "dedicated_ip_pools: {bulk: {scaling_mode: MANAGED}}\n"
        "dedicated_ips: {198.51.100.7: {pool: bulk}}\n",
        ":5:38:",
        "bulk is a MANAGED pool",
    ),
    ("account: {sending_enabled: null}\n", ":4:28:", "null is not allowed here"),
    ("suppressions: {prune: null}\n", ":4:23:", "null is not allowed here: give a value"),
    (
        "configuration_sets: {cs: {tracking_options: "
        "{custom_redirect_domain: null, https_policy: REQUIRE}}}\n",
        ":4:45:",
        "https_policy needs custom_redirect_domain",
    ),
]


@pytest.mark.parametrize(("text", "where", "what"), REFUSED)
def test_what_ses_refuses_is_refused_offline_with_its_place(
    env: Env, text: str, where: str, what: str
) -> None:
    env.monkeypatch.setenv("BYODKIM_KEY", "bm90IGEga2V5")  # base64, but no key
    config = env.write(HEAD + text)
    assert_plain_error(env.sesctl("validate", config), f"{config}{where}", what)
    assert env.calls() == {}


def test_a_pem_or_wrapped_byodkim_key_is_refused_and_never_printed(env: Env) -> None:
    key = byodkim_key()
    for shown in (
        f"-----BEGIN PRIVATE KEY-----\n{key}\n-----END PRIVATE KEY-----",
        key[:40] + "\n" + key[40:],
    ):
        env.monkeypatch.setenv("BYODKIM_KEY", shown)
        config = env.write(
            HEAD + "identities: {a.example.com: {dkim_signing_attributes: "
            f"{{domain_signing_selector: s1, domain_signing_private_key: '{KEY}'}}}}}}\n"
        )
        result = env.sesctl("validate", config)
        assert result.exit_code == 1 and key[10:50] not in result.output


# --- 6. templates -------------------------------------------------------------------------------


def test_the_unsubscribe_url_needs_no_test_data_and_ses_fills_it_in(env: Env) -> None:
    env.verified("example.com")
    config = env.write(
        HEAD + "contact_lists: {news: {topics: {weekly: {display_name: Weekly, "
        "default_subscription_status: OPT_IN}}}}\n"
        "templates:\n  digest:\n    subject: 'Digest for {{name}}'\n"
        "    text: 'Hi {{name}}. Leave: {{amazonSESUnsubscribeUrl}}'\n"
        "    test_data: {name: Ada}\n"
    )
    assert env.sesctl("validate", config).exit_code == 0
    assert env.sesctl("apply", config, "--auto-approve").exit_code == 0
    send = ("send", "--from", "a@example.com", "--to", "b@example.net", "--template", "digest")
    assert (
        env.sesctl(*send, "--data", '{"name": "Ada"}', "--contact-list", "news/weekly").exit_code
        == 0
    )
    unlisted = env.sesctl(*send, "--data", '{"name": "Ada"}')  # SES would fail to render it
    assert unlisted.exit_code == 1 and "amazonSESUnsubscribeUrl" in unlisted.stderr
    messages = env.control("GET", "/_sesctl/messages")["messages"]
    assert [m["delivered"] for m in messages] == [True]


# --- 7. defaults: an account made by hand imports to a file that plans clean ------------------


def test_what_ses_fills_in_imports_and_plans_clean(env: Env) -> None:
    ses = env.ses()
    ses.create_configuration_set(ConfigurationSetName="bare")
    ses.create_email_identity(EmailIdentity="ops@example.net")
    ses.create_email_identity(EmailIdentity="example.com")
    out = env.tmp / "imported.yaml"
    assert env.sesctl("import", "--stack", "s", "--out", str(out)).exit_code == 0
    assert env.sesctl("apply", str(out), "--auto-approve").exit_code == 0
    assert env.sesctl("plan", str(out), "--detailed-exitcode").exit_code == 0


# --- 8. errors as SES gives them ----------------------------------------------------------------


def test_throttling_in_the_400_form_is_retried_too(env: Env) -> None:
    env.fault("CreateEmailTemplate", "ThrottlingException", 400, count=1)
    config = env.write(HEAD + "templates: {t: {subject: s, text: t}}\n")
    result = env.sesctl("apply", config, "--auto-approve", "--verbose")
    assert result.exit_code == 0, result.output
    assert "Retries: 1, throttled: 1" in result.stderr


def test_an_identity_gone_since_the_plan_is_said_so_whatever_code_ses_answers(
    env: Env,
) -> None:
    settings = ClientSettings(
        region="us-east-1", endpoint_url=env.url, max_attempts=1, rate_limits=RateLimits(None)
    )
    client = Sesv2(settings)
    before = {"tags": {"sesctl:stack": "s"}, "dkim_signing_enabled": True}
    after = {"tags": {"sesctl:stack": "s"}, "dkim_signing_enabled": False}
    change = Change("update", "identity", "gone.example.com", before, after)
    with pytest.raises(SesctlError) as info:
        Identities().apply(client, change)  # SES answers 400 BadRequestException here
    assert info.value.message == (
        "identity gone.example.com no longer exists (deleted since the plan was made); run "
        "plan again"
    )


def test_control_endpoints_answer_json(env: Env) -> None:
    request = urllib.request.Request(f"{env.url}/_sesctl/verification", method="POST", data=b"{}")
    with urllib.request.urlopen(request) as response:
        assert json.load(response) == {"after_seconds": None}


# --- 5. what SES refuses that only the live account shows: found by plan, before any change ---


def test_a_standard_pool_that_still_holds_ips_is_not_deleted_halfway(env: Env) -> None:
    env.control("POST", "/_sesctl/dedicated-ips", {"ips": ["198.51.100.7"]})
    placed = HEAD + (
        "dedicated_ip_pools: {old: {}}\ndedicated_ips: {198.51.100.7: {pool: old}}\n"
        "templates: {t: {subject: s, text: t}}\n"
    )
    assert env.sesctl("apply", env.write(placed), "--auto-approve").exit_code == 0
    dropped = env.write(HEAD + "dedicated_ip_pools: {}\ntemplates: {t: {subject: s, text: u}}\n")
    assert_plain_error(
        env.sesctl("apply", dropped, "--auto-approve"),
        "dedicated_ip_pool old still holds 198.51.100.7: SES deletes a STANDARD pool only once",
    )
    assert env.ses().get_email_template(TemplateName="t")["TemplateContent"]["Text"] == "t"
    moved = env.write(
        HEAD + "dedicated_ip_pools: {}\n"
        "dedicated_ips: {198.51.100.7: {pool: ses-default-dedicated-pool}}\n"
        "templates: {t: {subject: s, text: u}}\n"
    )
    assert env.sesctl("apply", moved, "--auto-approve").exit_code == 0
    assert env.sesctl("plan", moved, "--detailed-exitcode").exit_code == 0
    assert env.ses().list_dedicated_ip_pools()["DedicatedIpPools"] == []
