"""The config loader: every bad input is one ConfigError naming file:line:column."""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
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
        f"{path}:8:31: templates.w.html_file: cannot read missing.html: file not found"
    )


SECRET = "AKIA-CANARY-0123456789"
SES_TEMPLATE_BYTES = 500 * 1024


@contextmanager
def feeding(fifo: Path, data: bytes) -> Iterator[None]:
    """Give `data` to a reader that opens the FIFO, so a loader that should refuse it but opens
    it anyway gets data (and the test fails) instead of blocking forever."""
    stop = threading.Event()

    def feed() -> None:
        while not stop.is_set():
            try:
                fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:  # no reader yet
                stop.wait(0.01)
                continue
            try:
                os.write(fd, data)
            finally:
                os.close(fd)
            return

    thread = threading.Thread(target=feed, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A config directory (`repo/`) with a template inside and a secret file beside it."""
    (tmp_path / "secret.txt").write_text(SECRET)
    inside = tmp_path / "repo"
    inside.mkdir()
    (inside / "ok.html").write_text("<p>ok</p>")
    (inside / "sub").mkdir()
    return inside


def template_at(repo: Path, relative: str) -> Path:
    """A config whose template `w` takes its HTML from `relative` (written at line 8, col 31)."""
    return write(
        repo, GOOD + f"templates:\n  w: {{subject: Hi, html_file: {json.dumps(relative)}}}\n"
    )


def refusal(path: Path, relative: str) -> str:
    return f"{path}:8:31: templates.w.html_file: cannot read {relative}: "


@pytest.mark.parametrize(
    ("relative", "link"),
    [
        ("/proc/self/environ", None),
        ("../secret.txt", None),
        ("sub/../../secret.txt", None),
        ("{tmp}/secret.txt", None),
        ("leak.html", "../secret.txt"),  # a symlink inside pointing outside
        ("up/secret.txt", ".."),  # through a symlinked directory
    ],
)
def test_a_template_file_must_resolve_inside_the_config_directory(
    repo: Path, relative: str, link: str | None
) -> None:
    relative = relative.format(tmp=repo.parent)
    if link is not None:
        (repo / relative.split("/")[0]).symlink_to(link)
    path = template_at(repo, relative)
    message = error_of(path)
    assert message == refusal(path, relative) + "it is outside the config's directory"
    assert SECRET not in message


def test_a_symlink_that_stays_inside_is_followed(repo: Path) -> None:
    (repo / "sub" / "link.html").symlink_to("../ok.html")
    assert load(template_at(repo, "sub/link.html")).model.templates["w"].html == "<p>ok</p>"


def test_a_template_file_must_be_a_regular_file(repo: Path) -> None:
    os.mkfifo(repo / "fifo.html")
    path = template_at(repo, "fifo.html")
    with feeding(repo / "fifo.html", b"<p>from a fifo</p>"):
        assert error_of(path) == refusal(path, "fifo.html") + "it is not a regular file (a FIFO)"
    path = template_at(repo, "sub")
    assert error_of(path) == refusal(path, "sub") + "it is not a regular file (a directory)"


def test_a_template_file_is_bounded_by_ses_template_size(repo: Path) -> None:
    (repo / "big.html").write_text("x" * SES_TEMPLATE_BYTES)
    assert len(load(template_at(repo, "big.html")).model.templates["w"].html or "") == 512_000
    (repo / "big.html").write_text("x" * (SES_TEMPLATE_BYTES + 1))
    path = template_at(repo, "big.html")
    assert error_of(path) == refusal(path, "big.html") + (
        "it is larger than 512,000 bytes (SES templates are at most 500 KB)"
    )


def test_a_template_file_that_is_not_utf8_says_where(repo: Path) -> None:
    (repo / "bad.html").write_bytes("<p>\n  é \xff</p>".encode("latin-1"))
    path = template_at(repo, "bad.html")
    assert error_of(path) == refusal(path, "bad.html") + "not UTF-8 (byte 0xe9) at line 2, column 3"


def test_a_nul_in_a_template_path_is_refused(repo: Path) -> None:
    path = template_at(repo, "ok.html\0.txt")
    assert error_of(path) == refusal(path, "ok.html\\x00.txt") + (
        "the path contains a NUL character"
    )


def test_the_config_itself_must_be_a_regular_file_inside_its_directory(repo: Path) -> None:
    (repo / "link.yaml").symlink_to(repo.parent / "secret.txt")
    assert error_of(repo / "link.yaml") == f"{repo}/link.yaml: it is outside the config's directory"
    os.mkfifo(repo / "fifo.yaml")
    with feeding(repo / "fifo.yaml", GOOD.encode()):
        assert error_of(repo / "fifo.yaml") == (
            f"{repo}/fifo.yaml: it is not a regular file (a FIFO)"
        )
    assert error_of(repo / "sub") == f"{repo}/sub: it is not a regular file (a directory)"
    (repo / "same.yaml").symlink_to("sub/../ok.html")  # inside: read (and found wanting)
    assert error_of(repo / "same.yaml").startswith(f"{repo}/same.yaml:1:1: ")


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
