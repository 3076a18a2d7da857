"""Maps an HTTP method and path to the SES v2 operation botocore would have called.

Built from botocore's own service model, so the routes are exactly the ones the client uses.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any
from urllib.parse import parse_qs, unquote

import botocore.session


@cache
def _routes() -> list[tuple[str, re.Pattern[str], str]]:
    model = botocore.session.get_session().get_service_model("sesv2")
    routes = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        template = http["requestUri"].split("?", 1)[0]
        pattern = re.sub(r"\{(\w+)\+?\}", r"(?P<\1>[^/]+)", template)
        routes.append((http["method"], re.compile(f"^{pattern}$"), name))
    # Literal paths first, so /v2/email/templates is never taken for /v2/email/templates/{x}.
    routes.sort(key=lambda r: r[1].pattern.count("(?P<"))
    return routes


@cache
def _query_members(operation: str) -> dict[str, tuple[str, bool]]:
    """Query-string name → (member name, whether it is a list), from botocore's model."""
    shape = botocore.session.get_session().get_service_model("sesv2").operation_model(operation)
    members = shape.input_shape.members if shape.input_shape else {}
    return {
        m.serialization.get("name", name): (name, m.type_name == "list")
        for name, m in members.items()
        if m.serialization.get("location") == "querystring"
    }


def query_params(operation: str, query: str) -> dict[str, Any]:
    """Query-string parameters under their member names; list members keep every value."""
    values = parse_qs(query, keep_blank_values=True)
    params: dict[str, Any] = {}
    for key, found in values.items():
        member, is_list = _query_members(operation).get(key, (key, False))
        params[member] = found if is_list else found[-1]
    return params


def match(method: str, path: str) -> tuple[str, dict[str, str]] | None:
    """The operation name and its URI parameters, or None when no SES v2 route matches."""
    for route_method, pattern, name in _routes():
        if route_method == method and (found := pattern.match(path)):
            return name, {k: unquote(v) for k, v in found.groupdict().items()}
    return None
