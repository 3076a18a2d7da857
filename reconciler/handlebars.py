"""Offline Handlebars for SES email templates: parse, render with test data, list variables.

`sesctl validate` must catch before sending what SES reports only afterwards: a template that
does not parse, or one that reads a variable its data lacks (SES then publishes a
RENDERING_FAILURE event and drops the mail). SES's guide ("advanced email personalization")
says its templates build on Handlebars and documents nested attributes, `each`, `if`/`else`
and inline partials (each template part has its own), pointing to Handlebars' built-in helpers
(if, unless, each, with, lookup, log) for the rest; this module implements that subset and
rejects everything else loudly.

Accepted: `{{path}}` (HTML-escaped as Handlebars does), `{{{path}}}` and `{{&path}}` (raw);
paths `a.b.c`, `a/b`, `this`, `.`, `this.a`, `./a`, `../a` (repeatable), `[any key]`, numeric
segments into lists, a list's `length`, `@index`, `@key`, `@first`, `@last`, `@root`;
`{{lookup obj key}}` (also raw), whose arguments are paths, "strings", 'strings' or numbers
(obj a path), and `(lookup obj key)` as the one argument of a block; `{{log ...}}`, which
outputs nothing, with paths, literals and `k=v` arguments;
`#if`, `#unless`, `#each` (lists and objects) and `#with`, each with `{{else}}` and
`{{else if x}}`-style chains; inline partials `{{#*inline "name"}}...{{/inline}}` called as
`{{> name}}`; comments `{{! }}` and `{{!-- --}}`; `~` whitespace control and standalone-line
stripping; `\\{{` literals (`\\\\{{` puts a backslash before a live mustache).

Rejected with TemplateSyntaxError: other helpers and decorators, arguments to anything but
lookup and log, other subexpressions, lookup with other than two arguments or with
true/false/null/undefined, block parameters `as |x|`, `{{^x}}` sections, partial blocks,
partials with arguments, unknown, recursive or twice-defined partials, `@../` paths, raw
blocks, and bare `{{if}}`/`{{unless}}`/`{{each}}`/`{{with}}` (Handlebars throws on them).

A missing path is an error where its value is output or is an #each/#with target, and merely
falsy as an #if/#unless condition; `lookup` follows the same rule for its object, its key and
the member it reads (Handlebars itself prints nothing for any of them, but SES fails a render
on an absent attribute). Strings are not indexed (`s.length`, `lookup s 0`), unlike Handlebars.
SES's guide says SES itself does not HTML-escape values; escaping here changes only the text
produced, never which templates pass.

SES fills in some names itself: `{{amazonSESUnsubscribeUrl}}` becomes an unsubscribe link when
the send carries ListManagementOptions (the guide's list/subscription management pages), and
has no value otherwise. `render(..., supplied={name: value})` outputs those values for the
names written exactly so; without `supplied` they are ordinary data variables.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn


class TemplateSyntaxError(ValueError):
    """A template outside the accepted subset; line and column (1-based) of the bad tag."""

    message: str
    line: int
    column: int

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(f"{message} (line {line}, column {column})")
        self.message, self.line, self.column = message, line, column


class MissingVariableError(KeyError):
    """A rendered expression reads a path absent from the data: SES would drop the mail."""

    path: str
    line: int
    column: int

    def __init__(self, path: str, line: int, column: int) -> None:
        super().__init__(path)
        self.path, self.line, self.column = path, line, column

    def __str__(self) -> str:
        return f"{self.path!r} is not in the data (line {self.line}, column {self.column})"


@dataclass(frozen=True)
class Path:
    """A reference as written; scope is ctx, data (`@x`) or root (`@root`); depth counts `../`."""

    text: str
    scope: str
    depth: int
    parts: tuple[str, ...]


@dataclass(frozen=True)
class Literal:
    """A "string" or number argument of a helper."""

    value: str | int | float


@dataclass(frozen=True)
class Lookup:
    """`lookup obj key`: the member of obj's value that key (a path or a literal) names."""

    obj: Path
    key: Path | Literal


Expr = Path | Lookup


@dataclass
class Var:
    """`{{expr}}` (escaped) or `{{{expr}}}` / `{{&expr}}` (raw), at pos (line, column)."""

    expr: Expr
    escape: bool
    pos: tuple[int, int]


@dataclass
class Block:
    """`{{#helper expr}}body{{else}}inverse{{/helper}}`; inverse is None without an else."""

    helper: str
    expr: Expr
    body: list[Node]
    inverse: list[Node] | None
    pos: tuple[int, int]


@dataclass
class PartialCall:
    """`{{> name}}`; indent (of a call alone on its line) goes before every line it renders."""

    name: str
    indent: str
    pos: tuple[int, int]


Node = str | Var | Block | PartialCall  # a str is literal text


@dataclass
class Template:
    """A parsed template: its top-level nodes and its inline partials by name."""

    body: list[Node]
    partials: dict[str, list[Node]] = field(default_factory=dict)


@dataclass
class _Tag:
    """One lexed mustache, before nesting; left/right mean `{{~` / `~}}`."""

    kind: str  # var raw log open close else comment partial inline
    pos: tuple[int, int]
    left: bool
    right: bool
    name: str = ""
    expr: Expr | None = None
    indent: str = ""


_BLOCKS = ("if", "unless", "each", "with")
_ID = r"[^\s!\"#%&'()*+,./;<=>@\[\\\]^`{|}~]+"
_SEG = re.compile(rf"\.\.|\.|\[[^\]]*\]|{_ID}")
_WORD = re.compile(r"""(?:\[[^\]]*\]|"[^"]*"|'[^']*'|[^\s\["'])+""")
_HTML = ["&amp;", "&lt;", "&gt;", "&quot;", "&#x27;", "&#x60;", "&#x3D;"]
_ESCAPES = str.maketrans(dict(zip("&<>\"'`=", _HTML, strict=True)))
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_INDEX = re.compile(r"0|[1-9][0-9]{0,17}")  # "01" is no list index in JavaScript
_HASH = re.compile(rf"{_ID}=(.+)", re.DOTALL)
_NAME = re.compile(r"[A-Za-z_$][\w$]*", re.ASCII)
_KEYWORDS = ("true", "false", "null", "undefined")
_MISSING = object()
SES_SUPPLIED = frozenset({"amazonSESUnsubscribeUrl"})  # names SES fills in, not the data
# Stand-ins for them where SES will fill them in: a check renders these, never sends them.
SUPPLIED = dict.fromkeys(SES_SUPPLIED, "https://example.invalid/unsubscribe")
_MAX_DEPTH = 100  # keeps rendering well inside Python's recursion limit
_Fail = Callable[[str], NoReturn]


def _words(text: str, fail: _Fail) -> list[str]:
    """Whitespace-separated words, keeping `[...]` and quoted strings whole."""
    words, pos = [], 0
    for m in _WORD.finditer(text):
        if text[pos : m.start()].strip():
            break
        words.append(m.group())
        pos = m.end()
    if text[pos:].strip():
        fail(f"invalid expression {text.strip()!r}")
    return words


def _path(text: str, fail: _Fail) -> Path:
    """Parse one path expression the way Handlebars splits it."""
    scope, rest = ("data", text[1:]) if text.startswith("@") else ("ctx", text)
    segs, pos = [], 0
    while m := _SEG.match(rest, pos):
        segs.append(m.group())
        pos = m.end() + 1
        if pos > len(rest) or rest[pos - 1] not in "./":
            break
    if not text or pos != len(rest) + 1:
        fail(f"invalid path {text!r}" if text else "empty expression")
    depth = 0
    parts: list[str] = []
    for seg in segs:
        if seg in ("..", ".", "this") and (parts or scope != "ctx"):
            fail(f"invalid path {text!r}")
        elif seg in ("..", ".", "this"):
            depth += seg == ".."
        else:
            parts.append(seg[1:-1] if seg.startswith("[") else seg)
    if scope == "data" and parts[0] == "root":
        scope, parts = "root", parts[1:]
    return Path(text, scope, depth, tuple(parts))


def _arg(text: str, fail: _Fail) -> Path | Literal:
    """A lookup or log argument: a path, a "string" / 'string', or a number."""
    if text[:1] in ("'", '"'):
        if len(text) < 2 or text.count(text[0]) != 2 or text[-1] != text[0]:
            fail(f"invalid string {text}")
        return Literal(text[1:-1])
    if _NUMBER.fullmatch(text):
        return Literal(float(text) if "." in text else int(text))
    if text in _KEYWORDS:
        fail(f"{text} is not a lookup argument: use a path, a string or a number")
    if text.startswith("("):
        fail("the only subexpression is (lookup obj key), as the argument of a block")
    return _path(text, fail)


def _lookup_call(args: list[str], fail: _Fail) -> Lookup:
    """`lookup obj key` from its two argument words; obj must be a path."""
    if any(arg[:1] == "(" for arg in args):
        fail("lookup's arguments are paths, strings or numbers, not subexpressions")
    if len(args) != 2:
        fail("lookup takes exactly two arguments: {{lookup object key}}")
    obj, key = _arg(args[0], fail), _arg(args[1], fail)
    if not isinstance(obj, Path):
        fail(f"lookup reads from a path, not from the literal {args[0]}")
    return Lookup(obj, key)


def _log_args(args: list[str], fail: _Fail) -> None:
    """Check that log's arguments (paths, literals, `k=v`) parse; log outputs nothing."""
    for arg in args:
        value = m.group(1) if (m := _HASH.fullmatch(arg)) else arg
        if value not in _KEYWORDS:
            _arg(value, fail)


def _call(words: list[str], text: str, fail: _Fail) -> Expr | None:
    """A mustache's expression: a path, `lookup obj key`, or None for `log ...`."""
    name, args = words[0], words[1:]
    if name == "log":
        _log_args(args, fail)
        return None
    if name == "lookup":
        return _lookup_call(args, fail)
    if args:
        fail(f"helper calls are not supported: {{{{{text}}}}}")
    if name in _BLOCKS:
        fail(f"{name} is a block helper: write {{{{#{name} ...}}}}...{{{{/{name}}}}}")
    return _path(name, fail)


def _expression(text: str, fail: _Fail) -> Expr | None:
    """The expression of a raw `{{{...}}}` or `{{&...}}` mustache (None for log)."""
    words = _words(text, fail)
    if not words:
        fail("empty expression")
    return _call(words, text, fail)


def _target(helper: str, args: list[str], fail: _Fail) -> Expr:
    """A block's one argument: a path, or a `(lookup obj key)` subexpression."""
    text = " ".join(args)
    if len(args) == 1 and not text.startswith("("):
        return _path(text, fail)
    inner = _words(text[1:-1], fail) if text[:1] == "(" and text[-1:] == ")" else []
    if inner[:1] != ["lookup"]:
        fail(f"#{helper} takes exactly one path argument or one (lookup obj key)")
    return _lookup_call(inner[1:], fail)


def _tag(src: str, i: int, line: int) -> tuple[_Tag, int]:
    """Lex the mustache at offset i on the given line; return it and the offset after it."""
    pos = (line, i - src.rfind("\n", 0, i))

    def fail(message: str) -> NoReturn:
        raise TemplateSyntaxError(message, *pos)

    left = src.startswith("~", i + 2)
    j = i + 2 + left
    if src.startswith(("!--", "{"), j):
        comment = src[j] == "!"
        m = re.compile(r"--(~?)\}\}" if comment else r"\}(~?)\}\}").search(src, j + 1 + 2 * comment)
        inner = src[j + 1 : m.start()] if m else "}}"
        if comment and m:
            return _Tag("comment", pos, left, bool(m.group(1))), m.end()
        if not m or "}}" in inner or "{{" in inner:
            fail("unterminated comment: no '--}}'" if comment else "unterminated '{{{': no '}}}'")
        if not m.group(1) and src.startswith("}", m.end()):
            fail("'}}}}' ends a raw block, not '{{{': separate the last '}'")
        expr = _expression(inner.strip(), fail)
        return _Tag("raw" if expr else "log", pos, left, bool(m.group(1)), expr=expr), m.end()
    k = src.find("}}", j)
    if k == -1:
        fail("unterminated mustache: no '}}'")
    right = src[k - 1] == "~" and k > j
    body = src[j : k - right].strip()

    def mk(kind: str, name: str = "", expr: Expr | None = None) -> tuple[_Tag, int]:
        return _Tag(kind, pos, left, right, name, expr), k + 2

    def block(kind: str, words: list[str]) -> tuple[_Tag, int]:
        if not words or words[0] not in _BLOCKS:
            name = words[0] if words else ""
            fail(f"unknown block helper {name!r}: only if, unless, each and with exist in SES")
        return mk(kind, words[0], _target(words[0], words[1:], fail))

    if src.startswith("!", j):
        return mk("comment")
    if not right and src.startswith("}", k + 2) and body != "else":
        fail("'}}}' ends a '{{{' mustache, not '{{': separate the last '}'")
    if "{{" in body:
        fail("unterminated mustache: no '}}'")
    head = src[j] if src[j] in "#/>^&" else ""
    if not head and body[:1] in ("#", "/", ">", "^", "&", "!"):
        fail(f"no space is allowed between '{{{{' and '{body[0]}'")
    rest = body[1:].strip() if head else body
    words = _words(rest if head in ("#", "/", ">") else body, fail) if body else []
    if not body:
        fail("empty expression")
    if head == "#" and rest.startswith("*"):
        words = _words(rest[1:], fail)
        if len(words) != 2 or words[0] != "inline" or words[1][:1] not in "\"'":
            fail('the only decorator is {{#*inline "name"}}')
        return mk("inline", words[1][1:-1])
    if head == "#" and rest.startswith(">"):
        fail("partial blocks {{#> name}} are not supported")
    if head == "#":
        return block("open", words)
    if head in ("/", ">") and len(words) != 1:
        fail("a closing tag names only its block" if head == "/" else "partials take no arguments")
    if head == "/":
        return mk("close", words[0])
    if head == ">":
        return mk("partial", words[0][1:-1] if words[0][:1] in "\"'" else words[0])
    if head == "^":
        fail("{{^...}} sections are not supported: use {{#unless}} or {{else}}")
    if head == "&":
        expr = _expression(rest, fail)
        return mk("raw" if expr else "log", expr=expr)
    if words[0] == "else":
        return mk("else") if len(words) == 1 else block("else", words[1:])
    expr = _call(words, body, fail)
    return mk("var" if expr else "log", expr=expr)


def _lex(src: str) -> list[str | _Tag]:
    """Split the source into text and tags, honouring `\\{{` escapes as Handlebars' lexer does."""
    out: list[str | _Tag] = []
    text, start, search, line, seen = "", 0, 0, 1, 0
    while (i := src.find("{{", search)) != -1:
        line, seen = line + src.count("\n", seen, i), i
        escaped = i > start and src[i - 1] == "\\"
        double = escaped and i - 1 > start and src[i - 2] == "\\"
        text += src[start : i - 1 if escaped else i]
        if escaped and not double:  # a literal "{{" and what follows up to the next mustache
            start, search = i, i + 2
            continue
        out += [text] if text else []
        tag, start = _tag(src, i, line)
        text, search = "", start
        out.append(tag)
    text += src[start:]
    return [*out, text] if text else out


def _strip(tokens: list[str | _Tag]) -> list[str | _Tag]:
    """Apply `~` and the standalone rule: a block, else, comment or partial tag alone on its
    line takes that line's indentation and newline with it."""
    n, alone = len(tokens), [False] * len(tokens)
    for k, tag in enumerate(tokens):
        if isinstance(tag, str) or tag.kind in ("var", "raw", "log"):
            continue
        prev, after = tokens[k - 1] if k else "", tokens[k + 1] if k + 1 < n else ""
        prev_ok = k == 0 or (
            isinstance(prev, str) and re.search(r"\n[ \t]*$" if k > 1 else r"(^|\n)[ \t]*$", prev)
        )
        next_ok = k == n - 1 or (
            isinstance(after, str)
            and re.match(r"[ \t]*(\r?\n|$)" if k + 2 == n else r"[ \t]*\r?\n", after)
        )
        alone[k] = bool(prev_ok and next_ok)
        if alone[k] and isinstance(prev, str):
            tag.indent = prev[len(prev.rstrip(" \t")) :]
    out = list(tokens)
    for k, text in enumerate(tokens):
        if isinstance(text, _Tag):
            continue
        left, right = tokens[k - 1] if k else None, tokens[k + 1] if k + 1 < n else None
        if isinstance(left, _Tag) and left.right:
            text = text.lstrip()
        elif isinstance(left, _Tag) and alone[k - 1]:
            text = re.sub(r"^[ \t]*\r?\n?", "", text)
        if isinstance(right, _Tag) and right.left:
            text = text.rstrip()
        elif isinstance(right, _Tag) and alone[k + 1]:
            text = text.rstrip(" \t")
        out[k] = text
    return out


def parse(source: str) -> Template:
    """Parse SES Handlebars source; TemplateSyntaxError for anything outside the subset."""
    template = Template([])
    stack: list[tuple[Block, str, bool]] = []  # open block, its opener's name, opened by else?
    for tok in _strip(_lex(source)):
        top = stack[-1][0] if stack else None
        target = template.body if top is None else top.body if top.inverse is None else top.inverse
        if isinstance(tok, str):
            target += [tok] if tok else []
        elif tok.kind in ("var", "raw") and tok.expr:
            target.append(Var(tok.expr, tok.kind == "var", tok.pos))
        elif tok.kind == "partial":
            target.append(PartialCall(tok.name, tok.indent, tok.pos))
        elif tok.kind in ("open", "inline"):
            node = Block(tok.name, tok.expr or Path("", "ctx", 0, ()), [], None, tok.pos)
            target += [node] if tok.kind == "open" else []
            stack.append((node, tok.name if tok.kind == "open" else "inline", False))
            if len(stack) > _MAX_DEPTH:
                raise TemplateSyntaxError(f"blocks nest deeper than {_MAX_DEPTH}", *tok.pos)
        elif tok.kind == "else":
            if top is not None and top.inverse is not None:
                raise TemplateSyntaxError("a second {{else}} in one block", *tok.pos)
            if top is None or stack[-1][1] == "inline":
                raise TemplateSyntaxError("{{else}} outside an if/unless/each/with block", *tok.pos)
            top.inverse = []
            if tok.expr:
                top.inverse.append(node := Block(tok.name, tok.expr, [], None, tok.pos))
                stack.append((node, stack[-1][1], True))
        elif tok.kind == "close":
            if not stack:
                raise TemplateSyntaxError(f"{{{{/{tok.name}}}}} closes no open block", *tok.pos)
            while stack[-1][2]:
                stack.pop()
            node, name, _ = stack.pop()
            if tok.name != name:
                where = f"line {node.pos[0]}, column {node.pos[1]}"
                msg = f"{{{{/{tok.name}}}}} does not match {{{{#{name}}}}} opened at {where}"
                raise TemplateSyntaxError(msg, *tok.pos)
            if name == "inline" and node.helper in template.partials:
                raise TemplateSyntaxError(f"partial {node.helper!r} is defined twice", *node.pos)
            if name == "inline":
                template.partials[node.helper] = node.body
    if stack:
        node, name, _ = next(frame for frame in reversed(stack) if not frame[2])
        raise TemplateSyntaxError(f"{{{{#{name}}}}} is never closed", *node.pos)
    _check_partials(template)
    return template


def _calls(nodes: list[Node]) -> Iterator[PartialCall]:
    """Every partial call in a node list, nested blocks included."""
    for node in nodes:
        if isinstance(node, PartialCall):
            yield node
        elif isinstance(node, Block):
            yield from _calls([*node.body, *(node.inverse or [])])


def _check_partials(template: Template) -> None:
    """Reject calls to undefined partials, and partials that end up calling themselves."""
    calls = {name: list(_calls(body)) for name, body in template.partials.items()}
    for call in [*_calls(template.body), *(c for found in calls.values() for c in found)]:
        if call.name not in calls:
            raise TemplateSyntaxError(f"unknown partial {call.name!r}", *call.pos)

    done: set[str] = set()

    def visit(name: str, trail: tuple[str, ...]) -> None:
        for call in calls[name]:
            if call.name in trail:
                raise TemplateSyntaxError(f"partial {call.name!r} calls itself", *call.pos)
            if len(trail) >= _MAX_DEPTH:
                raise TemplateSyntaxError(f"partials nest deeper than {_MAX_DEPTH}", *call.pos)
            if call.name not in done:
                visit(call.name, (*trail, call.name))
        done.add(name)

    for name in calls:
        visit(name, (name,))


def _empty(value: Any) -> bool:
    """Handlebars' isEmpty: what #with and #each treat as nothing."""
    if value is None or value is False or (isinstance(value, float) and math.isnan(value)):
        return True
    return isinstance(value, str | list | tuple) and not value


def _text(value: Any) -> str:
    """JavaScript's string conversion of a JSON value."""
    if value is None or isinstance(value, bool):
        return "" if value is None else str(value).lower()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return "NaN" if math.isnan(value) else ("-" if value < 0 else "") + "Infinity"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e21 else repr(value)
    if isinstance(value, list | tuple):
        return ",".join(_text(item) for item in value)
    return "[object Object]" if isinstance(value, Mapping) else str(value)


def _step(value: Any, part: str) -> Any:
    """value[part] as Handlebars reads it (a mapping's key, a list's index or length), or
    _MISSING."""
    if type(value) is dict or isinstance(value, Mapping):  # dict first: no ABC check
        return value.get(part, _MISSING)
    if isinstance(value, list | tuple) and part == "length":
        return len(value)
    if isinstance(value, list | tuple) and _INDEX.fullmatch(part) and int(part) < len(value):
        return value[int(part)]
    return _MISSING


def _lookup(path: Path, stack: tuple[Any, ...], data: Mapping[str, Any]) -> Any:
    """The value a path names in the context stack (innermost last) and @-data, or _MISSING."""
    parts = path.parts
    if path.scope == "root":
        value = stack[0]
    elif path.scope == "data":
        value, parts = data.get(parts[0], _MISSING), parts[1:]
    else:
        value = stack[-1 - path.depth] if path.depth < len(stack) else _MISSING
    for part in parts:  # the common dict case inline: this runs for every output value
        value = value.get(part, _MISSING) if type(value) is dict else _step(value, part)
    return value


def _key(value: Any) -> str:
    """A lookup key as the property name JavaScript makes of it (String(value))."""
    return value if type(value) is str else "null" if value is None else _text(value)


def _member(base: str, key: str) -> str:
    """How a template writes the member `key` of the path `base`: `o.k`, `l.[2]`, `../k`."""
    seg = key if _NAME.fullmatch(key) and key not in (*_KEYWORDS, "this") else f"[{key}]"
    return f"{base}/{seg}" if base.endswith(".") else f"{base}.{seg}"


def render(
    template: Template, data: Mapping[str, Any], *, supplied: Mapping[str, str] | None = None
) -> str:
    """Render as SES would; MissingVariableError at the first path a rendered branch lacks.

    supplied maps names SES fills in itself (see SES_SUPPLIED) to the text to output: a path
    written exactly as such a name takes its value from here, never from data. Pass it only
    for sends that give SES a value (ListManagementOptions for amazonSESUnsubscribeUrl)."""
    out: list[str] = []
    _Renderer(template, out, supplied or {}).emit(template.body, (data,), {})
    return "".join(out)


class _Renderer:
    """One rendering: the template (for its partials), SES-supplied values and the output."""

    def __init__(self, template: Template, out: list[str], supplied: Mapping[str, str]) -> None:
        self.template, self.out, self.supplied = template, out, supplied

    def value(self, expr: Expr | Literal, stack: tuple[Any, ...], at: Mapping[str, Any]) -> Any:
        """An expression's value in a context stack and @-data, or _MISSING."""
        if isinstance(expr, Path):
            supplied = self.supplied
            return supplied[expr.text] if expr.text in supplied else _lookup(expr, stack, at)
        if isinstance(expr, Literal):
            return expr.value
        key = self.value(expr.key, stack, at)
        return _MISSING if key is _MISSING else _step(self.value(expr.obj, stack, at), _key(key))

    def absent(self, expr: Expr, stack: tuple[Any, ...], at: Mapping[str, Any]) -> str:
        """The path, as a template writes it, whose value expr lacks: the path itself, or a
        lookup's object, key or member."""
        if isinstance(expr, Path):
            return expr.text
        for arg in (expr.obj, expr.key):
            if isinstance(arg, Path) and self.value(arg, stack, at) is _MISSING:
                return arg.text
        return _member(expr.obj.text, _key(self.value(expr.key, stack, at)))

    def emit(self, nodes: list[Node], stack: tuple[Any, ...], at: Mapping[str, Any]) -> None:
        """Render nodes in a context stack (innermost last) with @-data `at`."""
        out = self.out
        for node in nodes:
            if isinstance(node, str):
                out.append(node)
            elif isinstance(node, PartialCall):
                mark = len(out)
                self.emit(self.template.partials[node.name], stack, at)
                *lines, tail = "".join(out[mark:]).split("\n")
                lines = [node.indent + line for line in lines] + [tail and node.indent + tail]
                out[mark:] = ["\n".join(lines)]
            elif type(expr := node.expr) is Path and expr.text not in self.supplied:
                self.block(node, _lookup(expr, stack, at), stack, at)  # the common case, inline
            else:
                self.block(node, self.value(node.expr, stack, at), stack, at)

    def block(
        self, node: Var | Block, value: Any, stack: tuple[Any, ...], at: Mapping[str, Any]
    ) -> None:
        """Render one variable or block whose expression has the given value."""
        if value is _MISSING and not (isinstance(node, Block) and node.helper in ("if", "unless")):
            raise MissingVariableError(self.absent(node.expr, stack, at), *node.pos)
        if isinstance(node, Var):
            text = value if type(value) is str else _text(value)
            self.out.append(text.translate(_ESCAPES) if node.escape else text)
        elif node.helper in ("if", "unless"):
            zero = isinstance(value, int | float) and value == 0
            truthy = value is not _MISSING and not _empty(value) and not zero
            branch = node.body if truthy == (node.helper == "if") else node.inverse
            self.emit(branch or [], stack, at)
        elif node.helper == "with" and not _empty(value):
            self.emit(node.body, stack if value is stack[-1] else (*stack, value), at)
        else:
            items: list[tuple[Any, Any]] = []
            if node.helper == "each" and isinstance(value, Mapping):
                items = list(value.items())
            elif node.helper == "each" and isinstance(value, list | tuple):
                items = list(enumerate(value))
            if not items:
                self.emit(node.inverse or [], stack, at)
            for index, (key, item) in enumerate(items):
                last = index == len(items) - 1
                frame = {**at, "key": key, "index": index, "first": index == 0, "last": last}
                self.emit(node.body, (*stack, item), frame)


def variables(template: Template, supplied: Collection[str] = SES_SUPPLIED) -> set[str]:
    """Dotted paths the data must hold, read from the root context (also through #with), not
    from #each items. Names in `supplied` (by default those SES fills in itself) are left out;
    pass `()` for a send without ListManagementOptions, where they come from the data."""
    found: set[str] = set()

    def full(path: Path, scope: tuple[str | None, ...]) -> str | None:
        base = "" if path.scope == "root" else None
        if path.scope == "ctx" and path.depth < len(scope) and path.text not in supplied:
            base = scope[-1 - path.depth]
        return None if base is None else ".".join(p for p in (base, *path.parts) if p)

    def record(*paths: str | None) -> None:
        found.update(path for path in paths if path)

    def resolve(expr: Expr, scope: tuple[str | None, ...]) -> str | None:
        """Record the root paths expr reads; return the one whose value it is, if known."""
        if isinstance(expr, Path):
            name = full(expr, scope)
        elif isinstance(expr.key, Path):
            name = None
            record(full(expr.obj, scope), full(expr.key, scope))
        else:
            obj = full(expr.obj, scope)
            name = None if obj is None else ".".join(filter(None, (obj, _key(expr.key.value))))
        record(name)
        return name

    def walk(nodes: list[Node], scope: tuple[str | None, ...], active: frozenset[str]) -> None:
        for node in nodes:
            if isinstance(node, Var):
                resolve(node.expr, scope)
            elif isinstance(node, PartialCall) and node.name not in active:
                walk(template.partials[node.name], scope, active | {node.name})
            elif isinstance(node, Block):
                name, inner, expr = resolve(node.expr, scope), scope, node.expr
                if node.helper == "each":
                    inner = (*scope, None)
                elif node.helper == "with" and (
                    isinstance(expr, Lookup) or expr.parts or expr.depth
                ):
                    inner = (*scope, name)
                walk(node.body, inner, active)
                walk(node.inverse or [], scope, active)

    walk(template.body, ("",), frozenset())
    return found
