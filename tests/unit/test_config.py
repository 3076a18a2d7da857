"""The config loader: every bad input is one ConfigError naming file:line:column."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.config import load
from reconciler.errors import ConfigError
from reconciler.yamlsource import parse_yaml

GOOD = """\
version: 1
stack: demo
identities:
  example.com: {configuration_set_name: main}
configuration_sets:
  main: {}
"""


def write(tmp_path: Path, text: str, name: str = "sesctl.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def error_of(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load(path)
    return info.value.message


def test_a_good_file_loads(tmp_path: Path) -> None:
    loaded = load(write(tmp_path, GOOD))
    assert loaded.model.stack == "demo"
    assert loaded.warnings == []
    assert str(loaded.mark("identities", "example.com")) == f"{tmp_path}/sesctl.yaml:4:3"


def test_missing_file(tmp_path: Path) -> None:
    assert error_of(tmp_path / "nope.yaml") == f"{tmp_path}/nope.yaml: file not found"


def test_yaml_syntax_error_has_position(tmp_path: Path) -> None:
    path = write(tmp_path, "version: 1\nstack: [demo\n")
    assert re.match(rf"{path}:3:1: YAML syntax error", error_of(path))


def test_unknown_key_with_suggestion(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("configuration_set_name", "configuration_set"))
    assert error_of(path) == (
        f"{path}:4:17: identities.example.com.configuration_set: unknown key "
        "(did you mean 'configuration_set_name'?)"
    )


def test_wrong_type(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + "dedicated_ip_pools: [a, b]\n")
    assert error_of(path).startswith(
        f"{path}:7:21: dedicated_ip_pools: Input should be a valid dictionary"
    )


def test_bad_enum(tmp_path: Path) -> None:
    path = write(
        tmp_path, GOOD.replace("main: {}", "main: {delivery_options: {tls_policy: STRICT}}")
    )
    assert error_of(path) == (
        f"{path}:6:41: configuration_sets.main.delivery_options.tls_policy: "
        "Input should be 'REQUIRE' or 'OPTIONAL'"
    )


def test_enum_case_is_normalised(tmp_path: Path) -> None:
    path = write(
        tmp_path, GOOD.replace("main: {}", "main: {delivery_options: {tls_policy: require}}")
    )
    assert load(path).model.configuration_sets["main"].delivery_options.tls_policy == "REQUIRE"


def test_duplicate_key(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + "configuration_sets:\n  other: {}\n")
    assert (
        error_of(path)
        == f"{path}:7:1: duplicate key 'configuration_sets' (first defined at line 5)"
    )


def test_missing_required_key(tmp_path: Path) -> None:
    path = write(tmp_path, "version: 1\n")
    assert error_of(path) == f"{path}:1:1: (top level): missing required key 'stack'"


def test_dangling_reference_is_a_warning_offline(tmp_path: Path) -> None:
    path = write(
        tmp_path, GOOD.replace("configuration_set_name: main", "configuration_set_name: gone")
    )
    (warning,) = load(path).warnings
    assert warning.startswith(
        f"{path}:4:41: identity example.com refers to configuration set 'gone'"
    )


def test_template_files_are_read_relative_to_the_config(tmp_path: Path) -> None:
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "w.html").write_text("<p>{{name}}</p>")
    path = write(tmp_path, GOOD + "templates:\n  w: {subject: Hi, html_file: t/w.html}\n")
    assert load(path).model.templates["w"].html == "<p>{{name}}</p>"


def test_unreadable_template_file(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + "templates:\n  w: {subject: Hi, html_file: missing.html}\n")
    assert error_of(path) == (
        f"{path}:8:31: templates.w.html_file: cannot read missing.html: No such file or directory"
    )


def test_policy_json_string_must_parse(tmp_path: Path) -> None:
    text = GOOD.replace("{configuration_set_name: main}", "{policies: {p: '{not json'}}")
    path = write(tmp_path, text)
    assert error_of(path).startswith(
        f"{path}:4:31: identities.example.com.policies.p: not valid JSON"
    )


def test_event_destination_needs_exactly_one_target(tmp_path: Path) -> None:
    text = GOOD.replace(
        "main: {}", "main: {event_destinations: {e: {matching_event_types: [SEND]}}}"
    )
    path = write(tmp_path, text)
    assert "needs exactly one of sns_destination" in error_of(path)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab:{}[]-#&*!|>'\"\n\t @,%1", max_size=60))
def test_arbitrary_text_never_crashes_the_loader(text: str) -> None:
    """Whatever the bytes, the loader answers with data or a ConfigError, never another error."""
    try:
        parse_yaml(text, "f.yaml")
    except ConfigError as exc:
        assert exc.message.startswith("f.yaml")
