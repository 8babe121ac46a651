"""Which webhook URLs a run may call, and with which headers: ``"webhooks"`` in langgraph.json.

    "webhooks": {
      "url": {"require_https": true, "allowed_domains": ["hooks.example.com", "*.corp.com"],
              "allowed_ports": [443], "max_url_length": 2048, "disable_private_ips": true},
      "headers": {"Authorization": "Bearer ${{ env.LG_WEBHOOK_TOKEN }}"},
      "env_prefix": "LG_WEBHOOK_",
      "allowed_fields": ["run_id", "status", "values"]
    }

Checked when a run or cron is created (the URL as written: scheme, host, port, length, literal
addresses) and again before each delivery (every address the host resolves to). Loopback,
link-local (cloud metadata 169.254.169.254), private, shared (CGN), multicast, reserved and
unspecified addresses are refused unless ``"disable_private_ips": false``, so that a run cannot make
the server call itself or its network. ``require_https`` defaults to true once a ``url`` policy is
given (as the reference), false otherwise.
"""
import ipaddress
import os
import re
import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from agentserver import lgconfig
from agentserver.graphs import GraphConfigError

LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")
_TEMPLATE = re.compile(r"\$\{\{\s*([^}]+?)\s*\}\}")
PAYLOAD_FIELDS = ("run_id", "thread_id", "assistant_id", "created_at", "updated_at", "metadata", "kwargs",
                  "multitask_strategy", "status", "run_started_at", "run_ended_at", "webhook_sent_at", "values",
                  "error")


class WebhookRefused(ValueError):
    pass


class Unresolvable(WebhookRefused):
    """The host does not resolve (now): worth another attempt, unlike a refusal."""


def config():
    return lgconfig.section("webhooks")


def url_policy():
    raw = config().get("url")
    policy = dict(raw or {})
    if raw is not None and not isinstance(raw, dict):
        raise GraphConfigError("langgraph.json: 'webhooks.url' must be an object")
    policy.setdefault("require_https", raw is not None)
    policy.setdefault("allowed_domains", [])
    policy.setdefault("allowed_ports", [])
    policy.setdefault("max_url_length", 2048)
    policy.setdefault("disable_private_ips", True)
    for domain in policy["allowed_domains"]:
        if not isinstance(domain, str) or not domain or ("*" in domain and not domain.startswith("*.")):
            raise GraphConfigError(f"langgraph.json: 'webhooks.url.allowed_domains' entry {domain!r} must be "
                                   "a host name or '*.domain'")
    return policy


def _blocked_address(address):
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return (ip.is_loopback or ip.is_link_local or ip.is_private or ip.is_multicast or ip.is_reserved
            or ip.is_unspecified or (isinstance(ip, ipaddress.IPv4Address) and ip in ipaddress.ip_network("100.64.0.0/10")))


def _domain_allowed(host, domains):
    if not domains:
        return True
    for domain in domains:
        domain = domain.lower()
        if domain.startswith("*.") and host.endswith(domain[1:]) and host != domain[2:]:
            return True
        if host == domain:
            return True
    return False


def _literal_ip(host):
    """The address ``host`` spells, also in the legacy IPv4 forms resolvers accept (``127.1``,
    ``2130706433``, ``0x7f.0.0.1``); None for a name."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if host and all(c in "0123456789abcdefx." for c in host.lower()) and any(c.isdigit() for c in host):
        try:
            return ipaddress.ip_address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def check_url(url, *, policy=None):
    """Raise WebhookRefused (saying why) unless ``url`` may be called. No DNS lookup."""
    policy = policy or url_policy()
    if len(url) > policy["max_url_length"]:
        raise WebhookRefused(f"URL longer than {policy['max_url_length']} characters")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise WebhookRefused("only http and https URLs are allowed")
    if policy["require_https"] and scheme != "https":
        raise WebhookRefused("https is required (webhooks.url.require_https)")
    try:
        host, port = (parts.hostname or "").lower().rstrip("."), parts.port
    except ValueError:
        raise WebhookRefused("invalid port") from None
    if not host:
        raise WebhookRefused("the URL has no host")
    if policy["allowed_ports"] and (port or (443 if scheme == "https" else 80)) not in policy["allowed_ports"]:
        raise WebhookRefused("port not allowed (webhooks.url.allowed_ports)")
    if not _domain_allowed(host, policy["allowed_domains"]):
        raise WebhookRefused(f"host {host!r} is not in webhooks.url.allowed_domains")
    if policy["disable_private_ips"]:
        ip = _literal_ip(host)
        if host in LOCAL_NAMES or host.endswith(".localhost") or (ip is not None and _blocked_address(ip)):
            raise WebhookRefused(f"host {host!r} is a loopback, link-local or private address")
    return parts


def resolve(host, port):
    return {info[4][0] for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)}


@dataclass
class Target:
    """Where to send one delivery: the URL (its host pinned to a checked address), extra headers and
    httpx request extensions (TLS still verifies the certificate against the original host name)."""

    url: str
    headers: dict = field(default_factory=dict)
    extensions: dict = field(default_factory=dict)


def _pinned(parts, address):
    ip = ipaddress.ip_address(address)
    host = f"[{ip}]" if ip.version == 6 else str(ip)
    netloc = f"{host}:{parts.port}" if parts.port else host
    target = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
    host_header = f"{parts.hostname}:{parts.port}" if parts.port else parts.hostname
    extensions = {"sni_hostname": parts.hostname} if parts.scheme.lower() == "https" else {}
    return Target(url=target, headers={"host": host_header}, extensions=extensions)


def check_delivery(url):
    """``check_url`` plus every address the host resolves to now (called right before each POST).
    The returned Target connects to one of the checked addresses, so a DNS answer that changes
    between the check and the connection (rebinding) cannot redirect the POST."""
    policy = url_policy()
    parts = check_url(url, policy=policy)
    if not policy["disable_private_ips"] or _literal_ip(parts.hostname) is not None:
        return Target(url=url)
    try:
        addresses = resolve(parts.hostname, parts.port or 443)
    except OSError as exc:
        raise Unresolvable(f"cannot resolve {parts.hostname!r}: {exc}") from None
    addresses = sorted({a.split("%")[0] for a in addresses}, key=lambda a: (":" in a, a))
    blocked = [a for a in addresses if _blocked_address(a)]
    if blocked or not addresses:
        raise WebhookRefused(f"host {parts.hostname!r} resolves to a private address ({(blocked or ['none'])[0]})")
    return _pinned(parts, addresses[0])


def headers():
    """The configured headers with ``${{ env.VAR }}`` templates filled (VAR must start with
    ``env_prefix``, default ``LG_WEBHOOK_``)."""
    conf = config()
    raw = conf.get("headers") or {}
    prefix = conf.get("env_prefix", "LG_WEBHOOK_") or ""

    def fill(match):
        expr = match.group(1).strip()
        var = expr[4:] if expr.startswith("env.") else ""
        if not var or "." in var or not var.startswith(prefix):
            raise GraphConfigError(f"langgraph.json: webhook header template {match.group(0)!r} must be "
                                   f"${{{{ env.{prefix}NAME }}}}")
        if var not in os.environ:
            raise GraphConfigError(f"langgraph.json: webhook header needs the environment variable {var}")
        return os.environ[var]

    if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
        raise GraphConfigError("langgraph.json: 'webhooks.headers' must map header names to strings")
    return {name: _TEMPLATE.sub(fill, value) for name, value in raw.items()}


def payload_fields():
    allowed = config().get("allowed_fields")
    if allowed is None:
        return PAYLOAD_FIELDS
    unknown = [f for f in allowed if f not in PAYLOAD_FIELDS] if isinstance(allowed, list) else [allowed]
    if unknown:
        raise GraphConfigError(f"langgraph.json: 'webhooks.allowed_fields' has unknown fields {unknown}")
    return tuple(allowed)


def check_config(sender=None, **kwargs):
    """Receiver of ``executor_started``: a malformed ``webhooks`` section stops start-up, naming the key."""
    url_policy()
    headers()
    payload_fields()
