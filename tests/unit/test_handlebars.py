"""The offline SES Handlebars subset: output as Handlebars renders it, syntax errors and missing
variables at the right place, and properties over generated templates."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.handlebars import (
    SES_SUPPLIED,
    MissingVariableError,
    Template,
    TemplateSyntaxError,
    parse,
    render,
    variables,
)


def run(
    source: str, data: Mapping[str, Any] | None = None, supplied: Mapping[str, str] | None = None
) -> str:
    """Parse and render in one step."""
    return render(parse(source), data or {}, supplied=supplied)


# Expected outputs are what Handlebars itself produces for the same source and data.
RENDERS = [
    ("Hello {{name}}!", {"name": "Ada"}, "Hello Ada!"),
    ("{{ name }}|{{~ name ~}}", {"name": "x"}, "x|x"),
    ("{{c.first}} {{c.address.city}}", {"c": {"first": "A", "address": {"city": "B"}}}, "A B"),
    (
        "{{a/b}} {{[first name]}} {{this.c}} {{./c}}",
        {"a": {"b": 1}, "first name": 2, "c": 3},
        "1 2 3 3",
    ),
    ("{{items.[1]}} {{items.0.n}} {{items.length}}", {"items": [{"n": "z"}, "y"]}, "y z 2"),
    (
        "{{a}}|{{b}}|{{c}}|{{d}}|{{e}}|{{f}}|{{g}}",
        {"a": None, "b": False, "c": [1, "x", None], "d": {}, "e": 1.5, "f": 2.0, "g": 0},
        "|false|1,x,|[object Object]|1.5|2|0",
    ),
    ("{{#if a}}yes{{else}}no{{/if}}", {"a": True}, "yes"),
    ("{{#if a}}yes{{else}}no{{/if}}", {"a": 0}, "no"),
    ("{{#if a}}yes{{else}}no{{/if}}", {"a": []}, "no"),
    ("{{#if a}}yes{{else}}no{{/if}}", {"a": {}}, "yes"),
    ("{{#if a}}yes{{else}}no{{/if}}", {"a": ""}, "no"),
    ("{{#unless a}}u{{else}}e{{/unless}}", {"a": 1}, "e"),
    ("{{#if a}}A{{else if b}}B{{else unless c}}C{{else}}D{{/if}}", {"a": 0, "b": 1, "c": 0}, "B"),
    ("{{#if a}}A{{else if b}}B{{else unless c}}C{{else}}D{{/if}}", {"a": 0, "b": 0, "c": 0}, "C"),
    ("{{#if a}}A{{else if b}}B{{else unless c}}C{{else}}D{{/if}}", {"a": 0, "b": 0, "c": 1}, "D"),
    ("{{#if a}}x{{else each l}}{{this}}{{/if}}", {"a": False, "l": [1, 2]}, "12"),
    (
        "{{#each l}}{{@index}}:{{this}}{{#if @first}}F{{/if}}{{#if @last}}L{{/if}} {{/each}}",
        {"l": ["a", "b", "c"]},
        "0:aF 1:b 2:cL ",
    ),
    ("{{#each o}}{{@key}}={{.}};{{/each}}", {"o": {"x": 1, "y": 2}}, "x=1;y=2;"),
    ("{{#each l}}{{name}}{{else}}none{{/each}}", {"l": []}, "none"),
    ("{{#each s}}x{{else}}not a list{{/each}}", {"s": "abc"}, "not a list"),
    (
        "{{#each l}}{{../title}}-{{n}} {{/each}}",
        {"title": "T", "l": [{"n": 1}, {"n": 2}]},
        "T-1 T-2 ",
    ),
    ("{{#each l}}{{#if on}}{{../t}}{{/if}}{{/each}}", {"t": "T", "l": [{"on": 1}]}, "T"),
    (
        "{{#each a}}{{#each b}}{{../../t}}{{../n}}{{this}}{{/each}}{{/each}}",
        {"t": "T", "a": [{"n": "N", "b": [1, 2]}]},
        "TN1TN2",
    ),
    ("{{#each l}}{{@root.t}}{{/each}}{{@root.t}}", {"t": "T", "l": [1]}, "TT"),
    ("{{#with user}}{{first}} {{../site}}{{/with}}", {"user": {"first": "A"}, "site": "S"}, "A S"),
    ("{{#with user}}in{{else}}out{{/with}}", {"user": None}, "out"),
    ("{{#with n}}{{this}}{{/with}}", {"n": 0}, "0"),
    ("a {{! short }} b {{!-- long }} --}} c", {}, "a  b  c"),
    ("a  {{~v~}}  b\n{{~! x ~}}\n c", {"v": 1}, "a1bc"),
    ("  {{#if a}}  \n x\n  {{/if}}  \nend", {"a": 1}, " x\nend"),
    (
        "<ul>\n  {{#each l}}\n  <li>{{this}}</li>\n  {{/each}}\n</ul>\n",
        {"l": [1, 2]},
        "<ul>\n  <li>1</li>\n  <li>2</li>\n</ul>\n",
    ),
    ("{{#if a}}\r\n  x\r\n{{else}}\r\n  y\r\n{{/if}}\r\n", {"a": 0}, "  y\r\n"),
    ("a\n{{! c }}\nb", {}, "a\nb"),
    ("x {{#if a}}\ny{{/if}}", {"a": 1}, "x \ny"),
    ("\\{{name}} \\\\{{name}} \\{{{{name}}", {"name": "N"}, "{{name}} \\N {{N"),
    (
        '{{#*inline "full"}}{{first}} {{last}}{{/inline}}Hi {{> full}}!',
        {"first": "A", "last": "B"},
        "Hi A B!",
    ),
    (
        '{{#*inline "p"}}\n  {{a}}\n  {{b}}\n{{/inline}}\nx\n  {{> p}}\ny',
        {"a": "A", "b": "B"},
        "x\n    A\n    B\ny",
    ),
    (
        '{{#*inline "p"}}\n{{a}}\n\n{{a}}\n\n{{/inline}}\n  {{> p}}\nz',
        {"a": "A"},
        "  A\n  \n  A\n  \nz",
    ),
    ("{{a~}}} {{#if a}}x{{else}}}{{/if}} {{! c }}}", {"a": 1}, "1} x }"),
    (
        "{{#*inline 'row'}}<{{this}}>{{/inline}}{{#each l}}{{> \"row\"}}{{/each}}",
        {"l": [1, 2]},
        "<1><2>",
    ),
]


@pytest.mark.parametrize(("source", "data", "expected"), RENDERS)
def test_renders_as_handlebars_does(source: str, data: dict[str, Any], expected: str) -> None:
    assert run(source, data) == expected


def test_double_stash_escapes_html_and_triple_stash_does_not() -> None:
    value = "<a href='x'>&\"`=</a>"
    escaped = "&lt;a href&#x3D;&#x27;x&#x27;&gt;&amp;&quot;&#x60;&#x3D;&lt;/a&gt;"
    assert run("{{v}}|{{{v}}}|{{&v}}", {"v": value}) == f"{escaped}|{value}|{value}"


def test_ses_guide_example_renders() -> None:
    source = (
        '{{#*inline "fullName"}}{{firstName}}{{#if middleName}} {{middleName}}{{/if}} '
        "{{lastName}}{{/inline}}<h1>Hello {{> fullName}}!</h1>\n"
        "{{#if subscription}}<ul>{{#each subscription}}<li>{{interest}}</li>{{/each}}</ul>"
        "{{else}}No interests{{/if}}"
    )
    data = {"firstName": "Ana", "lastName": "Iy", "subscription": [{"interest": "Sports"}]}
    assert run(source, data) == "<h1>Hello Ana Iy!</h1>\n<ul><li>Sports</li></ul>"


ERRORS = [
    ("Hi {{name", "unterminated mustache", 1, 4),
    ("a\n  {{#if x}}\n{{name}", "unterminated mustache", 3, 1),
    ("{{{raw}}", "unterminated '{{{'", 1, 1),
    ("x {{!-- never closed }}", "unterminated comment", 1, 3),
    ("{{}}", "empty expression", 1, 1),
    ("a {{ ~}}", "empty expression", 1, 3),
    ("{{{ }}}", "empty expression", 1, 1),
    ("{{#if a}}\n  x\n", "{{#if}} is never closed", 1, 1),
    ("x\n {{#each l}}{{#if a}}{{/if}}", "{{#each}} is never closed", 2, 2),
    ("{{#if a}}{{else if b}}x", "{{#if}} is never closed", 1, 1),
    ("{{#each l}}\n{{/if}}", "{{/if}} does not match {{#each}} opened at line 1, column 1", 2, 1),
    ("{{#if a}}{{else each l}}{{/each}}", "{{/each}} does not match {{#if}}", 1, 25),
    ("x\n{{/if}}", "{{/if}} closes no open block", 2, 1),
    ("{{#foo bar}}x{{/foo}}", "unknown block helper 'foo'", 1, 1),
    ("{{#if a}}{{else foo b}}{{/if}}", "unknown block helper 'foo'", 1, 10),
    ("{{#inline 'p'}}{{/inline}}", "unknown block helper 'inline'", 1, 1),
    ("{{else}}", "{{else}} outside", 1, 1),
    ("{{#if a}}{{else}}{{else}}{{/if}}", "a second {{else}}", 1, 18),
    ('{{#*inline "p"}}{{else}}{{/inline}}', "{{else}} outside", 1, 17),
    ("{{#if}}{{/if}}", "#if takes exactly one path argument", 1, 1),
    ("{{#if a b}}{{/if}}", "#if takes exactly one path argument", 1, 1),
    ("{{#each l as |x|}}{{/each}}", "#each takes exactly one path argument", 1, 1),
    ("{{#if (eq a b)}}{{/if}}", "#if takes exactly one path argument", 1, 1),
    ("{{/if x}}", "a closing tag names only its block", 1, 1),
    ("{{eq a b}}", "helper calls are not supported", 1, 1),
    ("x {{lookup o}}", "lookup takes exactly two arguments", 1, 3),
    ('{{lookup o "k" "j"}}', "lookup takes exactly two arguments", 1, 1),
    ("{{{lookup}}}", "lookup takes exactly two arguments", 1, 1),
    ('{{lookup o "k" level=1}}', "lookup takes exactly two arguments", 1, 1),
    ('{{lookup "abc" 1}}', "lookup reads from a path, not from the literal", 1, 1),
    ("{{lookup o true}}", "true is not a lookup argument", 1, 1),
    ('{{lookup o (lookup p "k")}}', "not subexpressions", 1, 1),
    ('{{lookup o "a"b"}}', "invalid expression", 1, 1),
    ("{{#each (lookup (lookup a b) c)}}{{/each}}", "not subexpressions", 1, 1),
    ('{{#lookup o "k"}}{{/lookup}}', "unknown block helper 'lookup'", 1, 1),
    ("{{#log}}{{/log}}", "unknown block helper 'log'", 1, 1),
    ("{{log (lookup a b)}}", "the only subexpression is (lookup obj key)", 1, 1),
    ("{{log a..b}}", "invalid path 'a..b'", 1, 1),
    ("{{if}}", "if is a block helper", 1, 1),
    ("{{{each}}}", "each is a block helper", 1, 1),
    ("{{#with (lookup o k) x}}{{/with}}", "#with takes exactly one path argument", 1, 1),
    ("é {{ #if a}}", "no space is allowed between '{{' and '#'", 1, 3),
    ("{{a..b}}", "invalid path 'a..b'", 1, 1),
    ("{{a.}}", "invalid path 'a.'", 1, 1),
    ("{{a/../b}}", "invalid path 'a/../b'", 1, 1),
    ("{{@../index}}", "invalid path '@../index'", 1, 1),
    ('{{"str"}}', "invalid path", 1, 1),
    ("{{a=b}}", "invalid path", 1, 1),
    ("{{[open}}", "invalid expression", 1, 1),
    ("{{^a}}x{{/a}}", "sections are not supported", 1, 1),
    ("{{#> layout}}x{{/layout}}", "partial blocks", 1, 1),
    ("{{#*decorator}}{{/decorator}}", "the only decorator", 1, 1),
    ("{{#*inline p}}{{/inline}}", "the only decorator", 1, 1),
    ("{{> missing}}", "unknown partial 'missing'", 1, 1),
    ("{{> p ctx}}", "partials take no arguments", 1, 1),
    ('{{#*inline "p"}}{{/inline}}{{#*inline "p"}}{{/inline}}', "'p' is defined twice", 1, 28),
    (
        '{{#*inline "p"}}{{> q}}{{/inline}}{{#*inline "q"}}\n {{> p}}{{/inline}}',
        "partial 'p' calls itself",
        2,
        2,
    ),
    ("{{{{raw}}}}x{{{{/raw}}}}", "ends a raw block", 1, 1),
    ("<style>a{color:{{c}}}</style>", "'}}}' ends a '{{{' mustache", 1, 16),
    ("{{{c}}}}", "ends a raw block", 1, 1),
    ("{{#if a}}" * 101, "blocks nest deeper than 100", 1, 901),
]


@pytest.mark.parametrize(("source", "message", "line", "column"), ERRORS)
def test_syntax_errors_name_the_tag(source: str, message: str, line: int, column: int) -> None:
    with pytest.raises(TemplateSyntaxError) as caught:
        parse(source)
    assert message in caught.value.message
    assert (caught.value.line, caught.value.column) == (line, column)
    assert isinstance(caught.value, ValueError)
    assert f"line {line}, column {column}" in str(caught.value)


MISSING = [
    ("Hi {{name}}", {}, "name", 1, 4),
    ("{{user.name}}", {"user": {}}, "user.name", 1, 1),
    ("{{user.name}}", {"user": None}, "user.name", 1, 1),
    ("{{user.name}}", {"user": "a string"}, "user.name", 1, 1),
    ("{{items.5}}", {"items": [1]}, "items.5", 1, 1),
    ("{{{raw}}} {{&raw}}", {}, "raw", 1, 1),
    ("{{a}}{{b}}", {}, "a", 1, 1),
    ("one\n  {{#each items}}{{name}}{{/each}}", {"items": [{"name": 1}, {}]}, "name", 2, 18),
    ("{{#each items}}{{../title}}{{/each}}", {"items": [1]}, "../title", 1, 16),
    ("{{#each l}}{{../../x}}{{/each}}", {"l": [1], "x": 1}, "../../x", 1, 12),
    ("{{#with user}}{{first}}{{/with}}", {"user": {"last": "L"}}, "first", 1, 15),
    ("{{#with user}}{{../x}}{{/with}}", {"user": {"x": 1}}, "../x", 1, 15),
    ("{{#each missing}}{{/each}}", {}, "missing", 1, 1),
    ("x {{#with missing}}{{/with}}", {}, "missing", 1, 3),
    ("{{#if a}}{{b}}{{/if}}", {"a": 1}, "b", 1, 10),
    ("{{#if a}}{{else}}{{b}}{{/if}}", {}, "b", 1, 18),
    ("{{#unless a}}{{b}}{{/unless}}", {}, "b", 1, 14),
    ("{{@index}}", {}, "@index", 1, 1),
    ('{{#*inline "p"}}\n{{x}}{{/inline}}{{> p}}', {}, "x", 2, 1),
    # lookup: handlebars.js prints "" for each of these; SES fails the render (see the module)
    ('{{lookup missing "k"}}', {}, "missing", 1, 1),
    ("{{lookup o key}}", {"o": {"k": 1}}, "key", 1, 1),
    ('a {{{lookup o "nokey"}}}', {"o": {"k": 1}}, "o.nokey", 1, 3),
    ('{{lookup o "a b"}}', {"o": {}}, "o.[a b]", 1, 1),
    ('{{lookup n "x"}}', {"n": None}, "n.x", 1, 1),
    ("{{lookup s 0}}", {"s": "abc"}, "s.[0]", 1, 1),
    ('{{lookup l "01"}}', {"l": ["a", "b"]}, "l.[01]", 1, 1),
    ("{{l.[01]}}", {"l": ["a", "b"]}, "l.[01]", 1, 1),
    ('{{lookup this "k"}}', {}, "this.k", 1, 1),
    (
        "{{#each l}}{{lookup ../names @index}}{{/each}}",
        {"l": [1, 2], "names": ["a"]},
        "../names.[1]",
        1,
        12,
    ),
    ("{{lookup names @index}}", {"names": ["a"]}, "@index", 1, 1),
    ('{{#with (lookup o "k")}}{{/with}}', {"o": {}}, "o.k", 1, 1),
    ('{{#each (lookup o "k")}}{{/each}}', {}, "o", 1, 1),
    ("{{amazonSESUnsubscribeUrl}}", {}, "amazonSESUnsubscribeUrl", 1, 1),
]


@pytest.mark.parametrize(("source", "data", "path", "line", "column"), MISSING)
def test_missing_variables_are_reported(
    source: str, data: dict[str, Any], path: str, line: int, column: int
) -> None:
    with pytest.raises(MissingVariableError) as caught:
        run(source, data)
    assert (caught.value.path, caught.value.line, caught.value.column) == (path, line, column)
    assert isinstance(caught.value, KeyError)
    assert str(caught.value) == f"{path!r} is not in the data (line {line}, column {column})"


@pytest.mark.parametrize(
    ("source", "data", "expected"),
    [
        ("{{#if a.b.c}}x{{else}}none{{/if}}", {}, "none"),
        ("{{#unless missing}}shown{{/unless}}", {}, "shown"),
        ("{{#if a}}{{b}}{{/if}}", {}, ""),
        ("{{#if @first}}x{{/if}}", {}, ""),
        ("{{#each l}}{{x}}{{/each}}", {"l": []}, ""),
        ("{{#each l}}{{x}}{{else}}e{{/each}}", {"l": None}, "e"),
        ("[{{a}}]", {"a": None}, "[]"),
        ('{{#if (lookup o "k")}}y{{else}}n{{/if}}', {}, "n"),
        ("{{#unless (lookup o k)}}u{{/unless}}", {"o": {}}, "u"),
        ("[{{log missing.x}}]", {}, "[]"),
    ],
)
def test_conditions_and_unrendered_branches_may_lack_data(
    source: str, data: dict[str, Any], expected: str
) -> None:
    assert run(source, data) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{a}} {{b.c}} {{#if d}}{{{e}}}{{/if}}", {"a", "b.c", "d", "e"}),
        (
            "{{#each items}}{{name}}{{../title}}{{@index}}{{@root.site}}{{/each}}",
            {"items", "title", "site"},
        ),
        (
            "{{#with user}}{{name}}{{#with address}}{{city}}{{../../top}}{{/with}}{{/with}}",
            {"user", "user.name", "user.address", "user.address.city", "top"},
        ),
        ('{{#*inline "p"}}{{x}}{{/inline}}{{#with o}}{{> p}}{{/with}}', {"o", "o.x"}),
        ("{{this}} {{#with this}}{{a}}{{/with}} text", {"a"}),
        (
            '{{lookup o "k"}} {{lookup this "t"}} {{lookup l 1}} {{lookup p q}}',
            {"o.k", "t", "l.1", "p", "q"},
        ),
        ("{{#each l}}{{lookup ../m @index}}{{lookup this 'x'}}{{/each}}", {"l", "m"}),
        ('{{#with (lookup o "k")}}{{a}}{{../b}}{{/with}}', {"o.k", "o.k.a", "b"}),
        ("{{#with (lookup o k)}}{{a}}{{/with}}", {"o", "k"}),
        ("{{log a b=c}}", set()),
        (
            "{{amazonSESUnsubscribeUrl}}{{#with u}}{{amazonSESUnsubscribeUrl}}{{/with}}"
            "{{@root.amazonSESUnsubscribeUrl}}",
            {"u", "amazonSESUnsubscribeUrl"},
        ),
    ],
)
def test_variables_lists_root_paths(source: str, expected: set[str]) -> None:
    assert variables(parse(source)) == expected


def test_variables_reports_ses_supplied_names_only_when_asked() -> None:
    template = parse("{{amazonSESUnsubscribeUrl}} {{#with u}}{{amazonSESUnsubscribeUrl}}{{/with}}")
    assert variables(template) == {"u"}
    assert variables(template, ()) == {"amazonSESUnsubscribeUrl", "u", "u.amazonSESUnsubscribeUrl"}


# --- lookup, log and SES-supplied names ------------------------------------------------------

# Expected strings were checked against handlebars.js 4.7.10 (Handlebars.compile(source)(data)).
LOOKUPS = [
    (
        "{{#each names}}{{@index}}:{{lookup ../names @index}} {{/each}}",
        {"names": ["a", "b"]},
        "0:a 1:b ",
    ),
    (
        "{{lookup o \"k\"}}|{{lookup o 'k'}}|{{lookup o key}}",
        {"o": {"k": "v"}, "key": "k"},
        "v|v|v",
    ),
    ('[{{lookup l 1}}|{{lookup l "1"}}|{{lookup l "length"}}]', {"l": ["x", "y"]}, "[y|y|2]"),
    ("[{{lookup l 0.0}}|{{lookup l 1.0}}]", {"l": ["x", "y"]}, "[x|y]"),
    ("[{{lookup o 1.5}}|{{lookup o -1}}]", {"o": {"1.5": "F", "-1": "M"}}, "[F|M]"),
    (
        "[{{lookup o k}}|{{lookup o t}}]",
        {"o": {"null": "N", "true": "T"}, "k": None, "t": True},
        "[N|T]",
    ),
    (
        '[{{{lookup o "h"}}}|{{lookup o "h"}}|{{& lookup o "h" }}]',
        {"o": {"h": "<b>"}},
        "[<b>|&lt;b&gt;|<b>]",
    ),
    ('[{{lookup this "k"}}|{{lookup . "k"}}|{{lookup @root "k"}}]', {"k": 1}, "[1|1|1]"),
    (
        '[{{lookup o "a.b"}}|{{lookup o "a b"}}]',
        {"o": {"a.b": 1, "a b": 2, "a": {"b": 3}}},
        "[1|2]",
    ),
    (
        '[{{lookup o "k"}}|{{lookup p "k"}}]',
        {"o": {"k": [1, 2]}, "p": {"k": {}}},
        "[1,2|[object Object]]",
    ),
    ('[{{ lookup  o  "k" }}|{{~lookup o "k"~}}]', {"o": {"k": 1}}, "[1|1]"),
    (
        "{{#each o}}{{@key}}={{lookup ../p @key}};{{/each}}",
        {"o": {"a": 1, "b": 2}, "p": {"a": "A", "b": "B"}},
        "a=A;b=B;",
    ),
    ("{{#each l}}{{lookup ../m this}} {{/each}}", {"l": ["a", "b"], "m": {"a": 1, "b": 2}}, "1 2 "),
    ('{{#with (lookup o "k")}}{{x}}{{else}}none{{/with}}', {"o": {"k": {"x": "X"}}}, "X"),
    ('{{#with (lookup o "k")}}{{x}}{{else}}none{{/with}}', {"o": {"k": None}}, "none"),
    ('{{#each (lookup o "k")}}{{this}}{{else}}E{{/each}}', {"o": {"k": [1, 2]}}, "12"),
    ('{{#each ( lookup o "k" )}}{{this}}{{else}}E{{/each}}', {"o": {"k": []}}, "E"),
    (
        '{{#if (lookup o "k")}}y{{else}}n{{/if}}|{{#if (lookup o "z")}}y{{else}}n{{/if}}',
        {"o": {"k": 0}},
        "n|n",
    ),
    ('{{#if x}}{{else with (lookup o "k")}}{{a}}{{/if}}', {"o": {"k": {"a": "A"}}}, "A"),
    (
        "{{#each l}}{{#with (lookup ../o @index)}}{{a}}{{../../t}}{{/with}}{{/each}}",
        {"l": [1, 2], "o": [{"a": "x"}, {"a": "y"}], "t": "T"},
        "xTyT",
    ),
    ('[{{log}}|{{log "hi" a 1 true level="error"}}|{{{log x}}}|{{&log}}]', {"a": 2}, "[|||]"),
    ('a\n{{log "not standalone"}}\nb', {}, "a\n\nb"),
    ("{{amazonSESUnsubscribeUrl}}", {"amazonSESUnsubscribeUrl": "from data"}, "from data"),
]


@pytest.mark.parametrize(("source", "data", "expected"), LOOKUPS)
def test_lookup_and_log_render_as_handlebars_does(
    source: str, data: dict[str, Any], expected: str
) -> None:
    assert run(source, data) == expected


URL = "https://example.invalid/unsubscribe?id=1&t=2"


def test_supplied_names_come_from_supplied_not_data() -> None:
    source = '<a href="{{{amazonSESUnsubscribeUrl}}}">{{amazonSESUnsubscribeUrl}}</a>'
    escaped = "https://example.invalid/unsubscribe?id&#x3D;1&amp;t&#x3D;2"
    expected = f'<a href="{URL}">{escaped}</a>'
    supplied = {"amazonSESUnsubscribeUrl": URL}
    assert run(source, {}, supplied) == expected
    assert run(source, {"amazonSESUnsubscribeUrl": "data"}, supplied) == expected
    assert run("{{#each l}}{{{amazonSESUnsubscribeUrl}}}{{/each}}", {"l": [1]}, supplied) == URL
    assert run("{{#if amazonSESUnsubscribeUrl}}yes{{/if}}", {}, supplied) == "yes"


def test_without_supplied_ses_names_are_data_variables() -> None:
    assert set(SES_SUPPLIED) == {"amazonSESUnsubscribeUrl"}
    with pytest.raises(MissingVariableError) as caught:
        run("Bye: {{amazonSESUnsubscribeUrl}}", {})
    assert caught.value.path == "amazonSESUnsubscribeUrl"
    assert run("{{#if amazonSESUnsubscribeUrl}}yes{{else}}no{{/if}}", {}) == "no"


def test_huge_index_is_missing_not_a_crash() -> None:
    with pytest.raises(MissingVariableError) as caught:
        run('{{lookup l "' + "9" * 5000 + '"}}', {"l": [1]})
    assert caught.value.path == "l.[" + "9" * 5000 + "]"


def test_only_the_name_as_written_is_supplied() -> None:
    supplied = {"amazonSESUnsubscribeUrl": URL}
    with pytest.raises(MissingVariableError) as caught:
        run("{{@root.amazonSESUnsubscribeUrl}}", {}, supplied)
    assert caught.value.path == "@root.amazonSESUnsubscribeUrl"
    assert run("{{other}}", {"other": "o"}, supplied) == "o"


def test_parse_returns_a_reusable_tree() -> None:
    template = parse("{{#each l}}{{this}}{{/each}}")
    assert isinstance(template, Template)
    assert render(template, {"l": [1]}) == "1"
    assert render(template, {"l": [2, 3]}) == "23"


# --- properties ---------------------------------------------------------------------------


def escape_braces(text: str) -> str:
    """A template whose output is exactly text: each "{{" escaped, and a backslash right before
    it kept literal by ending it against an empty comment."""
    out, start = [], 0
    while (i := text.find("{{", start)) != -1:
        out += [text[start:i], "\\{{!}}" if text[:i].endswith("\\") else "", "\\{{"]
        start = i + 2
    return "".join([*out, text[start:]])


@given(st.text(alphabet=st.sampled_from("{}\\~!#/ \t\nab.é")) | st.text())
def test_escaped_plain_text_renders_unchanged(text: str) -> None:
    assert run(escape_braces(text)) == text


PLAIN = st.text(alphabet=st.sampled_from("ab <>&'\"\n\t."), max_size=6)
VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=5)
)


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A well-formed template with data holding every variable it outputs or iterates."""
    names = itertools.count()
    root: dict[str, Any] = {}

    def mustache(name: str) -> str:
        open_, close = draw(st.sampled_from([("{{", "}}"), ("{{~ ", " ~}}"), ("{{{", "}}}")]))
        return f"{open_}{name}{close}"

    def nodes(stack: list[dict[str, Any]], in_each: bool, depth: int) -> str:
        out: list[str] = []
        kinds = ["text", "var", "comment", "parent", "index", "lookup"]
        kinds += ["if", "each", "with"] if depth < 3 else []
        for _ in range(draw(st.integers(0, 4))):
            kind, ctx = draw(st.sampled_from(kinds)), stack[-1]
            name = f"{kind[0]}{next(names)}"  # conditions start with "i"
            if kind == "text":
                out.append(draw(PLAIN))
            elif kind == "var":
                ctx[name] = draw(VALUES)
                out.append(mustache(name))
            elif kind == "lookup":
                ctx[name] = {"k y": draw(VALUES)}
                out.append(f'{{{{lookup {name} "k y"}}}}')
            elif kind == "comment":
                out.append(
                    draw(st.sampled_from(["{{! note }}", "{{!-- a }} b --}}", "\n{{!x}}\n"]))
                )
            elif kind == "parent" and len(stack) > 1:
                stack[-2][name] = draw(VALUES)
                out.append(mustache(f"../{name}"))
            elif kind == "index" and in_each:
                out.append(
                    draw(st.sampled_from(["{{@index}}", "{{@key}}", "{{#if @last}}.{{/if}}"]))
                )
            elif kind == "if":
                if draw(st.booleans()):
                    ctx[name] = draw(
                        st.sampled_from([0, 1, "", "x", [], [0], None, True, False, {}])
                    )
                helper = draw(st.sampled_from(["if", "unless"]))
                body, inverse = nodes(stack, in_each, depth + 1), nodes(stack, in_each, depth + 1)
                otherwise = (
                    draw(st.sampled_from(["", "{{else}}", "\n{{else}}\n"])) if inverse else ""
                )
                out.append(f"{{{{#{helper} {name}}}}}{body}{otherwise and otherwise + inverse}")
                out.append(f"{{{{/{helper}}}}}")
            elif kind == "each":
                item: dict[str, Any] = {}
                body = nodes([*stack, item], True, depth + 1)
                keys = range(draw(st.integers(0, 3)))
                as_dict = draw(st.booleans())
                items = [copy.deepcopy(item) for _ in keys]
                ctx[name] = (
                    {f"k{k}": i for k, i in zip(keys, items, strict=True)} if as_dict else items
                )
                inverse = draw(st.sampled_from(["", "{{else}}empty"]))
                out.append(f"{{{{#each {name}}}}}\n{body}{inverse}\n{{{{/each}}}}")
            elif kind == "with":
                obj: dict[str, Any] = {}
                out.append(
                    f"{{{{#with {name}}}}}{nodes([*stack, obj], in_each, depth + 1)}{{{{/with}}}}"
                )
                ctx[name] = obj
        return "".join(out)

    return nodes([root], False, 0), root


def resolves(path: str, data: Any) -> bool:
    """Whether a dotted path names something in data."""
    for part in path.split("."):
        if not isinstance(data, Mapping) or part not in data:
            return False
        data = data[part]
    return True


@given(documents())
def test_well_formed_templates_render_with_complete_data(doc: tuple[str, dict[str, Any]]) -> None:
    source, data = doc
    template = parse(source)
    assert isinstance(render(template, data), str)
    unresolved = {path for path in variables(template) if not resolves(path, data)}
    assert all(path.rsplit(".", 1)[-1].startswith("i") for path in unresolved)


FRAGMENTS = st.sampled_from(
    [
        "{{", "}}", "{{{", "}}}", "#if ", "#each ", "#with ", "#unless ", "/if", "/each", "else",
        " else if ", "~", "!", "!--", "--", "a", ".", "../", "this", "@index", "@root.", "[", "]",
        ">", " p", '#*inline "p"', "/inline", "\\", "&", "^", "\n", " ", "=", "(", ")", "|", "'",
        "lookup ", "log ", '"k"', "1", "-2.5", "level=",
    ]
)  # fmt: skip


@given(st.text() | st.lists(FRAGMENTS, max_size=30).map("".join))
def test_parse_fails_only_with_template_syntax_error(source: str) -> None:
    try:
        template = parse(source)
    except TemplateSyntaxError as exc:
        assert 1 <= exc.line <= source.count("\n") + 1
        assert 1 <= exc.column <= len(source.split("\n")[exc.line - 1]) + 1
        return
    try:
        render(template, {"a": [{"a": 1}], "this": 1})
    except MissingVariableError as exc:
        assert exc.path
    variables(template)


def test_errors_are_value_and_key_errors() -> None:
    with pytest.raises(ValueError, match=r"never closed \(line 1, column 1\)"):
        parse("{{#if a}}")
    with pytest.raises(KeyError):
        run("{{x}}")
