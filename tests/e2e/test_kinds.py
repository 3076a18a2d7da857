"""Each kind end to end: create, update, delete/unset, no-op, converge; ownership rules."""

from __future__ import annotations

import json

import pytest

from .conftest import Env

HEAD = "version: 1\nstack: s\nregion: us-east-1\n"


def plan_json(env: Env, config: str) -> dict:
    result = env.sesctl("plan", config, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def converge(env: Env, text: str, *flags: str) -> dict:
    """Apply `text`, check the next plan is empty, and return the applied plan."""
    config = env.write(text)
    planned = plan_json(env, config)
    result = env.sesctl("apply", config, "--auto-approve", *flags)
    assert result.exit_code == 0, result.output
    again = env.sesctl("plan", config, "--detailed-exitcode")
    assert again.exit_code == 0, again.stdout
    return planned


def actions(planned: dict) -> list[tuple[str, str, str]]:
    return [(c["action"], c["kind"], c["name"]) for c in planned["changes"]]


DESTINATION = (
    "configuration_sets:\n  cs:\n    event_destinations:\n      d: {{matching_event_types: [SEND],"
    " sns_destination: {{topic_arn: 'arn:aws:sns:us-east-1:1:t'}}{extra}}}\n"
)
POLICY = (
    "{{Version: '2012-10-17', Statement: [{{Effect: {}, Action: 'ses:SendEmail', Resource: '*',"
    " Principal: {{AWS: '1'}}}}]}}"
)

# kind → (file that creates it, file that updates one field, that field, file that deletes it)
CASES = {
    "identity": (
        "identities: {a.example.com: {configuration_set_name: cs}}\n"
        "configuration_sets: {cs: {}, other: {}}\n",
        "identities: {a.example.com: {configuration_set_name: other}}\n"
        "configuration_sets: {cs: {}, other: {}}\n",
        "configuration_set_name",
        "identities: {}\nconfiguration_sets: {cs: {}, other: {}}\n",
    ),
    "configuration_set": (
        "configuration_sets: {cs: {delivery_options: {tls_policy: REQUIRE}}}\n",
        "configuration_sets: {cs: {delivery_options: {tls_policy: OPTIONAL}}}\n",
        "delivery_options.tls_policy",
        "configuration_sets: {}\n",
    ),
    "event_destination": (
        DESTINATION.format(extra=""),
        DESTINATION.format(extra=", enabled: false"),
        "enabled",
        "configuration_sets: {cs: {event_destinations: {}}}\n",
    ),
    "template": (
        "templates: {t: {subject: 'Hi {{n}}', text: one}}\n",
        "templates: {t: {subject: 'Hi {{n}}', text: two}}\n",
        "text",
        "templates: {}\n",
    ),
    "dedicated_ip_pool": (
        "dedicated_ip_pools: {p: {scaling_mode: STANDARD}}\n",
        "dedicated_ip_pools: {p: {scaling_mode: MANAGED}}\n",
        "scaling_mode",
        "dedicated_ip_pools: {}\n",
    ),
    "contact_list": (
        "contact_lists: {news: {description: Product news}}\n",
        "contact_lists: {news: {description: Product updates}}\n",
        "description",
        "contact_lists: {}\n",
    ),
    "identity_policy": (
        f"identities: {{a.example.com: {{policies: {{p: {POLICY.format('Allow')}}}}}}}\n",
        f"identities: {{a.example.com: {{policies: {{p: {POLICY.format('Deny')}}}}}}}\n",
        "policy.Statement",
        "identities: {a.example.com: {policies: {}}}\n",
    ),
}


@pytest.mark.parametrize("kind", sorted(CASES))
def test_create_update_noop_delete(env: Env, kind: str) -> None:
    created, updated, field, deleted = CASES[kind]
    planned = converge(env, HEAD + created)
    assert next(c for c in planned["changes"] if c["kind"] == kind)["action"] == "create"

    planned = converge(env, HEAD + updated)
    (change,) = [c for c in planned["changes"] if c["kind"] == kind]
    assert change["action"] == "update"
    assert [f["path"] for f in change["fields"]] == [field]

    planned = converge(env, HEAD + deleted, "--allow-identity-deletion")
    assert [c["action"] for c in planned["changes"] if c["kind"] == kind] == ["delete"]


def test_pool_managed_to_standard_is_a_replace_said_out_loud(env: Env) -> None:
    converge(env, HEAD + "dedicated_ip_pools: {p: {scaling_mode: MANAGED}}\n")
    config = env.write(HEAD + "dedicated_ip_pools: {p: {scaling_mode: STANDARD}}\n")
    text = env.sesctl("plan", config).stdout
    assert (
        "± replace dedicated_ip_pool p  (scaling_mode MANAGED → STANDARD cannot change in place"
        in text
    )
    converge(env, HEAD + "dedicated_ip_pools: {p: {scaling_mode: STANDARD}}\n")
    assert (
        env.ses().get_dedicated_ip_pool(PoolName="p")["DedicatedIpPool"]["ScalingMode"]
        == "STANDARD"
    )


def test_unset_option_group_field_with_null(env: Env) -> None:
    env.verified("c.example.com")  # SES takes a tracking domain only once it is verified
    converge(
        env,
        HEAD
        + "configuration_sets: {cs: {tracking_options: {custom_redirect_domain: c.example.com}}}\n",
    )
    planned = converge(env, HEAD + "configuration_sets: {cs: {tracking_options: null}}\n")
    assert planned["changes"][0]["fields"][0]["path"] == "tracking_options"
    assert (
        "TrackingOptions" not in env.ses().get_configuration_set(ConfigurationSetName="cs")
        or not (env.ses().get_configuration_set(ConfigurationSetName="cs")["TrackingOptions"])
    )


def test_fields_the_file_leaves_out_keep_their_live_value(env: Env) -> None:
    env.ses().create_configuration_set(
        ConfigurationSetName="cs",
        DeliveryOptions={"TlsPolicy": "REQUIRE", "MaxDeliverySeconds": 900},
        Tags=[{"Key": "sesctl:stack", "Value": "s"}],
    )
    converge(
        env,
        HEAD
        + "configuration_sets:\n  cs:\n"
        + "    delivery_options: {sending_pool_name: null, tls_policy: OPTIONAL}\n",
    )
    delivery = env.ses().get_configuration_set(ConfigurationSetName="cs")["DeliveryOptions"]
    assert delivery["MaxDeliverySeconds"] == 900 and delivery["TlsPolicy"] == "OPTIONAL"


def test_unmanaged_resources_are_listed_and_never_touched(env: Env) -> None:
    env.ses().create_email_identity(EmailIdentity="legacy.example.com")
    env.ses().create_email_template(
        TemplateName="old", TemplateContent={"Subject": "x", "Text": "y"}
    )
    planned = converge(env, HEAD + "identities: {}\ntemplates: {}\n")
    assert planned["changes"] == []
    assert planned["unmanaged"] == [
        {"kind": "identity", "name": "legacy.example.com"},
        {"kind": "template", "name": "old"},
    ]
    assert env.ses().get_email_identity(EmailIdentity="legacy.example.com")


def test_absent_section_is_not_managed_at_all(env: Env) -> None:
    converge(env, HEAD + "templates: {t: {subject: a, text: b}}\n")
    planned = converge(env, HEAD)
    assert planned["changes"] == [] and planned["unmanaged"] == []
    assert env.ses().get_email_template(TemplateName="t")


def test_untagged_resource_in_the_file_is_adopted(env: Env) -> None:
    env.ses().create_email_identity(EmailIdentity="a.example.com")
    planned = converge(env, HEAD + "identities: {a.example.com: {}}\n")
    (change,) = planned["changes"]
    assert change["action"] == "update" and change["reason"] == "adopt: tag sesctl:stack=s"
    tags = env.ses().get_email_identity(EmailIdentity="a.example.com")["Tags"]
    assert {"Key": "sesctl:stack", "Value": "s"} in tags


def test_another_stacks_resource_is_refused_without_takeover(env: Env) -> None:
    env.ses().create_email_identity(
        EmailIdentity="a.example.com", Tags=[{"Key": "sesctl:stack", "Value": "other"}]
    )
    config = env.write(HEAD + "identities: {a.example.com: {}}\n")
    refused = env.sesctl("plan", config)
    assert refused.exit_code == 1
    assert "identity a.example.com belongs to stack 'other'" in refused.stderr
    taken = env.sesctl("apply", config, "--auto-approve", "--allow-takeover")
    assert taken.exit_code == 0, taken.output
    assert env.sesctl("plan", config, "--detailed-exitcode").exit_code == 0


def test_another_stacks_resources_are_not_pruned(env: Env) -> None:
    env.ses().create_email_template(
        TemplateName="theirs",
        TemplateContent={"Subject": "x", "Text": "y"},
        Tags=[{"Key": "sesctl:stack", "Value": "other"}],
    )
    planned = converge(env, HEAD + "templates: {}\n")
    assert planned["changes"] == []
    assert planned["unmanaged"] == [{"kind": "template", "name": "theirs", "owner": "other"}]


def test_tags_authoritative_when_listed(env: Env) -> None:
    converge(env, HEAD + "tags: {team: a}\ntemplates: {t: {subject: a, text: b, tags: {x: '1'}}}\n")
    planned = converge(
        env, HEAD + "tags: {team: a}\ntemplates: {t: {subject: a, text: b, tags: {}}}\n"
    )
    assert [f["path"] for f in planned["changes"][0]["fields"]] == ["tags.x"]
    tags = env.ses().get_email_template(TemplateName="t")["Tags"]
    assert sorted(t["Key"] for t in tags) == ["sesctl:stack", "team"]


def test_ownership_falls_back_to_reads_when_the_tagging_api_is_denied(env: Env) -> None:
    converge(env, HEAD + "templates: {a: {subject: a, text: a}, b: {subject: b, text: b}}\n")
    env.ses().create_email_template(TemplateName="legacy", TemplateContent={"Subject": "x"})
    env.fault("GetResources", "AccessDeniedException", 403)
    config = env.write(HEAD + "templates: {a: {subject: a, text: a}}\n")
    planned = plan_json(env, config)
    assert actions(planned) == [("delete", "template", "b")]
    assert planned["unmanaged"] == [{"kind": "template", "name": "legacy"}]


IDENTITY_ATTRIBUTES = [
    # (attribute, first value, second value, the field that moves, what SES holds after)
    (
        "dkim_signing_attributes",
        "{next_signing_key_length: RSA_1024_BIT}",
        "{next_signing_key_length: RSA_2048_BIT}",
        "dkim_signing_attributes.next_signing_key_length",
        lambda i: i["DkimAttributes"]["NextSigningKeyLength"] == "RSA_2048_BIT",
    ),
    (
        "dkim_signing_attributes",
        "{domain_signing_attributes_origin: AWS_SES}",
        "{domain_signing_attributes_origin: aws_ses_eu_west_1}",
        "dkim_signing_attributes.domain_signing_attributes_origin",
        lambda i: i["DkimAttributes"]["SigningAttributesOrigin"] == "AWS_SES_EU_WEST_1",
    ),
    (
        "dkim_signing_enabled",
        "true",
        "false",
        "dkim_signing_enabled",
        lambda i: i["DkimAttributes"]["SigningEnabled"] is False,
    ),
    (
        "mail_from_attributes",
        "{mail_from_domain: bounce.a.example.com}",
        "{mail_from_domain: bounce.a.example.com, behavior_on_mx_failure: REJECT_MESSAGE}",
        "mail_from_attributes.behavior_on_mx_failure",
        lambda i: i["MailFromAttributes"]["BehaviorOnMxFailure"] == "REJECT_MESSAGE",
    ),
    (
        "email_forwarding_enabled",
        "true",
        "false",
        "email_forwarding_enabled",
        lambda i: i["FeedbackForwardingStatus"] is False,
    ),
]


@pytest.mark.parametrize(("attribute", "first", "second", "field", "holds"), IDENTITY_ATTRIBUTES)
def test_identity_attributes_create_update_noop(
    env: Env, attribute: str, first: str, second: str, field: str, holds: object
) -> None:
    planned = converge(env, HEAD + f"identities: {{a.example.com: {{{attribute}: {first}}}}}\n")
    assert actions(planned) == [("create", "identity", "a.example.com")]
    planned = converge(env, HEAD + f"identities: {{a.example.com: {{{attribute}: {second}}}}}\n")
    assert [f["path"] for f in planned["changes"][0]["fields"]] == [field]
    assert holds(env.ses().get_email_identity(EmailIdentity="a.example.com"))  # type: ignore[operator]
    planned = converge(env, HEAD + "identities: {a.example.com: {}}\n")
    assert planned["changes"] == []


def test_mail_from_null_resets_to_the_ses_default(env: Env) -> None:
    mail_from = "{mail_from_attributes: {mail_from_domain: m.a.example.com}}"
    converge(env, HEAD + f"identities: {{a.example.com: {mail_from}}}\n")
    planned = converge(env, HEAD + "identities: {a.example.com: {mail_from_attributes: null}}\n")
    assert [f["path"] for f in planned["changes"][0]["fields"]] == ["mail_from_attributes"]
    # SES keeps MailFromAttributes with only its MX-failure behaviour once the domain is unset
    mail_from = env.ses().get_email_identity(EmailIdentity="a.example.com")["MailFromAttributes"]
    assert mail_from == {"BehaviorOnMxFailure": "USE_DEFAULT_VALUE"}


def test_dkim_signing_attributes_on_an_email_address_is_a_config_error(env: Env) -> None:
    config = env.write(HEAD + "identities:\n  a@example.com: {dkim_signing_attributes: {}}\n")
    result = env.sesctl("validate", config)
    assert result.exit_code == 1
    assert (
        f"{config}:5:19: identities.a@example.com.dkim_signing_attributes: DKIM settings belong"
        in result.stderr
    )


def test_account_update_noop_and_unlisted_fields_left_alone(env: Env) -> None:
    planned = converge(env, HEAD + "account: {sending_enabled: true}\n")
    assert planned["changes"] == []
    planned = converge(
        env,
        HEAD
        + "account:\n  sending_enabled: false\n"
        + "  suppression_attributes: {suppressed_reasons: [BOUNCE]}\n"
        + "  dedicated_ip_auto_warmup_enabled: true\n",
    )
    (change,) = planned["changes"]
    assert (change["action"], change["kind"], change["name"]) == ("update", "account", "account")
    assert [f["path"] for f in change["fields"]] == [
        "dedicated_ip_auto_warmup_enabled",
        "sending_enabled",
        "suppression_attributes.suppressed_reasons",
    ]
    planned = converge(env, HEAD + "account: {vdm_attributes: {vdm_enabled: ENABLED}}\n")
    assert [f["path"] for f in planned["changes"][0]["fields"]] == ["vdm_attributes.vdm_enabled"]
    account = env.ses().get_account()
    assert account["SendingEnabled"] is False  # no longer listed: left as it was
    assert account["SuppressionAttributes"]["SuppressedReasons"] == ["BOUNCE"]


def test_account_details_converge(env: Env) -> None:
    details = "{mail_type: marketing, website_url: 'https://a.example.com', contact_language: EN}"
    planned = converge(env, HEAD + f"account: {{details: {details}}}\n")
    assert planned["changes"][0]["after"]["details"]["mail_type"] == "MARKETING"
    planned = converge(env, HEAD + f"account: {{details: {details.replace('EN', 'JA')}}}\n")
    assert [f["path"] for f in planned["changes"][0]["fields"]] == ["details.contact_language"]
    assert env.ses().get_account()["Details"]["ContactLanguage"] == "JA"


def test_contact_list_topics_are_authoritative_when_listed(env: Env) -> None:
    topic = "{display_name: Weekly, default_subscription_status: OPT_OUT}"
    converge(
        env, HEAD + f"contact_lists: {{news: {{topics: {{weekly: {topic}, daily: {topic}}}}}}}\n"
    )
    planned = converge(env, HEAD + "contact_lists: {news: {description: d}}\n")
    assert [f["path"] for f in planned["changes"][0]["fields"]] == ["description"]
    planned = converge(env, HEAD + f"contact_lists: {{news: {{topics: {{weekly: {topic}}}}}}}\n")
    assert [f["path"] for f in planned["changes"][0]["fields"]] == ["topics.daily"]
    topics = env.ses().get_contact_list(ContactListName="news")["Topics"]
    assert [t["TopicName"] for t in topics] == ["weekly"]


def test_dedicated_ips_are_placed_and_warmed_never_created(env: Env) -> None:
    env.control("POST", "/_sesctl/dedicated-ips", {"ips": ["198.51.100.7", "198.51.100.8"]})
    pools = "dedicated_ip_pools: {a: {}, b: {}}\n"
    planned = converge(
        env, HEAD + pools + "dedicated_ips: {198.51.100.7: {pool: a, warmup_percentage: 50}}\n"
    )
    (change,) = [c for c in planned["changes"] if c["kind"] == "dedicated_ip"]
    assert change["action"] == "update"
    assert [f["path"] for f in change["fields"]] == ["pool", "warmup_percentage"]
    planned = converge(env, HEAD + pools + "dedicated_ips: {198.51.100.7: {pool: b}}\n")
    assert [f["path"] for f in planned["changes"][0]["fields"]] == ["pool"]
    ip = env.ses().get_dedicated_ip(Ip="198.51.100.7")["DedicatedIp"]
    assert (ip["PoolName"], ip["WarmupPercentage"]) == ("b", 50)
    planned = converge(env, HEAD + pools + "dedicated_ips: {}\n")
    assert planned["changes"] == []
    assert {"kind": "dedicated_ip", "name": "198.51.100.8"} in planned["unmanaged"]


def test_an_ip_the_account_does_not_lease_is_an_error(env: Env) -> None:
    config = env.write(HEAD + "dedicated_ips: {203.0.113.9: {warmup_percentage: 100}}\n")
    result = env.sesctl("plan", config)
    assert result.exit_code == 1
    assert "dedicated_ips: 203.0.113.9 is not an IP this account leases" in result.stderr


def test_suppressions_create_update_and_never_prune_by_default(env: Env) -> None:
    env.control("POST", "/_sesctl/suppressions", {"entries": {"ses-added@example.com": "BOUNCE"}})
    planned = converge(env, HEAD + "suppressions: {addresses: {a@example.com: BOUNCE}}\n")
    assert actions(planned) == [("create", "suppression", "a@example.com")]
    planned = converge(env, HEAD + "suppressions: {addresses: {a@example.com: complaint}}\n")
    assert [(f["path"], f["before"], f["after"]) for f in planned["changes"][0]["fields"]] == [
        ("reason", "BOUNCE", "COMPLAINT")
    ]
    planned = converge(env, HEAD + "suppressions: {addresses: {}}\n")
    assert planned["changes"] == []
    listed = env.ses().list_suppressed_destinations()["SuppressedDestinationSummaries"]
    assert sorted(s["EmailAddress"] for s in listed) == ["a@example.com", "ses-added@example.com"]


def test_suppressions_prune_streams_the_list_and_deletes_unlisted(env: Env) -> None:
    entries = {f"user{i:04}@example.com": "BOUNCE" for i in range(2500)}
    env.control("POST", "/_sesctl/suppressions", {"entries": entries})
    env.reset_calls()
    planned = converge(
        env,
        HEAD + "suppressions:\n  prune: true\n  addresses: {user0007@example.com: BOUNCE}\n",
        "--force",  # past the guard: more than 100 entries pruned
    )
    assert len(planned["changes"]) == 2499
    assert {c["action"] for c in planned["changes"]} == {"delete"}
    assert env.calls()["ListSuppressedDestinations"] >= 3  # page by page, 1,000 at a time
    listed = env.ses().list_suppressed_destinations()["SuppressedDestinationSummaries"]
    assert [s["EmailAddress"] for s in listed] == ["user0007@example.com"]
