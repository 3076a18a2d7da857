"""Editing a config as a person would: only the edited entry's lines change, the file still
loads, hostile names and values are refused before anything is written, and an edit that
would break the file leaves it (and its template files) byte for byte as it was."""

from __future__ import annotations

import difflib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler import edits
from reconciler.config import load
from reconciler.errors import SesctlError
from reconciler.models import SIMPLE

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

COMMENTED = """\
# The demo stack: comments, order and quoting must survive every edit.
version: 1
stack: demo   # ownership stamp
region: us-east-1

configuration_sets:
  main:
    sending_options: {sending_enabled: true}
    event_destinations:
      bounces:          # to the ops topic
        matching_event_types: [BOUNCE, COMPLAINT]
        sns_destination: {topic_arn: "arn:aws:sns:us-east-1:123456789012:ops"}

templates:
  # transactional mail
  welcome:
    subject: "Welcome, {{name}}!"   # shown in the inbox
    text: Hi {{name}}.
    test_data: {name: Ada}
  # password resets
  reset:
    subject: Reset
    text: |
      Use {{link}}
      within an hour.
    test_data: {link: "https://example.com/r"}

suppressions:
  addresses:
    blocked@example.com: BOUNCE
"""

DESTINATION = {
    "enabled": True,
    "matching_event_types": ["BOUNCE"],
    "sns_destination": {"topic_arn": "arn:aws:sns:us-east-1:123456789012:more"},
}
STREAM = "arn:aws:firehose:us-east-1:123456789012:deliverystream"
HOSTILE = ["../x", "a/b", "x" * 65, "名前", "", ".", "a b", "a\nb", "*x", "!!str"]


def write(directory: Path, text: str = COMMENTED) -> Path:
    path = directory / "sesctl.yaml"
    path.write_bytes(text.encode())
    return path


def changed(before: str, after: str) -> list[str]:
    """The lines an edit removed (-) and added (+); every other line is the same, in order."""
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), n=0, lineterm="")
    return [line for line in diff if line[:1] in "+-" and line[:3] not in ("---", "+++")]


def block(text: str, first: str) -> list[str]:
    """The lines of the entry that starts with the line `first`: until a line indented as
    little (or less), or a blank line."""
    lines = text.splitlines()
    start = lines.index(first)
    depth = len(first) - len(first.lstrip())
    end = start + 1
    while (
        end < len(lines)
        and lines[end].strip()
        and (len(lines[end]) - len(lines[end].lstrip()) > depth)
    ):
        end += 1
    return lines[start:end]


def snapshot(directory: Path) -> dict[str, bytes | None]:
    """Every path under `directory` and its bytes (None for a directory)."""
    return {
        str(p.relative_to(directory)): None if p.is_dir() else p.read_bytes()
        for p in sorted(directory.rglob("*"))
    }


# --- comments, order and layout -------------------------------------------------------------


def test_creating_a_template_adds_only_its_lines_after_the_last_one(tmp_path: Path) -> None:
    config = write(tmp_path)
    what = edits.set_template(
        config, "promo", subject="Promo", text="Buy {{item}}", test_data={"item": "socks"}
    )
    after = config.read_text()
    assert what == "created template promo"
    added = [
        "  promo:",
        "    subject: Promo",
        '    text: "Buy {{item}}"',
        "    test_data: {item: socks}",
    ]
    assert changed(COMMENTED, after) == [f"+{line}" for line in added]
    # after the last template, and the blank line before `suppressions:` is still there
    assert '"https://example.com/r"}\n  promo:\n' in after
    assert "test_data: {item: socks}\n\nsuppressions:\n" in after
    assert load(config).model.templates["promo"].text == "Buy {{item}}"  # type: ignore[index]


def test_updating_a_template_changes_only_the_parts_given(tmp_path: Path) -> None:
    config = write(tmp_path)
    what = edits.set_template(config, "welcome", subject="Hello, {{name}}!")
    assert what == "updated template welcome (subject)"
    assert changed(COMMENTED, config.read_text()) == [
        '-    subject: "Welcome, {{name}}!"   # shown in the inbox',
        '+    subject: "Hello, {{name}}!"     # shown in the inbox',
    ]


def test_an_inline_block_text_stays_an_inline_block(tmp_path: Path) -> None:
    config = write(tmp_path)
    text = "Open {{link}}\nbefore it expires.\n"
    assert edits.set_template(config, "reset", text=text) == "updated template reset (text)"
    assert changed(COMMENTED, config.read_text()) == [
        "-      Use {{link}}",
        "-      within an hour.",
        "+      Open {{link}}",
        "+      before it expires.",
    ]
    assert load(config).model.templates["reset"].text == text  # type: ignore[index]
    assert not (tmp_path / "templates").exists()


def test_replacing_test_data_keeps_its_flow_style(tmp_path: Path) -> None:
    config = write(tmp_path)
    edits.set_template(config, "welcome", test_data={"name": "Grace", "team": "ops"})
    assert changed(COMMENTED, config.read_text()) == [
        "-    test_data: {name: Ada}",
        "+    test_data: {name: Grace, team: ops}",
    ]


def test_the_same_values_are_no_change_and_write_nothing(tmp_path: Path) -> None:
    config = write(tmp_path)
    mtime = config.stat().st_mtime_ns
    what = edits.set_template(
        config,
        "welcome",
        subject="Welcome, {{name}}!",
        text="Hi {{name}}.",
        test_data={"name": "Ada"},
    )
    assert what == "no change"
    assert config.stat().st_mtime_ns == mtime


@pytest.mark.parametrize("name", ["welcome", "reset"])
def test_deleting_a_template_removes_only_its_lines(tmp_path: Path, name: str) -> None:
    config = write(tmp_path)
    assert edits.delete_template(config, name) == f"deleted template {name}"
    after = config.read_text()
    assert changed(COMMENTED, after) == [f"-{line}" for line in block(COMMENTED, f"  {name}:")]
    assert "# transactional mail" in after and "# password resets" in after
    assert load(config).model.templates is not None


def test_deleting_an_unknown_template_is_an_error(tmp_path: Path) -> None:
    config = write(tmp_path)
    with pytest.raises(SesctlError, match="no template 'nope'"):
        edits.delete_template(config, "nope")
    assert config.read_text() == COMMENTED


def test_event_destinations_are_added_updated_and_deleted_in_place(tmp_path: Path) -> None:
    config = write(tmp_path)
    assert edits.set_event_destination(config, "main", "more", DESTINATION) == (
        "created event destination main/more"
    )
    step = config.read_text()
    assert changed(COMMENTED, step) == [
        "+      more:",
        "+        enabled: true",
        "+        matching_event_types: [BOUNCE]",
        '+        sns_destination: {topic_arn: "arn:aws:sns:us-east-1:123456789012:more"}',
    ]
    bounces = {**DESTINATION, "matching_event_types": ["BOUNCE", "REJECT"]}
    del bounces["enabled"]
    bounces["sns_destination"] = {"topic_arn": "arn:aws:sns:us-east-1:123456789012:ops"}
    what = edits.set_event_destination(config, "main", "bounces", bounces)
    assert what == "updated event destination main/bounces (matching_event_types)"
    assert changed(step, config.read_text()) == [
        "-        matching_event_types: [BOUNCE, COMPLAINT]",
        "+        matching_event_types: [BOUNCE, REJECT]",
    ]
    edits.delete_event_destination(config, "main", "more")
    assert edits.delete_event_destination(config, "main", "bounces") == (
        "deleted event destination main/bounces"
    )
    after = config.read_text()
    # no destination left: `{}` still says "none", so apply deletes the live ones
    assert changed(COMMENTED, after) == [
        "-    event_destinations:",
        *(f"-{line}" for line in block(COMMENTED, "      bounces:          # to the ops topic")),
        "+    event_destinations: {}",
    ]
    assert load(config).model.configuration_sets["main"].event_destinations == {}  # type: ignore[index]


def test_an_unknown_configuration_set_is_named_with_the_file(tmp_path: Path) -> None:
    config = write(tmp_path)
    with pytest.raises(SesctlError, match=r"sesctl.yaml has no configuration set 'other'"):
        edits.set_event_destination(config, "other", "d", DESTINATION)
    with pytest.raises(SesctlError, match=r"no event destination 'nope'"):
        edits.delete_event_destination(config, "main", "nope")
    assert config.read_text() == COMMENTED


def test_a_missing_templates_section_is_appended_after_a_blank_line(tmp_path: Path) -> None:
    text = "# top\nversion: 1\nstack: demo   # stamp\nidentities:\n  example.com: {}\n# the end\n"
    config = write(tmp_path, text)
    what = edits.set_template(config, "hi", subject="Hi", text="Hello")
    assert what.startswith("created template hi (a new templates section")
    assert config.read_text() == (
        "# top\nversion: 1\nstack: demo   # stamp\nidentities:\n  example.com: {}\n\n"
        "templates:\n  hi:\n    subject: Hi\n    text: Hello\n# the end\n"
    )


def test_line_ends_document_start_and_indentation_are_the_files_own(tmp_path: Path) -> None:
    text = (
        "# before the start\r\n---  # the document\r\nversion: 1\r\nstack: demo\r\n"
        "identities:\r\n    example.com:\r\n"
        "        policies:\r\n            p:\r\n                Statement:\r\n"
        "                - {Effect: Allow}\r\ntemplates:\r\n    a: {subject: A, text: a}\r\n"
    )
    config = write(tmp_path, text)
    edits.set_template(config, "b", subject="B", text="b", test_data={"l": [1, {"x": [2, 3]}]})
    assert config.read_bytes().decode() == text + (
        "    b:\r\n        subject: B\r\n        text: b\r\n        test_data:\r\n"
        "            l:\r\n            - 1\r\n            - x: [2, 3]\r\n"
    )
    assert load(config).model.templates["b"].test_data == {"l": [1, {"x": [2, 3]}]}  # type: ignore[index]


# --- the production example -------------------------------------------------------------------


@pytest.fixture
def production(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    return tmp_path / "examples" / "production.yaml"


def test_production_round_trips_byte_for_byte() -> None:
    text = (EXAMPLES / "production.yaml").read_text()
    editor = edits._editor(text)
    assert edits._dump(editor, editor.load(text), text) == text.encode()


def test_production_template_edits_touch_only_their_entry(production: Path) -> None:
    original = production.read_text()
    what = edits.set_template(production, "welcome", subject="Hello!", html="<p>Hi {{name}}</p>\n")
    assert what == "updated template welcome (subject, html)"
    assert changed(original, production.read_text()) == [
        '-    subject: "Welcome, {{name}}!"',
        '+    subject: "Hello!"',
    ]
    html = production.parent / "templates" / "welcome.html"
    assert html.read_text() == "<p>Hi {{name}}</p>\n"
    assert load(production).model.templates["welcome"].html == "<p>Hi {{name}}</p>\n"  # type: ignore[index]

    step = production.read_text()
    edits.set_template(
        production, "receipt", subject="Receipt {{n}}", html="<b>{{n}}</b>", test_data={"n": "1"}
    )
    added = changed(step, production.read_text())
    assert added == [
        "+  receipt:",
        '+    subject: "Receipt {{n}}"',
        "+    html_file: templates/receipt.html",
        '+    test_data: {n: "1"}',
    ]

    step = production.read_text()
    what = edits.delete_template(production, "password-reset")
    assert what == "deleted template password-reset"
    assert changed(step, production.read_text()) == [
        f"-{line}" for line in block(step, "  password-reset:")
    ]
    assert load(production).model.templates.keys() == {"welcome", "receipt"}  # type: ignore[union-attr]


def test_production_destination_edits_touch_only_their_entry(production: Path) -> None:
    original = production.read_text()
    edits.set_event_destination(production, "marketing", "more", DESTINATION)
    step = production.read_text()
    added = changed(original, step)
    assert [line[:1] for line in added] == ["+"] * 4 and added[0] == "+      more:"
    assert all(line.startswith("+        ") for line in added[1:])

    edits.set_event_destination(
        production,
        "transactional",
        "archive-stream",
        {
            "matching_event_types": ["SEND"],
            "kinesis_firehose_destination": {
                "iam_role_arn": "arn:aws:iam::123456789012:role/ses-firehose",
                "delivery_stream_arn": f"{STREAM}/x",
            },
        },
    )
    assert changed(step, production.read_text()) == [
        "-        matching_event_types: [SEND, DELIVERY]",
        "+        matching_event_types: [SEND]",
        f'-          delivery_stream_arn: "{STREAM}/ses-events"',
        f'+          delivery_stream_arn: "{STREAM}/x"',
    ]

    step = production.read_text()
    edits.delete_event_destination(production, "transactional", "engagement")
    assert changed(step, production.read_text()) == [
        f"-{line}" for line in block(step, "      engagement:")
    ]
    destinations = load(production).model.configuration_sets["transactional"].event_destinations  # type: ignore[index]
    assert set(destinations or {}) == {"bounces-to-sns", "archive-stream"}


# --- files, hostile input, and putting back -----------------------------------------------------


def test_a_new_template_writes_its_parts_beside_the_config(tmp_path: Path) -> None:
    config = write(tmp_path)
    long_text = "line one\nline two\n"
    what = edits.set_template(config, "news", subject="News", html="<h1>News</h1>", text=long_text)
    assert what == "created template news (templates/news.html, templates/news.txt written)"
    assert (tmp_path / "templates" / "news.html").read_text() == "<h1>News</h1>"
    assert (tmp_path / "templates" / "news.txt").read_text() == long_text
    entry = load(config).model.templates["news"]  # type: ignore[index]
    assert (entry.html_file, entry.text_file) == ("templates/news.html", "templates/news.txt")
    assert (entry.html, entry.text) == ("<h1>News</h1>", long_text)
    assert edits.delete_template(config, "news") == (
        "deleted template news (templates/news.html, templates/news.txt left in place)"
    )
    assert (tmp_path / "templates" / "news.html").exists()


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_are_refused_before_anything_is_written(tmp_path: Path, name: str) -> None:
    config = write(tmp_path)
    before = snapshot(tmp_path)
    calls = [
        lambda: edits.set_template(config, name, subject="S", html="<p>x</p>"),
        lambda: edits.delete_template(config, name),
        lambda: edits.set_event_destination(config, "main", name, DESTINATION),
        lambda: edits.set_event_destination(config, name, "d", DESTINATION),
        lambda: edits.delete_event_destination(config, name, "bounces"),
    ]
    for call in calls:
        with pytest.raises(SesctlError, match="refused: use 1 to 64 letters, digits"):
            call()
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    "value",
    [object(), {1: "a"}, {"a": {1, 2}}, b"bytes", {"a": Path("x")}, {"a": "\ud800"}],
    ids=["object", "int key", "set", "bytes", "path", "surrogate"],
)
def test_values_other_than_plain_data_are_refused(tmp_path: Path, value: Any) -> None:
    config = write(tmp_path)
    with pytest.raises(SesctlError):
        edits.set_template(config, "welcome", test_data=value)
    with pytest.raises(SesctlError):
        edits.set_event_destination(config, "main", "bounces", {"x": value})
    assert config.read_text() == COMMENTED


def test_values_bring_no_tags_anchors_or_merges(tmp_path: Path) -> None:
    config = write(tmp_path)
    shared = ["a", "b"]
    data = {
        "tag": "!!python/object/apply:os.system ['true']",
        "alias": "*x",
        "anchor": "&x y",
        "<<": "merge",
        "yes": "on",
        "num": "1_000",
        "date": "2012-10-17",
        "null": "~",
        "one": shared,
        "two": shared,
        "flag": True,
        "n": 7,
    }
    edits.set_template(config, "welcome", test_data=data)
    added = "\n".join(changed(COMMENTED, config.read_text()))
    assert "&" not in added.replace("&x y", "") and "*x" in added and "!!" in added
    assert load(config).model.templates["welcome"].test_data == data  # type: ignore[index]


def test_template_files_outside_the_directory_are_never_written(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    (tmp_path / "outside.html").write_text("theirs")
    config = write(
        tmp_path / "conf", COMMENTED.replace("text: Hi {{name}}.", "html_file: ../outside.html")
    )
    with pytest.raises(SesctlError, match="outside the config's directory"):
        edits.set_template(config, "welcome", html="<p>mine</p>")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "conf" / "templates").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(SesctlError, match="outside the config's directory"):
        edits.set_template(config, "new", subject="S", html="<p>x</p>")
    assert (tmp_path / "outside.html").read_text() == "theirs"
    assert list((tmp_path / "elsewhere").iterdir()) == []


def test_the_config_must_be_a_regular_file(tmp_path: Path) -> None:
    config = write(tmp_path)
    link = tmp_path / "link.yaml"
    link.symlink_to(config)
    with pytest.raises(SesctlError, match=r"link\.yaml is not a regular file"):
        edits.set_template(link, "welcome", subject="S")
    with pytest.raises(SesctlError, match="is not a regular file"):
        edits.delete_template(tmp_path, "welcome")
    with pytest.raises(SesctlError, match=r"cannot read missing\.yaml"):
        edits.delete_template(tmp_path / "missing.yaml", "welcome")
    assert link.is_symlink() and config.read_text() == COMMENTED


def test_an_edit_that_breaks_the_config_puts_everything_back(tmp_path: Path) -> None:
    config = write(tmp_path)
    os.chmod(config, 0o640)
    before = snapshot(tmp_path)
    bad = {
        "matching_event_types": ["BOUNCE", "NOT_AN_EVENT"],
        "sns_destination": {"topic_arn": "a"},
    }
    with pytest.raises(SesctlError, match="matching_event_types"):
        edits.set_event_destination(config, "main", "bounces", bad)
    with pytest.raises(SesctlError, match="a new template needs a subject"):
        edits.set_template(config, "half", html="<p>x</p>")
    big = "x" * (500 * 1024 + 1)  # SES's template limit: the loader refuses the file
    with pytest.raises(SesctlError, match="500 KB"):
        edits.set_template(config, "huge", subject="S", html=big)
    assert snapshot(tmp_path) == before  # templates/ and its file are gone again
    assert os.stat(config).st_mode & 0o777 == 0o640
    # an existing part file that was rewritten gets its old bytes back
    edits.set_template(config, "paged", subject="S", html="<p>old</p>")
    before = snapshot(tmp_path)
    with pytest.raises(SesctlError, match="500 KB"):
        edits.set_template(config, "paged", html=big)
    assert snapshot(tmp_path) == before


# --- any name and any text round-trip -----------------------------------------------------------

# Any text, and text made of what YAML treats specially (indicators, breaks, BOM, controls).
texts = st.text(st.characters(exclude_categories=("Cs",)), max_size=300) | st.text(
    st.sampled_from("ab 1.~\n\n\r\t:#{}[]-,?!&*|>'\"%@`\\\x00\x08\x85\u2028\ufeff\ufffe\U0001f600"),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(
    name=st.from_regex(SIMPLE, fullmatch=True),
    first=st.tuples(texts, texts, texts),
    second=st.tuples(texts, texts, texts),
)
def test_any_valid_name_and_text_round_trip(
    name: str, first: tuple[str, str, str], second: tuple[str, str, str]
) -> None:
    with tempfile.TemporaryDirectory() as directory:
        config = write(Path(directory))
        for subject, html, text in (first, second):  # created, then updated where it lives
            edits.set_template(config, name, subject=subject, html=html, text=text)
            template = load(config).model.templates[name]  # type: ignore[index]
            assert (template.subject, template.html, template.text) == (subject, html, text)
        after = config.read_text()
        assert after.startswith(COMMENTED[: COMMENTED.index("templates:")])
        assert after.endswith(COMMENTED[COMMENTED.index("\nsuppressions:") :])


scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63) + 1, 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts
)
data = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(test_data=st.dictionaries(texts, data, max_size=5))
def test_any_plain_test_data_round_trips(test_data: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        config = write(Path(directory))
        edits.set_template(config, "welcome", test_data=test_data)
        assert load(config).model.templates["welcome"].test_data == test_data  # type: ignore[index]
