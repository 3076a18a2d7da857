"""`sesctl send-bulk`: CSV and JSONL, rate, throttling, failures, kill -9 and resume."""

from __future__ import annotations

import collections
import json
import os
import pty
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.benchmarks.send_bulk import busiest_second

from .conftest import Env

HEAD = "version: 1\nstack: s\nregion: us-east-1\n"


def setup(env: Env) -> None:
    config = env.write(
        HEAD + "templates: {hello: {subject: 'Hi {{name}}', text: 'from {{user.city}}'}}\n"
    )
    assert env.sesctl("apply", config, "--auto-approve").exit_code == 0
    env.control("POST", "/_sesctl/send-quota", {"max_send_rate": 5000})
    env.verified("example.com")


def csv_file(env: Env, count: int, name: str = "r.csv") -> Path:
    path = env.tmp / name
    lines = ["email,name,user.city,cc"]
    lines += [f"u{i:05}@example.com,User {i},City {i}," for i in range(count)]
    path.write_text("\n".join(lines) + "\n")
    return path


def messages(env: Env) -> list[dict]:
    return env.control("GET", "/_sesctl/messages")["messages"]


def bulk(env: Env, recipients: Path, *extra: str):  # type: ignore[no-untyped-def]
    return env.sesctl(
        "send-bulk", "--from", "news@example.com", "--template", "hello",
        "--recipients", str(recipients), *extra,
    )  # fmt: skip


def test_csv_rows_become_messages_with_nested_data_and_results(env: Env) -> None:
    setup(env)
    result = bulk(env, csv_file(env, 120), "--rate", "1000", "--results", "out.jsonl")
    assert result.exit_code == 0, result.output
    sent = messages(env)
    assert len(sent) == 120 and len({m["to"][0] for m in sent}) == 120
    assert sent[7]["template_data"] == {"name": "User 7", "user": {"city": "City 7"}}
    assert sent[7]["subject"] == "Hi User 7" and all(m["delivered"] for m in sent)
    rows = [json.loads(line) for line in (env.tmp / "out.jsonl").read_text().splitlines()]
    assert len(rows) == 120 and {r["status"] for r in rows} == {"sent"}
    assert rows[0]["message_id"] == sent[0]["message_id"]
    assert "Sent 120, failed 0, unknown 0, already sent 0 — of 120 rows" in result.stderr


def test_jsonl_rows_with_cc_and_tags(env: Env) -> None:
    setup(env)
    path = env.tmp / "r.jsonl"
    path.write_text(
        json.dumps(
            {
                "to": "a@example.com",
                "cc": ["c@example.com"],
                "data": {"name": "A"},
                "tags": {"t": "1"},
            }
        )
        + "\n\n"
        + json.dumps({"to": "b@example.com", "data": {"name": "B"}})
        + "\n"
    )
    result = bulk(env, path, "--rate", "100", "--default-data", '{"user": {"city": "Paris"}}')
    assert result.exit_code == 0, result.output
    first, second = messages(env)
    assert first["cc"] == ["c@example.com"] and second["to"] == ["b@example.com"]
    assert second["subject"] == "Hi B" and second["template_data"]["user"] == {"city": "Paris"}


def test_rate_is_never_exceeded_as_the_emulator_measures_it(env: Env) -> None:
    setup(env)
    env.control("POST", "/_sesctl/send-quota", {"max_send_rate": 100})
    started = time.monotonic()
    result = bulk(env, csv_file(env, 300), "--rate", "100")
    elapsed = time.monotonic() - started
    assert result.exit_code == 0, result.output
    accepted = sorted(m["accepted_at"] for m in messages(env))
    assert len(accepted) == 300
    assert busiest_second(accepted) <= 100
    assert elapsed >= 2.5  # 300 recipients at 100/s cannot take less than 2.5 s after the first


def test_throttling_is_retried_and_nobody_is_sent_twice(env: Env) -> None:
    setup(env)
    env.control("POST", "/_sesctl/send-quota", {"max_send_rate": 60})
    env.reset_calls()
    result = bulk(env, csv_file(env, 200), "--rate", "400")
    assert result.exit_code == 0, result.output
    assert env.calls()["SendBulkEmail"] > 4  # some calls were answered 429 and retried
    recipients = collections.Counter(m["to"][0] for m in messages(env))
    assert len(recipients) == 200 and set(recipients.values()) == {1}


def test_permanent_failures_go_to_the_results_with_ses_reason(env: Env) -> None:
    setup(env)
    env.control("POST", "/_sesctl/send-quota", {"max_24_hour_send": 30})
    refused = bulk(env, csv_file(env, 50), "--rate", "1000")
    assert refused.exit_code == 1 and "only 30 left of the 24-hour quota" in refused.stderr
    result = bulk(
        env, csv_file(env, 50), "--rate", "1000", "--ignore-quota", "--results", "o.jsonl"
    )
    assert result.exit_code == 1
    rows = [json.loads(line) for line in (env.tmp / "o.jsonl").read_text().splitlines()]
    assert collections.Counter(r["status"] for r in rows) == {"sent": 30, "failed": 20}
    assert rows[-1]["error"] == "ACCOUNT_DAILY_QUOTA_EXCEEDED: Daily message quota exceeded."


def test_bad_rows_are_rejected_with_their_line_before_any_send(env: Env) -> None:
    setup(env)
    path = csv_file(env, 5)
    path.write_text(path.read_text().replace("u00002@example.com", "not-an-address"))
    env.reset_calls()
    result = bulk(env, path, "--rate", "100")
    assert result.exit_code == 1
    assert f"{path}:4: email: 'not-an-address' is not a valid email address" in result.stderr
    assert "SendBulkEmail" not in env.calls()
    (env.tmp / "bad.jsonl").write_text('{"to": "a@example.com"}\n{"too": 1}\n')
    result = bulk(env, env.tmp / "bad.jsonl")
    assert result.exit_code == 1 and "bad.jsonl:2: each line needs" in result.stderr


def test_dry_run_checks_every_row_against_the_template(env: Env) -> None:
    setup(env)
    path = env.tmp / "r.csv"
    path.write_text("email,name\na@example.com,A\n")
    result = bulk(env, path, "--dry-run")
    assert result.exit_code == 1
    assert f"{path}:2: hello uses {{{{user.city}}}} but the row has no 'user.city'" in result.stderr
    ok = bulk(env, path, "--dry-run", "--default-data", '{"user": {"city": "Oslo"}}')
    assert ok.exit_code == 0 and f"{path}:2: a@example.com — Hi A" in ok.stdout
    assert messages(env) == []


def test_kill_9_mid_run_then_resume_sends_nobody_twice_and_loses_nobody(env: Env) -> None:
    setup(env)
    rule = {"operation": "SendBulkEmail", "kind": "hold", "after": 6}  # 300 rows, then held
    env.control("POST", "/_sesctl/faults", rule)
    command = cli_command(env, csv_file(env, 1000), "500")
    process = subprocess.Popen(command, env=environment(), stderr=subprocess.DEVNULL)
    assert env.control("GET", "/_sesctl/held")["held"] >= 1
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    env.control("POST", "/_sesctl/release")  # the held calls land; their answers are lost
    env.control("DELETE", "/_sesctl/faults")
    before = len(messages(env))
    assert 300 <= before < 1000

    resumed = subprocess.run(
        [*command, "--results", "after.jsonl"], env=environment(), capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    rows = [json.loads(line) for line in (env.tmp / "after.jsonl").read_text().splitlines()]
    statuses = collections.Counter(r["status"] for r in rows)
    sent_to = collections.Counter(m["to"][0] for m in messages(env))
    assert set(sent_to.values()) == {1}, "a recipient got two messages"
    unknown = {r["email"] for r in rows if r["status"] == "unknown"}
    missing = {f"u{i:05}@example.com" for i in range(1000)} - set(sent_to)
    assert missing <= unknown, "a recipient was dropped without being reported"
    assert statuses["skipped"] + statuses["sent"] + statuses["unknown"] == 1000
    assert resumed.returncode == (1 if unknown else 0), resumed.stderr


def journal_records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_unknown_batches_are_reported_and_resent_only_when_asked(env: Env) -> None:
    setup(env)
    path = csv_file(env, 120)  # three calls of at most 50 rows
    first = bulk(env, path, "--rate", "1000", "--journal", "j.jsonl")
    assert first.exit_code == 0, first.stderr
    # As if the run had been killed while its second call was on the wire, before the third:
    # the journal ends with that call's start, and SES received neither of them.
    journal = env.tmp / "j.jsonl"
    kept = [r for r in journal_records(journal) if r.get("batch", 0) <= 2]
    kept = [r for r in kept if not (r["event"] == "done" and r["batch"] == 2)]
    journal.write_text("".join(json.dumps(r) + "\n" for r in kept))
    (second,) = [r for r in kept if r["event"] == "start" and r["batch"] == 2]
    in_flight = [line for line, _ in second["rows"]]
    env.control("POST", "/_sesctl/reset")
    setup(env)

    result = bulk(env, path, "--rate", "1000", "--journal", "j.jsonl", "--results", "o.jsonl")
    assert result.exit_code == 1
    settled = 120 - len(in_flight) - 20
    counts = f"Sent 20, failed 0, unknown {len(in_flight)}, already sent {settled} — of 120 rows"
    assert counts in result.stderr
    rows = [json.loads(line) for line in (env.tmp / "o.jsonl").read_text().splitlines()]
    unknown = [r for r in rows if r["status"] == "unknown"]
    assert [r["line"] for r in unknown] == in_flight
    assert "in flight when an earlier run stopped" in unknown[0]["error"]
    assert {m["to"][0] for m in messages(env)} == {f"u{i:05}@example.com" for i in range(100, 120)}

    again = bulk(env, path, "--rate", "1000", "--journal", "j.jsonl", "--resend-unknown")
    assert again.exit_code == 0, again.stderr
    assert (
        f"Sent {len(in_flight)}, failed 0, unknown 0, already sent {settled + 20}" in again.stderr
    )
    sent_to = collections.Counter(m["to"][0] for m in messages(env))
    assert set(sent_to) == {f"u{i - 2:05}@example.com" for i in in_flight} | {
        f"u{i:05}@example.com" for i in range(100, 120)
    }
    assert set(sent_to.values()) == {1}


def test_a_refused_call_stops_the_run_and_a_rerun_sends_what_was_not_sent(env: Env) -> None:
    setup(env)
    rule = {"operation": "SendBulkEmail", "code": "MessageRejected", "status": 400}
    env.control("POST", "/_sesctl/faults", {**rule, "message": "injected", "count": 1, "after": 1})
    command = [*cli_command(env, csv_file(env, 300), "100"), "--results", "o.jsonl"]
    process = subprocess.Popen(command, env=environment(), stderr=subprocess.PIPE, text=True)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 1
    assert "sending stopped: SendBulkEmail failed: MessageRejected: injected" in stderr
    rows = [json.loads(line) for line in (env.tmp / "o.jsonl").read_text().splitlines()]
    failed = [r for r in rows if r["status"] == "failed"]
    assert len(failed) == 50 and failed[0]["error"].startswith("SendBulkEmail failed")
    sent_first = len(messages(env))
    assert 50 <= sent_first < 250  # no call started after the refusal

    second = bulk(env, env.tmp / "r.csv", "--rate", "1000", "--journal", "j.jsonl")
    assert second.exit_code == 0, second.stderr
    assert f"already sent {sent_first}" in second.stderr
    sent_to = collections.Counter(m["to"][0] for m in messages(env))
    assert len(sent_to) == 300 and set(sent_to.values()) == {1}


def environment() -> dict[str, str]:
    return {**os.environ, "AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t"}


def cli_command(env: Env, path: Path, rate: str) -> list[str]:
    """send-bulk in a process of its own (to be killed or interrupted), journal j.jsonl."""
    return [
        sys.executable, "-m", "reconciler", "send-bulk", "--from", "news@example.com",
        "--template", "hello", "--recipients", str(path), "--rate", rate,
        "--journal", "j.jsonl", "--endpoint-url", env.url,
    ]  # fmt: skip


def test_ctrl_c_records_the_calls_on_the_wire_so_a_resume_has_no_unknown(env: Env) -> None:
    """The first batches are held on the wire (no race with the sender): Ctrl-C, release."""
    setup(env)
    env.control("POST", "/_sesctl/faults", {"operation": "SendBulkEmail", "kind": "hold"})
    command = cli_command(env, csv_file(env, 1000), "500")
    process = subprocess.Popen(command, env=environment(), stderr=subprocess.PIPE, text=True)
    assert env.control("GET", "/_sesctl/held")["held"] >= 1
    process.send_signal(signal.SIGINT)
    env.control("POST", "/_sesctl/release")
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "Interrupted: re-run the same command to resume." in stderr
    assert "Traceback" not in stderr

    resumed = subprocess.run(command, env=environment(), capture_output=True, text=True, timeout=60)
    assert resumed.returncode == 0, resumed.stderr
    assert "unknown 0" in resumed.stderr
    sent_to = collections.Counter(m["to"][0] for m in messages(env))
    assert len(sent_to) == 1000 and set(sent_to.values()) == {1}


def test_a_progress_line_with_rate_and_eta_on_a_terminal(env: Env) -> None:
    setup(env)
    command = cli_command(env, csv_file(env, 300), "100")
    controller, terminal = pty.openpty()
    process = subprocess.Popen(command, env=environment(), stderr=terminal, stdout=subprocess.PIPE)
    os.close(terminal)
    shown = b""
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        shown += chunk
    os.close(controller)
    assert process.wait(timeout=30) == 0
    text = shown.decode()
    assert re.search(r"\r\d+/300 · sent \d+ · failed 0 · \d+/s · ETA \d+s", text), text
    assert "Sent 300, failed 0, unknown 0, already sent 0 — of 300 rows" in text
