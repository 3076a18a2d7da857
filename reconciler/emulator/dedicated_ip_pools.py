"""Dedicated IP pools on moto's DedicatedIpPool objects, plus the scaling-mode change.

SES allows STANDARD → MANAGED in place and refuses MANAGED → STANDARD; so does this.
moto 5.2.1 silently ignored a duplicate create and kept tags of deleted pools: fixed here.
"""

from __future__ import annotations

from typing import Any

from moto.ses.models import DedicatedIpPool

from .state import Call, already_exists, bad_request, not_found, page

ARN_TYPE = "dedicated-ip-pool"


def _pool(call: Call) -> Any:
    name = call.params["PoolName"]
    pool = call.backend.dedicated_ip_pools.get(name)
    if pool is None:
        raise not_found(f"Dedicated IP pool {name}")
    return pool


def create(call: Call) -> dict[str, Any]:
    name = call.params["PoolName"]
    if name in call.backend.dedicated_ip_pools:
        raise already_exists(f"Dedicated IP pool {name}")
    mode = call.params.get("ScalingMode") or "STANDARD"
    call.backend.dedicated_ip_pools[name] = DedicatedIpPool(name, mode, [])
    call.set_tags(ARN_TYPE, name, call.params.get("Tags"))
    return {}


def get(call: Call) -> dict[str, Any]:
    pool = _pool(call)
    return {"DedicatedIpPool": {"PoolName": pool.pool_name, "ScalingMode": pool.scaling_mode}}


def delete(call: Call) -> dict[str, Any]:
    pool = _pool(call)
    del call.backend.dedicated_ip_pools[pool.pool_name]
    call.drop_tags(ARN_TYPE, pool.pool_name)
    return {}


def list_all(call: Call) -> dict[str, Any]:
    names, token = page(list(call.backend.dedicated_ip_pools), call.params)
    return {"DedicatedIpPools": names, **({"NextToken": token} if token else {})}


def put_scaling(call: Call) -> dict[str, Any]:
    pool, mode = _pool(call), call.params["ScalingMode"]
    if pool.scaling_mode == "MANAGED" and mode == "STANDARD":
        raise bad_request("A MANAGED pool cannot be changed back to STANDARD.")
    pool.scaling_mode = mode
    return {}


HANDLERS = {
    "CreateDedicatedIpPool": create,
    "GetDedicatedIpPool": get,
    "DeleteDedicatedIpPool": delete,
    "ListDedicatedIpPools": list_all,
    "PutDedicatedIpPoolScalingAttributes": put_scaling,
}
