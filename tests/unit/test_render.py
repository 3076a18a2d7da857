"""Rendering a plan: text for people, markdown for pull requests, JSON for machines."""

from __future__ import annotations

import json

import jsonschema

from reconciler import render
from reconciler.plan import Change, FieldChange, Plan, Unmanaged
from reconciler.schema import plan_schema


def sample() -> Plan:
    return Plan(
        "s",
        "us-east-1",
        changes=[
            Change("delete", "template", "old", before={"subject": "x"}),
            Change(
                "update",
                "configuration_set",
                "cs",
                before={"delivery_options": {"tls_policy": "OPTIONAL"}},
                after={"delivery_options": {"tls_policy": "REQUIRE"}},
                fields=[FieldChange(("delivery_options", "tls_policy"), "OPTIONAL", "REQUIRE")],
            ),
            Change(
                "create",
                "dedicated_ip_pool",
                "p",
                after={"scaling_mode": "STANDARD", "tags": {"a": "b"}},
            ),
        ],
        unmanaged=[Unmanaged("identity", "legacy.example.com")],
    )


def test_text_plan_in_apply_order_with_summary() -> None:
    text = render.text(sample())
    assert text.splitlines()[2:5] == [
        "  + create  dedicated_ip_pool p",
        '        scaling_mode: "STANDARD"',
        '        tags: {"a": "b"}',
    ]
    assert '        delivery_options.tls_policy: "OPTIONAL" → "REQUIRE"' in text
    assert text.index("update  configuration_set cs") < text.index("delete  template old")
    assert "Unmanaged (seen, never touched):\n  identity legacy.example.com" in text
    assert text.endswith("Plan: 1 to create, 1 to update, 1 to delete, 0 to replace.\n")
    assert "\x1b[" not in text
    assert "\x1b[" in render.text(sample(), colour=True)


def test_long_text_fields_show_as_a_line_diff() -> None:
    before, after = "line one\nline two\nline three", "line one\nline 2\nline three"
    change = Change(
        "update",
        "template",
        "t",
        {"html": before},
        {"html": after},
        [FieldChange(("html",), before, after)],
    )
    assert render.field_lines(change) == [
        "html:",
        "  @@ -1,3 +1,3 @@",
        "   line one",
        "  -line two",
        "  +line 2",
        "   line three",
    ]


def test_json_plan_is_valid_against_its_schema() -> None:
    document = json.loads(render.as_json(sample()))
    jsonschema.validate(document, plan_schema())
    assert [c["action"] for c in document["changes"]] == ["create", "update", "delete"]
    assert document["summary"] == {"create": 1, "update": 1, "delete": 1, "replace": 0}


def test_markdown_keeps_the_summary_and_stays_under_the_cap() -> None:
    changes = [
        Change("create", "template", f"t{i:05}", after={"subject": "s" * 40, "text": "x" * 80})
        for i in range(5000)
    ]
    plan = Plan("big", "us-east-1", changes=changes)
    text = render.markdown(plan)
    assert len(text) <= render.MARKDOWN_LIMIT
    assert text.startswith("<!-- sesctl-plan:big -->\n")
    assert "| template | 5000 | 0 | 0 | 0 |" in text
    assert "**Plan: 5000 to create, 0 to update, 0 to delete, 0 to replace.**" in text
    assert text.rstrip().endswith("`sesctl plan` shows them all._")


def test_markdown_of_5000_guarded_changes_keeps_summary_and_guards_under_the_cap() -> None:
    changes = [
        Change("delete", "identity", f"host{i:05}.example.com", before={"tags": {}})
        for i in range(2500)
    ] + [Change("delete", "template", f"t{i:05}", before={"subject": "s"}) for i in range(2500)]
    plan = Plan("big", "us-east-1", changes=changes, existing={"identity": 3000, "template": 2600})
    text = render.markdown(plan)
    assert len(text) <= render.MARKDOWN_LIMIT
    assert "| identity | 0 | 0 | 2500 | 0 |" in text and "| template | 0 | 0 | 2500 | 0 |" in text
    assert "> **Safety guards** — apply would be refused (exit 3):" in text
    assert "deleting identity host00000.example.com, host00001.example.com, " in text
    assert "2500 of 2600 template resources would be deleted (96% &gt; 30%" in text
    assert "<code>template t00000</code> — <b>refused: too many deletes</b></summary>" in text


def test_markdown_for_no_changes() -> None:
    assert "**No changes.**" in render.markdown(Plan("s", "us-east-1"))


def test_a_change_that_waits_whole_says_so_in_every_format() -> None:
    why = "waiting for identity example.com to be verified"
    change = Change("create", "template", "t", after={"subject": "x"}, held={"x": why}, waits=True)
    plan = Plan("s", "us-east-1", changes=[change])
    text = render.text(plan)
    assert "  + create  template t  (waiting: nothing SES takes yet)" in text
    assert f"        x: {why}" in text
    assert "1 of them waits for verification" in text
    document = json.loads(render.as_json(plan))
    jsonschema.validate(document, plan_schema())
    assert document["changes"][0]["waits"] is True
    assert document["changes"][0]["waiting"] == {"x": why}
    held_only = Change("create", "template", "u", after={"subject": "x"}, held={"x": why})
    assert not held_only.waiting and "waits" not in held_only.to_json()
