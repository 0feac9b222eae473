"""Who a caller is, for counting what one caller may do (PIN attempts, subscriptions):
the token's subject when it carries one, else the address the request came from."""

from __future__ import annotations

import ipaddress

from starlette.requests import HTTPConnection

from api.auth import Principal

IPV6_PREFIX = 64  # one household or host gets a /64: counting single IPv6 addresses counts nothing


def caller_key(principal: Principal | None, connection: HTTPConnection | None) -> str:
    """Behind a reverse proxy the address is the proxy's unless uvicorn is told to trust its
    forwarded headers (``--forwarded-allow-ips``): then it is the citizen's."""
    if principal is not None:
        return f"token:{principal.role}/{principal.subject}"
    host = connection.client.host if connection is not None and connection.client else None
    if host is None:
        return "address:unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return f"address:{host[:64]}"
    if address.version == 6:
        return f"address:{ipaddress.ip_network(f'{address}/{IPV6_PREFIX}', strict=False)}"
    return f"address:{address}"
