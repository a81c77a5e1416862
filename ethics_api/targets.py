"""Where webhook messages may go: public internet addresses only, unless the deployment allows
private ones (`ETHICS_WEBHOOK_ALLOW_PRIVATE_TARGETS`).

A subscription is a URL an API client chooses and this service POSTs to. Pointed at loopback,
a private network, link-local (the cloud metadata service at 169.254.169.254) or any other
non-public address, it would make the service send requests inside its own network for the
client: server-side request forgery. So an address is allowed only if it is globally routable.

The rule is applied twice:
- when a subscription is created (`refusal`), for a clear 422 at once. A name that does not
  resolve (yet), or not within `LOOKUP_SECONDS`, is accepted: its DNS may not be published
  yet, and the check that matters comes next;
- when each message is sent (`connect`): the name is resolved once, every address checked, and
  the connection made to a checked address. A name that resolved to a public address at
  creation and to a private one later (DNS rebinding) is refused, and no second resolution
  can differ from the one checked.
"""

import contextlib
import ipaddress
import socket
import threading
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# How long creating a subscription waits for its host's name to resolve.
LOOKUP_SECONDS = 2.0

# NAT64's well-known prefix carries an IPv4 address in its last 32 bits (RFC 6052).
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Not public, though Python 3.11's is_global says they are: IPv4-compatible addresses
# (deprecated, e.g. ::127.0.0.1) and local-use NAT64 (RFC 8215).
_NOT_PUBLIC_V6 = (ipaddress.ip_network("::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


class TargetRefused(OSError):
    """A target the policy refuses, or a URL that names none; its text says which and why.

    An OSError, so that urllib reports it like any other failure to connect."""


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (IPv4-mapped, 6to4, NAT64), if any."""
    if address.ipv4_mapped or address.sixtofour:
        return address.ipv4_mapped or address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: Address) -> bool:
    """Whether `address` is a public internet address (for IPv6 forms of an IPv4 address, the
    IPv4 address they reach)."""
    if address.version == 6:
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return is_public(embedded)
        if any(address in network for network in _NOT_PUBLIC_V6):
            return False
    return address.is_global and not address.is_multicast


def _kind(address: Address) -> str:
    """What kind of non-public address this is, in a word or two."""
    if address.version == 6 and _embedded_ipv4(address) is not None:
        return _kind(_embedded_ipv4(address))
    for kind in ("loopback", "link_local", "unspecified", "multicast", "private"):
        if getattr(address, f"is_{kind}"):
            return kind.replace("_", "-")
    return "non-public"


def _literal(host: str) -> Address | None:
    """The address `host` spells as an IP literal, if it is one."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def describe(host: str, address: Address) -> str:
    """Why `host` is refused, e.g. 'localhost resolves to a private address (loopback)'.

    Not the address a name resolves to: the text goes back to API clients, and the service's
    internal DNS answers are none of theirs."""
    if _literal(host) == address:
        return f"{host} is a private address ({_kind(address)})"
    return f"{host} resolves to a private address ({_kind(address)})"


def endpoint(url: str) -> tuple[str, int]:
    """The host and port an http(s) URL names; TargetRefused when it names none that can be
    used (e.g. a port above 65535, stored before the API refused those)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise TargetRefused(f"invalid URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused("invalid URL: not http:// or https:// with a host")
    if port == 0:
        raise TargetRefused("invalid URL: port 0")
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


def resolve(host: str, port: int) -> list[tuple]:
    """getaddrinfo's TCP answers for host and port (an IP literal resolves to itself)."""
    return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)


def _address(info: tuple) -> Address:
    # An IPv6 sockaddr's text may end in a zone (fe80::1%eth0), which is no part of the address.
    return ipaddress.ip_address(info[4][0].partition("%")[0])


def _resolved_within(host: str, port: int, seconds: float) -> list[tuple]:
    """What `host` resolves to; [] when it does not resolve within `seconds`.

    getaddrinfo takes no timeout, and a slow DNS server must not hold an API request for the
    system resolver's full timeout: the lookup runs in a thread that is left behind if late.
    """
    found: list[tuple] = []

    def lookup() -> None:
        # Not resolvable now (even a label too long for IDNA): left to delivery time.
        with contextlib.suppress(Exception):
            found.extend(resolve(host, port))

    worker = threading.Thread(target=lookup, name=f"resolve {host}", daemon=True)
    worker.start()
    worker.join(seconds)
    return [] if worker.is_alive() else found


def refusal(url: str, seconds: float | None = None) -> str | None:
    """Why a new subscription to `url` is refused, or None when it is not.

    Refused when its host is, or resolves to, any address that is not public (waiting at most
    `seconds`, default LOOKUP_SECONDS). A name that does not resolve is not refused here: the
    worker checks every delivery (see `connect`)."""
    try:
        host, port = endpoint(url)
    except TargetRefused as exc:
        return str(exc)
    wait = LOOKUP_SECONDS if seconds is None else seconds
    for info in _resolved_within(host, port, wait):
        address = _address(info)
        if not is_public(address):
            return describe(host, address)
    return None


def connect(
    address: tuple[str, int],
    timeout: float,
    source_address: tuple[str, int] | None = None,
    *,
    allow_private: bool = False,
) -> socket.socket:
    """A TCP connection to (host, port), like socket.create_connection, made only to an address
    the policy allows: the name is resolved once, every address it resolves to is checked
    (TargetRefused if any is not public, unless `allow_private`), and the connection is made to
    one of those very addresses. A literal IP is connected to without a DNS lookup."""
    host, port = address
    resolved = resolve(host, port)
    if not allow_private:
        for info in resolved:
            if not is_public(_address(info)):
                raise TargetRefused(
                    f"refused: {describe(host, _address(info))}; webhooks go to public "
                    "addresses only unless ETHICS_WEBHOOK_ALLOW_PRIVATE_TARGETS is true"
                )
    failure: OSError = OSError(f"{host} resolves to no address")
    for info in resolved:  # in the resolver's order, as socket.create_connection tries them
        try:
            return socket.create_connection(info[4][:2], timeout, source_address)
        except OSError as exc:
            failure = exc
    raise failure
