"""Hostile YAML: whatever a pull request puts in the file, the loader returns data or raises one
ConfigError that names the file, line and column; it never crashes, hangs or runs code.

Each test runs with libyaml's parser and with PyYAML's pure-Python one (the fallback).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler import yamlsource
from reconciler.config import load
from reconciler.errors import ConfigError, SesctlError
from reconciler.yamlsource import parse_yaml

HEAD = "version: 1\nstack: s\n"
PARSERS = [yaml.SafeLoader, *([yaml.CSafeLoader] if yaml.__with_libyaml__ else [])]


@pytest.fixture(params=PARSERS, ids=lambda loader: loader.__name__)
def parser(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Run the test with this YAML parser under the loader."""
    with mock.patch.object(yamlsource, "_LOADER", request.param, create=True):
        yield request.param


def write(tmp_path: Path, content: str | bytes, name: str = "sesctl.yaml") -> Path:
    path = tmp_path / name
    path.write_bytes(
        content.encode("utf-8", "surrogatepass") if isinstance(content, str) else content
    )
    return path


def refusal(path: Path) -> str:
    """The loader's one message for the file, checked to be one located line."""
    with pytest.raises(ConfigError) as info:
        load(path)
    message = info.value.message
    assert_located(message, path)
    assert "\n" not in message, message
    return message


def assert_located(message: str, path: Path | str) -> None:
    """Every line names the file, a line and a column; nothing reads like a crash."""
    for line in message.splitlines():
        assert re.match(rf"{re.escape(str(path))}:\d+:\d+: \S", line), message
    assert "internal error" not in message and "Traceback" not in message


def laughs(levels: int) -> str:
    """A "billion laughs" document: each level lists the previous one nine times."""
    names = "abcdefghij"
    lines = [f"{names[0]}: &{names[0]} [{', '.join(['lol'] * 9)}]"]
    for previous, name in itertools.pairwise(names[:levels]):
        lines.append(f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]")
    return "\n".join(lines) + "\n"


# --- 9: aliases, keys, surrogates, merge keys ------------------------------------------------


@pytest.mark.usefixtures("parser")
def test_billion_laughs_is_refused_at_the_alias_that_expands_too_far(tmp_path: Path) -> None:
    """9^6 copies of 'lol' (531,441) is past the bound: refused at the first alias on line 6."""
    path = write(tmp_path, laughs(6))
    message = refusal(path)
    assert re.match(rf"{path}:6:\d+: alias \*e: aliases expand the document past 100,000", message)


@pytest.mark.usefixtures("parser")
def test_a_recursive_alias_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, HEAD + "tags: &a [*a]\n")
    assert refusal(path) == f"{path}:3:11: alias *a is inside the node it names"


@pytest.mark.usefixtures("parser")
def test_aliases_within_the_bound_are_copies(tmp_path: Path) -> None:
    data = parse_yaml("a: &a {k: [1, 2]}\nb: *a\nc: [*a, *a]\n", "f.yaml").data
    assert data["b"] == data["c"][0] == data["c"][1] == {"k": [1, 2]}
    data["b"]["k"].append(3)
    assert data["a"] == {"k": [1, 2]}


@pytest.mark.usefixtures("parser")
@pytest.mark.parametrize(
    "key", ["off", "on", "yes", "No", "true", "0x10", "010", "0b11", "1_000", "1.10", ".inf",
            "null", "~", "12:30", "2024-01-01", "1e3", "+1"],
)  # fmt: skip
def test_mapping_keys_stay_as_written(key: str) -> None:
    assert parse_yaml(f"{key}: v\n", "f.yaml").data == {key: "v"}


@pytest.mark.usefixtures("parser")
def test_tag_keys_stay_as_written_in_the_model(tmp_path: Path) -> None:
    path = write(tmp_path, HEAD + "tags: {off: a, on: b, 0x10: c, 1.10: d, yes: e}\n")
    assert load(path).model.tags == {"off": "a", "on": "b", "0x10": "c", "1.10": "d", "yes": "e"}


@pytest.mark.usefixtures("parser")
def test_values_keep_their_yaml_1_1_meaning_but_times_and_dates_stay_text() -> None:
    text = "{a: on, b: off, c: 0x10, d: 010, e: ~, f: 1_000, g: 1.5, h: 'on', i: -0b11, j: .inf,"
    data = parse_yaml(text + " k: 12:30, l: 2024-01-01, m: ! 12, n: !!str 1, o: !!float 2}", "f")
    assert data.data == {
        "a": True, "b": False, "c": 16, "d": 8, "e": None, "f": 1000, "g": 1.5, "h": "on",
        "i": -3, "j": float("inf"), "k": "12:30", "l": "2024-01-01", "m": "12", "n": "1",
        "o": 2.0,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('tags: {a: "\\ud800"}\n', "3:11"),
        ('tags: {a: "x\\udfffy"}\n', "3:11"),
        ('tags: {"\\ud83d": a}\n', "3:8"),
        ('templates: {t: {subject: "\\ud800", text: x}}\n', "3:26"),
    ],
)
def test_a_lone_surrogate_is_refused_where_it_is_written(
    tmp_path: Path, parser: Any, text: str, where: str
) -> None:
    path = write(tmp_path, HEAD + text)
    message = refusal(path)
    line = where.split(":")[0]
    # libyaml refuses the escape itself, at the escape; PyYAML's parser lets the loader see it.
    assert re.match(rf"{path}:{line}:\d+: ", message)
    if parser is yaml.SafeLoader:
        assert message.startswith(f"{path}:{where}: U+D")
        assert "lone surrogate" in message


MERGED = """\
version: 1
stack: s
configuration_sets:
  one: &common
    delivery_options: {tls_policy: REQUIRE}
    sending_options: {sending_enabled: true}
  two:
    <<: *common
    sending_options: {sending_enabled: false}
  three:
    sending_options: {sending_enabled: false}
    <<: [*common, {reputation_options: {reputation_metrics_enabled: true}}]
"""


@pytest.mark.usefixtures("parser")
def test_merge_keys_merge_and_explicit_keys_override(tmp_path: Path) -> None:
    loaded = load(write(tmp_path, MERGED))
    sets = loaded.model.configuration_sets or {}
    for name in ("two", "three"):
        assert sets[name].delivery_options.tls_policy == "REQUIRE"  # type: ignore[union-attr]
        assert sets[name].sending_options.sending_enabled is False  # type: ignore[union-attr]
    assert sets["three"].reputation_options.reputation_metrics_enabled is True  # type: ignore[union-attr]
    # a merged key points at where it is written: the anchored mapping
    assert loaded.mark("configuration_sets", "two", "delivery_options").line == 5
    assert loaded.value_mark("configuration_sets", "two", "sending_options").line == 9


@pytest.mark.usefixtures("parser")
def test_in_a_list_of_merges_the_earlier_mapping_wins() -> None:
    text = "a: &a {x: 1, y: 1}\nb: &b {x: 2, y: 2, z: 2}\nc: {<<: [*a, *b], y: 3}\n"
    assert parse_yaml(text, "f.yaml").data["c"] == {"x": 1, "y": 3, "z": 2}


@pytest.mark.usefixtures("parser")
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: &a {x: 1}\nb: {<<: *a, y: 1, y: 2}\n", "2:19: duplicate key 'y' (first defined at"),
        ("a: &a {x: 1}\nb:\n  x: 1\n  <<: *a\n  x: 2\n", "5:3: duplicate key 'x' (first defined"),
        ("a: &a {x: 1}\nb: {<<: *a, <<: *a}\n", "2:13: duplicate merge key '<<' (first at line 2)"),
        ("b: {<<: 5}\n", "1:9: a merge key '<<' takes a mapping or a list of mappings"),
        ("b: {<<: [{x: 1}, [y]]}\n", "1:9: a merge key '<<' takes a mapping or a list of mappings"),
    ],
)  # fmt: skip
def test_duplicates_and_bad_merges_are_still_refused(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_yaml(text, "f.yaml")
    assert info.value.message.startswith(f"f.yaml:{message}")


@pytest.mark.usefixtures("parser")
def test_a_quoted_merge_key_is_an_ordinary_key() -> None:
    assert parse_yaml("a: &a {x: 1}\nb: {'<<': *a}\n", "f.yaml").data["b"] == {"<<": {"x": 1}}


# --- 10: inputs that used to end in "internal error" or a byte offset -----------------------

HOSTILE = {
    "deep flow nesting": ("[" * 100_000, "1:"),
    "deep block nesting": ("- " * 100_000 + "a\n", "1:"),
    "deep mappings": ("".join(" " * i + f"k{i}:\n" for i in range(300)), ""),
    "!!int on text": (HEAD + "tags: {a: !!int xyz}\n", "3:11: 'xyz' is not an integer (tag !!int)"),
    "!!float on text": (HEAD + "tags: {a: !!float x}\n", "3:11: 'x' is not a number (tag !!float)"),
    "!!bool on text": (HEAD + "tags: {a: !!bool maybe}\n", "3:11: 'maybe' is not a boolean"),
    "!!null on text": (HEAD + "tags: {a: !!null x}\n", "3:11: 'x' is not null (tag !!null)"),
    "an empty binary int": (HEAD + "tags: {a: 0b_}\n", "3:11: '0b_' is not an integer"),
    "a 5000-digit integer": (HEAD + "tags: {a: " + "9" * 5000 + "}\n", "3:11: integer too large"),
    "a 20-digit integer": (HEAD + "tags: {a: -99999999999999999999}\n", "3:11: integer too large"),
    "a huge hex integer": (HEAD + "tags: {a: 0x" + "f" * 5000 + "}\n", "3:11: integer too large"),
    "a NUL byte": (HEAD + "tags: {a: b\0}\n", "3:12: character U+0000 is not allowed"),
    "a control character": (HEAD + "tags:\n  a: \x01\n", "4:6: character U+0001 is not allowed"),
    "CR line ends": ("version: 1\rstack: s\rtags: {a: \x01}\r", "3:11: character U+0001"),
    "CRLF line ends": ("version: 1\r\nstack: s\r\ntags: {a: \x02}\r\n", "3:11: character U+0002"),
    "not UTF-8, CR line ends": (b"version: 1\rstack: s\r\xc0", "3:1: not UTF-8 (byte 0xc0)"),
    "DEL": (HEAD + "region: \x7f\n", "3:9: character U+007F is not allowed"),
    "a C1 control": (HEAD + "# é \x9b\n", "3:5: character U+009B is not allowed"),
    "not UTF-8": (HEAD.encode() + b"tags: {a: caf\xe9}\n", "3:14: not UTF-8 (byte 0xe9)"),
    "not UTF-8 after non-ASCII": ("é: ü\n".encode() + b"x\xff", "2:2: not UTF-8 (byte 0xff)"),
    "UTF-16": ("version: 1\n".encode("utf-16"), "1:1: not UTF-8 (byte 0xff)"),
    "!!python/object": (
        HEAD + "tags: !!python/object:os.system {a: b}\n",
        "3:7: tag !!python/object:os.system is not supported",
    ),
    "!!python/name": (HEAD + "region: !!python/name:os.system ''\n", "3:9: tag !!python/name"),
    "!!binary": (HEAD + "tags: {a: !!binary aGVsbG8=}\n", "3:11: tag !!binary is not supported"),
    "!!set": (HEAD + "tags: !!set {a}\n", "3:7: tag !!set is not supported"),
    "!!omap": (HEAD + "tags: !!omap [a: b]\n", "3:7: tag !!omap is not supported"),
    "!!timestamp": (HEAD + "tags: {a: !!timestamp 2024-01-01}\n", "3:11: tag !!timestamp"),
    "a local tag": (HEAD + "tags: {a: !secret x}\n", "3:11: tag !secret is not supported"),
    "a tag on a key": (HEAD + "tags: {!!int 1: x}\n", "3:8: a mapping key is a string"),
    "a complex key": (HEAD + "tags:\n  ? [a]\n  : b\n", "4:5: a mapping key must be a plain value"),
    "a mapping as key": (HEAD + "tags: {{a: b}: c}\n", "3:8: a mapping key must be a plain value"),
    "an alias to a list as key": (
        HEAD + "tags: {x: &l [a]}\nstack2: {*l : b}\n",
        "4:10: a mapping key must be a plain value",
    ),
    "an undefined alias": (HEAD + "tags: *nowhere\n", "3:7: alias *nowhere names no anchor"),
    "two documents": (HEAD + "---\n" + HEAD, "3:1: a config file holds one YAML document"),
    "a tab as indentation": (HEAD + "tags:\n\ta: b\n", "4:1: YAML syntax error"),
    "a NUL in a template path": (
        HEAD + 'templates: {t: {subject: a, html_file: "a\\0b"}}\n',
        "3:40: templates.t.html_file: cannot read a\\x00b: the path contains a NUL character",
    ),
    "a newline in a key": (HEAD + '"a\\nError: b": c\n', "3:1: a\\nError: b: unknown key"),
}


@pytest.mark.usefixtures("parser")
@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_input_gets_one_located_message(tmp_path: Path, name: str) -> None:
    content, expected = HOSTILE[name]
    path = write(tmp_path, content)
    message = refusal(path)
    assert message.startswith(f"{path}:{expected}"), message


@pytest.mark.usefixtures("parser")
@pytest.mark.parametrize(
    "content",
    [
        "\ufeff" + HEAD,  # a byte order mark
        HEAD + "tags: {&k x: y, z: *k}\n",  # an anchor on a key, used as a value
        HEAD + "tags: {&k x: y}\n",  # an anchor never used
        HEAD + "templates: {t: {subject: a, text: " + "x" * 1_000_000 + "}}\n",  # a long line
        HEAD + "tags: {a: !!str 1, b: ! 2}\n",  # tags that keep text text
        "# only a comment\n" + HEAD,
    ],
    ids=["bom", "anchored key", "anchor unused", "long line", "standard tags", "comment"],
)
def test_odd_but_valid_input_loads(tmp_path: Path, content: str) -> None:
    loaded = load(write(tmp_path, content))
    assert loaded.model.stack == "s"


@pytest.mark.usefixtures("parser")
def test_a_bom_does_not_shift_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "\ufeff" + HEAD + "tagz: {}\n")
    assert refusal(path).startswith(f"{path}:3:1: tagz: unknown key")


@pytest.mark.usefixtures("parser")
@pytest.mark.parametrize("content", ["", "# nothing\n", "\ufeff"])
def test_an_empty_file_is_a_located_missing_key(tmp_path: Path, content: str) -> None:
    path = write(tmp_path, content)
    assert refusal(path) == f"{path}:1:1: (top level): missing required key 'version'"


@pytest.mark.usefixtures("parser")
def test_a_message_that_quotes_a_huge_value_stays_one_short_line(tmp_path: Path) -> None:
    path = write(tmp_path, HEAD + "tags: {a: " + "x" * 300_000 + "}\n")
    message = refusal(path)
    assert message.startswith(f"{path}:3:11: tags.a: ")
    assert len(message) < len(str(path)) + 400


def test_a_directory_or_missing_config_is_named(tmp_path: Path) -> None:
    (tmp_path / "d.yaml").mkdir()
    with pytest.raises(ConfigError, match=r"d\.yaml: it is not a regular file \(a directory\)$"):
        load(tmp_path / "d.yaml")
    with pytest.raises(ConfigError, match=r"nope\.yaml: file not found$"):
        load(tmp_path / "nope.yaml")


# --- properties -----------------------------------------------------------------------------


def assert_loads_or_is_located(directory: Path, content: bytes) -> None:
    """The property: data, or a ConfigError located in this file (any other error fails)."""
    path = directory / "sesctl.yaml"
    path.write_bytes(content)
    try:
        load(path)
    except SesctlError as exc:
        assert isinstance(exc, ConfigError), exc
        assert_located(exc.message, path)


YAMLISH = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("ab01:-{}[],&*!|>'\"#%@`?<=~.\\ \n\t\r")),
        st.characters(codec="utf-8"),
        st.sampled_from(["\0", "\x01", "\x7f", "\x85", "\u2028", "\ufeff", "\ud800"]),
    ),
    max_size=80,
)


@pytest.mark.parametrize("loader", PARSERS, ids=lambda loader: loader.__name__)
@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    content=st.one_of(
        st.binary(max_size=120),
        YAMLISH.map(lambda text: text.encode("utf-8", "surrogatepass")),
        YAMLISH.map(lambda text: (HEAD + text).encode("utf-8", "surrogatepass")),
    )
)
def test_any_bytes_load_or_fail_with_a_located_message(
    tmp_path_factory: pytest.TempPathFactory, loader: Any, content: bytes
) -> None:
    with mock.patch.object(yamlsource, "_LOADER", loader, create=True):
        assert_loads_or_is_located(tmp_path_factory.mktemp("bytes"), content)


ANCHORS = ["a", "b", "c"]
SCALARS = st.sampled_from(
    [
        "x", "off", "on", "yes", "0x10", "010", "0b_", "0x_", "1_000", "12:30", "2024-01-01",
        "~", "''", "-1", ".inf", ".nan", "1e999", "9" * 30, '"\\ud800"', '"\\0"', '"\\U0010ffff"',
        '"a\\nb"', "'q'", "REQUIRE", "ENABLED", "true", "1", "100", "example.com", "a@b.com",
        "/proc/self/environ", "../x.html", ".", "'{{name}}'", "'{{#each x}}'", "'{not json'",
        "'${env:SESCTL_UNSET_FOR_TESTS}'", "sesctl:owner",
    ]
)  # fmt: skip
HOSTILE_TAGS = [
    "!!int ",
    "!!str ",
    "!!float ",
    "!!bool ",
    "!!null ",
    "!!binary ",
    "! ",
    "!!timestamp ",
    "!!python/object:os.system ",
    "!local ",
    "!!map ",
    "!!seq ",
    "!!set ",
]
TAGS = st.sampled_from([""] * 20 + HOSTILE_TAGS)  # mostly none, so documents get validated
KEYS = st.sampled_from(
    [
        "version", "stack", "region", "tags", "templates", "identities", "configuration_sets",
        "dedicated_ip_pools", "suppressions", "account", "t", "a", "off", "0x10", "<<", "'<<'",
        "subject", "html", "text", "html_file", "text_file", "test_data", "addresses",
        "sending_options", "sending_enabled", "delivery_options", "tls_policy", "policies",
        "example.com", "? [k]", "&a k", "*a", "''", '"\\ud800"', "sesctl:x",
    ]
)  # fmt: skip


def _decorated(node: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """A node with an optional anchor and tag in front."""
    anchor = st.sampled_from([""] * 6 + [f"&{name} " for name in ANCHORS])
    return st.tuples(anchor, TAGS, node).map("".join)


def _collections(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Flow lists and mappings of `inner` nodes, themselves anchored or tagged at times."""
    lists = st.lists(inner, max_size=4).map(lambda items: f"[{', '.join(items)}]")
    mappings = st.lists(st.tuples(KEYS, inner), max_size=4).map(
        lambda pairs: "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"
    )
    return _decorated(lists | mappings)


ALIASES = st.sampled_from([f"*{name}" for name in [*ANCHORS, "zz"]])
NODES = st.recursive(_decorated(SCALARS) | ALIASES, _collections, max_leaves=12)
DOCUMENTS = st.tuples(
    st.sampled_from([HEAD, HEAD, ""]),
    st.lists(st.tuples(KEYS, NODES), max_size=4).map(
        lambda pairs: "".join(f"{k}: {v}\n" for k, v in pairs)
    ),
).map("".join)


@pytest.mark.parametrize("loader", PARSERS, ids=lambda loader: loader.__name__)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=DOCUMENTS)
def test_structured_hostile_yaml_loads_or_fails_with_a_located_message(
    tmp_path_factory: pytest.TempPathFactory, loader: Any, document: str
) -> None:
    """Random keys, values, anchors, aliases, tags and nesting over the config's own keys."""
    with mock.patch.object(yamlsource, "_LOADER", loader, create=True):
        directory = tmp_path_factory.mktemp("doc")
        assert_loads_or_is_located(directory, document.encode("utf-8", "surrogatepass"))
