"""SendGrid templates converted to SES: the docs' examples render what SendGrid's docs say, left-out
helpers leave a comment and a note, text outside mustaches survives byte for byte."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.errors import SesctlError
from reconciler.handlebars import MissingVariableError, parse, render
from reconciler.migrate.templates import convert


def run(source: str, data: dict[str, Any]) -> str:
    """Convert, parse and render in one step."""
    return render(parse(convert(source).text), data)


def squeeze(html: str) -> str:
    """The docs show their output re-indented: compare without layout whitespace."""
    return re.sub(r"\s+", " ", re.sub(r"\s*(<[^>]+>)\s*", r"\1", html)).strip()


STORY = {
    "user": {
        "story": [
            {"male": True, "date": "2/1/2018", "item": "shoes"},
            {"male": True, "date": "1/4/2017", "item": "hat"},
            {"female": True, "date": "1/1/2016", "item": "shirt"},
        ]
    }
}
STORY_PARTS = {
    "user": {
        "story": [
            {"male": True, "date": "2/1/2018", "item": "shoes"},
            {"male": True, "date": "1/4/2017"},
            {"female": True, "item": "shirt"},
        ]
    }
}
IF_ELSE = """{{#if user.profile.male}}
   <p>Dear Sir</p>
{{else if user.profile.female}}
   <p>Dear Madame</p>
{{else}}
   <p>Dear Customer</p>
{{/if}}"""
INSERT = (
    '<p>Hello {{insert name "default=Customer"}}! Thank you for contacting us about '
    '{{insert businessName "your business"}}.</p>'
)
AND = """<p>
Hello Ben!
{{#and favoriteFood favoriteDrink}}
   Thank you for letting us know your dining preferences.
{{else}}
   If you finish filling out your dining preferences survey, we can deliver you recipes we think you'll be most interested in.
{{/and}}.
 We look forward to sending you more delicious recipes.</p>"""  # noqa: E501
OR = """<p>
Hello Ben!
{{#or isRunner isCyclist}}
   We think you might enjoy a map of trails in your area. You can find the map attached to this email.
{{else}}
   We'd love to know more about the outdoor activities you enjoy. The survey linked below will take only a minute to fill out.
{{/or}}.
 Have a great day.
</p>"""  # noqa: E501
EACH_PARTS = """{{#each user.story}}
   {{#if this.male}}
      {{#if this.date}}
         <p>{{this.date}}</p>
      {{/if}}
      {{#if this.item}}
         <p>{{this.item}}</p>
      {{/if}}
   {{else if this.female}}
      {{#if this.date}}
         <p>{{this.date}}</p>
      {{/if}}
      {{#if this.item}}
         <p>{{this.item}}</p>
      {{/if}}
   {{/if}}
{{/each}}"""
SURVEY = "If you finish filling out your dining preferences survey, we can deliver you recipes"
MAP = "We think you might enjoy a map of trails in your area. You can find the map attached"
OUTDOOR = "We'd love to know more about the outdoor activities you enjoy. The survey linked below"

# Template, test data and resulting HTML from SendGrid's "Using Handlebars". Where the docs'
# output contradicts their own template, the template wins, said at the case: "Hi Ben!" for
# "Hello Ben!", the "." after {{/and}} and {{/or}} left out, "1/42017", "1800-555-5555".
DOCS = [
    ("<p>Hello {{ firstName }}</p>", {"firstName": "Ben"}, "<p>Hello Ben</p>"),
    (
        '<p><a href="{{ url }}">Click Me</a></p>',
        {"url": "https://example.com/shop"},
        '<p><a href="https://example.com/shop">Click Me</a></p>',
    ),
    (
        "<p>Hello {{user.profile.firstName}}</p>",
        {"user": {"profile": {"firstName": "Ben"}}},
        "<p>Hello Ben</p>",
    ),
    (
        "<p>Hello {{{firstName}}}</p>",
        {"firstName": "<strong>Ben</strong>"},
        "<p>Hello <strong>Ben</strong></p>",
    ),
    (
        INSERT,
        {"name": "Ben", "businessName": "Twilio SendGrid"},
        "<p>Hello Ben! Thank you for contacting us about Twilio SendGrid.</p>",
    ),
    (INSERT, {"name": "Ben"}, "<p>Hello Ben! Thank you for contacting us about your business.</p>"),
    (IF_ELSE, {"user": {"profile": {"male": True}}}, "<p>Dear Sir</p>"),
    (IF_ELSE, {"user": {"profile": {"female": True}}}, "<p>Dear Madame</p>"),
    (IF_ELSE, {"user": {"profile": {}}}, "<p>Dear Customer</p>"),
    (
        "{{#if user.suspended}}\n   <p>Warning! Your account is suspended, please call: "
        "{{@root.supportPhone}}</p>\n{{/if}}",
        {"user": {"suspended": True}, "supportPhone": "1-800-555-5555"},
        "<p>Warning! Your account is suspended, please call: 1-800-555-5555</p>",
    ),
    (  # the docs print 1800-555-5555
        "{{#unless user.active}}\n   <p>Warning! Your account is suspended, please call: "
        "{{@root.supportPhone}}</p>\n{{/unless}}",
        {"user": {"active": False}, "supportPhone": "1-800-555-5555"},
        "<p>Warning! Your account is suspended, please call: 1-800-555-5555</p>",
    ),
    (  # the docs print 1/42017
        "<ol>\n  {{#each user.orderHistory}}\n   <li>You ordered: {{this.item}} on: {{this.date}}"
        "</li>\n  {{/each}}\n</ol>",
        {
            "user": {
                "orderHistory": [
                    {"date": "2/1/2018", "item": "shoes"},
                    {"date": "1/4/2017", "item": "hat"},
                ]
            }
        },
        "<ol><li>You ordered: shoes on: 2/1/2018</li><li>You ordered: hat on: 1/4/2017</li></ol>",
    ),
    (
        "{{#each user.story}}\n   {{#if this.male}}\n      <p>{{this.date}}</p>\n"
        "   {{else if this.female}}\n      <p>{{this.item}}</p>\n   {{/if}}\n{{/each}}",
        STORY,
        "<p>2/1/2018</p><p>1/4/2017</p><p>shirt</p>",
    ),
    (EACH_PARTS, STORY_PARTS, "<p>2/1/2018</p><p>shoes</p><p>1/4/2017</p><p>shirt</p>"),
    (
        "{{#if people}}\n   <p>People:</p>\n   {{#each people}}\n      <p>{{this.name}}</p>\n"
        "   {{/each}}\n{{/if}}",
        {"people": [{"name": "Bob"}, {"name": "Sally"}]},
        "<p>People:</p><p>Bob</p><p>Sally</p>",
    ),
    (
        AND,
        {"favoriteFood": "Pasta", "favoriteDrink": ""},
        f"<p>Hello Ben! {SURVEY} we think you'll be most interested in. . We look forward to "
        "sending you more delicious recipes.</p>",
    ),
    (
        AND,
        {"favoriteFood": "Pasta", "favoriteDrink": "Coffee"},
        "<p>Hello Ben! Thank you for letting us know your dining preferences. . We look forward "
        "to sending you more delicious recipes.</p>",
    ),
    (
        OR,
        {"isRunner": True, "isCyclist": False},
        f"<p>Hello Ben! {MAP} to this email. . Have a great day.</p>",
    ),
    (
        OR,
        {"isRunner": False, "isCyclist": False},
        f"<p>Hello Ben! {OUTDOOR} will take only a minute to fill out. . Have a great day.</p>",
    ),
    (
        OR,
        {"isRunner": False, "isCyclist": True},
        f"<p>Hello Ben! {MAP} to this email. . Have a great day.</p>",
    ),
]


@pytest.mark.parametrize(("source", "data", "expected"), DOCS)
def test_docs_examples_render_as_sendgrid_documents(
    source: str, data: dict[str, Any], expected: str
) -> None:
    assert squeeze(run(source, data)) == squeeze(expected)


@pytest.mark.parametrize("source", [IF_ELSE, EACH_PARTS, "<p>Hello {{{firstName}}}</p>"])
def test_constructs_ses_renders_alike_pass_unchanged(source: str) -> None:
    conversion = convert(source)
    assert (conversion.text, conversion.notes) == (source, [])


def test_and_without_else_keeps_the_layout_of_standalone_lines() -> None:
    source = "Hi\n  {{#and a b}}\n  both\n  {{/and}}\nbye"
    expected = {(1, 1): "Hi\n  both\nbye", (1, 0): "Hi\nbye", (0, 1): "Hi\nbye"}
    for (a, b), text in expected.items():
        assert run(source, {"a": a, "b": b}) == text
    assert run(source, {}) == "Hi\nbye"  # missing is false, as in SendGrid


def test_insert_escapes_like_the_value_and_notes_the_rewrite() -> None:
    conversion = convert('x\n {{insert name "default=A & B"}} {{{insert name "A & B"}}}')
    assert render(parse(conversion.text), {}) == "x\n A &amp; B A & B"
    assert render(parse(conversion.text), {"name": "<b>"}) == "x\n &lt;b&gt; <b>"
    note = conversion.notes[0]
    assert (note.helper, note.line, note.column, note.action) == ("insert", 2, 2, "rewritten")


def test_rewrites_note_helper_line_and_column() -> None:
    notes = convert(AND).notes + convert(OR).notes
    assert [(n.helper, n.line, n.column, n.action) for n in notes] == [
        ("and", 3, 1, "rewritten"),
        ("or", 3, 1, "rewritten"),
    ]


LEFT_OUT = [
    ("equals", "<p>\n{{#equals customerCode winningCode}}\n  win\n{{else}}\n  lose\n{{/equals}}"),
    ("notEquals", "<p>\n{{#notEquals currentDate appointmentDate}}\n  not today\n{{/notEquals}}"),
    ("greaterThan", "<p>\n{{#greaterThan (length cartItems) 0}}\n  items\n{{/greaterThan}}"),
    ("lessThan", "<p>\n{{#lessThan scoreOne scoreTwo}}\n  close\n{{/lessThan}}</p>"),
    ("formatDate", "<p>\nJoin us {{formatDate timeStamp dateFormat timezoneOffset}}</p>"),
    ("length", "<p>\nYou have {{length cartItems}} items</p>"),
    ("and", "<p>\n{{#and a (length b)}}\n  x\n{{/and}}</p>"),
    ("or", "<p>\n{{#or a b}}\n  x\n{{else if c}}\n  y\n{{/or}}</p>"),
    ("partial", "<p>\n{{> footer}}</p>"),
    ("inline", '<p>\n{{#*inline "f"}}x{{/inline}}</p>'),
    ("shout", "<p>\n{{shout name}}</p>"),
    ("insert", "<p>\n{{insert name 3}}</p>"),
]


@pytest.mark.parametrize(("helper", "source"), LEFT_OUT)
def test_left_out_helpers_leave_a_comment_and_a_note(helper: str, source: str) -> None:
    conversion = convert(source)
    assert f"{{{{!-- sendgrid {helper} left out: " in conversion.text
    assert helper not in render(parse(conversion.text), {})
    [note] = conversion.notes
    assert (note.helper, note.line, note.action) == (helper, 2, "left out")
    assert source.splitlines()[1][note.column - 1 :].startswith("{{")


def test_a_left_out_block_goes_whole_with_its_else() -> None:
    text = run("a {{#equals x 1}}yes{{else}}no{{/equals}} b", {"x": 1})
    assert text == "a  b"


def test_whitespace_control_of_a_left_out_block_is_kept() -> None:
    assert run("a {{~#equals x 1}}yes{{/equals~}} b", {}) == "ab"


def test_object_failure_differs_sendgrid_prints_nothing_ses_drops_the_mail() -> None:
    source = "<p>Hello {{user.profile.firstName}}</p>"
    assert convert(source).text == source
    with pytest.raises(MissingVariableError):
        run(source, {"user": {"orderHistory": []}})


@pytest.mark.parametrize(
    ("source", "where"),
    [
        ("ok\n{{#if a}}x", "t.html:2:1:"),
        ("{{/if}}", "t.html:1:1:"),
        ("x {{else}}", "t.html:1:3:"),
        ("ab {{name", "t.html:1:4:"),
        ("{{#if a}}\n {{/each}}", "t.html:2:2:"),
        ('{{x "a}}', "t.html:1:5:"),  # the string
        ("{{!-- open", "t.html:1:1:"),
        ("{{}}", "t.html:1:1:"),
        ("{{#if a}}}{{/if}}", "t.html:1:1:"),
    ],
)
def test_a_source_that_does_not_parse_is_an_error_at_its_line_and_column(
    source: str, where: str
) -> None:
    with pytest.raises(SesctlError, match=f"^{re.escape(where)}"):
        convert(source, "t.html")


@given(st.text().filter(lambda s: "{{" not in s))
def test_text_without_mustaches_round_trips(text: str) -> None:
    assert convert(text) == convert(text).__class__(text, [])


PIECES = [
    "{{name}}",
    "{{{raw}}}",
    "{{this}}",
    "{{@index}}",
    "{{!-- note --}}",
    '{{insert name "default=Customer"}}',
    "{{formatDate d f}}",
    "{{length l}}",
    "{{> p}}",
    "{{helper x}}",
]
OPENERS = [
    "if a",
    "unless a",
    "each l",
    "with o",
    "and a b",
    "or a b",
    "equals a 1",
    "lessThan a 0",
]


@st.composite
def templates(draw: st.DrawFn, depth: int = 0) -> str:
    """A random template of SendGrid constructs, text with braces and newlines between them."""
    text = st.text(alphabet="ab }{\n\t\\<", max_size=4).filter(lambda s: "{{" not in s)
    out = ""
    for _ in range(draw(st.integers(0, 4))):
        out += draw(text).lstrip("}").rstrip("{\\")
        if depth < 3 and draw(st.booleans()):
            opener = draw(st.sampled_from(OPENERS))
            inverse = "{{else}}" + draw(templates(depth + 1)) if draw(st.booleans()) else ""
            tilde = draw(st.sampled_from(["", "~"]))
            out += f"{{{{{tilde}#{opener}}}}}{draw(templates(depth + 1))}{inverse}"
            out += f"{{{{/{opener.split()[0]}{tilde}}}}}"
        else:
            out += draw(st.sampled_from(PIECES))
    return out


@given(templates())
def test_templates_of_sendgrid_constructs_convert_to_what_ses_parses(source: str) -> None:
    parse(convert(source).text)
