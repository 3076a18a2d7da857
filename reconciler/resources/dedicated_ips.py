"""Leased dedicated IPs: the pool each sends from and its warm-up percentage.

IPs are leased, not created: an IP the file names that the account does not lease is an
error, and an IP the file leaves out is never touched. Neither field is managed unless named.
An IP in no pool of the account's own is in SES's `ses-default-dedicated-pool`, and reads so.
"""

from __future__ import annotations

from typing import Any

from ..client import Sesv2
from ..errors import SesctlError
from ..models import DedicatedIp
from ..plan import Change
from .base import Context, managed, overlay, read_or_none, update_or_nothing

KIND = "dedicated_ip"
DEFAULT_POOL = "ses-default-dedicated-pool"


class DedicatedIps:
    section = "dedicated_ips"
    kind = KIND
    arn_type = "dedicated-ip"

    def list_names(self, client: Sesv2) -> list[str]:
        return [item["Ip"] for item in client.pages("GetDedicatedIps", "DedicatedIps")]

    def read(self, client: Sesv2, name: str, tags: dict[str, str] | None) -> dict[str, Any] | None:
        answer = read_or_none(client, "GetDedicatedIp", Ip=name)
        if answer is None:
            return None
        ip = answer["DedicatedIp"]
        pool = ip.get("PoolName") or DEFAULT_POOL
        return {"pool": pool, "warmup_percentage": ip.get("WarmupPercentage")}

    def diff(
        self, name: str, model: DedicatedIp | None, live: dict[str, Any] | None, ctx: Context
    ) -> list[Change]:
        if model is None:
            return []
        if live is None:
            raise SesctlError(f"dedicated_ips: {name} is not an IP this account leases")
        return update_or_nothing(KIND, name, live, overlay(live, managed(model)))

    def apply(self, client: Sesv2, change: Change) -> None:
        before, after = change.before or {}, change.after or {}
        if after.get("pool") and after["pool"] != before.get("pool"):
            client.call("PutDedicatedIpInPool", Ip=change.name, DestinationPoolName=after["pool"])
        percentage = after.get("warmup_percentage")
        if percentage is not None and percentage != before.get("warmup_percentage"):
            client.call(
                "PutDedicatedIpWarmupAttributes", Ip=change.name, WarmupPercentage=percentage
            )
