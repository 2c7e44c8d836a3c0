"""Which URLs a webhook may be sent to (server-side request forgery care).

An endpoint's URL must be http(s) with a host and no credentials. At each delivery its host is
resolved and every address must be public: loopback, private, link-local, multicast and reserved
addresses are refused (loopback only when WEBHOOK_ALLOW_LOOPBACK, which the test suite sets).
When WEBHOOK_ALLOWED_HOSTS is set (production should set it) only those hosts are called. The
check and the connection resolve the name separately, so a name that changes its address in
between (DNS rebinding) is caught only by an allow-list or an egress proxy: docs/webhooks.md.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings


class DestinationRefused(Exception):
    """The URL may not be called."""


def url_problems(url: str) -> list[str]:
    """What is wrong with an endpoint URL, in words (nothing when it may be saved)."""
    parts = urlsplit(url.strip())
    problems = []
    if parts.scheme not in ("http", "https"):
        problems.append("The URL must start with https:// (or http://).")
    if not parts.hostname:
        problems.append("The URL must name a host.")
    if parts.username or parts.password:
        problems.append("The URL must not carry a user name or password.")
    allowed = _allowed_hosts()
    if parts.hostname and allowed and parts.hostname.lower() not in allowed:
        problems.append(f"{parts.hostname} is not among the hosts webhooks may be sent to.")
    return problems


def _allowed_hosts() -> set[str]:
    return {host.strip().lower() for host in settings.WEBHOOK_ALLOWED_HOSTS if host.strip()}


def _refused(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return not settings.WEBHOOK_ALLOW_LOOPBACK
    return not ip.is_global or ip.is_multicast


def check_destination(url: str) -> None:
    """Raise DestinationRefused unless every address the URL's host resolves to may be called."""
    problems = url_problems(url)
    if problems:
        raise DestinationRefused(" ".join(problems))
    parts = urlsplit(url.strip())
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        found = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except socket.gaierror as error:
        raise DestinationRefused(f"{parts.hostname} does not resolve: {error}") from error
    refused = sorted({str(info[4][0]) for info in found if _refused(str(info[4][0]))})
    if refused:
        raise DestinationRefused(
            f"{parts.hostname} resolves to an address webhooks may not reach: {', '.join(refused)}"
        )
