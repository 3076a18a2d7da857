"""The recipients reader on hostile input, property-tested: whatever the bytes, reading yields
rows or one SesctlError naming the file and a line; never another exception, never
`internal error`, and each example within a deadline."""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.errors import SesctlError
from reconciler.recipients import MAX_RECIPIENTS, Row, fingerprint, rows

SETTINGS = settings(
    max_examples=250,
    deadline=2000,  # ms per example: a quadratic or exponential path shows up as a failure
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


def read(path: Path, content: bytes) -> list[Row] | SesctlError:
    """Every row of the file, or the one error reading it gave."""
    path.write_bytes(content)
    try:
        return list(rows(path))
    except SesctlError as exc:
        return exc


def check(path: Path, outcome: list[Row] | SesctlError) -> None:
    """Rows within the file's lines, or a message that names file:line (and no more)."""
    lines = fingerprint(path).lines
    if isinstance(outcome, SesctlError):
        found = re.match(rf"{re.escape(str(path))}:(\d+)(:\d+)?: \S", outcome.message)
        assert found is not None, outcome.message
        assert 1 <= int(found.group(1)) <= max(lines, 1), outcome.message
        assert "internal error" not in outcome.message and "\n" not in outcome.message
        return
    for row in outcome:
        assert 1 <= row.line <= lines
        assert row.recipients <= MAX_RECIPIENTS
        assert json.loads(row.data_json) == row.data


SUFFIXES = st.sampled_from(["r.csv", "r.jsonl"])


@SETTINGS
@given(content=st.binary(max_size=3000), name=SUFFIXES)
def test_any_bytes_give_rows_or_a_plain_error_naming_a_line(
    folder: Path, content: bytes, name: str
) -> None:
    path = folder / name
    check(path, read(path, content))


# --- structured but hostile CSV ------------------------------------------------------------------

ADDRESSES = st.sampled_from(
    ["a@example.com", "b@example.org", "Ann <a@example.com>", "a@b", "", " ",
     "a@example.com;b@example.com", "(" * 3000 + "a@example.com", "<" * 500,
     '"q"@example.com', "a@" + "x" * 300 + ".com"]
)  # fmt: skip
CHARACTERS = [*'ab,;"\r\n\t .\ufeff\x00é€', "\U0001f600"]
TEXT = st.text(alphabet=st.sampled_from(CHARACTERS), max_size=30)
# A lone surrogate, now and then: written with surrogatepass, it is bytes that are not UTF-8.
HOSTILE_TEXT = TEXT | st.text(alphabet=st.sampled_from([*CHARACTERS, "\udc80"]), max_size=30)
NAMES = st.sampled_from(
    ["cc", "bcc", "name", "user.city", "user", "user.city.zip", "a..b", ".x", "", " email ",
     "Email", "email"]
)  # fmt: skip


def mostly(draw: Any, probability: float) -> bool:
    """True in about `probability` of the draws (and shrinking towards True)."""
    return draw(st.integers(0, 99)) >= 100 * (1 - probability)


@st.composite
def csv_documents(draw: Any) -> bytes:
    """A header (usually with `email`) and rows of hostile cells (usually as many as the
    header), quoted properly or joined raw, with any line endings and maybe a BOM."""
    header = draw(st.lists(NAMES | HOSTILE_TEXT, max_size=5, unique=True))
    if mostly(draw, 0.85) and "email" not in header:
        header.insert(draw(st.integers(0, len(header))), "email")
    records = []
    for _ in range(draw(st.integers(0, 6))):
        width = len(header) if mostly(draw, 0.8) else draw(st.integers(0, 8))
        records.append([draw(ADDRESSES | HOSTILE_TEXT) for _ in range(width)])
    ending = "\n" if mostly(draw, 0.8) else draw(st.sampled_from(["\r\n", "\r"]))
    if mostly(draw, 0.7):
        out = io.StringIO()
        writer = csv.writer(out, lineterminator=ending)
        for record in [header, *records]:
            writer.writerow(record)
        text = out.getvalue()
    else:
        text = "".join(",".join(record) + ending for record in [header, *records])
    bom = "\ufeff" if draw(st.booleans()) else ""
    return (bom + text).encode("utf-8", "surrogatepass")


@SETTINGS
@given(content=csv_documents())
def test_hostile_csv_gives_rows_or_a_plain_error_naming_a_line(
    folder: Path, content: bytes
) -> None:
    path = folder / "r.csv"
    check(path, read(path, content))


# --- structured but hostile JSONL ----------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | HOSTILE_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)


@st.composite
def jsonl_lines(draw: Any) -> str:
    """A line as a script writes it (usually a row, with hostile parts), or as an attacker
    does: any JSON value, a very deep one, or raw text."""
    kind = draw(st.sampled_from(["row"] * 6 + ["value", "deep", "raw"]))
    if kind == "value":
        return json.dumps(draw(JSON))
    if kind == "deep":
        depth = draw(st.integers(min_value=1, max_value=50_000))
        return '{"to": "a@example.com", "data": {"x": ' + "[" * depth + "]" * depth + "}}"
    if kind == "raw":
        return draw(HOSTILE_TEXT)
    row: dict[str, Any] = {"to": draw(ADDRESSES) if mostly(draw, 0.9) else draw(JSON)}
    for key in ("cc", "bcc", "data", "tags", "extra"):
        if draw(st.booleans()) and (key != "extra" or mostly(draw, 0.2)):
            row[key] = draw(
                st.dictionaries(TEXT, JSON, max_size=4)
                if key in ("data", "tags") and mostly(draw, 0.8)
                else ADDRESSES | JSON | st.lists(ADDRESSES, max_size=60)
            )
    return json.dumps(row)


@SETTINGS
@given(lines=st.lists(jsonl_lines(), max_size=6), ending=st.sampled_from(["\n", "\r\n"]))
def test_hostile_jsonl_gives_rows_or_a_plain_error_naming_a_line(
    folder: Path, lines: list[str], ending: str
) -> None:
    path = folder / "r.jsonl"
    content = "".join(line + ending for line in lines).encode("utf-8", "surrogatepass")
    check(path, read(path, content))


# --- what the reader accepts, by example ---------------------------------------------------------


def test_a_bom_csv_reads_as_excel_wrote_it(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes("email,user.name\r\na@example.com,Åsa\r\n".encode("utf-8-sig"))
    (row,) = rows(path)
    assert (row.line, row.to, row.data) == (2, "a@example.com", {"user": {"name": "Åsa"}})


def test_a_multi_line_row_is_named_by_its_first_line(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text('email,note\na@example.com,"one\ntwo"\nb@example.com,x\n')
    assert [(row.line, row.data["note"]) for row in rows(path)] == [(2, "one\ntwo"), (4, "x")]


def test_rows_differing_in_anything_sent_have_different_keys(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    variants = [
        {"to": "a@example.com"},
        {"to": "b@example.com"},
        {"to": "a@example.com", "cc": "c@example.com"},
        {"to": "a@example.com", "bcc": "c@example.com"},
        {"to": "a@example.com", "data": {"n": 1}},
        {"to": "a@example.com", "data": {"n": "1"}},
        {"to": "a@example.com", "tags": {"n": "1"}},
    ]
    path.write_text("".join(json.dumps(v) + "\n" for v in [*variants, variants[0]]))
    keys = [row.key for row in rows(path)]
    assert len(set(keys[:-1])) == len(variants) and keys[-1] == keys[0]
