"""Tags of every SES resource kind, and the tagging API's GetResources over them.

moto 5.2.1's GetResources does not know SES templates; for requests filtered to SES this
module answers over identities, configuration sets, dedicated IP pools, templates and
contact lists alike.
"""

from __future__ import annotations

from typing import Any

from .state import Call, not_found

KINDS = ("email-identity", "configuration-set", "dedicated-ip-pool", "template", "contact-list")


def _names(call: Call, kind: str) -> list[str]:
    backend = call.backend
    return sorted(
        {
            "email-identity": backend.email_identities,
            "configuration-set": backend.config_sets,
            "dedicated-ip-pool": backend.dedicated_ip_pools,
            "template": call.extras.templates,
            "contact-list": backend.contacts_lists,
        }[kind]
    )


def _resource(call: Call) -> tuple[str, str]:
    arn = call.params["ResourceArn"]
    kind, _, name = arn.split(":", 5)[-1].partition("/")
    if kind not in KINDS or name not in _names(call, kind):
        raise not_found(f"Resource {arn}")
    return kind, name


def tag(call: Call) -> dict[str, Any]:
    _resource(call)
    call.backend.tagger.tag_resource(call.params["ResourceArn"], call.params["Tags"])
    return {}


def untag(call: Call) -> dict[str, Any]:
    _resource(call)
    keys = call.params["TagKeys"]
    call.backend.tagger.untag_resource_using_names(call.params["ResourceArn"], keys)
    return {}


def list_tags(call: Call) -> dict[str, Any]:
    kind, name = _resource(call)
    return {"Tags": call.tags(kind, name)}


def _matches(tags: list[dict[str, str]], filters: list[dict[str, Any]]) -> bool:
    have = {t["Key"]: t["Value"] for t in tags}
    return all(
        f["Key"] in have and (not f.get("Values") or have[f["Key"]] in f["Values"]) for f in filters
    )


def get_resources(call: Call) -> dict[str, Any]:
    """GetResources for SES resource types, with tag filters and pagination."""
    wanted = {t.split(":", 1)[1] for t in call.params.get("ResourceTypeFilters", []) if ":" in t}
    found = []
    for kind in KINDS:
        if wanted and kind not in wanted:
            continue
        for name in _names(call, kind):
            tags = call.tags(kind, name)
            if tags and _matches(tags, call.params.get("TagFilters", [])):
                found.append({"ResourceARN": call.arn(kind, name), "Tags": tags})
    start = int(call.params.get("PaginationToken") or 0)
    size = int(call.params.get("ResourcesPerPage") or 50)
    token = str(start + size) if start + size < len(found) else ""
    return {"ResourceTagMappingList": found[start : start + size], "PaginationToken": token}


def ses_only(params: dict[str, Any]) -> bool:
    filters = params.get("ResourceTypeFilters") or []
    return bool(filters) and all(f == "ses" or f.startswith("ses:") for f in filters)


HANDLERS = {"TagResource": tag, "UntagResource": untag, "ListTagsForResource": list_tags}
