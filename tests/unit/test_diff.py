"""The pure diff: each kind's create / update / delete / no-op, without any endpoint."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.errors import SesctlError
from reconciler.models import ConfigurationSet, DedicatedIpPool, Identity, Suppressions, Template
from reconciler.resources.base import Context, field_changes, overlay
from reconciler.resources.configuration_sets import ConfigurationSets
from reconciler.resources.dedicated_ip_pools import DedicatedIpPools
from reconciler.resources.identities import Identities
from reconciler.resources.suppressions import SuppressionList
from reconciler.resources.templates import Templates

CTX = Context(stack="s", tags={"team": "platform"})
OWN = {"sesctl:stack": "s", "team": "platform"}


def cset(**data: object) -> ConfigurationSet:
    return ConfigurationSet.model_validate(data)


def live_set(**groups: object) -> dict:
    state = dict.fromkeys(
        (
            "delivery_options",
            "reputation_options",
            "sending_options",
            "suppression_options",
            "tracking_options",
            "vdm_options",
            "archiving_options",
        )
    )
    state.update(groups)
    return {**state, "tags": dict(OWN), "event_destinations": {}}


def test_configuration_set_create_carries_groups_tags_and_destinations() -> None:
    model = cset(
        delivery_options={"tls_policy": "require"},
        event_destinations={
            "b": {"matching_event_types": ["bounce"], "sns_destination": {"topic_arn": "t"}}
        },
    )
    changes = ConfigurationSets().diff("cs", model, None, CTX)
    assert [(c.action, c.kind, c.name) for c in changes] == [
        ("create", "configuration_set", "cs"),
        ("create", "event_destination", "cs/b"),
    ]
    assert changes[0].after["delivery_options"] == {"tls_policy": "REQUIRE"}
    assert changes[0].after["tags"] == OWN
    assert changes[1].after == {
        "enabled": True,
        "matching_event_types": ["BOUNCE"],
        "sns_destination": {"topic_arn": "t"},
    }


def test_configuration_set_update_is_read_modify_write() -> None:
    live = live_set(delivery_options={"tls_policy": "OPTIONAL", "max_delivery_seconds": 900})
    changes = ConfigurationSets().diff(
        "cs", cset(delivery_options={"tls_policy": "REQUIRE"}), live, CTX
    )
    assert len(changes) == 1
    (field,) = changes[0].fields
    assert field.dotted == "delivery_options.tls_policy"
    assert (field.before, field.after) == ("OPTIONAL", "REQUIRE")
    assert changes[0].after["delivery_options"]["max_delivery_seconds"] == 900


def test_configuration_set_null_unsets_and_absent_is_unmanaged() -> None:
    live = live_set(tracking_options={"custom_redirect_domain": "c.example.com"})
    assert ConfigurationSets().diff("cs", cset(), live, CTX) == []
    (change,) = ConfigurationSets().diff("cs", cset(tracking_options=None), live, CTX)
    assert change.fields[0].dotted == "tracking_options"
    assert change.after["tracking_options"] is None


def test_suppressed_reasons_compare_as_sets_and_empty_differs_from_null() -> None:
    live = live_set(suppression_options={"suppressed_reasons": ["BOUNCE", "COMPLAINT"]})
    same = cset(suppression_options={"suppressed_reasons": ["complaint", "bounce"]})
    assert ConfigurationSets().diff("cs", same, live, CTX) == []
    (change,) = ConfigurationSets().diff(
        "cs", cset(suppression_options={"suppressed_reasons": []}), live, CTX
    )
    assert change.fields[0].after == []


def test_event_destinations_authoritative_only_when_listed() -> None:
    live = live_set()
    live["event_destinations"] = {
        "old": {
            "enabled": True,
            "matching_event_types": ["SEND"],
            "sns_destination": {"topic_arn": "t"},
        }
    }
    assert ConfigurationSets().diff("cs", cset(), live, CTX) == []
    (change,) = ConfigurationSets().diff("cs", cset(event_destinations={}), live, CTX)
    assert (change.action, change.name) == ("delete", "cs/old")


def test_event_destination_update_names_the_field() -> None:
    live = live_set()
    live["event_destinations"] = {
        "d": {
            "enabled": True,
            "matching_event_types": ["SEND"],
            "sns_destination": {"topic_arn": "t"},
        }
    }
    model = cset(
        event_destinations={
            "d": {"matching_event_types": ["SEND", "BOUNCE"], "sns_destination": {"topic_arn": "t"}}
        }
    )
    (change,) = ConfigurationSets().diff("cs", model, live, CTX)
    assert change.action == "update" and change.name == "cs/d"
    assert [f.dotted for f in change.fields] == ["matching_event_types"]


def test_tags_global_merge_versus_authoritative() -> None:
    live = {"configuration_set_name": None, "tags": {**OWN, "extra": "1"}, "policies": {}}
    assert Identities().diff("a.com", Identity(), live, CTX) == []
    (change,) = Identities().diff("a.com", Identity(tags={}), live, CTX)
    assert change.after["tags"] == OWN
    assert [f.dotted for f in change.fields] == ["tags.extra"]


def test_untagged_live_resource_is_adopted_and_other_stack_refused() -> None:
    live = {"configuration_set_name": None, "tags": {}, "policies": {}}
    (change,) = Identities().diff("a.com", Identity(), live, CTX)
    assert change.action == "update" and change.reason.startswith("adopt")
    other = {**live, "tags": {"sesctl:stack": "other"}}
    with pytest.raises(SesctlError, match="belongs to stack 'other'"):
        Identities().diff("a.com", Identity(), other, CTX)
    taken = Identities().diff("a.com", Identity(), other, Context("s", {}, allow_takeover=True))
    assert taken[0].reason == "takeover from stack other"


def test_identity_policies_compare_semantically() -> None:
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["ses:SendEmail"]}]}
    live = {
        "configuration_set_name": None,
        "tags": dict(OWN),
        "policies": {
            "p": {
                "Statement": [{"Action": ["ses:SendEmail"], "Effect": "Allow"}],
                "Version": "2012-10-17",
            }
        },
    }
    same = Identity(
        policies={
            "p": {
                "Version": "2012-10-17",
                "Statement": {"Effect": "Allow", "Action": "ses:SendEmail"},
            }
        }
    )
    assert Identities().diff("a.com", same, live, CTX) == []
    (change,) = Identities().diff("a.com", Identity(policies={}), live, CTX)
    assert (change.action, change.kind, change.name) == ("delete", "identity_policy", "a.com/p")
    (change,) = Identities().diff(
        "a.com", Identity(policies={"q": doc}), live | {"policies": {}}, CTX
    )
    assert (change.action, change.name) == ("create", "a.com/q")


def test_identity_configuration_set_unset_and_delete() -> None:
    live = {"configuration_set_name": "cs", "tags": dict(OWN), "policies": {}}
    (change,) = Identities().diff("a.com", Identity(configuration_set_name=None), live, CTX)
    assert change.fields[0].after is None
    (change,) = Identities().diff("a.com", None, live, CTX)
    assert change.action == "delete"
    assert Identities().diff("a.com", None, None, CTX) == []


def test_template_parts_are_managed_together() -> None:
    live = {"subject": "Hi", "html": "<p>x</p>", "text": "x", "tags": dict(OWN)}
    model = Template(subject="Hi", text="x")
    (change,) = Templates().diff("t", model, live, CTX)
    assert [f.dotted for f in change.fields] == ["html"]
    assert Templates().diff("t", Template(subject="Hi", html="<p>x</p>", text="x"), live, CTX) == []


def test_pool_standard_to_managed_updates_and_back_replaces() -> None:
    live = {"scaling_mode": "STANDARD", "tags": dict(OWN)}
    (change,) = DedicatedIpPools().diff("p", DedicatedIpPool(scaling_mode="MANAGED"), live, CTX)
    assert change.action == "update"
    live = {"scaling_mode": "MANAGED", "tags": dict(OWN)}
    (change,) = DedicatedIpPools().diff("p", DedicatedIpPool(scaling_mode="STANDARD"), live, CTX)
    assert change.action == "replace" and "cannot change in place" in change.reason
    assert DedicatedIpPools().diff("p", DedicatedIpPool(scaling_mode="MANAGED"), live, CTX) == []


leaf = st.one_of(
    st.none(), st.booleans(), st.sampled_from(["x", "y"]), st.lists(st.integers(0, 2), max_size=2)
)
keys = st.sampled_from(["a", "b", "c"])
tree = st.recursive(leaf, lambda inner: st.dictionaries(keys, inner, max_size=3), max_leaves=6)
mapping = st.dictionaries(keys, tree, max_size=3)


@given(live=mapping, desired=mapping)
def test_overlay_converges(live: dict, desired: dict) -> None:
    """After apply leaves overlay(live, desired), planning again finds nothing to change."""
    after = overlay(live, desired)
    assert field_changes(after, overlay(after, desired)) == []


@given(state=mapping)
def test_a_state_never_differs_from_itself(state: dict) -> None:
    assert field_changes(state, state) == []


nothing = st.recursive(
    st.sampled_from([None, ""]),
    lambda inner: st.dictionaries(keys, inner, max_size=3),
    max_leaves=5,
)


@given(state=mapping, nothing=nothing, key=keys)
def test_absent_null_empty_string_and_a_group_of_nothing_are_the_same(
    state: dict, nothing: object, key: str
) -> None:
    """SES may leave a member out or answer "" or a group of unset members: no change."""
    without = {k: v for k, v in state.items() if k != key}
    assert field_changes(without, {**without, key: nothing}) == []
    assert field_changes({**without, key: nothing}, without) == []


def test_an_empty_list_is_not_nothing() -> None:
    """`suppressed_reasons: []` (suppress nothing) differs from no override at all."""
    assert field_changes({"r": None}, {"r": []}) != []


def test_a_tracking_domain_waits_for_its_identity_to_be_verified() -> None:
    model = cset(tracking_options={"custom_redirect_domain": "c.example.com"})
    (created,) = ConfigurationSets().diff("cs", model, None, CTX)
    assert created.action == "create" and not created.waiting
    assert "identity c.example.com" in created.held["tracking_options"]
    (updated,) = ConfigurationSets().diff("cs", model, live_set(), CTX)
    assert updated.waiting
    verified = Context(stack="s", tags={"team": "platform"}, verified=frozenset({"c.example.com"}))
    (ready,) = ConfigurationSets().diff("cs", model, live_set(), verified)
    assert not ready.held and not ready.waiting


def test_the_suppression_list_diffs_without_an_endpoint() -> None:
    """Create, update, leave alone, and prune only when asked: a pure function of the file's
    section and the live entries, however they were read."""
    live = [
        ("kept@example.com", "BOUNCE"),
        ("moved@example.com", "BOUNCE"),
        ("ses@x.com", "BOUNCE"),
    ]
    wanted = {"kept@example.com": "BOUNCE", "moved@example.com": "COMPLAINT", "new@x.com": "BOUNCE"}
    kind = SuppressionList()
    kept = kind.diff_section(Suppressions(addresses=wanted), iter(live))
    assert [(c.action, c.name) for c in kept] == [
        ("update", "moved@example.com"),
        ("create", "new@x.com"),
    ]
    pruned = kind.diff_section(Suppressions(prune=True, addresses=wanted), iter(live))
    assert ("delete", "ses@x.com") in [(c.action, c.name) for c in pruned]
    assert kind.diff_section(Suppressions(addresses={}), iter(live)) == []


def test_a_tag_equal_to_a_set_name_is_no_dependency() -> None:
    """Apply orders by what a change names (its kind's references), not by any string in it."""
    from reconciler.apply import _prerequisites
    from reconciler.plan import Change

    changes = [
        Change("create", "configuration_set", "cs"),
        Change("create", "template", "t", after={"tags": {"owner": "cs"}}),
        Change("create", "identity", "a.example.com", after={"configuration_set_name": "cs"}),
    ]
    assert _prerequisites(changes) == [set(), set(), {0}]
