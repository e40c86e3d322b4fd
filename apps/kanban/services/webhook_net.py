"""Webhook HTTP: the SSRF guard and one signed POST pinned to the address that passed the guard.

The guard resolves the URL's host once, refuses it if ANY address it resolves to is loopback, private,
link-local, multicast, unspecified, reserved or a cloud-metadata endpoint, and the request then connects
to exactly that checked address (the ``Host`` header and TLS SNI / certificate check keep the name), so a
second DNS answer cannot point the connection somewhere else (DNS rebinding). Redirects are never
followed and proxies from the environment are ignored. ``KANBAN_WEBHOOK_ALLOW_PRIVATE`` opens loopback
and private ranges, never link-local, metadata, multicast or unspecified addresses.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit, urlunsplit

import certifi
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Cloud instance-metadata endpoints: refused even when private addresses are allowed.
METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean…
        "169.254.170.2",  # AWS ECS task metadata
        "169.254.169.123",  # AWS time sync
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud (legacy)
        "fd00:ec2::254",  # AWS IMDS over IPv6
        "fd00:ec2::23",  # AWS time sync over IPv6
    )
)
_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

#: Bytes of a response body kept in the attempt log.
EXCERPT_BYTES = 2048


class UnsafeUrlError(Exception):
    """The URL is malformed, does not resolve, or resolves to an address webhooks may not reach."""


def _embedded_v4(ip: IPAddress) -> IPAddress:
    """The IPv4 address inside an IPv4-mapped or NAT64 IPv6 address (else ``ip``)."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip in _NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if ip.sixtofour is not None:
            return ip.sixtofour
    return ip


def refusal(ip: IPAddress, *, allow_private: bool) -> str | None:
    """Why a webhook may not connect to ``ip`` (``"loopback"``, ``"cloud metadata"`` …), or None if it may."""
    inner = _embedded_v4(ip)
    for candidate in [inner, ip] if inner != ip else [ip]:
        if candidate in METADATA_ADDRESSES:
            return "cloud metadata"
        if candidate.is_link_local:
            return "link-local"
        if candidate.is_multicast:
            return "multicast"
        if candidate.is_unspecified or (isinstance(candidate, ipaddress.IPv4Address) and candidate in _THIS_NETWORK):
            return "unspecified"
        if candidate.is_loopback:
            if not allow_private:
                return "loopback"
            continue
        if candidate.is_reserved:
            return "reserved"
        if not candidate.is_global and not allow_private:
            return "private"
    return None


def parse_url(url: str) -> SplitResult:
    """``url`` split, if it is an absolute http(s) URL with a host and no credentials."""
    if not isinstance(url, str) or len(url) > 2000 or any(c.isspace() for c in url):
        raise UnsafeUrlError("Give an absolute http:// or https:// URL of at most 2000 characters.")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise UnsafeUrlError("The URL is malformed.") from None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise UnsafeUrlError("Give an absolute http:// or https:// URL.")
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrlError("Credentials in the URL are not allowed; authenticate with the signature.")
    return parts


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to (a literal address is returned as is)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise UnsafeUrlError(f"The host {host!r} does not resolve.") from None
    addresses: list[IPAddress] = []
    for info in infos:
        ip = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if ip not in addresses:
            addresses.append(ip)
    if not addresses:
        raise UnsafeUrlError(f"The host {host!r} does not resolve.")
    return addresses


@dataclass(frozen=True)
class Target:
    """A checked URL and the one address the request will connect to."""

    parts: SplitResult
    address: IPAddress

    @property
    def port(self) -> int:
        return self.parts.port or (443 if self.parts.scheme == "https" else 80)


def check_url(url: str, *, allow_private: bool) -> Target:
    """Resolve ``url``'s host once and check every address; raise :class:`UnsafeUrlError` if any is refused."""
    parts = parse_url(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = resolve(host, port)
    for ip in addresses:
        reason = refusal(ip, allow_private=allow_private)
        if reason is not None:
            raise UnsafeUrlError(f"The URL's host resolves to a {reason} address ({ip}), which webhooks may not reach.")
    return Target(parts=parts, address=addresses[0])


@functools.lru_cache(maxsize=8)
def _tls_context(ca_bundle: str | None) -> ssl.SSLContext:
    """The client TLS context (built once: loading a CA bundle costs tens of milliseconds)."""
    return ssl.create_default_context(cafile=ca_bundle or certifi.where())


@dataclass(frozen=True)
class Outcome:
    """What one attempt got: a status code (None if no response), duration, excerpt and error."""

    status_code: int | None
    duration_ms: int
    excerpt: str
    error: str

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def post(
    url: str,
    *,
    body: bytes,
    headers: dict[str, str],
    timeout: float,
    allow_private: bool,
    ca_bundle: str | None = None,
) -> Outcome:
    """POST ``body`` to ``url`` after the SSRF check, connecting to the checked address; never raises.

    HTTPS certificates are checked against the URL's host name, trusting the system CAs (certifi), or only
    ``ca_bundle`` (a PEM file) when given, e.g. for an internal CA on a self-hosted network.
    """
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        target = check_url(url, allow_private=allow_private)
    except UnsafeUrlError as exc:
        return Outcome(None, elapsed(), "", f"refused: {exc}")
    parts = target.parts
    ip = target.address
    host_for_url = f"[{ip}]" if ip.version == 6 else str(ip)
    netloc = f"{host_for_url}:{parts.port}" if parts.port else host_for_url
    pinned = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    hostname = parts.hostname or ""
    host_header = f"[{hostname}]" if ":" in hostname else hostname
    if parts.port:
        host_header = f"{host_header}:{parts.port}"
    extensions = {"sni_hostname": hostname} if parts.scheme == "https" else {}
    deadline = started + timeout
    verify = _tls_context(ca_bundle)
    try:
        with (
            httpx.Client(
                timeout=httpx.Timeout(timeout), follow_redirects=False, trust_env=False, verify=verify
            ) as client,
            client.stream(
                "POST", pinned, content=body, headers={**headers, "Host": host_header}, extensions=extensions
            ) as response,
        ):
            chunks = bytearray()
            for chunk in response.iter_bytes():
                chunks += chunk
                if len(chunks) >= EXCERPT_BYTES or time.monotonic() > deadline:
                    break
            excerpt = bytes(chunks[:EXCERPT_BYTES]).decode("utf-8", errors="replace")
            error = "" if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
            if 300 <= response.status_code < 400:
                error += " (redirects are not followed)"
            return Outcome(response.status_code, elapsed(), excerpt, error)
    except httpx.TimeoutException:
        return Outcome(None, elapsed(), "", f"timed out after {timeout:g} s")
    except httpx.HTTPError as exc:
        return Outcome(None, elapsed(), "", f"{type(exc).__name__}: {exc}"[:500])
