"""`sesctl validate`'s template check on loaded configs: SES-supplied names need no test_data,
and lookup reads are checked against test_data like any other variable."""

from __future__ import annotations

from pathlib import Path

from reconciler.config import load
from reconciler.validate import check_templates

HEAD = """\
version: 1
stack: demo
identities:
  example.com: {configuration_set_name: main}
configuration_sets:
  main: {}
templates:
"""

UNSUBSCRIBE = """\
  news:
    subject: "News for {{name}}"
    html: '<p>Hi {{name}}</p><a href="{{amazonSESUnsubscribeUrl}}">Unsubscribe</a>'
    text: "Unsubscribe: {{{amazonSESUnsubscribeUrl}}}"
    test_data: {name: Ada}
"""

LOOKUP = """\
  roll:
    subject: Roll call
    text: "{{#each people}}{{name}} sits in {{lookup ../seats @index}}. {{/each}}"
    test_data:
      people: [{name: Ada}, {name: Grace}]
      seats: [A1, A2]
"""


def problems(tmp_path: Path, templates: str) -> list[str]:
    path = tmp_path / "sesctl.yaml"
    path.write_text(HEAD + templates)
    return check_templates(load(path))


def test_ses_unsubscribe_url_needs_no_test_data(tmp_path: Path) -> None:
    assert problems(tmp_path, UNSUBSCRIBE) == []


def test_other_missing_variables_are_still_reported(tmp_path: Path) -> None:
    found = problems(tmp_path, UNSUBSCRIBE.replace("{name: Ada}", "{nom: Ada}"))
    assert len(found) == 2  # subject and html read name; text does not
    assert all("test_data has no 'name'" in problem for problem in found)


def test_lookup_with_index_inside_each_passes(tmp_path: Path) -> None:
    assert problems(tmp_path, LOOKUP) == []


def test_lookup_past_the_end_of_a_list_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "sesctl.yaml"
    assert problems(tmp_path, LOOKUP.replace("[A1, A2]", "[A1]")) == [
        f"{path}:10:5: templates.roll.text: uses {{{{../seats.[1]}}}} (template line 1, "
        "column 34) but test_data has no '../seats.[1]': SES would drop the mail with a "
        "rendering failure"
    ]


def test_lookup_of_a_missing_list_is_reported(tmp_path: Path) -> None:
    found = problems(tmp_path, LOOKUP.replace("      seats: [A1, A2]\n", ""))
    assert len(found) == 1
    assert "uses {{../seats}}" in found[0] and "test_data has no '../seats'" in found[0]


def test_lookup_syntax_errors_are_reported(tmp_path: Path) -> None:
    found = problems(tmp_path, LOOKUP.replace("lookup ../seats @index", "lookup ../seats"))
    assert len(found) == 1
    assert "templates.roll.text: template line 1, column 34: lookup takes exactly two" in found[0]
