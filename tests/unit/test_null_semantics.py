"""Every optional field of the file has a decided null: refused with file:line, or an unset."""

from __future__ import annotations

import copy
import re
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

import jsonschema
import pytest
import yaml
from pydantic import BaseModel

from reconciler.config import load
from reconciler.errors import ConfigError
from reconciler.models import Config
from reconciler.schema import config_schema
from tests.keys import byodkim_key

REFUSED, CONVERGES = "refused", "converges"

# Every field the file may leave out (default None), and what an explicit null there does.
# "refused": config.py stops at the null with file:line:column; "converges": null is an unset
# that apply writes and the next plan shows as no change.
NULLS: dict[str, str] = {
    # The region and the top-level sections: null is the same as leaving the key out.
    "region": CONVERGES,
    "account": CONVERGES,
    "identities": CONVERGES,
    "configuration_sets": CONVERGES,
    "templates": CONVERGES,
    "custom_verification_email_templates": CONVERGES,
    "dedicated_ip_pools": CONVERGES,
    "dedicated_ips": CONVERGES,
    "contact_lists": CONVERGES,
    "suppressions": CONVERGES,
    # Account: each Put…Attributes writes false, DISABLED or an empty list when the member is
    # missing, VDM details exist only while VDM is on, and account details cannot be deleted.
    "account.sending_enabled": REFUSED,
    "account.suppression_attributes": REFUSED,
    "account.vdm_attributes": REFUSED,
    "account.vdm_attributes.vdm_enabled": REFUSED,
    "account.vdm_attributes.dashboard_attributes": REFUSED,
    "account.vdm_attributes.dashboard_attributes.engagement_metrics": REFUSED,
    "account.vdm_attributes.guardian_attributes": REFUSED,
    "account.vdm_attributes.guardian_attributes.optimized_shared_delivery": REFUSED,
    "account.dedicated_ip_auto_warmup_enabled": REFUSED,
    "account.details": REFUSED,
    # Account details' optional members: PutAccountDetails without them leaves them unset.
    "account.details.use_case_description": CONVERGES,
    "account.details.contact_language": CONVERGES,
    "account.details.additional_contact_email_addresses": CONVERGES,
    # Identity DKIM: SES always has signing attributes (a Put without a key length or origin
    # writes its defaults) and DKIM signing is on or off; BYODKIM needs selector and key both.
    "identities.*.dkim_signing_attributes": REFUSED,
    "identities.*.dkim_signing_attributes.next_signing_key_length": REFUSED,
    "identities.*.dkim_signing_attributes.domain_signing_attributes_origin": REFUSED,
    "identities.*.dkim_signing_attributes.domain_signing_selector": REFUSED,
    "identities.*.dkim_signing_attributes.domain_signing_private_key": REFUSED,
    "identities.*.dkim_signing_enabled": REFUSED,
    # MAIL FROM: a Put without a domain goes back to SES's own; the MX-failure behaviour has a
    # server default. Feedback forwarding is a boolean SES always holds.
    "identities.*.mail_from_attributes": CONVERGES,
    "identities.*.mail_from_attributes.behavior_on_mx_failure": REFUSED,
    "identities.*.email_forwarding_enabled": REFUSED,
    # The default configuration set, policies (null: none) and tags/protection: true unsets.
    "identities.*.configuration_set_name": CONVERGES,
    "identities.*.policies": CONVERGES,
    "identities.*.protect": CONVERGES,
    "identities.*.tags": CONVERGES,
    # Configuration sets: delivery, reputation and sending groups hold an enum with a server
    # default or a boolean, so neither the group nor those members can be unset; the pool and
    # the delivery time limit can. Suppression, tracking, VDM and archiving options are
    # removed by a Put without their key member, so null (group or key member) converges.
    "configuration_sets.*.delivery_options": REFUSED,
    "configuration_sets.*.delivery_options.tls_policy": REFUSED,
    "configuration_sets.*.delivery_options.sending_pool_name": CONVERGES,
    "configuration_sets.*.delivery_options.max_delivery_seconds": CONVERGES,
    "configuration_sets.*.reputation_options": REFUSED,
    "configuration_sets.*.reputation_options.reputation_metrics_enabled": REFUSED,
    "configuration_sets.*.sending_options": REFUSED,
    "configuration_sets.*.sending_options.sending_enabled": REFUSED,
    "configuration_sets.*.suppression_options": CONVERGES,
    "configuration_sets.*.suppression_options.suppressed_reasons": CONVERGES,
    "configuration_sets.*.tracking_options": CONVERGES,
    "configuration_sets.*.tracking_options.custom_redirect_domain": CONVERGES,
    "configuration_sets.*.tracking_options.https_policy": REFUSED,
    "configuration_sets.*.vdm_options": CONVERGES,
    "configuration_sets.*.vdm_options.dashboard_options": CONVERGES,
    "configuration_sets.*.vdm_options.dashboard_options.engagement_metrics": REFUSED,
    "configuration_sets.*.vdm_options.guardian_options": CONVERGES,
    "configuration_sets.*.vdm_options.guardian_options.optimized_shared_delivery": REFUSED,
    "configuration_sets.*.archiving_options": CONVERGES,
    "configuration_sets.*.archiving_options.archive_arn": CONVERGES,
    "configuration_sets.*.protect": CONVERGES,
    "configuration_sets.*.tags": CONVERGES,
    # Event destinations (null: none); a destination's type is replaced whole by another one.
    "configuration_sets.*.event_destinations": CONVERGES,
    "configuration_sets.*.event_destinations.*.sns_destination": CONVERGES,
    "configuration_sets.*.event_destinations.*.cloud_watch_destination": CONVERGES,
    "configuration_sets.*.event_destinations.*.kinesis_firehose_destination": CONVERGES,
    "configuration_sets.*.event_destinations.*.event_bridge_destination": CONVERGES,
    "configuration_sets.*.event_destinations.*.pinpoint_destination": CONVERGES,
    # Templates: UpdateEmailTemplate replaces the content whole, so a null part is unset (a
    # subject and a body stay required); test_data never reaches SES.
    "templates.*.subject": CONVERGES,
    "templates.*.subject_file": CONVERGES,
    "templates.*.html": CONVERGES,
    "templates.*.html_file": CONVERGES,
    "templates.*.text": CONVERGES,
    "templates.*.text_file": CONVERGES,
    "templates.*.test_data": CONVERGES,
    "templates.*.protect": CONVERGES,
    "templates.*.tags": CONVERGES,
    # Custom verification email templates: Create and Update take every member, so none can
    # be unset; the content has two spellings, and null on one only picks the other.
    "custom_verification_email_templates.*.template_content": CONVERGES,
    "custom_verification_email_templates.*.template_content_file": CONVERGES,
    "custom_verification_email_templates.*.protect": CONVERGES,
    "custom_verification_email_templates.*.tags": CONVERGES,
    "dedicated_ip_pools.*.protect": CONVERGES,
    "dedicated_ip_pools.*.tags": CONVERGES,
    # A leased IP is always in some pool and always has a warm-up percentage.
    "dedicated_ips.*.pool": REFUSED,
    "dedicated_ips.*.warmup_percentage": REFUSED,
    # Contact lists: UpdateContactList writes description and topics whole; null topics: none.
    "contact_lists.*.description": CONVERGES,
    "contact_lists.*.topics": CONVERGES,
    "contact_lists.*.topics.*.description": CONVERGES,
    "contact_lists.*.protect": CONVERGES,
    "contact_lists.*.tags": CONVERGES,
    # Contacts: null would not say whether to manage them; SES has no "unset" of
    # UnsubscribeAll (an update without it writes false); null preferences: none explicit.
    "contact_lists.*.contacts": REFUSED,
    "contact_lists.*.contacts.addresses.*.unsubscribe_all": REFUSED,
    "contact_lists.*.contacts.addresses.*.topic_preferences": CONVERGES,
}

# Refused paths whose null another validator stops (not NotNull): the message it gives.
OTHER_REFUSALS = {
    "identities.*.dkim_signing_attributes.domain_signing_selector": (
        "identities.example.com.dkim_signing_attributes: BYODKIM needs both "
        "domain_signing_selector and domain_signing_private_key"
    ),
    "identities.*.dkim_signing_attributes.domain_signing_private_key": (
        "identities.example.com.dkim_signing_attributes: BYODKIM needs both "
        "domain_signing_selector and domain_signing_private_key"
    ),
}

# The entry name used for `*` under each mapping.
NAMES = {
    "identities": "example.com",
    "configuration_sets": "cs",
    "event_destinations": "d",
    "templates": "t",
    "custom_verification_email_templates": "welcome",
    "dedicated_ip_pools": "p",
    "dedicated_ips": "198.51.100.7",
    "contact_lists": "news",
    "topics": "weekly",
    "addresses": "a@example.com",
}
# What a mapping on the way to the null needs to be valid on its own.
REQUIRED: dict[str, dict[str, Any]] = {
    "": {"version": 1, "stack": "s"},
    "identities.*.mail_from_attributes": {"mail_from_domain": "m.example.com"},
    "configuration_sets.*.event_destinations.*": {
        "matching_event_types": ["SEND"],
        "sns_destination": {"topic_arn": "arn:aws:sns:us-east-1:123456789012:t"},
    },
    "templates.*": {"subject": "Hi", "text": "Hello"},
    "custom_verification_email_templates.*": {
        "from_email_address": "verify@example.com",
        "template_subject": "Confirm",
        "template_content": "<p>Hello</p>",
        "success_redirection_url": "https://example.com/ok",
        "failure_redirection_url": "https://example.com/failed",
    },
    "contact_lists.*.topics.*": {
        "display_name": "Weekly",
        "default_subscription_status": "OPT_OUT",
    },
    "account.vdm_attributes": {"vdm_enabled": "ENABLED"},
    "account.details": {"mail_type": "MARKETING", "website_url": "https://example.com"},
}
# What the null's own mapping needs beside it, when the null takes the place of a required
# member (the other spelling of a template part, another destination type, the BYODKIM pair).
SIBLINGS: dict[str, dict[str, Any]] = {
    "templates.*.subject": {"subject_file": "subject.txt"},
    "templates.*.text": {"html": "<p>Hello</p>"},
    "custom_verification_email_templates.*.template_content": {
        "template_content_file": "subject.txt"
    },
    "configuration_sets.*.event_destinations.*.sns_destination": {
        "event_bridge_destination": {
            "event_bus_arn": "arn:aws:events:us-east-1:123456789012:event-bus/default"
        }
    },
    "identities.*.dkim_signing_attributes.domain_signing_selector": {
        "domain_signing_private_key": byodkim_key()
    },
    "identities.*.dkim_signing_attributes.domain_signing_private_key": {
        "domain_signing_selector": "sel1"
    },
}


def _models(annotation: Any, suffix: str = "") -> Iterator[tuple[str, type[BaseModel]]]:
    """The models inside an annotation, each with the path suffix that reaches it."""
    origin = get_origin(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield suffix, annotation
    elif origin is Annotated:
        yield from _models(get_args(annotation)[0], suffix)
    elif origin is dict:
        yield from _models(get_args(annotation)[1], f"{suffix}.*")
    elif origin is list:  # no list of models has an optional field today
        yield from _models(get_args(annotation)[0], f"{suffix}[]")
    elif origin in (Union, types.UnionType):
        for arg in get_args(annotation):
            yield from _models(arg, suffix)


def optional_paths(model: type[BaseModel] = Config, prefix: str = "") -> Iterator[str]:
    """Dotted paths of every field whose default is None, through nested models."""
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        if not info.is_required() and info.default is None:
            yield path
        for suffix, inner in _models(info.annotation):
            yield from optional_paths(inner, f"{path}{suffix}.")


PATHS = sorted(optional_paths())


def concrete(path: str) -> list[str]:
    """The path with each `*` replaced by the entry name used for it."""
    parts = path.split(".")
    return [NAMES[parts[i - 1]] if part == "*" else part for i, part in enumerate(parts)]


def build(path: str, null: bool = True) -> dict[str, Any]:
    """The smallest valid config holding `path` as null (or leaving it out: `null=False`)."""
    config: dict[str, Any] = copy.deepcopy(REQUIRED[""])
    node, parts = config, path.split(".")
    for i, key in enumerate(concrete(path)[:-1]):
        node = node.setdefault(key, {})
        node.update(copy.deepcopy(REQUIRED.get(".".join(parts[: i + 1]), {})))
    node.update(copy.deepcopy(SIBLINGS.get(path, {})))
    if null:
        node[parts[-1]] = None
    else:
        node.pop(parts[-1], None)
    return config


def write(tmp_path: Path, config: dict[str, Any]) -> Path:
    """The config as block YAML (one key a line), beside the subject file it may name."""
    (tmp_path / "subject.txt").write_text("Hi")
    file = tmp_path / "sesctl.yaml"
    file.write_text(yaml.safe_dump(config, sort_keys=False, default_flow_style=False))
    return file


def null_position(file: Path) -> str:
    """`file:line:column` of the only null in the file."""
    lines = file.read_text().splitlines()
    (line,) = [n for n, text in enumerate(lines, 1) if text.endswith(": null")]
    return f"{file}:{line}:{lines[line - 1].index(': null') + 3}"


def classify(tmp_path: Path, path: str) -> tuple[str, str]:
    """("refused", the error) or ("converges", "") for an explicit null at `path`."""
    try:
        load(write(tmp_path, build(path)))
    except ConfigError as exc:
        return REFUSED, exc.message
    return CONVERGES, ""


def test_walk_finds_nested_and_keyed_fields() -> None:
    """The walk reaches through `X | None`, `dict[str, Model]` and nested models alike."""
    assert "configuration_sets.*.delivery_options.tls_policy" in PATHS
    assert "identities.*.mail_from_attributes.behavior_on_mx_failure" in PATHS
    assert "account.vdm_attributes.dashboard_attributes" in PATHS
    assert "contact_lists.*.topics.*.description" in PATHS
    assert "region" in PATHS and "version" not in PATHS and "guards" not in PATHS


def test_every_optional_field_has_a_decided_null_meaning() -> None:
    """A new optional field fails here until NULLS says what its null does."""
    assert sorted(NULLS) == PATHS
    assert set(OTHER_REFUSALS) <= {p for p, c in NULLS.items() if c == REFUSED}


def test_null_classification_matches_the_table(tmp_path: Path) -> None:
    """What the loader does with each null today is what NULLS decided."""
    found = {path: classify(tmp_path, path)[0] for path in PATHS}
    assert found == NULLS


@pytest.mark.parametrize("path", [p for p, c in NULLS.items() if c == REFUSED])
def test_refused_null_points_at_the_null(tmp_path: Path, path: str) -> None:
    """The refusal names where the null is written and why, so the user can fix that line."""
    outcome, message = classify(tmp_path, path)
    assert outcome == REFUSED
    if path in OTHER_REFUSALS:
        assert re.match(rf"{re.escape(str(tmp_path))}/sesctl.yaml:\d+:\d+: ", message), message
        assert OTHER_REFUSALS[path] in message
        return
    where = null_position(tmp_path / "sesctl.yaml")
    assert message.startswith(
        f"{where}: {'.'.join(concrete(path))}: null is not allowed here: SES cannot unset it; "
    ), message
    assert message.count("\n") == 0, message


@pytest.mark.parametrize("path", [p for p in PATHS if p not in OTHER_REFUSALS])
def test_surroundings_are_valid_without_the_null(tmp_path: Path, path: str) -> None:
    """The table of surroundings is right: with the key left out, the file loads."""
    load(write(tmp_path, build(path, null=False)))


@pytest.mark.parametrize("path", [p for p, c in NULLS.items() if c == CONVERGES])
def test_allowed_null_is_kept_apart_from_a_left_out_key(tmp_path: Path, path: str) -> None:
    """An allowed null reaches the model as a field set to null, which means "must be unset"."""
    node: Any = load(write(tmp_path, build(path))).model
    *parents, leaf = path.split(".")
    for part in parents:
        node = node[next(iter(node))] if part == "*" else getattr(node, part)
    assert leaf in node.model_fields_set


def test_the_schema_gives_editors_the_same_verdict() -> None:
    """The JSON Schema refuses exactly the nulls NotNull refuses (it cannot see BYODKIM pairs)."""
    validator = jsonschema.Draft202012Validator(config_schema())
    verdicts = {
        path: CONVERGES if validator.is_valid(build(path)) else REFUSED
        for path in PATHS
        if path not in OTHER_REFUSALS
    }
    assert verdicts == {p: c for p, c in NULLS.items() if p not in OTHER_REFUSALS}
