"""Email templates (moto 5.2.1 has none in SES v2): content, tags, pagination.

Names are up to 64 letters, digits, '_' and '-' (CloudFormation, AWS::SES::Template); a
template is at most 500 KB (developer guide, "Service quotas").
"""

from __future__ import annotations

from typing import Any

from .state import (
    Call,
    Kind,
    Taggable,
    Template,
    already_exists,
    bad_request,
    check_name,
    not_found,
    page,
)
from .tags import check_tags

MAX_BYTES = 500 * 1024


def _content(call: Call) -> dict[str, str]:
    content = dict(call.params["TemplateContent"])
    if sum(len(str(v).encode()) for v in content.values()) > MAX_BYTES:
        raise bad_request("Template exceeds the maximum size of 500 KB.")
    return content


ARN_TYPE = "template"


def _template(call: Call) -> tuple[str, Template]:
    name = call.params["TemplateName"]
    template = call.extras.templates.get(name)
    if template is None:
        raise not_found(f"Template {name}")
    return name, template


def create(call: Call) -> dict[str, Any]:
    name = check_name("TemplateName", call.params["TemplateName"])
    if name in call.extras.templates:
        raise already_exists(f"Template {name}")
    check_tags(call.params.get("Tags") or [])
    call.extras.templates[name] = Template(_content(call))
    call.set_tags(ARN_TYPE, name, call.params.get("Tags"))
    return {}


def get(call: Call) -> dict[str, Any]:
    name, template = _template(call)
    return {
        "TemplateName": name,
        "TemplateContent": template.content,
        "Tags": call.tags(ARN_TYPE, name),
    }


def update(call: Call) -> dict[str, Any]:
    _, template = _template(call)
    template.content = _content(call)
    return {}


def delete(call: Call) -> dict[str, Any]:
    name, _ = _template(call)
    del call.extras.templates[name]
    call.drop_tags(ARN_TYPE, name)
    return {}


def list_all(call: Call) -> dict[str, Any]:
    templates = call.extras.templates
    names, token = page(list(templates), call.params, default_size=10, maximum=100)
    items = [{"TemplateName": n, "CreatedTimestamp": templates[n].created} for n in names]
    return {"TemplatesMetadata": items, **({"NextToken": token} if token else {})}


HANDLERS = {
    "CreateEmailTemplate": create,
    "GetEmailTemplate": get,
    "UpdateEmailTemplate": update,
    "DeleteEmailTemplate": delete,
    "ListEmailTemplates": list_all,
}
KIND = Kind(__name__, HANDLERS, Taggable(ARN_TYPE, lambda call: call.extras.templates))
