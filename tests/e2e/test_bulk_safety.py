"""`sesctl send-bulk` against what an operator and a hostile file do: journals reused for
another send, two runs on one journal, torn and garbled journals, a resume near the 24-hour
quota, outputs pointed at inputs, rows SES would drop, and recipients files as spreadsheets
and scripts write them (or as an attacker does)."""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from .conftest import Env

HEAD = "version: 1\nstack: s\nregion: us-east-1\n"
TEMPLATES = (
    "templates:\n"
    "  hello: {subject: 'Hi {{name}}', text: 'from {{user.city}}'}\n"
    "  other: {subject: 'Yo {{name}}', text: 'from {{user.city}}'}\n"
    "  leave: {subject: 'Hi {{name}}', text: 'Leave: {{amazonSESUnsubscribeUrl}}'}\n"
    "configuration_sets: {tracked: {}}\n"
)


@pytest.fixture(autouse=True)
def world(env: Env) -> None:
    """Templates, a configuration set, a verified sender and room to send fast."""
    assert env.sesctl("apply", env.write(HEAD + TEMPLATES), "--auto-approve").exit_code == 0
    env.control("POST", "/_sesctl/send-quota", {"max_send_rate": 5000})
    env.verified("example.com")


def csv_file(env: Env, count: int, name: str = "r.csv", first: int = 0) -> Path:
    path = env.tmp / name
    lines = ["email,name,user.city"]
    lines += [f"u{i:05}@example.com,User {i},City {i}" for i in range(first, first + count)]
    path.write_text("\n".join(lines) + "\n")
    return path


def jsonl_file(env: Env, *items: Any, name: str = "r.jsonl") -> Path:
    path = env.tmp / name
    path.write_text("".join((i if isinstance(i, str) else json.dumps(i)) + "\n" for i in items))
    return path


def messages(env: Env) -> list[dict[str, Any]]:
    return env.control("GET", "/_sesctl/messages")["messages"]


def recipients(env: Env) -> collections.Counter[str]:
    return collections.Counter(m["to"][0] for m in messages(env))


def bulk(env: Env, path: Path, *extra: str, template: str = "hello") -> Result:
    return env.sesctl(
        "send-bulk", "--from", "news@example.com", "--template", template,
        "--recipients", str(path), "--rate", "1000", *extra,
    )  # fmt: skip


def plain_error(result: Result, text: str) -> None:
    """Exit 1 with one plain message: no traceback, never `internal error`."""
    assert result.exit_code == 1, result.output
    assert text in result.stderr, result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr


def results_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


# --- 13. a journal is bound to the send it journals ---------------------------------------------


def test_a_journal_refuses_another_recipients_file(env: Env) -> None:
    assert bulk(env, csv_file(env, 30), "--journal", "j.jsonl").exit_code == 0
    journal = (env.tmp / "j.jsonl").read_bytes()
    others = csv_file(env, 30, name="others.csv", first=1000)
    result = bulk(env, others, "--journal", "j.jsonl")
    plain_error(result, "j.jsonl was written for another send (--recipients (the file's content)")
    assert "give a new --journal for a new send" in result.stderr
    assert len(messages(env)) == 30 and "u01000@example.com" not in recipients(env)
    assert (env.tmp / "j.jsonl").read_bytes() == journal


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (("--template", "other"), "--template was 'hello', now 'other'"),
        (("--from", "ops@example.com"), "--from was 'news@example.com', now 'ops@example.com'"),
        (("--default-data", '{"user": {"city": "Oslo"}}'), "--default-data differs"),
        (("--configuration-set", "tracked"), "--configuration-set was None, now 'tracked'"),
    ],
)
def test_a_journal_refuses_other_message_parameters(
    env: Env, change: tuple[str, str], named: str
) -> None:
    path = csv_file(env, 30)
    assert bulk(env, path, "--journal", "j.jsonl").exit_code == 0
    option, value = change
    args = ["--journal", "j.jsonl", option, value]
    result = (
        bulk(env, path, *args[:2], template=value)
        if option == "--template"
        else bulk(env, path, *args)
    )
    plain_error(result, named)
    assert len(messages(env)) == 30


def test_a_row_edited_since_it_was_journaled_is_named(env: Env) -> None:
    path = csv_file(env, 30)
    assert bulk(env, path, "--journal", "j.jsonl").exit_code == 0
    path.write_text(path.read_text().replace("User 3,", "User Three,"))
    result = bulk(env, path, "--journal", "j.jsonl")
    plain_error(result, f"{path}:5 is not the row the journal recorded there")
    assert len(messages(env)) == 30


# --- 14. one run per journal; torn and garbled journals -----------------------------------------


def test_a_second_run_on_a_journal_in_use_is_refused(env: Env) -> None:
    path = csv_file(env, 3)
    # The first run's first call is held on the wire (the emulator's barrier), so it is
    # running, journal in hand, until the test releases it.
    env.control(
        "POST", "/_sesctl/faults", {"operation": "SendBulkEmail", "kind": "hold", "count": 1}
    )
    first = subprocess.Popen(
        [
            sys.executable, "-m", "reconciler", "send-bulk", "--from", "news@example.com",
            "--template", "hello", "--recipients", str(path), "--rate", "1000",
            "--journal", "j.jsonl", "--endpoint-url", env.url,
        ],
        env={**os.environ, "AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t"},
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert env.control("GET", "/_sesctl/held")["held"] == 1
        journal = (env.tmp / "j.jsonl").read_bytes()
        second = bulk(env, path, "--journal", "j.jsonl", "--results", "second.jsonl")
        assert (env.tmp / "j.jsonl").read_bytes() == journal
    finally:
        env.control("POST", "/_sesctl/release")
        _, stderr = first.communicate(timeout=60)
    plain_error(second, "--journal: j.jsonl is in use by another send-bulk run")
    assert not (env.tmp / "second.jsonl").exists()
    assert first.returncode == 0, stderr
    assert recipients(env) == {f"u{i:05}@example.com": 1 for i in range(3)}


def cut_journal(env: Env, torn: Any, at: Any, drop: Any = lambda r: False) -> dict[str, Any]:
    """A sent run's journal as a crash leaves it: the records `drop` selects gone, and the
    one `torn` selects last, cut at byte at(length); that record."""
    journal = env.tmp / "j.jsonl"
    lines = journal.read_bytes().splitlines(keepends=True)
    records = [json.loads(line) for line in lines]
    (cut,) = [i for i, record in enumerate(records) if torn(record)]
    kept = [line for line, r in zip(lines, records, strict=True) if not torn(r) and not drop(r)]
    journal.write_bytes(b"".join(kept) + lines[cut][: at(len(lines[cut]))])
    return records[cut]


def event(name: str, batch: int) -> Any:
    return lambda r: r["event"] == name and r.get("batch") == batch


def resent(env: Env) -> None:
    """Forget what SES received (the world as the cut journal tells it), keep the account."""
    env.control("POST", "/_sesctl/reset")
    assert env.sesctl("apply", env.write(HEAD + TEMPLATES), "--auto-approve").exit_code == 0
    env.control("POST", "/_sesctl/send-quota", {"max_send_rate": 5000})
    env.verified("example.com")


def test_a_torn_start_leaves_its_rows_unknown_and_the_journal_usable(env: Env) -> None:
    path = csv_file(env, 120)  # three calls of at most 50 rows
    assert bulk(env, path, "--journal", "j.jsonl").exit_code == 0
    # Killed while writing the third call's start, 60 bytes in: past its first and last row.
    record = cut_journal(env, event("start", 3), lambda n: 60, drop=event("done", 3))
    torn = [line for line, _ in record["rows"]]
    resent(env)  # SES got the first two calls only

    resumed = bulk(env, path, "--journal", "j.jsonl", "--results", "o.jsonl")
    assert resumed.exit_code == 1, resumed.stderr
    assert f"unknown {len(torn)}, already sent {120 - len(torn)}" in resumed.stderr
    unknown = [r["line"] for r in results_of(env.tmp / "o.jsonl") if r["status"] == "unknown"]
    assert unknown == torn and messages(env) == []  # the torn call's rows are not resent

    again = bulk(env, path, "--journal", "j.jsonl", "--resend-unknown")
    assert again.exit_code == 0, again.stderr
    assert recipients(env) == {f"u{line - 2:05}@example.com": 1 for line in torn}
    last = bulk(env, path, "--journal", "j.jsonl")  # the records appended since still read
    assert last.exit_code == 0 and "already sent 120" in last.stderr
    assert len(messages(env)) == len(torn)


def test_a_torn_done_settles_what_it_wrote_in_full(env: Env) -> None:
    path = csv_file(env, 120)
    assert bulk(env, path, "--journal", "j.jsonl").exit_code == 0
    record = cut_journal(env, event("done", 3), lambda n: n // 2)
    resumed = bulk(env, path, "--journal", "j.jsonl", "--results", "o.jsonl")
    statuses = collections.Counter(r["status"] for r in results_of(env.tmp / "o.jsonl"))
    assert 0 < statuses["unknown"] < len(record["results"])
    assert statuses["skipped"] + statuses["unknown"] == 120
    assert resumed.exit_code == 1 and len(messages(env)) == 120  # nobody twice


def test_a_journal_cut_before_it_named_its_rows_is_refused_plainly(env: Env) -> None:
    path = csv_file(env, 120)
    assert bulk(env, path, "--journal", "j.jsonl").exit_code == 0
    cut_journal(env, event("start", 3), lambda n: 20, drop=event("done", 3))
    lines = len((env.tmp / "j.jsonl").read_bytes().splitlines())
    result = bulk(env, path, "--journal", "j.jsonl")
    plain_error(result, f"j.jsonl:{lines}: the journal's last line was cut off too early")
    assert len(messages(env)) == 120


@pytest.mark.parametrize(
    "garbage", ["[1]", '{"event": "start", "batch": "x"}', "not json", "[" * 100_000, '{"a": 1}']
)
def test_garbage_in_a_journal_is_refused_with_its_line(env: Env, garbage: str) -> None:
    path = csv_file(env, 120)
    assert bulk(env, path, "--journal", "j.jsonl").exit_code == 0
    journal = env.tmp / "j.jsonl"
    lines = journal.read_text().splitlines(keepends=True)
    journal.write_text("".join([*lines[:3], garbage + "\n", *lines[3:]]))
    result = bulk(env, path, "--journal", "j.jsonl")
    plain_error(result, f"{journal}:4: not a send-bulk journal record")
    assert len(messages(env)) == 120


def test_a_journal_without_its_binding_is_refused(env: Env) -> None:
    path = csv_file(env, 30)
    journal = env.tmp / "j.jsonl"
    journal.write_text(json.dumps({"batch": 1, "event": "start", "rows": list(range(2, 32))}))
    plain_error(bulk(env, path, "--journal", str(journal)), f"{journal}:1: not a send-bulk journal")
    assert messages(env) == []


# --- 17. a resume near the 24-hour quota counts what remains -------------------------------------


def test_a_resume_near_the_quota_counts_only_what_remains_to_send(env: Env) -> None:
    path = csv_file(env, 50)
    env.control("POST", "/_sesctl/send-quota", {"max_24_hour_send": 30})
    first = bulk(env, path, "--journal", "j.jsonl", "--ignore-quota")
    assert first.exit_code == 1 and "Sent 30, failed 20" in first.stderr
    env.control("POST", "/_sesctl/send-quota", {"max_24_hour_send": 50})  # 20 left today
    resumed = bulk(env, path, "--journal", "j.jsonl")
    assert resumed.exit_code == 0, resumed.stderr
    assert "Sent 20, failed 0, unknown 0, already sent 30" in resumed.stderr
    assert len(recipients(env)) == 50 and set(recipients(env).values()) == {1}


# --- 11. outputs never overwrite inputs ----------------------------------------------------------


def link(env: Env, target: Path, kind: str) -> Path:
    path = env.tmp / f"{target.name}-{kind}"
    if kind == "symlink":
        path.symlink_to(target)
    elif kind == "hardlink":
        os.link(target, path)
    else:
        path = Path(os.path.relpath(target, env.tmp))  # the same file, named another way
    return path


@pytest.mark.parametrize("kind", ["same", "symlink", "hardlink"])
def test_results_over_the_recipients_or_the_journal_are_refused(env: Env, kind: str) -> None:
    path = csv_file(env, 5)
    content = path.read_bytes()
    result = bulk(env, path, "--results", str(link(env, path, kind)))
    plain_error(result, "--results: ")
    assert "is the --recipients file; refusing to write over it" in result.stderr
    journal = env.tmp / "j.jsonl"
    assert bulk(env, path, "--journal", str(journal)).exit_code == 0
    written = journal.read_bytes()
    result = bulk(env, path, "--journal", str(journal), "--results", str(link(env, journal, kind)))
    plain_error(result, "is the --journal file; refusing to write over it")
    assert path.read_bytes() == content and journal.read_bytes() == written


def test_a_journal_over_the_recipients_or_default_data_is_refused(env: Env) -> None:
    path = csv_file(env, 5)
    content = path.read_bytes()
    plain_error(bulk(env, path, "--journal", str(path)), "--journal: ")
    (env.tmp / "d.json").write_text('{"user": {"city": "Oslo"}}')
    result = bulk(env, path, "--default-data", "@d.json", "--results", "d.json")
    plain_error(result, "is the --default-data file")
    assert path.read_bytes() == content and messages(env) == []


# --- 15. rows SES would drop as rendering failures ----------------------------------------------


def test_rows_the_live_template_cannot_render_are_reported_and_not_sent(env: Env) -> None:
    path = jsonl_file(
        env,
        {"to": "a@example.com", "data": {"name": "A", "user": {"city": "Oslo"}}},
        {"to": "b@example.com", "data": {"user": {"city": "Rome"}}},
        {"to": "c@example.com", "data": {"name": "C"}},
    )
    result = bulk(env, path, "--results", "o.jsonl")
    assert result.exit_code == 1
    assert f"Not sent: {path}:2: hello uses {{{{name}}}} but the row has no 'name'" in result.stderr
    assert f"{path}:3: hello uses {{{{user.city}}}} but the row has no 'user.city'" in result.stderr
    assert "Sent 1, failed 2" in result.stderr
    assert [m["to"] for m in messages(env)] == [["a@example.com"]]
    failed = [r for r in results_of(env.tmp / "o.jsonl") if r["status"] == "failed"]
    assert [r["line"] for r in failed] == [2, 3] and "no 'name'" in failed[0]["error"]


def test_the_unsubscribe_url_has_no_value_in_send_bulk(env: Env) -> None:
    path = jsonl_file(env, {"to": "a@example.com", "data": {"name": "A"}})
    result = bulk(env, path, template="leave")
    assert result.exit_code == 1
    assert "uses {{amazonSESUnsubscribeUrl}} but the row has no" in result.stderr
    assert "only under list management, which send-bulk has not" in result.stderr
    assert messages(env) == []


# --- 18 and 10. recipients files as spreadsheets, scripts and attackers write them ---------------


def test_an_excel_csv_with_a_byte_order_mark_is_read(env: Env) -> None:
    path = env.tmp / "excel.csv"
    path.write_bytes("email,name,user.city\r\na@example.com,Åsa,Malmö\r\n".encode("utf-8-sig"))
    result = bulk(env, path)
    assert result.exit_code == 0, result.stderr
    (message,) = messages(env)
    assert message["template_data"] == {"name": "Åsa", "user": {"city": "Malmö"}}


def test_cc_and_bcc_in_jsonl_are_an_address_or_a_list(env: Env) -> None:
    data = {"name": "A", "user": {"city": "Oslo"}}
    path = jsonl_file(
        env,
        {"to": "a@example.com", "cc": "c@example.com", "bcc": ["d@example.com"], "data": data},
        {"to": "b@example.com", "cc": None, "data": data},
    )
    assert bulk(env, path).exit_code == 0
    first, second = messages(env)
    assert (first["cc"], first["bcc"], second["cc"]) == (["c@example.com"], ["d@example.com"], [])


@pytest.mark.parametrize(
    ("lines", "error"),
    [
        (['{"to": "a@example.com", "cc": 5}'], ":1: `cc` must be an address or a list"),
        (['{"to": "a@example.com", "bcc": [1]}'], ":1: `bcc` must be an address or a list"),
        (['{"to": "a@example.com", "data": []}'], ":1: `data` must be an object"),
        (['{"to": "a@example.com", "tags": {"t": {}}}'], ":1: each value in `tags` must be"),
        (['{"to": "a@example.com", "dat": {}}'], ":1: unknown key 'dat'"),
        (["[" * 100_000 + "]" * 100_000], ":1: not JSON this program reads: nested too deeply"),
        (['{"to": "a@example.com", "data": {"n": ' + "1" * 5000 + "}}"], ":1: not JSON this"),
        (['{"to": "a@example.com", "data": {"n": NaN}}'], ":1: not JSON this program reads"),
        (['{"to": "a@example.com"}', '{"to": "b@example.com",'], ":2:24: not JSON"),
        (
            ['{"to": "a@example.com", "data": ' + '{"a": ' * 40 + "1" + "}" * 40 + "}"],
            ":1: `data` nests deeper than 32",
        ),
    ],
)
def test_bad_jsonl_rows_name_their_line(env: Env, lines: list[str], error: str) -> None:
    path = jsonl_file(env, *lines)
    plain_error(bulk(env, path), f"{path}{error}")
    assert messages(env) == []


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b"email,name,user.city\na@example.com,A\n", ":2: 2 cells, but the header has 3"),
        (b"email,name,user.city\na@example.com,A,B,C\n", ":2: 4 cells, but the header has 3"),
        (b"email,name\na@example.com,A\nb@example.com,\xff\n", ":3:15: not UTF-8 text"),
        (b'email,name\na@example.com,"A\n', ":2: not valid CSV: a quoted cell opened on this"),
        (b"email,name,name\na@example.com,A,B\n", ":1: column 'name' appears twice"),
        (b"email,user,user.city\na@example.com,A,B\n", ":1: column 'user.city' nests under"),
        (b"name\nA\n", ":1: a CSV of recipients needs an `email` column"),
        (b"email,name\r" + b"a@example.com,A\r", ":1: not valid CSV: a carriage return alone"),
        (b"email\n" + b"a" * (1 << 21), ":2: line longer than"),
    ],
)
def test_bad_csv_rows_name_their_line(env: Env, content: bytes, error: str) -> None:
    path = env.tmp / "r.csv"
    path.write_bytes(content)
    plain_error(bulk(env, path), f"{path}{error}")
    assert messages(env) == []


def test_default_data_nested_too_deeply_is_refused_plainly(env: Env) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    plain_error(
        bulk(env, csv_file(env, 1), "--default-data", deep),
        "--default-data: not valid JSON this program reads: nested too deeply",
    )


def test_a_recipients_path_that_is_no_regular_file_is_refused(env: Env) -> None:
    plain_error(bulk(env, Path("/dev/zero")), "--recipients: /dev/zero is not a regular file")
