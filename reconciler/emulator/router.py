"""Maps an HTTP method and path to the SES v2 operation botocore would have called.

Built from botocore's own service model, so the routes are exactly the ones the client uses.
"""

from __future__ import annotations

import re
from functools import cache
from urllib.parse import unquote

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


def match(method: str, path: str) -> tuple[str, dict[str, str]] | None:
    """The operation name and its URI parameters, or None when no SES v2 route matches."""
    for route_method, pattern, name in _routes():
        if route_method == method and (found := pattern.match(path)):
            return name, {k: unquote(v) for k, v in found.groupdict().items()}
    return None
