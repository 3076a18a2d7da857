"""Leased dedicated IPs (moto 5.2.1 has none): listing, pool placement, warm-up.

IPs cannot be created through the API, only leased; tests lease them with the control
endpoint POST /_sesctl/dedicated-ips {"ips": [...], "region": "..."}. A new lease is in no
pool, warm-up IN_PROGRESS at 0 %; setting 100 % marks warm-up DONE. A MANAGED pool's IPs are
chosen by SES (API reference, DedicatedIpPool.ScalingMode), so none can be moved into one.
"""

from __future__ import annotations

from typing import Any

from .state import Call, Kind, bad_request, not_found, page

DEFAULT_POOL = "ses-default-dedicated-pool"


def lease(call: Call, ips: list[str]) -> None:
    for ip in ips:
        call.extras.ips.setdefault(
            ip, {"Ip": ip, "WarmupStatus": "IN_PROGRESS", "WarmupPercentage": 0}
        )


def _ip(call: Call) -> dict[str, Any]:
    ip = call.params["IP"]
    found = call.extras.ips.get(ip)
    if found is None:
        raise not_found(f"Dedicated IP {ip}")
    return found


def get(call: Call) -> dict[str, Any]:
    return {"DedicatedIp": dict(_ip(call))}


def list_all(call: Call) -> dict[str, Any]:
    pool = call.params.get("PoolName")
    ips = [ip for ip, v in call.extras.ips.items() if pool is None or v.get("PoolName") == pool]
    chosen, token = page(ips, call.params)
    items = [dict(call.extras.ips[ip]) for ip in chosen]
    return {"DedicatedIps": items, **({"NextToken": token} if token else {})}


def put_in_pool(call: Call) -> dict[str, Any]:
    found, pool = _ip(call), call.params["DestinationPoolName"]
    if pool == DEFAULT_POOL:  # back to the account's default pool, which is no pool of its own
        found.pop("PoolName", None)
        return {}
    target = call.backend.dedicated_ip_pools.get(pool)
    if target is None:
        raise not_found(f"Dedicated IP pool {pool}")
    if target.scaling_mode == "MANAGED":  # SES picks a managed pool's IPs itself
        raise bad_request(f"Pool {pool} is managed by SES: dedicated IPs cannot be moved into it.")
    found["PoolName"] = pool
    return {}


def put_warmup(call: Call) -> dict[str, Any]:
    found, percentage = _ip(call), int(call.params["WarmupPercentage"])
    found["WarmupPercentage"] = percentage
    found["WarmupStatus"] = "DONE" if percentage >= 100 else "IN_PROGRESS"
    return {}


HANDLERS = {
    "GetDedicatedIp": get,
    "GetDedicatedIps": list_all,
    "PutDedicatedIpInPool": put_in_pool,
    "PutDedicatedIpWarmupAttributes": put_warmup,
}
KIND = Kind(__name__, HANDLERS)
