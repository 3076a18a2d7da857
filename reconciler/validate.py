"""Offline template checks for `sesctl validate`: Handlebars syntax and a test_data render.

SES drops a message whose template uses a variable its data lacks (a RENDERING_FAILURE
event); rendering each template with its `test_data` catches that before it ships. Names SES
fills in itself (`{{amazonSESUnsubscribeUrl}}`, substituted when a send carries
ListManagementOptions) are given a stand-in value, so test_data need not hold them.
"""

from __future__ import annotations

from .config import LoadedConfig
from .handlebars import SES_SUPPLIED, MissingVariableError, TemplateSyntaxError, parse, render

PARTS = ("subject", "html", "text")
SUPPLIED = dict.fromkeys(SES_SUPPLIED, "https://example.invalid/unsubscribe")  # stand-ins


def check_templates(loaded: LoadedConfig) -> list[str]:
    """One message per broken template part, naming the file position of the part."""
    problems: list[str] = []
    for name, template in (loaded.model.templates or {}).items():
        for part in PARTS:
            source = getattr(template, part)
            if source is None:
                continue
            key = part if getattr(template, f"{part}_file") is None else f"{part}_file"
            where = f"{loaded.mark('templates', name, key)}: templates.{name}.{key}"
            try:
                parsed = parse(source)
            except TemplateSyntaxError as exc:
                problems.append(
                    f"{where}: template line {exc.line}, column {exc.column}: {exc.message}"
                )
                continue
            if template.test_data is None:
                continue
            try:
                render(parsed, template.test_data, supplied=SUPPLIED)
            except MissingVariableError as exc:
                problems.append(
                    f"{where}: uses {{{{{exc.path}}}}} (template line {exc.line}, column "
                    f"{exc.column}) but test_data has no {exc.path!r}: SES would drop the mail "
                    "with a rendering failure"
                )
    return problems
