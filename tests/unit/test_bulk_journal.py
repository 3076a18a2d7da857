"""The send-bulk journal without an endpoint: one run at a time, bound to its send, rows known
by their content, and any bytes in it replayed or refused with the journal's path and line."""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.bulk import Options, Sender
from reconciler.errors import SesctlError
from reconciler.journal import Journal
from reconciler.recipients import Row

LINES = 40
BINDING = {
    "recipients": {"sha256": "0" * 64, "lines": LINES},
    "message": {"from": "a@example.com", "template_name": "t", "default_data": "d", "region": "r"},
}


def row(line: int, key: int = 7) -> Row:
    return Row(line, f"u{line}@example.com", key=key)


def written(path: Path) -> None:
    """A journal of one call (rows 2 and 3) whose answer said row 2 was sent."""
    journal = Journal.open(path)
    assert journal.load(BINDING, LINES) == []
    journal.begin(BINDING, Path("r.csv"))
    call = journal.start([row(2), row(3)])
    journal.done(call, {2: {"status": "sent", "message_id": "m"}})
    journal.close()


def test_a_journal_in_use_is_refused_and_free_again_once_closed(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    first = Journal.open(path)
    with pytest.raises(SesctlError, match="is in use by another send-bulk run"):
        Journal.open(path)
    first.close()
    Journal.open(path).close()


def test_a_journal_this_run_created_and_never_wrote_is_removed(tmp_path: Path) -> None:
    Journal.open(tmp_path / "j.jsonl").close()
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "given.jsonl").touch()  # an empty file someone made is theirs: kept
    Journal.open(tmp_path / "given.jsonl").close()
    assert list(tmp_path.iterdir()) == [tmp_path / "given.jsonl"]


def test_a_row_is_known_by_its_content(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    written(path)
    journal = Journal.open(path)
    assert journal.load(BINDING, LINES) == []
    assert (journal.get(row(2), Path("r.csv")), journal.get(row(3), Path("r.csv"))) == (1, 3)
    assert journal.get(row(4), Path("r.csv")) == 0
    with pytest.raises(SesctlError, match=r"r\.csv:2: this row changed since the journal"):
        journal.get(row(2, key=8), Path("r.csv"))
    assert journal.changed(iter([row(2), row(3, key=9)])) == row(3, key=9)
    journal.close()


def test_another_send_is_named_part_by_part(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    written(path)
    other = {
        "recipients": {"sha256": "1" * 64, "lines": LINES},
        "message": {**BINDING["message"], "template_name": "u"},
    }
    journal = Journal.open(path)
    assert journal.load(other, LINES) == ["recipients", "template_name"]
    journal.close()


def test_a_torn_header_means_a_new_journal(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    path.write_bytes(b'{"event": "journal", "vers')
    journal = Journal.open(path)
    assert journal.load(BINDING, LINES) == [] and journal.header is None
    assert path.read_bytes() == b'{"event": "journal", "vers'  # nothing written yet
    journal.begin(BINDING, Path("r.csv"))
    journal.close()
    (line,) = path.read_bytes().splitlines()
    assert json.loads(line)["recipients"]["sha256"] == "0" * 64


class Recorded:
    """A client that records SendBulkEmail calls and answers every entry SUCCESS."""

    def __init__(self) -> None:
        self.calls = 0

    def call(self, operation: str, **params: object) -> dict[str, object]:
        self.calls += 1
        entries = params["BulkEmailEntries"]
        assert isinstance(entries, list)
        return {"BulkEmailEntryResults": [{"Status": "SUCCESS", "MessageId": "m"}] * len(entries)}


def test_a_call_the_journal_cannot_record_is_not_made() -> None:
    full = Journal(Path("/dev/full"), os.open("/dev/full", os.O_WRONLY))  # ENOSPC on write
    client = Recorded()
    sender = Sender(client, Options("a@example.com", "t", {}, None, 1000.0), full)  # type: ignore[arg-type]
    sent = sender.send([row(2), row(3)])
    full.close()
    assert client.calls == 0 and sent.outcomes == {}
    assert sent.error is not None
    assert sent.error.message.startswith("cannot write the journal /dev/full: No space left")


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


RECORD = st.fixed_dictionaries(
    {
        "event": st.sampled_from(["start", "done", "journal", "other"]),
        "batch": st.integers(-2, 5) | st.text(max_size=2),
        "first": st.integers(-1, 50),
        "last": st.integers(-1, 50),
        "rows": st.lists(st.lists(st.integers(-1, 50) | st.text(max_size=3), max_size=3)),
        "results": st.dictionaries(
            st.sampled_from(["2", "3", "x", "99", "-1"]),
            st.fixed_dictionaries({"status": st.sampled_from(["sent", "failed", "x", 1])})
            | st.integers(),
        ),
    }
)


@st.composite
def journal_lines(draw: st.DrawFn) -> bytes:
    """A valid header, then records, near-records and garbage, the last maybe torn."""
    header = json.dumps({"event": "journal", "version": 2, **BINDING}).encode() + b"\n"
    lines = draw(
        st.lists(
            st.builds(lambda r: json.dumps(r).encode(), RECORD)
            | st.binary(max_size=40)
            | st.just(b"[" * 50_000),
            max_size=6,
        )
    )
    body = b"".join(line + b"\n" for line in lines)
    cut = draw(st.integers(0, len(body)))
    return header + body[: len(body) - cut if draw(st.booleans()) else len(body)]


@settings(max_examples=200, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(content=journal_lines())
def test_any_journal_replays_or_is_refused_naming_its_line(folder: Path, content: bytes) -> None:
    path = folder / "j.jsonl"
    path.write_bytes(content)
    journal = Journal.open(path)
    try:
        journal.load(BINDING, LINES)
    except SesctlError as exc:
        assert re.match(rf"{re.escape(str(path))}:\d+: \S", exc.message), exc.message
        assert "internal error" not in exc.message
        return
    finally:
        journal.close()
    assert all(state in (0, 1, 3) for state in journal.status)
    repaired = Journal.open(path)
    repaired.load(BINDING, LINES)
    repaired.begin(BINDING, Path("r.csv"))  # a torn tail becomes whole records
    repaired.close()
    assert path.read_bytes().endswith(b"\n")
    again = Journal.open(path)
    again.load(BINDING, LINES)
    again.close()
    assert again.status.rstrip(b"\0") == journal.status.rstrip(b"\0")
