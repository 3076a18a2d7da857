"""GitHub annotations: located messages become file/line/col properties, escaped."""

from __future__ import annotations

from reconciler.annotations import annotation


def test_a_located_message_points_at_its_line_and_column() -> None:
    line = annotation("error", "conf/ses.yaml:12:5: identities.a.com.bogus: unknown key")
    assert line == "::error file=conf/ses.yaml,line=12,col=5::identities.a.com.bogus: unknown key"


def test_newlines_percent_and_separators_are_escaped() -> None:
    line = annotation("warning", "a,b:c.yaml:3:1: 100% sure\nsecond line")
    assert line == "::warning file=a%2Cb%3Ac.yaml,line=3,col=1::100%25 sure%0Asecond line"


def test_a_message_without_a_location_is_a_plain_annotation() -> None:
    assert annotation("error", "x.yaml: file not found") == "::error::x.yaml: file not found"
