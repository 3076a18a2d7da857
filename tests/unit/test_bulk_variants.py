"""A/B tests in send-bulk without an endpoint: each address's variant, the checked split, and
the calls, entries, journal records and results an A/B test makes."""

from __future__ import annotations

import json
import random
import string
from pathlib import Path
from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler import bulk
from reconciler.bulk import Options, Results, Screen, Sender, batches, entry
from reconciler.client import Sesv2
from reconciler.errors import SesctlError
from reconciler.journal import Journal
from reconciler.recipients import Row
from reconciler.variants import SCALE, Split, bucket

AB = Split.of(["welcome-a", "welcome-b"], "50,50")


@st.composite
def splits(draw: st.DrawFn) -> Split:
    """Two to five templates with whole percentages summing to 100 (zeros allowed)."""
    cuts = sorted(draw(st.lists(st.integers(0, 100), min_size=1, max_size=4)))
    weights = [b - a for a, b in zip([0, *cuts], [*cuts, 100], strict=True)]
    names = [f"t{i}" for i in range(len(weights))]
    return Split.of(names, ",".join(map(str, weights)))


def addresses(seed: int, count: int) -> list[str]:
    """`count` random addresses, the same for one seed."""
    pick = random.Random(seed)
    letters = string.ascii_lowercase + string.digits
    return [
        "".join(pick.choices(letters, k=12)) + f"@{pick.choice(['example.com', 'mail.org'])}"
        for _ in range(count)
    ]


@settings(max_examples=200)
@given(address=st.emails(), split=splits())
def test_a_variant_depends_on_the_address_alone_whatever_its_case(
    address: str, split: Split
) -> None:
    chosen = split.choose(address)
    assert chosen == split.choose(address) == Split(split.names, split.shares).choose(address)
    assert split.choose(f"  {address.upper()} ") == chosen
    assert split.choose(f"Ada Lovelace <{address.swapcase()}>") == chosen
    assert 0 <= bucket(address) < SCALE
    assert split.shares[split.names.index(chosen)] > 0


@settings(max_examples=25, deadline=None, derandomize=True)
@given(split=splits(), seed=st.integers(0, 2**32))
def test_over_many_addresses_the_shares_approach_the_split(split: Split, seed: int) -> None:
    count = 20_000
    chosen = [split.choose(address) for address in addresses(seed, count)]
    for name, share in zip(split.names, split.shares, strict=True):
        observed = chosen.count(name) / count
        assert abs(observed - share / SCALE) < 0.02, (name, observed, share)


def test_the_default_split_is_equal_and_a_zero_share_is_never_chosen() -> None:
    three = Split.of(["a", "b", "c"])
    assert sum(three.shares) == SCALE and three.label == "33.33,33.33,33.34"
    assert Split.of(["a", "b"]).label == "50,50" and not Split.of(["a"]).ab
    everyone = addresses(7, 500)
    assert {Split.of(["a", "b"], "100,0").choose(a) for a in everyone} == {"a"}
    assert {Split.of(["a", "b"], "0,100").choose(a) for a in everyone} == {"b"}
    assert {Split.of(["a"]).choose(a) for a in everyone} == {"a"}


@pytest.mark.parametrize(
    ("names", "split", "message"),
    [
        (["a"], "100", "--split: one template has nothing to split"),
        (["a", "b"], "60,50", "--split: the weights add up to 110, not 100"),
        (["a", "b"], "50;50", "--split: '50;50' is not whole percentages separated by commas"),
        (["a", "b"], "50,-50", "--split: '50,-50' is not whole percentages"),
        (["a", "b"], "50.5,49.5", "--split: '50.5,49.5' is not whole percentages"),
        (["a", "b"], "", "--split: '' is not whole percentages"),
        (["a", "b"], "50,25,25", "--split: 3 weights for 2 templates; give one per --template"),
        (["a", "b", "a"], None, "--template: 'a' is given twice"),
        ([f"t{i}" for i in range(11)], None, "--template: 11 templates given"),
    ],
)
def test_bad_templates_and_splits_are_refused_naming_the_option(
    names: list[str], split: str | None, message: str
) -> None:
    with pytest.raises(SesctlError) as refused:
        Split.of(names, split)
    assert refused.value.message.startswith(message), refused.value.message


@settings(max_examples=300)
@given(text=st.text(st.sampled_from("0123456789,- .x"), max_size=12))
def test_any_split_text_is_a_split_of_100_or_refused(text: str) -> None:
    try:
        split = Split.of(["a", "b", "c"], text)
    except SesctlError as exc:
        assert exc.message.startswith("--split: ")
        return
    assert sum(split.shares) == SCALE and len(split.shares) == 3


def test_an_entry_of_an_ab_test_is_tagged_with_its_variant_beside_the_rows_tags() -> None:
    row = Row(2, "ada@example.com", tags={"campaign": "spring"})
    tags = entry(row, "welcome-b")["ReplacementTags"]
    assert tags == [
        {"Name": "campaign", "Value": "spring"},
        {"Name": "ab-variant", "Value": "welcome-b"},
    ]
    assert entry(Row(3, "bob@example.com"), "welcome-a")["ReplacementTags"] == [
        {"Name": "ab-variant", "Value": "welcome-a"}
    ]
    assert entry(row)["ReplacementTags"] == [{"Name": "campaign", "Value": "spring"}]
    assert "ReplacementTags" not in entry(Row(3, "bob@example.com"))


class Recorded:
    """A client that keeps every SendBulkEmail call and answers every entry SUCCESS."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def call(self, operation: str, **params: Any) -> dict[str, Any]:
        self.calls.append(params)
        results = [{"Status": "SUCCESS", "MessageId": "m"}] * len(params["BulkEmailEntries"])
        return {"BulkEmailEntryResults": results}


def recorded(path: Path, template: str | Split) -> tuple[Recorded, Sender]:
    """A Sender to a recording client, journaling to a new journal at path."""
    journal = Journal.open(path)
    journal.begin({"recipients": {}, "message": {}}, Path("r.csv"))
    client = Recorded()
    options = Options("news@example.com", template, {}, None, 1e6)
    return client, Sender(cast(Sesv2, client), options, journal)


def rows_of(count: int) -> list[Row]:
    return [Row(line, address, key=line) for line, address in enumerate(addresses(3, count), 2)]


def test_a_call_carries_its_variants_template_and_the_journal_names_it(tmp_path: Path) -> None:
    client, sender = recorded(tmp_path / "j.jsonl", AB)
    sent = sender.send(rows_of(3), "welcome-b")
    sender.journal.close()
    (call,) = client.calls
    assert call["DefaultContent"]["Template"]["TemplateName"] == "welcome-b"
    assert all(
        e["ReplacementTags"] == [{"Name": "ab-variant", "Value": "welcome-b"}]
        for e in call["BulkEmailEntries"]
    )
    assert {o["status"] for o in sent.outcomes.values()} == {"sent"}
    start = json.loads((tmp_path / "j.jsonl").read_text().splitlines()[1])
    assert start["event"] == "start" and start["variant"] == "welcome-b"


def test_one_template_adds_no_tag_and_no_variant(tmp_path: Path) -> None:
    client, sender = recorded(tmp_path / "j.jsonl", "hello")
    sender.send(rows_of(2))
    sender.journal.close()
    (call,) = client.calls
    assert call["DefaultContent"]["Template"]["TemplateName"] == "hello"
    assert all("ReplacementTags" not in e for e in call["BulkEmailEntries"])
    assert "variant" not in json.loads((tmp_path / "j.jsonl").read_text().splitlines()[1])


def test_batches_hold_one_variant_each_and_every_row_once() -> None:
    split = Split.of(["a", "b", "c"], "20,30,50")
    screen = Screen(Path("r.csv"), Journal(), split, {}, {}, False)
    every = rows_of(400)
    made = list(batches(iter(every), screen, 40, None))
    assert sorted(r.line for b in made for r in b.rows) == [r.line for r in every]
    assert all(len(b.rows) <= 40 and b.recipients == len(b.rows) for b in made)
    assert all(split.choose(r.to) == b.variant for b in made for r in b.rows)
    assert all(len(b.rows) == 40 for b in made[:-3])  # only each variant's last is partial


def test_results_name_each_rows_variant_and_count_what_was_sent(tmp_path: Path) -> None:
    results = Results(tmp_path / "o.jsonl", AB)
    every = rows_of(6)
    for row in every[:4]:
        results(row, "sent", "m", AB.choose(row.to))
    results(every[4], "skipped", None)
    results.close()
    records = [json.loads(line) for line in (tmp_path / "o.jsonl").read_text().splitlines()]
    assert [r["variant"] for r in records] == [AB.choose(r.to) for r in every[:5]]
    assert sum(results.tally.variants.values()) == 4 and set(results.tally.variants) == {
        "welcome-a",
        "welcome-b",
    }
    single = Results(tmp_path / "s.jsonl", Split.of(["hello"]))
    single(every[0], "sent", "m")
    single.close()
    assert "variant" not in json.loads((tmp_path / "s.jsonl").read_text())
    assert single.tally.variants == {}


def test_a_row_tagging_its_own_variant_is_refused_only_in_an_ab_test() -> None:
    row = Row(5, "ada@example.com", tags={"ab-variant": "mine"})
    ab = Screen(Path("r.jsonl"), Journal(), AB, {}, {}, False)
    with pytest.raises(SesctlError, match=r"^r\.jsonl:5: tags: 'ab-variant' is set by send-bulk"):
        ab.survey(iter([row]))
    one = Screen(Path("r.jsonl"), Journal(), Split.of(["hello"]), {}, {}, False)
    assert one.survey(iter([row])).to_send == 1


def test_reply_to_addresses_ride_on_every_call_and_only_when_given() -> None:
    options = bulk.Options(
        "news@example.com", "welcome", {}, None, 10.0, reply_to=("help@example.com",)
    )
    assert bulk._common(options, "welcome")["ReplyToAddresses"] == ["help@example.com"]
    plain = bulk.Options("news@example.com", "welcome", {}, None, 10.0)
    assert "ReplyToAddresses" not in bulk._common(plain, "welcome")
