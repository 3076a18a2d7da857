"""SendGrid dynamic templates converted to SES's Handlebars: the same text, or a comment and a note.

Sources: SendGrid's "Using Handlebars" (dynamic transactional templates: substitution, formatDate,
insert, if/else/else if, unless, greaterThan, lessThan, equals, notEquals, and, or, length, each)
and SES's developer guide, "Advanced email personalization" (nested attributes, each, if/else,
inline partials, Handlebars' built-in helpers; no comparison, date or length helpers).
reconciler.handlebars is the target: every result parses there.

What each construct becomes:
- variables, `{{{raw}}}`, #if/else if/else, #unless, #each (`this`, `@index`), #with, lookup,
  comments and text: unchanged, byte for byte.
- `{{insert x "default=D"}}` (or `"D"`): `{{#if x}}{{x}}{{else}}D{{/if}}`. SES treats a missing
  path as false inside #if and fails the render only where a missing value is output, so this
  prints the value or D as SendGrid does; an empty string, 0 or false also takes D.
- `{{#and a b}}B{{else}}I{{/and}}`: `{{#unless a}}I{{else if b}}B{{else}}I{{/unless}}`;
  `{{#or a b}}B{{else}}I{{/or}}`: `{{#if a}}B{{else if b}}B{{else}}I{{/if}}`. SendGrid's
  truthiness (empty strings and zeros false) is Handlebars' own; one tag stands where each tag
  stood, so lines holding only a tag are stripped as before. Only for two path arguments.
- equals, notEquals, greaterThan, lessThan (SendGrid coerces types: 3 equals "3"), formatDate,
  length, partials and any helper SES lacks: left out. A block goes whole, its {{else}} too:
  rendering one branch regardless would send the wrong text. What is left out becomes
  `{{!-- sendgrid <helper> left out: <reason> --}}` and a note at its line and column.

SendGrid prints nothing for a missing variable ("Object failure"); SES drops the mail. Variables
are kept as written: the data must hold them, as `sesctl validate` checks.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, NoReturn

from ..errors import SesctlError
from ..handlebars import TemplateSyntaxError, parse

Action = Literal["rewritten", "left out"]
_Fail = Callable[[str, int], NoReturn]

_SES_BLOCKS = ("if", "unless", "each", "with")
_LEFT_OUT = {
    "equals": "SES has no comparison helper (SendGrid's equals coerces types)",
    "notEquals": "SES has no comparison helper (SendGrid's notEquals coerces types)",
    "greaterThan": "SES has no comparison helper",
    "lessThan": "SES has no comparison helper",
    "formatDate": "SES has no date helper: send the date formatted in the data",
    "length": "SES has no length helper and reads .length of lists only",
}
_ESCAPES = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "'": "&#x27;",
        "`": "&#x60;",
        "=": "&#x3D;",
    }
)
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


@dataclass(frozen=True)
class Note:
    """What happened to one SendGrid helper, at its 1-based line and column."""

    helper: str
    line: int
    column: int
    action: Action
    reason: str


@dataclass
class Conversion:
    """An SES template and the notes on what was rewritten or left out."""

    text: str
    notes: list[Note] = field(default_factory=list)


@dataclass
class _Tag:
    """One mustache: its source span, kind and words; left/right mean `{{~` / `~}}`."""

    start: int
    end: int
    kind: str  # comment var raw open close else partial
    words: list[str]
    left: bool
    right: bool
    decorated: bool = False  # {{#*inline}}, {{#> partial}}, {{^section}}


@dataclass
class _Block:
    """A block from its opening to its closing tag; parts hold text, tags and blocks."""

    open: _Tag
    parts: list[_Node]
    close: _Tag


_Node = str | _Tag | _Block


def _position(src: str, offset: int) -> tuple[int, int]:
    """1-based line and column of an offset."""
    return src.count("\n", 0, offset) + 1, offset - src.rfind("\n", 0, offset)


def _scan(src: str, i: int, end: str, fail: _Fail, at: int) -> int:
    """Offset of `end` closing a mustache whose body starts at i, skipping quoted strings."""
    while i < len(src):
        if src[i] in "\"'":
            j = src.find(src[i], i + 1)
            if j == -1:
                fail("unterminated string", i)
            i = j + 1
        elif src.startswith(end, i):
            return i
        elif src.startswith("{{", i):
            break
        else:
            i += 1
    fail(f"unterminated mustache: no '{end}'", at)


def _words(body: str, fail: _Fail, at: int) -> list[str]:
    """Whitespace-separated words; quoted strings, `[...]` and `(...)` stay whole."""
    words, word, depth, i = [], "", 0, 0
    while i < len(body):
        c = body[i]
        if c in "\"'[":
            j = body.find("]" if c == "[" else c, i + 1)
            if j == -1:
                fail("unterminated string or segment", at)
            word, i = word + body[i : j + 1], j + 1
            continue
        depth += (c == "(") - (c == ")")
        if depth < 0:
            fail("unbalanced ')'", at)
        if c.isspace() and not depth:
            words += [word] if word else []
            word = ""
        else:
            word += c
        i += 1
    if depth:
        fail("unbalanced '('", at)
    return [*words, word] if word else words


def _tag(src: str, i: int, fail: _Fail) -> _Tag:
    """Lex the mustache starting at offset i."""
    left = src.startswith("~", i + 2)
    j = i + 2 + left
    if src.startswith("!--", j):
        m = re.compile(r"--(~?)\}\}").search(src, j + 3)
        if not m:
            fail("unterminated comment: no '--}}'", i)
        return _Tag(i, m.end(), "comment", [], left, bool(m.group(1)))
    if src.startswith("!", j):
        k = src.find("}}", j)
        if k == -1:
            fail("unterminated comment: no '}}'", i)
        return _Tag(i, k + 2, "comment", [], left, src[k - 1] == "~")
    raw = src.startswith("{", j)
    k = _scan(src, j + raw, "}}}" if raw else "}}", fail, i)
    end = k + 2 + raw
    right = src[k - 1] == "~" and k > j + raw
    body = src[j + raw : k - right].strip()
    if not raw and not right and src.startswith("}", end) and body != "else":
        fail("'}}}' ends a '{{{' mustache, not '{{': separate the last '}'", i)
    head = body[:1] if body[:1] in ("#", "/", ">", "^", "&") and not raw else ""
    rest = body[1:].lstrip() if head else body
    decorated = head == "^" or (head == "#" and rest[:1] in ("*", ">"))
    words = _words(rest[1:] if head == "#" and decorated else rest, fail, i)
    if not words and not (head == "^" and not rest):
        fail("empty mustache", i)
    if head == "&" or raw:
        return _Tag(i, end, "raw", words, left, right)
    if head in ("#", "^") and words:
        return _Tag(i, end, "open", words, left, right, decorated)
    kind = {"/": "close", ">": "partial", "^": "else"}.get(head, "var")
    kind = "else" if kind == "var" and words[0] == "else" else kind
    return _Tag(i, end, kind, words, left, right)


def _lex(src: str, fail: _Fail) -> list[str | _Tag]:
    """Text and tags; `\\{{` stays literal text, as SES's lexer reads it."""
    out: list[str | _Tag] = []
    pos = search = 0
    while (i := src.find("{{", search)) != -1:
        if i and src[i - 1] == "\\" and not (i > 1 and src[i - 2] == "\\"):
            search = i + 2
            continue
        tag = _tag(src, i, fail)
        out += [src[pos:i], tag] if i > pos else [tag]
        pos = search = tag.end
    return [*out, src[pos:]] if pos < len(src) else out


def _tree(tokens: list[str | _Tag], fail: _Fail) -> list[_Node]:
    """Nest blocks; a close that matches nothing, or an open never closed, is an error."""
    root: list[_Node] = []
    stack: list[tuple[_Tag, list[_Node]]] = []
    for tok in tokens:
        parts = stack[-1][1] if stack else root
        if isinstance(tok, _Tag) and tok.kind == "open":
            stack.append((tok, []))
        elif isinstance(tok, _Tag) and tok.kind == "close":
            if not stack:
                fail(f"{{{{/{tok.words[0]}}}}} closes no open block", tok.start)
            opener, body = stack.pop()
            if tok.words[:1] != opener.words[:1]:
                fail(
                    f"{{{{/{tok.words[0]}}}}} does not close {{{{#{opener.words[0]}}}}}", tok.start
                )
            (stack[-1][1] if stack else root).append(_Block(opener, body, tok))
        elif isinstance(tok, _Tag) and tok.kind == "else" and not stack:
            fail("{{else}} outside a block", tok.start)
        else:
            parts.append(tok)
    if stack:
        fail(f"{{{{#{stack[-1][0].words[0]}}}}} is never closed", stack[-1][0].start)
    return root


def _ses_accepts(source: str) -> bool:
    """Whether SES's Handlebars subset parses the source."""
    try:
        parse(source)
    except TemplateSyntaxError:
        return False
    return True


def _is_path(word: str) -> bool:
    """A plain path argument: not a literal, keyword or subexpression."""
    literal = word[:1] in "\"'(" or _NUMBER.fullmatch(word) or "=" in word
    keyword = word in ("true", "false", "null", "undefined", "else")
    return not literal and not keyword and _ses_accepts(f"{{{{{word}}}}}")


def _mk(inner: str, left: bool, right: bool) -> str:
    """A mustache with the given whitespace control."""
    return "{{" + "~" * left + inner + "~" * right + "}}"


class _Converter:
    """One conversion: the source, and the notes gathered while emitting."""

    def __init__(self, src: str) -> None:
        self.src, self.notes = src, list[Note]()

    def note(self, helper: str, at: int, action: Action, reason: str) -> None:
        """Record what happened to the helper at offset `at`."""
        self.notes.append(Note(helper, *_position(self.src, at), action, reason))

    def leave(self, helper: str, first: _Tag, last: _Tag, reason: str) -> str:
        """A comment in place of first..last, and a note."""
        self.note(helper, first.start, "left out", reason)
        name = helper.replace("{", "").replace("}", "").replace("--", "-")
        return _mk(f"!-- sendgrid {name} left out: {reason} --", first.left, last.right)

    def emit(self, nodes: list[_Node]) -> str:
        """The SES text of a node list."""
        return "".join(self.node(node) for node in nodes)

    def node(self, node: _Node) -> str:
        """The SES text of one text span, tag or block."""
        if isinstance(node, str):
            return node
        if isinstance(node, _Block):
            return self.block(node)
        source = self.src[node.start : node.end]
        if node.kind == "comment":
            return source
        if node.kind == "partial":
            return self.leave("partial", node, node, "SendGrid documents no partials")
        name = node.words[0]
        if name == "insert":
            return self.insert(node)
        if name in _LEFT_OUT:
            return self.leave(name, node, node, _LEFT_OUT[name])
        if _ses_accepts(source):
            return source
        helper = name if len(node.words) > 1 else "expression"
        return self.leave(helper, node, node, "SES's Handlebars has no such helper or form")

    def insert(self, tag: _Tag) -> str:
        """`insert x "default=D"` as #if x, else D."""
        args = tag.words[1:]
        default = args[1][1:-1] if len(args) == 2 and args[1][:1] in "\"'" else None
        if not args or not _is_path(args[0]) or len(args) > 1 + (default is not None):
            return self.leave("insert", tag, tag, "only insert with a path and a default")
        default = (default or "").removeprefix("default=")
        if "{{" in default or "\n" in default or default.endswith("\\"):
            return self.leave("insert", tag, tag, "the default holds braces or lines")
        path = args[0]
        value = f"{{{{{{{path}}}}}}}" if tag.kind == "raw" else f"{{{{{path}}}}}"
        text = default if tag.kind == "raw" else default.translate(_ESCAPES)
        otherwise = f"{{{{else}}}}{text}" if default else ""
        out = _mk(f"#if {path}", tag.left, False) + value + otherwise + _mk("/if", False, tag.right)
        self.note("insert", tag.start, "rewritten", f"became {out}: the value, else the default")
        return out

    def block(self, block: _Block) -> str:
        """A block: kept, rewritten (and, or) or left out whole."""
        name, opener, close = block.open.words[0], block.open, block.close
        segments: list[list[_Node]] = [[]]
        elses: list[_Tag] = []
        for part in block.parts:
            if isinstance(part, _Tag) and part.kind == "else":
                elses.append(part)
                segments.append([])
            else:
                segments[-1].append(part)
        if block.open.decorated:
            return self.leave(name, opener, close, "SendGrid documents no partials or sections")
        if name in _SES_BLOCKS:
            sources = [f"{self.src[opener.start : opener.end]}{{{{/{name}}}}}"]
            sources += [f"{{{{#if x}}}}{self.src[e.start : e.end]}{{{{/if}}}}" for e in elses]
            if not all(_ses_accepts(source) for source in sources):
                return self.leave(name, opener, close, "SES's Handlebars has no such form")
            out = self.src[opener.start : opener.end] + self.emit(segments[0])
            for tag, segment in zip(elses, segments[1:], strict=True):
                out += self.src[tag.start : tag.end] + self.emit(segment)
            return out + self.src[close.start : close.end]
        args = opener.words[1:]
        plain = len(elses) <= 1 and all(e.words == ["else"] for e in elses)
        if name in ("and", "or") and len(args) == 2 and all(map(_is_path, args)) and plain:
            return self.logic(block, segments, elses[0] if elses else None)
        reason = _LEFT_OUT.get(name, "SES's Handlebars has no such helper or form")
        return self.leave(name, opener, close, reason)

    def logic(self, block: _Block, segments: list[list[_Node]], other: _Tag | None) -> str:
        """`and`/`or` as #unless/#if chains, one tag where each tag stood."""
        (a, b), opener, close = block.open.words[1:], block.open, block.close
        body = self.emit(segments[0])
        inverse = self.emit(segments[1]) if other else ""
        mid = other or close
        if block.open.words[0] == "and":
            filler = inverse if other else self.standalone_gap(opener)
            out = _mk(f"#unless {a}", opener.left, other.right if other else False)
            out += filler + _mk(f"else if {b}", close.left if other else False, opener.right)
            out += body
        else:
            out = _mk(f"#if {a}", opener.left, opener.right) + body
            out += _mk(f"else if {b}", mid.left, opener.right) + body
        if other:
            out += _mk("else", other.left, other.right) + inverse
        out += _mk("/unless" if block.open.words[0] == "and" else "/if", close.left, close.right)
        helper = block.open.words[0]
        first = f"#unless {a}" if helper == "and" else f"#if {a}"
        shape = f"{{{{{first}}}}}…{{{{else if {b}}}}}…"
        self.note(helper, opener.start, "rewritten", f"became {shape}: SES has no {helper}")
        return out

    def standalone_gap(self, tag: _Tag) -> str:
        """A line break and indentation when the tag stands alone on its line, else nothing."""
        start = self.src.rfind("\n", 0, tag.start) + 1
        end = self.src.find("\n", tag.end)
        before, after = self.src[start : tag.start], self.src[tag.end : end]
        if end == -1 or before.strip(" \t") or after.strip(" \t\r"):
            return ""
        return ("\r\n" if after.endswith("\r") else "\n") + before


def convert(source: str, name: str = "") -> Conversion:
    """Convert a SendGrid dynamic template to SES's Handlebars; SesctlError if it does not parse."""

    def fail(message: str, offset: int) -> NoReturn:
        line, column = _position(source, offset)
        raise SesctlError(f"{name + ':' if name else ''}{line}:{column}: {message}")

    converter = _Converter(source)
    text = converter.emit(_tree(_lex(source, fail), fail))
    try:
        parse(text)
    except TemplateSyntaxError as e:
        fail(f"the converted template does not parse in SES: {e.message}", 0)
    return Conversion(text, converter.notes)
