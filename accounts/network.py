"""The client's address, read correctly behind a reverse proxy.

X-Forwarded-For is a header anybody can send. It is only believed when the
direct peer (REMOTE_ADDR) is one of settings.TRUSTED_PROXIES (addresses or
networks such as 10.0.0.0/8); then the right-most entry that is not itself a
trusted proxy is the client (each proxy appends the address it saw, so
entries further left may be forged). Otherwise the peer is the client.

Used by django-axes (AXES_CLIENT_IP_CALLABLE) and by the throttles.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ImproperlyConfigured(f"TRUSTED_PROXIES must list IP addresses or networks, got {entry!r}.") from None
    return tuple(networks)


def trusted_proxies() -> tuple[Network, ...]:
    # Read on every call (cached per value) so that override_settings works.
    return _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ()))


def _parse(value: str) -> Address | None:
    """An address as a proxy writes it; IPv4-mapped IPv6 counts as IPv4.
    Ports ("192.0.2.1:4711", "[2001:db8::1]:4711") are dropped."""
    value = value.strip().strip('"')
    if value.startswith("[") and "]" in value:
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_trusted(address: Address, networks: tuple[Network, ...]) -> bool:
    return any(address.version == network.version and address in network for network in networks)


def client_ip(request) -> str | None:
    """The address the request came from, as a string (None without REMOTE_ADDR)."""
    peer = _parse(request.META.get("REMOTE_ADDR", "") or "")
    if peer is None:
        return None
    networks = trusted_proxies()
    if not networks or not _is_trusted(peer, networks):
        return str(peer)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop for hop in forwarded.split(",") if hop.strip()]
    client = peer
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:
            # Garbage where a proxy should have written an address: stop at
            # the last hop that was vouched for.
            break
        client = address
        if not _is_trusted(address, networks):
            break
    return str(client)
