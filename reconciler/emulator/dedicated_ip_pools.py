"""Dedicated IP pools on moto's DedicatedIpPool objects, plus the scaling-mode change.

SES allows STANDARD → MANAGED in place and refuses MANAGED → STANDARD (API reference,
PutDedicatedIpPoolScalingAttributes); so does this. A STANDARD pool that still holds
dedicated IPs cannot be deleted; a MANAGED one can (CloudFormation, AWS::SES::DedicatedIpPool).
Pool names are lower case (same page). moto 5.2.1 silently ignored a duplicate create and
kept tags of deleted pools: fixed here. Messages are SES's as another emulator's authors
recorded them against live SES.
"""

from __future__ import annotations

from typing import Any

from moto.ses.models import DedicatedIpPool

from .state import POOL_NAME, ApiFailure, Call, Kind, Taggable, bad_request, check_name, page
from .tags import check_tags

ARN_TYPE = "dedicated-ip-pool"


def _pool(call: Call) -> Any:
    name = call.params["PoolName"]
    pool = call.backend.dedicated_ip_pools.get(name)
    if pool is None:
        raise ApiFailure(404, "NotFoundException", f"The requested pool {name} does not exist.")
    return pool


def create(call: Call) -> dict[str, Any]:
    name = check_name("PoolName", call.params["PoolName"], POOL_NAME)
    if name in call.backend.dedicated_ip_pools:
        raise ApiFailure(400, "AlreadyExistsException", f"The pool {name} already exists.")
    check_tags(call.params.get("Tags") or [])
    mode = call.params.get("ScalingMode") or "STANDARD"
    call.backend.dedicated_ip_pools[name] = DedicatedIpPool(name, mode, [])
    call.set_tags(ARN_TYPE, name, call.params.get("Tags"))
    return {}


def get(call: Call) -> dict[str, Any]:
    pool = _pool(call)
    return {"DedicatedIpPool": {"PoolName": pool.pool_name, "ScalingMode": pool.scaling_mode}}


def delete(call: Call) -> dict[str, Any]:
    pool = _pool(call)
    held = [ip for ip, v in call.extras.ips.items() if v.get("PoolName") == pool.pool_name]
    if held and pool.scaling_mode == "STANDARD":
        raise bad_request(
            f"Pool {pool.pool_name} still holds dedicated IPs ({', '.join(sorted(held))}); "
            "move them to another pool first."
        )
    for ip in held:  # a MANAGED pool's IPs are SES's: they go with it
        call.extras.ips[ip].pop("PoolName", None)
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
KIND = Kind(__name__, HANDLERS, Taggable(ARN_TYPE, lambda call: call.backend.dedicated_ip_pools))
