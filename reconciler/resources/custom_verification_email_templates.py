"""Custom verification email templates: the email SES sends to verify a new address.

SendCustomVerificationEmail sends it; SES appends the verification link and a short notice
itself, so the content needs no placeholder (developer guide, "Using custom verification email
templates"). All five members are required by Create and by Update (the API reference marks
every member of both required), so the file gives all five and apply writes them together;
tags travel on Create and through TagResource after.

Its sender must be verified, the address itself or a domain above it (the guide's table of
inputs): until then SES refuses the template, so the plan shows it waiting and apply leaves
it for a later run. Its HTML may use only the tags and attributes the guide's FAQ lists, no
comments; `validate` reports the others with their line and column. Content is at most 10 MB,
and an account holds at most 50 of these templates (the same FAQ).
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..client import Sesv2
from ..models import CustomVerificationEmailTemplate
from ..plan import Change
from .base import (
    Calls,
    Context,
    answered_tags,
    authoritative,
    desired_tags,
    field_changes,
    lifecycle,
    located,
    move_to_file,
    pascal,
    read_named,
    read_or_none,
)
from .kind import ListedKind, Refers

if TYPE_CHECKING:
    from ..config import LoadedConfig

KIND = "custom_verification_email_template"
MEMBERS = (
    "from_email_address",
    "template_subject",
    "template_content",
    "success_redirection_url",
    "failure_redirection_url",
)
MAX_CONTENT_BYTES = 10 * 1024 * 1024
CALLS = Calls(
    "CreateCustomVerificationEmailTemplate",
    "UpdateCustomVerificationEmailTemplate",
    "DeleteCustomVerificationEmailTemplate",
    "TemplateName",
)
SENDER = Refers(("from_email_address",), "identity", verified=True, sender=True)

# The FAQ's allowlist: every tag takes class, id, style and title; these take more. Not on
# it, so refused: a, script, style, link, meta, title, and comments.
COMMON = frozenset({"class", "id", "style", "title"})
EXTRA = {
    "img": {"align", "alt", "height", "src", "width"},
    "td": {"abbr", "axis", "colspan", "rowspan", "width"},
    "th": {"abbr", "axis", "colspan", "rowspan", "scope", "width"},
    "table": {"summary", "width"},
    "col": {"span", "width"},
    "colgroup": {"span", "width"},
    "ol": {"start", "type"},
    "ul": {"type"},
    "blockquote": {"cite"},
    "q": {"cite"},
}
ALLOWED = """
abbr acronym address area b bdo big blockquote body br button caption center cite code col
colgroup dd del dfn dir div dl dt em fieldset font form h1 h2 h3 h4 h5 h6 head hr html i img
input ins kbd label legend li map menu ol optgroup option p pre q s samp select small span
strike strong sub sup table tbody td textarea tfoot th thead tr tt u ul var
"""
TAGS = frozenset(ALLOWED.split())


class CustomVerificationEmailTemplates(ListedKind):
    section = "custom_verification_email_templates"
    kind = KIND
    arn_type = "custom-verification-email-template"
    order = 65
    model = CustomVerificationEmailTemplate
    comment = "the emails SES sends to verify new addresses (SES adds the link)"
    refers = (SENDER,)

    def check(self, loaded: LoadedConfig) -> None:
        """`template_content_file` becomes the file's text, read inside the config's
        directory, at most 10 MB."""
        entries = loaded.section(self.section) or {}
        for name, entry in entries.items():
            relative = entry.template_content_file
            if relative is not None:
                path = (self.section, name, "template_content_file")
                content = read_named(loaded, relative, path, MAX_CONTENT_BYTES, "at most 10 MB")
                entries[name] = entry.model_copy(update={"template_content": content})

    def problems(self, loaded: LoadedConfig) -> list[str]:
        """The content's HTML that SES does not allow, each with its place in the content."""
        found: list[str] = []
        for name, entry in (loaded.section(self.section) or {}).items():
            from_file = entry.template_content_file is not None
            key = "template_content_file" if from_file else "template_content"
            where = located(loaded, self.section, name, key)
            content = entry.template_content or ""
            if len(content.encode()) >= MAX_CONTENT_BYTES:
                found.append(f"{where}: {len(content.encode())} bytes: SES takes under 10 MB")
            found += [f"{where}: {problem}" for problem in html_problems(content)]
        return found

    def export_files(self, section: Any, directory: Path) -> None:
        """Multi-line content goes to custom_verification_email_templates/<name>.html."""
        for name, entry in (section or {}).items():
            relative = Path(self.section) / f"{name}.html"
            move_to_file(entry, "template_content", directory, relative)

    def list_names(self, client: Sesv2) -> list[str]:
        items = client.pages(
            "ListCustomVerificationEmailTemplates", "CustomVerificationEmailTemplates", PageSize=50
        )
        return [item["TemplateName"] for item in items]

    def read(self, client: Sesv2, name: str, tags: dict[str, str] | None) -> dict[str, Any] | None:
        answer = read_or_none(client, "GetCustomVerificationEmailTemplate", TemplateName=name)
        if answer is None:
            return None
        state: dict[str, Any] = {member: answer.get(_api(member)) for member in MEMBERS}
        state["tags"] = answered_tags(answer, tags)
        return state

    def desired(self, model: CustomVerificationEmailTemplate, ctx: Context) -> dict[str, Any]:
        want: dict[str, Any] = {member: getattr(model, member) for member in MEMBERS}
        want["tags"] = desired_tags(ctx, model)
        return want

    def diff(
        self,
        name: str,
        model: CustomVerificationEmailTemplate | None,
        live: dict[str, Any] | None,
        ctx: Context,
    ) -> list[Change]:
        want = self.desired(model, ctx) if model else None
        changes = lifecycle(KIND, name, want, live, ctx, authoritative(model, "tags"))
        for change in changes:
            _wait_for_sender(change, ctx)
        return changes

    def apply(self, client: Sesv2, change: Change) -> None:
        before, after = change.before or {}, change.after or {}
        members = {_api(member): after.get(member) for member in MEMBERS}
        CALLS.apply(client, change, self.arn_type, members, _members_move(before, after))


def _api(member: str) -> str:
    """`success_redirection_url` → `SuccessRedirectionURL`, as the API spells it."""
    name = pascal(member)
    return name[: -len("Url")] + "URL" if name.endswith("Url") else name


def _members_move(before: dict[str, Any], after: dict[str, Any]) -> bool:
    return any(field_changes(before.get(m), after.get(m)) for m in MEMBERS)


def _wait_for_sender(change: Change, ctx: Context) -> None:
    """A create or update SES would refuse because no identity verifies its sender waits
    whole (Update takes every member, the sender included); tags alone need no sender."""
    if change.action not in ("create", "update"):
        return
    before, after = change.before or {}, change.after or {}
    sender = after.get("from_email_address")
    if not sender or (change.action == "update" and not _members_move(before, after)):
        return
    names = SENDER.names(sender)
    if any(n in ctx.verified for n in names):
        return
    change.waits = True
    change.held["from_email_address"] = (
        f"waiting for {' or '.join(names)} to be verified as an identity (SES takes the "
        "template only from a verified sender)"
    )


class _Checker(HTMLParser):
    """Collects what the FAQ's allowlist refuses, with its line and column in the content."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def _say(self, problem: str) -> None:
        line, offset = self.getpos()
        self.found.append(f"content line {line}, column {offset + 1}: {problem}")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in TAGS:
            hint = " (SES adds the verification link itself)" if tag == "a" else ""
            self._say(f"<{tag}> is not a tag SES allows in a custom verification email{hint}")
            return
        allowed = COMMON | EXTRA.get(tag, set())
        for attribute, _ in attrs:
            if attribute not in allowed:
                self._say(f"<{tag} {attribute}>: SES allows no {attribute} attribute on <{tag}>")

    def handle_comment(self, data: str) -> None:
        self._say("an HTML comment: SES allows none in a custom verification email")


def html_problems(content: str) -> list[str]:
    """What of `content` the FAQ's allowlist refuses; nothing for plain text."""
    checker = _Checker()
    checker.feed(content)
    checker.close()
    return checker.found
