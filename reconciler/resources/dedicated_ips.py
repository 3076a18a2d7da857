"""Leased dedicated IPs: the pool each sends from and its warm-up percentage.

IPs are leased, not created: an IP the file names that the account does not lease is an
error, and an IP the file leaves out is never touched. Neither field is managed unless named.
An IP in no pool of the account's own is in SES's `ses-default-dedicated-pool`, and reads so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..client import Sesv2
from ..errors import ConfigError, SesctlError
from ..models import BUILT_IN_POOLS, DEFAULT_POOL, DedicatedIp
from ..plan import Change
from .base import Context, managed, overlay, read_or_none, update_or_nothing
from .kind import ListedKind, Refers

if TYPE_CHECKING:
    from ..config import LoadedConfig

KIND = "dedicated_ip"


class DedicatedIps(ListedKind):
    section = "dedicated_ips"
    kind = KIND
    order = 15
    model = DedicatedIp
    label = "dedicated IP"
    comment = "leased dedicated IPs: the pool each sends from, and warm-up"
    refers = (Refers(("pool",), "dedicated_ip_pool", exempt=BUILT_IN_POOLS),)

    def check(self, loaded: LoadedConfig) -> None:
        """SES chooses a MANAGED pool's IPs itself: a leased IP cannot be placed in one."""
        pools = loaded.section("dedicated_ip_pools") or {}
        for ip, placement in (loaded.section(self.section) or {}).items():
            pool = pools.get(placement.pool or "")
            if pool is not None and pool.scaling_mode == "MANAGED":
                where = loaded.value_mark(self.section, ip, "pool")
                raise ConfigError(
                    f"{where}: {self.section}.{ip}.pool: {placement.pool} is a MANAGED pool, "
                    "whose IPs SES chooses itself; place leased IPs in a STANDARD pool"
                )

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
