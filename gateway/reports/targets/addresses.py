"""In production a target must be a public address: never loopback, a private or link-local
range, or the like — the gateway would otherwise POST signed documents (and reveal what
answers) inside its own network."""

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from common.errors import Unprocessable

_NOT_PUBLIC_ZH = "生产环境中 endpoint_url 不得指向本机、内网或保留地址"


def _not_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
    )


async def addresses_of(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except socket.gaierror as e:
        raise Unprocessable(
            f"endpoint_url: host {host!r} does not resolve",
            detail_zh=f"endpoint_url 的主机名 {host!r} 无法解析",
            code="endpoint_unresolvable",
            field="endpoint_url",
        ) from e
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]


async def require_public(url: str) -> None:
    host = urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        found = [ipaddress.ip_address("127.0.0.1")]
    else:
        found = await addresses_of(host.strip("[]"))
    refused = [str(a) for a in found if _not_public(a)]
    if refused:
        raise Unprocessable(
            f"endpoint_url points at {', '.join(refused)}: loopback, private and reserved "
            "addresses are refused in production",
            detail_zh=_NOT_PUBLIC_ZH,
            code="endpoint_not_public",
            field="endpoint_url",
        )
