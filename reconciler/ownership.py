"""Which SES resources this stack owns, found through the Resource Groups Tagging API.

One paginated GetResources call filtered on the `sesctl:stack` tag key answers for every kind
at once, instead of one read per live resource (DESIGN §4).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .client import ACCESS_DENIED, Sesv2
from .errors import ApiError
from .plan import STACK_TAG
from .resources.base import tags_from_api


@dataclass
class Ownership:
    """Tags of every SES resource carrying a `sesctl:stack` tag, by (arn type, name)."""

    tags: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)

    def owner(self, arn_type: str, name: str) -> str | None:
        return self.tags.get((arn_type, name), {}).get(STACK_TAG)


def fetch(client: Sesv2) -> Ownership | None:
    """Ownership from the tagging API; None when it is denied (callers then read each resource)."""
    result = Ownership()
    token = ""
    try:
        while True:
            page = client.call_tagging(
                "GetResources",
                TagFilters=[{"Key": STACK_TAG}],
                ResourceTypeFilters=["ses"],
                ResourcesPerPage=100,
                **({"PaginationToken": token} if token else {}),
            )
            for item in page.get("ResourceTagMappingList", []):
                arn = item["ResourceARN"]
                parts = arn.split(":", 5)
                if client.account is None:
                    client.account = parts[4]
                arn_type, _, name = parts[5].partition("/")
                result.tags[(arn_type, name)] = tags_from_api(item.get("Tags"))
            token = page.get("PaginationToken") or ""
            if not token:
                return result
    except ApiError as exc:
        if exc.code in ACCESS_DENIED:
            return None
        raise
