"""The guards judge a plan value alone: thresholds, what counts, and which flag allows what."""

from __future__ import annotations

from reconciler.guards import ALLOW_IDENTITY_DELETION, FORCE, judge
from reconciler.plan import PROTECT_TAG, STACK_TAG, Change, FieldChange, Limits, Plan


def deletes(kind: str, count: int) -> list[Change]:
    return [Change("delete", kind, f"{kind}{i}", before={"tags": {}}) for i in range(count)]


def plan(changes: list[Change], existing: dict[str, int], **limits: float) -> Plan:
    return Plan("s", "us-east-1", changes, existing=existing, limits=Limits(**limits))


def test_share_guard_trips_only_past_the_threshold_and_from_min_existing() -> None:
    assert judge(plan(deletes("template", 3), {"template": 10})).refusals == []
    (refusal,) = judge(plan(deletes("template", 4), {"template": 10})).refusals
    assert (refusal.guard, refusal.flag, len(refusal.addresses)) == ("too many deletes", FORCE, 4)
    assert judge(plan(deletes("template", 9), {"template": 9})).refusals == []
    assert judge(plan(deletes("template", 4), {"template": 10}, min_existing=11)).refusals == []
    assert (
        judge(plan(deletes("template", 4), {"template": 10}, max_delete_percent=40)).refusals == []
    )


def test_replaces_count_as_deletes_and_adoptions_are_not_updates() -> None:
    replaces = [Change("replace", "dedicated_ip_pool", f"p{i}", before={}) for i in range(4)]
    assert judge(plan(replaces, {"dedicated_ip_pool": 10})).refusals[0].guard == "too many deletes"
    adopt = [FieldChange(("tags", STACK_TAG), None, "s")]
    adoptions = [Change("update", "template", f"t{i}", fields=adopt) for i in range(10)]
    assert judge(plan(adoptions, {"template": 10})).refusals == []
    real = [FieldChange(("subject",), "a", "b")]
    updates = [Change("update", "template", f"t{i}", fields=real) for i in range(4)]
    assert judge(plan(updates, {"template": 10})).refusals[0].guard == "too many updates"


def test_protection_is_read_from_the_live_tags_and_no_flag_allows_it() -> None:
    protected = Change("replace", "dedicated_ip_pool", "p", before={"tags": {PROTECT_TAG: "true"}})
    verdict = judge(plan([protected], {}), frozenset({FORCE, ALLOW_IDENTITY_DELETION}))
    (refusal,) = verdict.blocking
    assert refusal.guard == "protected" and "would be replaced" in refusal.message
    assert verdict.marks() == {"dedicated_ip_pool p": "refused: protected"}


def test_identity_deletion_lists_a_few_names_and_its_flag_allows_it() -> None:
    verdict = judge(plan(deletes("identity", 5), {}))
    (refusal,) = verdict.blocking
    assert "identity0, identity1, identity2 and 2 more" in refusal.message
    assert (
        judge(plan(deletes("identity", 5), {}), frozenset({ALLOW_IDENTITY_DELETION})).blocking == []
    )


def test_suppression_prune_guard_counts_entries_not_shares() -> None:
    assert judge(plan(deletes("suppression", 100), {})).refusals == []
    (refusal,) = judge(plan(deletes("suppression", 101), {})).refusals
    assert refusal.flag == FORCE
    assert judge(plan(deletes("suppression", 101), {}, max_suppressions_pruned=200)).refusals == []
