"""Dedicated IP pools: scaling mode and tags.

SES lets a pool move from STANDARD to MANAGED in place (PutDedicatedIpPoolScalingAttributes)
but never back: MANAGED → STANDARD is a replace, and the plan says so.
"""

from __future__ import annotations

from typing import Any

from ..client import Sesv2, is_not_found
from ..errors import ApiError
from ..models import DedicatedIpPool
from ..plan import Change
from .base import (
    Context,
    apply_tags,
    desired_tags,
    field_changes,
    ownership_reason,
    tags_from_api,
    tags_to_api,
    update_or_nothing,
)

KIND = "dedicated_ip_pool"


class DedicatedIpPools:
    section = "dedicated_ip_pools"
    kind = KIND
    arn_type = "dedicated-ip-pool"

    def list_names(self, client: Sesv2) -> list[str]:
        return list(client.pages("ListDedicatedIpPools", "DedicatedIpPools"))

    def read(self, client: Sesv2, name: str, tags: dict[str, str] | None) -> dict[str, Any] | None:
        try:
            pool = client.call("GetDedicatedIpPool", PoolName=name)["DedicatedIpPool"]
            if tags is None:
                arn = client.arn(self.arn_type, name)
                tags = tags_from_api(client.call("ListTagsForResource", ResourceArn=arn)["Tags"])
        except ApiError as exc:
            if is_not_found(exc):
                return None
            raise
        return {"scaling_mode": pool.get("ScalingMode", "STANDARD"), "tags": tags}

    def desired(self, model: DedicatedIpPool, ctx: Context) -> dict[str, Any]:
        return {"scaling_mode": model.scaling_mode, "tags": desired_tags(ctx, model.tags)}

    def diff(
        self, name: str, model: DedicatedIpPool | None, live: dict[str, Any] | None, ctx: Context
    ) -> list[Change]:
        if model is None:
            return [Change("delete", KIND, name, before=live)] if live else []
        want = self.desired(model, ctx)
        if live is None:
            return [Change("create", KIND, name, after=want)]
        reason = ownership_reason(ctx, live["tags"], KIND, name)
        tags = want["tags"] if model.tags is not None else {**live["tags"], **want["tags"]}
        after = {**live, "scaling_mode": want["scaling_mode"], "tags": tags}
        if live["scaling_mode"] == "MANAGED" and after["scaling_mode"] == "STANDARD":
            fields = field_changes(live, after)
            why = "scaling_mode MANAGED → STANDARD cannot change in place: delete, create"
            return [Change("replace", KIND, name, live, after, fields, why)]
        return update_or_nothing(KIND, name, live, after, reason)

    def apply(self, client: Sesv2, change: Change) -> None:
        name, before, after = change.name, change.before, change.after
        if change.action in ("delete", "replace"):
            client.call("DeleteDedicatedIpPool", PoolName=name)
        if change.action in ("create", "replace"):
            assert after is not None
            client.call(
                "CreateDedicatedIpPool",
                PoolName=name,
                ScalingMode=after["scaling_mode"],
                Tags=tags_to_api(after["tags"]),
            )
        if change.action == "update":
            assert before is not None and after is not None
            if before["scaling_mode"] != after["scaling_mode"]:
                client.call(
                    "PutDedicatedIpPoolScalingAttributes",
                    PoolName=name,
                    ScalingMode=after["scaling_mode"],
                )
            apply_tags(client, client.arn(self.arn_type, name), before["tags"], after["tags"])
