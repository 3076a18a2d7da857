"""Dedicated IP pools: scaling mode and tags.

SES lets a pool move from STANDARD to MANAGED in place (PutDedicatedIpPoolScalingAttributes)
but never back: MANAGED → STANDARD is a replace, and the plan says so. SES refuses to delete a
STANDARD pool that still holds dedicated IPs (CloudFormation, AWS::SES::DedicatedIpPool), so a
plan that would leave IPs in a pool it deletes is refused before apply starts.
"""

from __future__ import annotations

from typing import Any

from ..client import Sesv2
from ..models import DedicatedIpPool
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
from .kind import ListedKind

KIND = "dedicated_ip_pool"
REPLACE_REASON = "scaling_mode MANAGED → STANDARD cannot change in place: delete, create"


class DedicatedIpPools(ListedKind):
    section = "dedicated_ip_pools"
    kind = KIND
    arn_type = "dedicated-ip-pool"
    order = 10
    model = DedicatedIpPool
    label = "dedicated IP pool"
    comment = "dedicated IP pools"

    def list_names(self, client: Sesv2) -> list[str]:
        return list(client.pages("ListDedicatedIpPools", "DedicatedIpPools"))

    def read(self, client: Sesv2, name: str, tags: dict[str, str] | None) -> dict[str, Any] | None:
        answer = read_or_none(client, "GetDedicatedIpPool", PoolName=name)
        if answer is None:
            return None
        if tags is None:  # GetDedicatedIpPool carries no tags
            arn = client.arn(self.arn_type, name)
            tags = tags_from_api(client.call("ListTagsForResource", ResourceArn=arn)["Tags"])
        return {
            "scaling_mode": answer["DedicatedIpPool"].get("ScalingMode", "STANDARD"),
            "tags": tags,
        }

    def desired(self, model: DedicatedIpPool, ctx: Context) -> dict[str, Any]:
        return {"scaling_mode": model.scaling_mode, "tags": desired_tags(ctx, model)}

    def diff(
        self, name: str, model: DedicatedIpPool | None, live: dict[str, Any] | None, ctx: Context
    ) -> list[Change]:
        want = self.desired(model, ctx) if model else None
        changes = lifecycle(KIND, name, want, live, ctx, authoritative(model, "tags"))
        for change in changes:
            modes = (
                (change.before or {}).get("scaling_mode"),
                (change.after or {}).get("scaling_mode"),
            )
            if change.action == "update" and modes == ("MANAGED", "STANDARD"):
                change.action, change.reason = "replace", REPLACE_REASON
        return changes

    def preconditions(self, client: Sesv2, changes: list[Change]) -> list[str]:
        """STANDARD pools the plan deletes that would still hold IPs (read only for those)."""
        problems = []
        for change in changes:
            before = change.before or {}
            if change.kind != KIND or change.action != "delete":
                continue
            if before.get("scaling_mode", "STANDARD") != "STANDARD":
                continue
            placed = client.pages("GetDedicatedIps", "DedicatedIps", PoolName=change.name)
            moved = {
                c.name
                for c in changes
                if c.kind == "dedicated_ip"
                and (c.after or {}).get("pool") not in (None, change.name)
            }
            left = sorted(ip["Ip"] for ip in placed if ip["Ip"] not in moved)
            if left:
                problems.append(
                    f"dedicated_ip_pool {change.name} still holds {', '.join(left)}: SES deletes "
                    "a STANDARD pool only once it is empty; place them in another pool under "
                    "dedicated_ips (ses-default-dedicated-pool is the account's default)"
                )
        return problems

    def apply(self, client: Sesv2, change: Change) -> None:
        name, before, after = change.name, change.before or {}, change.after or {}
        if change.action in ("delete", "replace"):
            client.call("DeleteDedicatedIpPool", PoolName=name)
        if change.action in ("create", "replace"):
            create(
                client,
                "CreateDedicatedIpPool",
                (self.arn_type, name),
                PoolName=name,
                ScalingMode=after["scaling_mode"],
                Tags=tags_to_api(after["tags"]),
            )
        if change.action == "update":
            if before["scaling_mode"] != after["scaling_mode"]:
                client.call(
                    "PutDedicatedIpPoolScalingAttributes",
                    PoolName=name,
                    ScalingMode=after["scaling_mode"],
                )
            apply_tags(client, client.arn(self.arn_type, name), before["tags"], after["tags"])
