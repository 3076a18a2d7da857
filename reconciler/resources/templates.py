"""Email templates: subject, HTML and text parts, and tags.

UpdateEmailTemplate replaces the whole content, so all three parts are managed together: a
part the file does not give is unset. `*_file` parts are read when the file loads, inside its
directory, at most SES's 500 KB. Each part must parse as SES's Handlebars and, given
`test_data`, render: SES drops a message whose data lacks a variable (a RENDERING_FAILURE
event). Names SES fills in itself (`{{amazonSESUnsubscribeUrl}}`, under list management) get
a stand-in value, so test_data need not hold them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..client import Sesv2
from ..handlebars import SUPPLIED, MissingVariableError, TemplateSyntaxError, parse, render
from ..models import Template
from ..plan import Change
from .base import (
    Calls,
    Context,
    answered_tags,
    authoritative,
    desired_tags,
    lifecycle,
    located,
    move_to_file,
    read_named,
    read_or_none,
)
from .kind import ListedKind

if TYPE_CHECKING:
    from ..config import LoadedConfig

KIND = "template"
PARTS = ("subject", "html", "text")
# A template is at most 500 KB, all parts together (SES developer guide, "Service quotas").
MAX_TEMPLATE_BYTES = 500 * 1024
LIMIT = "SES templates are at most 500 KB"
CALLS = Calls("CreateEmailTemplate", "UpdateEmailTemplate", "DeleteEmailTemplate", "TemplateName")


class Templates(ListedKind):
    section = "templates"
    kind = KIND
    arn_type = "template"
    order = 60
    model = Template
    comment = "email templates (long bodies live in files beside this one)"

    def check(self, loaded: LoadedConfig) -> None:
        """Each `*_file` part becomes the file's text, read inside the config's directory."""
        entries = loaded.section(self.section) or {}
        for name, template in entries.items():
            updates: dict[str, str] = {}
            for part in PARTS:
                relative = getattr(template, f"{part}_file")
                if relative is not None:
                    path = (self.section, name, f"{part}_file")
                    updates[part] = read_named(loaded, relative, path, MAX_TEMPLATE_BYTES, LIMIT)
            if updates:
                entries[name] = template.model_copy(update=updates)

    def problems(self, loaded: LoadedConfig) -> list[str]:
        """One message per part that does not parse, or does not render with its test_data."""
        found: list[str] = []
        for name, template in (loaded.section(self.section) or {}).items():
            for part in PARTS:
                key = part if getattr(template, f"{part}_file") is None else f"{part}_file"
                where = located(loaded, self.section, name, key)
                found += source_problems(getattr(template, part), template.test_data, where)
        return found

    def export_files(self, section: Any, directory: Path) -> None:
        """Multi-line HTML and text bodies go to templates/<name>.html|.txt beside the file."""
        for name, template in (section or {}).items():
            for part, suffix in (("html", "html"), ("text", "txt")):
                move_to_file(template, part, directory, Path("templates") / f"{name}.{suffix}")

    def list_names(self, client: Sesv2) -> list[str]:
        items = client.pages("ListEmailTemplates", "TemplatesMetadata", PageSize=100)
        return [item["TemplateName"] for item in items]

    def read(self, client: Sesv2, name: str, tags: dict[str, str] | None) -> dict[str, Any] | None:
        answer = read_or_none(client, "GetEmailTemplate", TemplateName=name)
        if answer is None:
            return None
        content = answer.get("TemplateContent", {})
        state: dict[str, Any] = {part: content.get(part.capitalize()) for part in PARTS}
        state["tags"] = answered_tags(answer, tags)
        return state

    def desired(self, model: Template, ctx: Context) -> dict[str, Any]:
        want: dict[str, Any] = {part: getattr(model, part) for part in PARTS}
        want["tags"] = desired_tags(ctx, model)
        return want

    def diff(
        self, name: str, model: Template | None, live: dict[str, Any] | None, ctx: Context
    ) -> list[Change]:
        want = self.desired(model, ctx) if model else None
        return lifecycle(KIND, name, want, live, ctx, authoritative(model, "tags"))

    def apply(self, client: Sesv2, change: Change) -> None:
        before, after = change.before or {}, change.after or {}
        content = {part.capitalize(): after[part] for part in PARTS if after.get(part) is not None}
        moved = any(before.get(part) != after.get(part) for part in PARTS)
        CALLS.apply(client, change, self.arn_type, {"TemplateContent": content}, moved)


def source_problems(source: str | None, test_data: dict[str, Any] | None, where: str) -> list[str]:
    """Why SES would refuse a template part (`where` names it), or fail to render it with the
    test data; nothing when it parses and renders."""
    if source is None:
        return []
    try:
        parsed = parse(source)
    except TemplateSyntaxError as exc:
        return [f"{where}: template line {exc.line}, column {exc.column}: {exc.message}"]
    if test_data is None:
        return []
    try:
        render(parsed, test_data, supplied=SUPPLIED)
    except MissingVariableError as exc:
        return [
            f"{where}: uses {{{{{exc.path}}}}} (template line {exc.line}, column {exc.column}) "
            f"but test_data has no {exc.path!r}: SES would drop the mail with a rendering failure"
        ]
    return []
