"""migrate sendgrid, offline: the mapping from a SendGrid account to a config, the export
files it reads, the report, and the properties that hold for any input: the config written
always loads and validates, no text from SendGrid becomes a secret reference, and every item
read is accounted for."""

from __future__ import annotations

import json
import string
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler import workflow
from reconciler.errors import SesctlError
from reconciler.migrate import convert, report, sendgrid_files, write
from reconciler.migrate.source import Account, Domain, Entry, Group, Sender, Template, Version


def version(**fields: Any) -> Version:
    base = {"name": "v1", "subject": "Hi {{name}}", "html": "<p>{{name}}</p>", "text": ""}
    return Version(**{**base, "test_data": json.dumps({"name": "Ada"}), **fields})


def dynamic(name: str = "Welcome", ident: str = "d-1", **fields: Any) -> Template:
    return Template(ident, name, "dynamic", version(**fields), 1)


def written(migration: convert.Migration, tmp: Path) -> Path:
    out = tmp / "out"
    write.write(migration, out, "a test", report.render(migration, "a test", write.CONFIG))
    return out / write.CONFIG


def valid(path: Path) -> None:
    assert workflow.problems(workflow.load(path)) == []


def test_suppressions_take_their_reason_and_a_spam_report_wins(tmp_path: Path) -> None:
    account = Account(
        bounces=[Entry("a@example.com"), Entry("both@example.com")],
        blocks=[Entry("b@example.com"), Entry("a@example.com")],
        invalid_emails=[Entry("c@example.com"), Entry("no-at-sign")],
        spam_reports=[Entry("both@example.com"), Entry("s@example.com")],
    )
    migration = convert.migrate(account, "s", None)
    assert migration.config["suppressions"] == {
        "prune": False,
        "addresses": {
            "a@example.com": "BOUNCE",
            "both@example.com": "COMPLAINT",
            "b@example.com": "BOUNCE",
            "c@example.com": "BOUNCE",
            "s@example.com": "COMPLAINT",
        },
    }
    outcomes = {(i.source, i.outcome) for i in migration.items}
    assert ("invalid email no-at-sign", "left out") in outcomes
    assert ("spam report both@example.com", "changed") in outcomes
    counts = {i.reason for i in migration.items if i.outcome == "converted"}
    assert counts == {"3 addresses with reason BOUNCE", "2 addresses with reason COMPLAINT"}
    valid(written(migration, tmp_path))


def test_identities_from_domains_and_verified_senders_not_covered_by_a_domain() -> None:
    account = Account(
        domains=[Domain("Example.COM", True), Domain("example.com", True), Domain("bad_", True)],
        senders=[
            Sender("ops@example.com", True),
            Sender("ada@other.org", True),
            Sender("new@else.org", False),
        ],
    )
    migration = convert.migrate(account, "s", None)
    assert migration.config["identities"] == {"example.com": {}, "ada@other.org": {}}
    left = {i.source: i.reason for i in migration.items if i.outcome == "left out"}
    assert "never verified" in left["verified sender new@else.org"]
    assert "is an identity" in left["verified sender ops@example.com"]
    assert left["authenticated domain example.com"] == "listed twice"


def test_a_template_converts_its_active_version_and_notes_every_helper(tmp_path: Path) -> None:
    html = '<p>{{insert name "default=you"}}</p>{{#equals a 1}}x{{/equals}}{{formatDate d "L"}}'
    account = Account(
        templates=[
            dynamic("Welcome Email", html=html, text="Hi {{name}}"),
            Template("old", "Legacy", "legacy", None, 1),
            Template("d-2", "Draft", "dynamic", None, 3),
        ]
    )
    migration = convert.migrate(account, "s", None)
    entry = migration.config["templates"]["Welcome-Email"]
    assert entry["test_data"] == {"name": "Ada"}
    assert migration.files["templates/Welcome-Email.html"].startswith(
        "<p>{{#if name}}{{name}}{{else}}you{{/if}}</p>"
    )
    changed = [i.reason for i in migration.items if i.outcome == "changed"]
    assert any("{{equals}} left out" in c for c in changed)
    assert any("{{formatDate}} left out" in c for c in changed)
    assert any("{{insert}} rewritten" in c for c in changed)
    assert any(c.startswith("named Welcome-Email") for c in changed)
    left = {i.source: i.reason for i in migration.items if i.outcome == "left out"}
    assert "legacy" in left['template "Legacy" (old)']
    assert left['template "Draft" (d-2)'] == "none of its 3 versions is active"
    text = report.render(migration, "a test", "sesctl.yaml")
    for helper in ("equals", "formatDate", "insert"):
        assert f"{{{{{helper}}}}}" in text
    valid(written(migration, tmp_path))


@pytest.mark.parametrize(
    ("test_data", "why"),
    [
        (None, "no sample data"),
        ("{not json", "not JSON"),
        ("[1]", "not a JSON object"),
        ('{"other": 1}', "does not render"),
        ('{"name": "${env:HOME}"}', "secret reference"),
    ],
)
def test_sample_data_that_cannot_serve_is_left_out_and_said(
    test_data: str | None, why: str, tmp_path: Path
) -> None:
    migration = convert.migrate(Account(templates=[dynamic(test_data=test_data)]), "s", None)
    assert "test_data" not in migration.config["templates"]["Welcome"]
    assert any(why in i.reason for i in migration.items if i.outcome == "changed")
    valid(written(migration, tmp_path))


def test_no_sendgrid_text_becomes_a_secret_reference(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("CANARY", "canary-value-1234")
    account = Account(
        templates=[dynamic(subject="Code ${env:CANARY}")],
        groups=[Group(7, "${env:CANARY}", "${env:CANARY}", False)],
        group_unsubscribes={7: ["a@example.com"]},
    )
    migration = convert.migrate(account, "s", "subscribers")
    path = written(migration, tmp_path)
    loaded = workflow.load(path)
    assert "canary-value-1234" not in repr(loaded.model)
    template = migration.config["templates"]["Welcome"]
    assert template["subject_file"] == "templates/Welcome.subject.txt"
    (topic,) = migration.config["contact_lists"]["subscribers"]["topics"].values()
    assert topic == {"display_name": "Group 7", "default_subscription_status": "OPT_IN"}


def test_without_a_subject_the_data_carries_it() -> None:
    migration = convert.migrate(Account(templates=[dynamic(subject="")]), "s", None)
    assert migration.config["templates"]["Welcome"]["subject"] == "{{subject}}"
    assert "test_data" not in migration.config["templates"]["Welcome"]


def test_names_that_collide_get_a_number() -> None:
    account = Account(
        templates=[dynamic("A b", "d-1"), dynamic("A-b", "d-2"), dynamic("a b", "d-3")]
    )
    assert list(convert.migrate(account, "s", None).config["templates"]) == [
        "A-b",
        "A-b-2",
        "a-b-3",
    ]


def test_groups_become_topics_and_unsubscribes_contacts() -> None:
    groups = [Group(i, f"Group {i}", "", i == 1) for i in range(1, 23)]
    account = Account(
        groups=groups,
        group_unsubscribes={
            1: ["a@example.com", "b@example.com"],
            2: ["a@example.com"],
            22: ["c@x.io"],
        },
        unsubscribes=[Entry("b@example.com"), Entry("g@example.com")],
    )
    migration = convert.migrate(account, "s", "subscribers")
    found = migration.config["contact_lists"]["subscribers"]
    assert len(found["topics"]) == 20
    assert found["contacts"] == {
        "prune": False,
        "addresses": {
            "b@example.com": {"unsubscribe_all": True, "topic_preferences": {"Group-1": "OPT_OUT"}},
            "g@example.com": {"unsubscribe_all": True},
            "a@example.com": {"topic_preferences": {"Group-1": "OPT_OUT", "Group-2": "OPT_OUT"}},
        },
    }
    left = [i.source for i in migration.items if i.outcome == "left out"]
    assert 'suppression group "Group 21" (21)' in left
    assert "unsubscribe c@x.io from group 22" in left


def test_without_a_contact_list_every_unsubscribe_is_reported() -> None:
    account = Account(
        groups=[Group(1, "News", "", False)],
        group_unsubscribes={1: ["a@example.com"]},
        unsubscribes=[Entry("b@example.com")],
    )
    migration = convert.migrate(account, "s", None)
    assert "contact_lists" not in migration.config
    left = {i.source for i in migration.items if i.outcome == "left out"}
    assert left == {
        'suppression group "News" (1)',
        "global unsubscribe b@example.com",
        "unsubscribe a@example.com from group 1",
    }


def test_write_never_replaces_anything(tmp_path: Path) -> None:
    migration = convert.migrate(Account(bounces=[Entry("a@example.com")]), "s", None)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep").write_text("mine")
    with pytest.raises(SesctlError, match="not an empty directory"):
        write.write(migration, tmp_path / "out", "x", "report")
    assert (tmp_path / "out" / "keep").read_text() == "mine"


# --- export files -------------------------------------------------------------------------


def test_export_files_read_as_the_api_answers(tmp_path: Path) -> None:
    (tmp_path / "bounces.csv").write_text("Email,Created,Reason\na@example.com,1,550\n\n")
    (tmp_path / "spam_reports.json").write_text('[{"email": "s@example.com", "created": 1}]')
    (tmp_path / "asm_suppressions.csv").write_text("email,group_id\nu@example.com,4\n")
    (tmp_path / "asm_groups.json").write_text('[{"id": 4, "name": "News"}]')
    (tmp_path / "verified_senders.json").write_text(
        '{"results": [{"id": 1, "from_email": "a@b.io", "verified": true}]}'
    )
    account = sendgrid_files.read(tmp_path)
    assert account.bounces == [Entry("a@example.com", "550")]
    assert account.spam_reports == [Entry("s@example.com")]
    assert account.group_unsubscribes == {4: ["u@example.com"]}
    assert account.groups == [Group(4, "News", "", False)]
    assert account.senders == [Sender("a@b.io", True)]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("bounces.json", '[{"email": 5}]', "bounces.json item 1: email must be a string"),
        ("bounces.json", "[\n{", "bounces.json:2:2: not JSON"),
        ("bounces.csv", "address\nx@y.io\n", "bounces.csv:1: the header row names no email"),
        ("bounces.csv", "email\na@b.io,extra\n", "bounces.csv:2: more cells"),
        ("asm_groups.json", '{"id": 1}', "asm_groups.json: expected a list"),
        ("asm_suppressions.csv", "email,group_id\na@b.io,x\n", "group_id must be a group"),
        ("templates.json", '[{"name": "x"}]', "templates.json item 1: id is missing"),
    ],
)
def test_a_bad_export_file_is_one_plain_error_naming_where(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    (tmp_path / name).write_text(text)
    with pytest.raises(SesctlError, match=message.replace("(", r"\(")):
        sendgrid_files.read(tmp_path)


def test_export_files_stay_inside_their_directory(tmp_path: Path) -> None:
    outside = tmp_path / "secret.json"
    outside.write_text('[{"email": "a@b.io"}]')
    (tmp_path / "export").mkdir()
    (tmp_path / "export" / "bounces.json").symlink_to(outside)
    with pytest.raises(SesctlError, match=r"bounces\.json"):
        sendgrid_files.read(tmp_path / "export")


def test_an_empty_directory_and_two_forms_of_one_list_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SesctlError, match="no SendGrid export found"):
        sendgrid_files.read(tmp_path)
    (tmp_path / "blocks.json").write_text("[]")
    (tmp_path / "blocks.csv").write_text("email\n")
    with pytest.raises(SesctlError, match=r"both blocks\.json and blocks\.csv"):
        sendgrid_files.read(tmp_path)


# --- properties -----------------------------------------------------------------------------

TEXT = st.text(alphabet=string.printable + "é${}", max_size=30)
ADDRESSES = st.one_of(st.emails().map(str), TEXT)
ENTRIES = st.lists(st.builds(Entry, ADDRESSES, TEXT), max_size=6)
HTML = st.sampled_from(
    ["<p>{{name}}</p>", '{{insert name "default=x"}}', "{{#equals a 1}}y{{/equals}}", "{{#if", ""]
)
TEMPLATES = st.lists(
    st.builds(
        Template,
        TEXT,
        TEXT,
        st.sampled_from(["dynamic", "legacy"]),
        st.one_of(
            st.none(),
            st.builds(
                Version,
                TEXT,
                st.one_of(TEXT, st.just("{{subject}} ${env:HOME}")),
                HTML,
                st.one_of(st.just(""), HTML),
                st.one_of(st.none(), st.just('{"name": "${env:HOME}"}'), st.just('{"name": 1}')),
            ),
        ),
        st.integers(0, 3),
    ),
    max_size=4,
)
ACCOUNTS = st.builds(
    Account,
    templates=TEMPLATES,
    groups=st.lists(st.builds(Group, st.integers(1, 30), TEXT, TEXT, st.booleans()), max_size=4),
    group_unsubscribes=st.dictionaries(
        st.integers(1, 30), st.lists(ADDRESSES, max_size=3), max_size=3
    ),
    bounces=ENTRIES,
    blocks=ENTRIES,
    spam_reports=ENTRIES,
    invalid_emails=ENTRIES,
    unsubscribes=ENTRIES,
    senders=st.lists(st.builds(Sender, ADDRESSES, st.booleans()), max_size=4),
    domains=st.lists(
        st.builds(
            Domain, st.one_of(st.emails().map(lambda e: str(e).split("@")[1]), TEXT), st.booleans()
        ),
        max_size=3,
    ),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(account=ACCOUNTS, contact_list=st.sampled_from([None, "subscribers"]))
def test_any_account_gives_a_config_that_validates(
    tmp_path_factory: Any, account: Account, contact_list: str | None
) -> None:
    """Whatever SendGrid holds, the written config loads and validates, names no secret
    reference, and every address it suppresses came from a suppression list."""
    migration = convert.migrate(account, "stack", contact_list)
    path = written(migration, tmp_path_factory.mktemp("m"))
    valid(path)
    raw = yaml.safe_load(path.read_text())
    listed = {e.email for e in account.bounces + account.blocks + account.invalid_emails}
    listed |= {e.email for e in account.spam_reports}
    assert set((raw.get("suppressions") or {}).get("addresses", {})) <= listed
    assert not list(convert._references(raw))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.sampled_from(["bounces.csv", "bounces.json", "templates.json"]),
    data=st.binary(max_size=200),
)
def test_any_export_file_reads_or_fails_plainly(
    tmp_path_factory: Any, name: str, data: bytes
) -> None:
    directory = tmp_path_factory.mktemp("x")
    (directory / name).write_bytes(data)
    try:
        sendgrid_files.read(directory)
    except SesctlError as exc:
        assert "Traceback" not in exc.message


def test_json_nested_past_what_python_reads_is_a_plain_error(tmp_path: Path) -> None:
    (tmp_path / "bounces.json").write_text("[" * 100_000)
    with pytest.raises(SesctlError, match=r"bounces\.json: not JSON this program reads"):
        sendgrid_files.read(tmp_path)


def test_deep_sample_data_is_left_out_and_said() -> None:
    deep = "{}"
    for _ in range(40):
        deep = '{"a": ' + deep + "}"
    migration = convert.migrate(Account(templates=[dynamic(test_data=deep)]), "s", None)
    assert "test_data" not in migration.config["templates"]["Welcome"]
    assert any("deeper than 32" in i.reason for i in migration.items)


def test_an_out_that_cannot_be_written_is_a_plain_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    migration = convert.migrate(Account(bounces=[Entry("a@example.com")]), "s", None)
    with pytest.raises(SesctlError, match="cannot write"):
        write.write(migration, tmp_path / "file" / "out", "x", "report")


def test_a_csv_saved_by_excel_with_a_byte_order_mark_reads(tmp_path: Path) -> None:
    (tmp_path / "bounces.csv").write_bytes(b"\xef\xbb\xbfemail,reason\r\na@example.com,550\r\n")
    assert sendgrid_files.read(tmp_path).bounces == [Entry("a@example.com", "550")]
