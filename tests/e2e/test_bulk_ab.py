"""`sesctl send-bulk` A/B tests: each recipient's template follows from their address, and the
results, the journal, a resume, the checks before sending and a dry run all know it."""

from __future__ import annotations

import collections
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from reconciler.variants import Split

from .conftest import Env

HEAD = "version: 1\nstack: s\nregion: us-east-1\n"
TEMPLATES = (
    "templates:\n"
    "  welcome-a: {subject: 'A {{name}}', text: 'Hello {{name}}'}\n"
    "  welcome-b: {subject: 'B {{name}}', text: 'Hello {{name}} in {{city}}'}\n"
)
AB = ("--template", "welcome-a", "--template", "welcome-b")


@pytest.fixture(autouse=True)
def world(env: Env) -> None:
    """Two variants of a welcome, a verified sender and room to send fast."""
    assert env.sesctl("apply", env.write(HEAD + TEMPLATES), "--auto-approve").exit_code == 0
    env.control("POST", "/_sesctl/send-quota", {"max_send_rate": 5000})
    env.verified("example.com")


def csv_file(env: Env, count: int, city: bool = True) -> Path:
    path = env.tmp / "r.csv"
    lines = ["email,name,city"] if city else ["email,name"]
    lines += [
        f"U{i:03}@Example.com,User {i}" + (f",City {i}" if city else "") for i in range(count)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def bulk(env: Env, path: Path, *extra: str) -> Result:
    return env.sesctl(
        "send-bulk", "--from", "news@example.com", "--recipients", str(path), "--rate", "1000",
        *extra,
    )  # fmt: skip


def messages(env: Env) -> list[dict[str, Any]]:
    return env.control("GET", "/_sesctl/messages")["messages"]


def records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def plain_error(result: Result, text: str) -> None:
    """Exit 1 with one plain message: no traceback, never `internal error`."""
    assert result.exit_code == 1, result.output
    assert text in result.stderr, result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr


def test_each_recipient_gets_the_variant_its_address_chooses(env: Env) -> None:
    split = Split.of(["welcome-a", "welcome-b"], "50,50")
    path = csv_file(env, 40)
    env.reset_calls()
    result = bulk(
        env, path, *AB, "--split", "50,50", "--journal", "j.jsonl", "--results", "o.jsonl"
    )
    assert result.exit_code == 0, result.stderr
    chosen = {m["to"][0]: m["template"] for m in messages(env)}
    assert len(chosen) == 40
    assert chosen == {to: split.choose(to) for to in chosen}
    counts = collections.Counter(chosen.values())
    assert set(counts) == {"welcome-a", "welcome-b"}
    assert env.calls()["SendBulkEmail"] == 2  # one call per variant
    shown = f"Sent 40 (welcome-a {counts['welcome-a']}, welcome-b {counts['welcome-b']}), failed 0"
    assert shown in result.stderr
    results = records(env.tmp / "o.jsonl")
    assert {r["email"]: r["variant"] for r in results} == chosen
    journal = records(env.tmp / "j.jsonl")
    assert journal[0]["message"]["templates"] == ["welcome-a", "welcome-b"]
    assert journal[0]["message"]["split"] == "50,50"
    starts = [r for r in journal if r["event"] == "start"]
    by_line = {r["line"]: r["variant"] for r in results}
    assert {s["variant"] for s in starts} == {"welcome-a", "welcome-b"}
    assert all(by_line[line] == s["variant"] for s in starts for line, _ in s["rows"])


def test_a_rerun_sends_nothing_and_another_split_or_template_is_refused(env: Env) -> None:
    path = csv_file(env, 40)
    first = bulk(env, path, *AB, "--split", "50,50", "--journal", "j.jsonl")
    assert first.exit_code == 0, first.stderr
    again = bulk(env, path, *AB, "--split", "50,50", "--journal", "j.jsonl")
    assert again.exit_code == 0, again.stderr
    assert "Sent 0 (welcome-a 0, welcome-b 0), failed 0, unknown 0, already sent 40" in again.stderr
    assert len(messages(env)) == 40
    other = bulk(env, path, *AB, "--split", "90,10", "--journal", "j.jsonl")
    plain_error(other, "(--split was '50,50', now '90,10')")
    swapped = bulk(
        env, path, "--template", "welcome-b", "--template", "welcome-a", "--journal", "j.jsonl"
    )
    plain_error(swapped, "--template was 'welcome-a', 'welcome-b', now 'welcome-b', 'welcome-a'")
    single = bulk(env, path, "--template", "welcome-a", "--journal", "j.jsonl")
    plain_error(single, "--template was 'welcome-a', 'welcome-b', now 'welcome-a'")
    assert len(messages(env)) == 40


def test_a_single_template_journal_is_not_resumed_as_an_ab_test(env: Env) -> None:
    path = csv_file(env, 10)
    first = bulk(env, path, "--template", "welcome-a", "--journal", "j.jsonl")
    assert first.exit_code == 0, first.stderr
    assert records(env.tmp / "j.jsonl")[0]["message"]["template_name"] == "welcome-a"
    ab = bulk(env, path, *AB, "--journal", "j.jsonl")
    plain_error(ab, "--template was 'welcome-a', now 'welcome-a', 'welcome-b'; --split was not")
    assert len(messages(env)) == 10


def test_a_100_0_split_sends_everyone_the_first_variant(env: Env) -> None:
    result = bulk(env, csv_file(env, 40), *AB, "--split", "100,0", "--results", "o.jsonl")
    assert result.exit_code == 0, result.stderr
    assert {m["template"] for m in messages(env)} == {"welcome-a"} and len(messages(env)) == 40
    assert {r["variant"] for r in records(env.tmp / "o.jsonl")} == {"welcome-a"}
    assert "Sent 40 (welcome-a 40, welcome-b 0)" in result.stderr


def test_a_missing_variant_template_is_refused_before_any_call(env: Env) -> None:
    env.reset_calls()
    result = bulk(env, csv_file(env, 20), "--template", "welcome-a", "--template", "welcome-c")
    plain_error(result, "template welcome-c does not exist in SES")
    assert "SendBulkEmail" not in env.calls() and messages(env) == []


def test_a_row_its_variant_cannot_render_is_reported_and_not_sent(env: Env) -> None:
    split = Split.of(["welcome-a", "welcome-b"])
    path = csv_file(env, 40, city=False)  # welcome-b needs {{city}}, welcome-a does not
    result = bulk(env, path, *AB, "--results", "o.jsonl")
    assert result.exit_code == 1
    lines = {f"U{i:03}@Example.com": i + 2 for i in range(40)}
    to_b = sorted(line for to, line in lines.items() if split.choose(to) == "welcome-b")
    first = f"Not sent: {path}:{to_b[0]}: welcome-b uses {{{{city}}}} but the row has no 'city'"
    assert first in result.stderr
    assert {m["template"] for m in messages(env)} == {"welcome-a"}
    assert len(messages(env)) == 40 - len(to_b)
    failed = [r for r in records(env.tmp / "o.jsonl") if r["status"] == "failed"]
    assert sorted(r["line"] for r in failed) == to_b
    assert {r["variant"] for r in failed} == {"welcome-b"}


def test_dry_run_prints_each_rows_variant(env: Env) -> None:
    split = Split.of(["welcome-a", "welcome-b"])
    path = csv_file(env, 6)
    result = bulk(env, path, *AB, "--dry-run")
    assert result.exit_code == 0, result.stderr
    for i in range(6):
        to = f"U{i:03}@Example.com"
        variant = split.choose(to)
        subject = f"{variant[-1].upper()} User {i}"
        assert f"{path}:{i + 2}: {to} [{variant}] — {subject}" in result.stdout
    assert "Dry run: 6 messages would be sent with templates welcome-a (" in result.stderr
    assert messages(env) == []


def test_a_row_tagging_its_own_variant_is_refused_with_its_line(env: Env) -> None:
    path = env.tmp / "r.jsonl"
    rows = [
        {"to": "a@example.com", "data": {"name": "A", "city": "Oslo"}},
        {"to": "b@example.com", "data": {"name": "B", "city": "Oslo"}, "tags": {"ab-variant": "x"}},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    env.reset_calls()
    result = bulk(env, path, *AB)
    plain_error(result, f"{path}:2: tags: 'ab-variant' is set by send-bulk in an A/B test")
    assert "SendBulkEmail" not in env.calls()
    single = bulk(env, path, "--template", "welcome-a")
    assert single.exit_code == 0, single.stderr


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--template", "welcome-a", "--split", "100"), "--split: one template has nothing"),
        ((*AB, "--split", "60,50"), "--split: the weights add up to 110, not 100"),
        ((*AB, "--split", "half,half"), "--split: 'half,half' is not whole percentages"),
        ((*AB, "--split", "50,25,25"), "--split: 3 weights for 2 templates"),
        ((*AB, "--template", "welcome-a"), "--template: 'welcome-a' is given twice"),
    ],
)
def test_bad_templates_and_splits_are_one_plain_error(
    env: Env, extra: tuple[str, ...], message: str
) -> None:
    env.reset_calls()
    plain_error(bulk(env, csv_file(env, 3), *extra), message)
    assert "SendBulkEmail" not in env.calls()
