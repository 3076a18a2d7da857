"""Tags of every SES resource kind, and the tagging API's GetResources over them.

ARNs are SES's (IAM service authorization reference, "Resource types defined by Amazon SES"):
`arn:aws:ses:<region>:<account>:<type>/<name>` with the types `identity`,
`configuration-set`, `dedicated-ip-pool`, `template` and `contact-list`, each declared by its
kind's handler module (a `Taggable`) and served here once kinds.py lists it. moto 5.2.1 names
identities `email-identity/<name>`, which SES does not know: an ARN of another type, region
or account is answered NotFoundException here, as a resource SES does not have.

moto 5.2.1's GetResources does not know SES templates nor SES's identity ARN; for requests
filtered to SES (`ses` or `ses:<type>`) this module answers over every kind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .state import Call, Kind, Taggable, bad_request, not_found

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


@dataclass(frozen=True)
class Tagging:
    """TagResource, UntagResource, ListTagsForResource and GetResources over the taggable
    kinds kinds.py registers, in their order (GetResources lists them so)."""

    kinds: tuple[Taggable, ...]

    @property
    def kind(self) -> Kind:
        """The tagging operations as a handler module declares its own."""
        handlers = {
            "TagResource": self.tag,
            "UntagResource": self.untag,
            "ListTagsForResource": self.list_tags,
        }
        return Kind(__name__, handlers)

    def _taggable(self, arn_type: str) -> Taggable | None:
        return next((k for k in self.kinds if k.arn_type == arn_type), None)

    def _resource(self, call: Call) -> tuple[str, str]:
        """The (type, name) an ARN names in this account and region, or NotFoundException."""
        arn = call.params["ResourceArn"]
        parts = arn.split(":", 5)
        arn_type, _, name = parts[-1].partition("/")
        taggable = self._taggable(arn_type)
        if (
            len(parts) != 6
            or parts[:3] != ["arn", "aws", "ses"]
            or call.arn(arn_type, name) != arn
            or taggable is None
            or name not in _names(call, taggable)
        ):
            raise not_found(f"Resource {arn}")
        return arn_type, name

    def tag(self, call: Call) -> dict[str, Any]:
        arn_type, name = self._resource(call)
        check_tags(call.params["Tags"], call.tags(arn_type, name))
        call.backend.tagger.tag_resource(call.params["ResourceArn"], call.params["Tags"])
        return {}

    def untag(self, call: Call) -> dict[str, Any]:
        self._resource(call)
        keys = call.params["TagKeys"]
        call.backend.tagger.untag_resource_using_names(call.params["ResourceArn"], keys)
        return {}

    def list_tags(self, call: Call) -> dict[str, Any]:
        arn_type, name = self._resource(call)
        return {"Tags": call.tags(arn_type, name)}

    def get_resources(self, call: Call) -> dict[str, Any]:
        """GetResources for SES resource types, with tag filters and pagination."""
        params = call.params
        wanted = {t.split(":", 1)[1] for t in params.get("ResourceTypeFilters", []) if ":" in t}
        found = []
        for taggable in self.kinds:
            if wanted and taggable.arn_type not in wanted:
                continue
            for name in _names(call, taggable):
                tags = call.tags(taggable.arn_type, name)
                if tags and _matches(tags, params.get("TagFilters", [])):
                    found.append({"ResourceARN": call.arn(taggable.arn_type, name), "Tags": tags})
        start = int(params.get("PaginationToken") or 0)
        size = int(params.get("ResourcesPerPage") or 50)
        token = str(start + size) if start + size < len(found) else ""
        return {"ResourceTagMappingList": found[start : start + size], "PaginationToken": token}


def _names(call: Call, taggable: Taggable) -> list[str]:
    return sorted(taggable.names(call))


def _matches(tags: list[dict[str, str]], filters: list[dict[str, Any]]) -> bool:
    have = {t["Key"]: t["Value"] for t in tags}
    return all(
        f["Key"] in have and (not f.get("Values") or have[f["Key"]] in f["Values"]) for f in filters
    )


def ses_only(params: dict[str, Any]) -> bool:
    filters = params.get("ResourceTypeFilters") or []
    return bool(filters) and all(f == "ses" or f.startswith("ses:") for f in filters)
