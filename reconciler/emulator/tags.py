"""Tags of every SES resource kind, and the tagging API's GetResources over them.

ARNs are SES's (IAM service authorization reference, "Resource types defined by Amazon SES"):
`arn:aws:ses:<region>:<account>:<type>/<name>` with the types `identity`,
`configuration-set`, `dedicated-ip-pool`, `template` and `contact-list`. moto 5.2.1 names
identities `email-identity/<name>`, which SES does not know: an ARN of another type, region
or account is answered NotFoundException here, as a resource SES does not have.

moto 5.2.1's GetResources does not know SES templates nor SES's identity ARN; for requests
filtered to SES (`ses` or `ses:<type>`) this module answers over every kind.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .state import Call, bad_request, not_found

# The Tag data type (API reference): at most 50 tags on a resource; keys 1-128 characters,
# values up to 256; `aws:` is reserved in keys and values. SES answers BadRequestException.
MAX_TAGS = 50


def check_tags(tags: Sequence[dict[str, str]], existing: Sequence[dict[str, str]] = ()) -> None:
    """Refuse tags SES refuses, counting those the resource already has."""
    for tag in tags:
        key, value = tag.get("Key", ""), tag.get("Value", "")
        if key.lower().startswith("aws:") or value.lower().startswith("aws:"):
            raise bad_request("Tags with the aws: prefix are reserved for AWS use.")
        if not 1 <= len(key) <= 128 or len(value) > 256:
            raise bad_request("Tag keys have 1 to 128 characters and values up to 256.")
    keys = {t["Key"] for t in existing} | {t["Key"] for t in tags}
    if len(keys) > MAX_TAGS:
        raise bad_request(f"A resource can have at most {MAX_TAGS} tags.")


KINDS = ("identity", "configuration-set", "dedicated-ip-pool", "template", "contact-list")


def _names(call: Call, kind: str) -> list[str]:
    backend = call.backend
    return sorted(
        {
            "identity": backend.email_identities,
            "configuration-set": backend.config_sets,
            "dedicated-ip-pool": backend.dedicated_ip_pools,
            "template": call.extras.templates,
            "contact-list": backend.contacts_lists,
        }[kind]
    )


def _resource(call: Call) -> tuple[str, str]:
    """The (type, name) an ARN names in this account and region, or NotFoundException."""
    arn = call.params["ResourceArn"]
    parts = arn.split(":", 5)
    kind, _, name = parts[-1].partition("/")
    if (
        len(parts) != 6
        or parts[:3] != ["arn", "aws", "ses"]
        or call.arn(kind, name) != arn
        or kind not in KINDS
        or name not in _names(call, kind)
    ):
        raise not_found(f"Resource {arn}")
    return kind, name


def tag(call: Call) -> dict[str, Any]:
    kind, name = _resource(call)
    check_tags(call.params["Tags"], call.tags(kind, name))
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
