"""Email templates: subject, HTML and text parts, and tags.

UpdateEmailTemplate replaces the whole content, so all three parts are managed together: a
part the file does not give is unset. `*_file` parts are read by the config loader.
"""

from __future__ import annotations

from typing import Any

from ..client import Sesv2
from ..models import Template
from ..plan import Change
from .base import (
    Context,
    apply_tags,
    authoritative,
    create,
    desired_tags,
    lifecycle,
    read_or_none,
    tags_from_api,
    tags_to_api,
)

KIND = "template"
PARTS = ("subject", "html", "text")


class Templates:
    section = "templates"
    kind = KIND
    arn_type = "template"

    def list_names(self, client: Sesv2) -> list[str]:
        items = client.pages("ListEmailTemplates", "TemplatesMetadata", PageSize=100)
        return [item["TemplateName"] for item in items]

    def read(self, client: Sesv2, name: str, tags: dict[str, str] | None) -> dict[str, Any] | None:
        answer = read_or_none(client, "GetEmailTemplate", TemplateName=name)
        if answer is None:
            return None
        content = answer.get("TemplateContent", {})
        state: dict[str, Any] = {part: content.get(part.capitalize()) for part in PARTS}
        state["tags"] = tags_from_api(answer.get("Tags")) if "Tags" in answer else (tags or {})
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
        name, before, after = change.name, change.before or {}, change.after or {}
        if change.action == "delete":
            client.call("DeleteEmailTemplate", TemplateName=name)
            return
        content = {part.capitalize(): after[part] for part in PARTS if after.get(part) is not None}
        if change.action == "create":
            create(
                client,
                "CreateEmailTemplate",
                (self.arn_type, name),
                TemplateName=name,
                TemplateContent=content,
                Tags=tags_to_api(after["tags"]),
            )
            return
        if any(before.get(part) != after.get(part) for part in PARTS):
            client.call("UpdateEmailTemplate", TemplateName=name, TemplateContent=content)
        apply_tags(client, client.arn(self.arn_type, name), before["tags"], after["tags"])
