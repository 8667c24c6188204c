"""Checks of the addresses in ``[endpoints]``: a well-formed http(s) base URL or gRPC ``host:port``.

Pure string checks (no lookup, no connection): a URL with a space, a control character, credentials, a query
or an impossible host or port is refused before any request; whether plain http is allowed (loopback only,
unless the user opts in) is decided here too, from the config's ``allow_insecure_http``.
"""

from __future__ import annotations

import ipaddress
import re
import urllib.parse

GRPC_TARGET_RE = re.compile(r"(?P<host>[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])"
                            r":(?P<port>[0-9]{1,5})")
HOST_LABEL_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
URL_PATH_RE = re.compile(r"[A-Za-z0-9._~!$&'()*+,;=:@%/-]*")
NO_SCHEME = "the scheme must be https:// (or http://)"


def is_host_port(target: str) -> bool:
    """``host:port`` as gRPC takes it: a DNS name, IPv4 or [IPv6] literal, and a port 1..65535."""
    match = GRPC_TARGET_RE.fullmatch(target)
    if not match:
        return False
    host = match["host"]
    return 1 <= int(match["port"]) <= 65535 and valid_host(host.strip("[]"))


def url_problem(url: str) -> tuple[str, urllib.parse.SplitResult]:
    """Why ``url`` is not a usable http(s) base URL (``""`` if it is), and its parts."""
    parts = urllib.parse.urlsplit("")
    if any(ch.isspace() or not ch.isprintable() or not ch.isascii() for ch in url):
        return "it contains a space, a control character or a non-ASCII character", parts
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port  # ValueError when not a number in 0..65535
    except ValueError as exc:
        return str(exc), parts
    host = parts.hostname or ""
    if parts.scheme not in {"http", "https"}:
        return NO_SCHEME, parts
    if "@" in parts.netloc:
        return "credentials do not belong in the URL", parts
    if not valid_host(host):
        return f"{host!r} is not a host name", parts
    if port == 0:
        return "port 0 is not a port", parts
    if parts.query or parts.fragment or "?" in url or "#" in url:
        return "a base URL has no ?query or #fragment", parts
    if not URL_PATH_RE.fullmatch(parts.path):
        return "the path has characters a URL cannot carry", parts
    return "", parts


def valid_host(host: str) -> bool:
    """A DNS name or IPv4 literal (dot-separated labels) or an IPv6 literal (without its brackets)."""
    if ":" in host:  # urlsplit strips the brackets of an IPv6 literal
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return False
        return True
    return 0 < len(host) <= 253 and all(HOST_LABEL_RE.fullmatch(label) for label in host.split("."))


def is_loopback(host: str) -> bool:
    """localhost, 127.0.0.0/8 or ::1: a plain-http endpoint there never leaves this machine."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def endpoint_problem(name: str, url: str, allow_http: bool, *, shown: str) -> tuple[str, str] | None:
    """What is wrong with ``[endpoints] name = url`` as (message, fix), or None; ``shown`` is the value as quoted
    in the message."""
    if name == "logging":  # gRPC target host:port (always TLS to Google)
        return None if is_host_port(url) else (f"endpoint {shown} is not host:port", "e.g. logging.googleapis.com:443")
    if name == "claude" and not url:
        return None
    # {region} is a placeholder the tool fills in (aiplatform, claude): check the URL as it will be used.
    problem, parts = url_problem(url.replace("{region}", "us-east5"))
    if problem == NO_SCHEME:
        return (f"endpoint {shown} is not an http(s) URL",
                "write the scheme too, e.g. https://serviceusage.googleapis.com")
    if problem:
        return (f"endpoint {shown} is not a usable URL: {problem}",
                "write the whole base URL, e.g. https://serviceusage.googleapis.com")
    if parts.scheme == "http" and not allow_http and not is_loopback(parts.hostname or ""):
        return (f"endpoint {shown} is plain http: your Google access token would cross the network unencrypted",
                "use https://, or, for a proxy on a network you trust, set allow_insecure_http = true in [endpoints]")
    return None
