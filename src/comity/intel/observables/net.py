"""Network observables: ``domain-name``, ``url``, ``email-addr``, ``ipv4-addr``, ``ipv6-addr``.

Host names are canonical in **A-label (punycode) form, lowercase, without a trailing dot**:
ASCII that DNS, WHOIS and certificate logs use, and that shows a look-alike for what it is
(``pаypal.com`` with a Cyrillic ``а`` is ``xn--pypal-4ve.com``, never ``paypal.com``).
Unicode input is converted with IDNA 2008 and UTS #46 mapping (the ``idna`` package).

Public suffixes come from ``publicsuffixlist``'s bundled copy of the Public Suffix List,
private section included, offline (never a network fetch)::

    normalize("domain-name", "Login.SBI-kyc[.]co[.]in").value          # 'sbi-kyc.co.in'
    normalize("domain-name", "scam.github.io").value                   # 'scam.github.io'
    normalize("url", "hxxps://Evil[.]Example[.]com:443/Login?a=1").value
    #  'https://evil.example.com/Login?a=1'
    normalize("email-addr", "Rahul.Verma(at)Gmail(dot)com").value      # 'rahul.verma@gmail.com'
    normalize("ipv6-addr", "2001:DB8:0:0:0:0:0:1").value               # '2001:db8::1'
"""

from __future__ import annotations

import ipaddress
import re
from functools import cache, lru_cache
from urllib.parse import quote, urlsplit

import idna
from publicsuffixlist import PublicSuffixList

from comity.intel.observables.registry import REGISTRY
from comity.intel.observables.text import clean, refang

_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]{0,15}://")
_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")
_SPACED_AT = re.compile(r"\s+(?:at|AT|At)\s+")
_SPACED_DOT = re.compile(r"\s+(?:dot|DOT|Dot)\s+")
_LOCAL_ASCII = re.compile(r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_LOCAL_ANY = re.compile(r"[^\s@\"(),:;<>\[\]\\.]+(?:\.[^\s@\"(),:;<>\[\]\\.]+)*")
_LEADING_ZEROS = re.compile(r"\b0+(?=\d)")
_DOTS = str.maketrans({"。": ".", "．": ".", "｡": "."})

DEFAULT_PORTS = {"http": 80, "https": 443, "ftp": 21, "ws": 80, "wss": 443}
"""Ports removed from canonical URLs when they are the scheme's default."""


@cache
def public_suffixes() -> PublicSuffixList:
    """The bundled Public Suffix List (ICANN and private sections), loaded once, offline.

    ::

        public_suffixes().publicsuffix("scam.github.io")   # 'github.io'
    """
    return PublicSuffixList(accept_unknown=False)


def host_to_ascii(host: str) -> tuple[str, str | None]:
    """A host name in canonical A-label form, and a reason when it is not a valid host name.

    ::

        host_to_ascii("Bücher.Example")   # ('xn--bcher-kva.example', None)
        host_to_ascii("bad_host.com")     # ('bad_host.com', 'the label ... is not a valid ...')
    """
    host = host.translate(_DOTS).rstrip(".")
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError, ValueError):
            return host.lower(), "not a valid internationalized domain name"
    host = host.lower()
    if not host:
        return host, "empty host name"
    if len(host) > 253:
        return host, "a host name has at most 253 characters"
    for label in host.split("."):
        if not _LABEL.fullmatch(label):
            return host, f"the label {label!r} is not a valid host-name label"
        if label.startswith("xn--"):
            try:
                idna.decode(label)
            except (idna.IDNAError, UnicodeError, ValueError):
                return host, f"the label {label!r} is not valid punycode"
    return host, None


def _is_ip(host: str) -> bool:
    if ":" not in host and not host[-1:].isdigit():
        return False  # a host name: its last label is never all digits
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


@lru_cache(maxsize=1 << 16)
def registrable_domain(host: str) -> tuple[str | None, str | None]:
    """``(registrable domain, reason)`` of an A-label host: ``reason`` when it has none.

    ::

        registrable_domain("login.scam.github.io")   # ('scam.github.io', None)
        registrable_domain("co.in")                  # (None, 'a public suffix, not ...')
    """
    psl = public_suffixes()
    registrable = psl.privatesuffix(host)
    if registrable is not None:
        return registrable, None
    if psl.publicsuffix(host) is None:
        return None, "unknown top-level domain"
    return None, "a public suffix, not a registrable domain"


def _suffix_reason(host: str) -> str | None:
    """Why ``host`` is not under a known public suffix (``None`` when it is)."""
    return registrable_domain(host)[1]


def _refang_value(text: str) -> str:
    return refang(clean(text))


@REGISTRY.register("domain-name")
def normalize_domain(raw: str, country: str | None) -> tuple[str, str | None]:
    """Domains: the registrable domain, A-labels, lowercase (``scam.github.io``)."""
    text = _refang_value(raw)
    if " " in text:
        text = _SPACED_DOT.sub(".", text)
    if "/" in text or "@" in text or ":" in text:  # a URL or e-mail address: its host
        if not _SCHEME.match(text):
            text = "http://" + text.lstrip("/")
        try:
            text = urlsplit(text).hostname or text
        except ValueError:
            return text.lower(), "not a domain name"
    host, reason = host_to_ascii(text)
    if reason:
        return host, reason
    if _is_ip(host):
        return host, "an IP address, not a domain name"
    registrable, reason = registrable_domain(host)
    if registrable is None:
        return host, reason
    return registrable, None


def _canonical_host(host: str) -> tuple[str, str | None]:
    if ":" in host:  # IPv6 (urlsplit removed the brackets)
        try:
            return f"[{ipaddress.IPv6Address(host).compressed}]", None
        except ValueError:
            return f"[{host}]", "not a valid IPv6 address"
    if host[-1:].isdigit():
        try:
            return str(ipaddress.IPv4Address(host)), None
        except ValueError:
            pass
    ascii_host, reason = host_to_ascii(host)
    if reason is None:
        reason = _suffix_reason(ascii_host)
        if reason == "a public suffix, not a registrable domain":
            reason = None  # a URL on a suffix host (e.g. https://github.io/) exists
    return ascii_host, reason


_ALREADY_SAFE = re.compile(r"[A-Za-z0-9/:@!$&'()*+,;=._~?-]*")


def _quote(part: str, safe: str) -> str:
    if _ALREADY_SAFE.fullmatch(part) and ("?" not in part or "?" in safe):
        return part  # nothing to escape, no escapes to upper-case
    part = quote(part, safe=safe + "%")
    return _ESCAPE.sub(lambda m: m.group(0).upper(), part) if "%" in part else part


_PATH_SAFE = "/:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?"


@REGISTRY.register("url")
def normalize_url(raw: str, country: str | None) -> tuple[str, str | None]:
    """URLs: lowercase scheme and host (A-labels), default port dropped, defanging undone."""
    text = _refang_value(raw)
    if " " in text:
        return text, "a URL has no spaces"
    if not text:
        return text, "empty"
    if not _SCHEME.match(text):
        text = "http://" + text.lstrip("/")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        return text, f"not a valid URL: {exc}"
    scheme = parts.scheme.lower()
    hostname = parts.hostname or ""
    if not hostname:
        return text, "a URL needs a host"
    host, reason = _canonical_host(hostname)
    netloc = host
    if parts.username is not None or parts.password is not None:
        userinfo = parts.netloc.rpartition("@")[0]
        netloc = f"{userinfo}@{host}"
    if port is not None and DEFAULT_PORTS.get(scheme) != port:
        netloc += f":{port}"
    path = _quote(parts.path, _PATH_SAFE)
    if not path and scheme in DEFAULT_PORTS:
        path = "/"
    value = f"{scheme}://{netloc}{path}"
    if parts.query:
        value += "?" + _quote(parts.query, _QUERY_SAFE)
    if parts.fragment:
        value += "#" + _quote(parts.fragment, _QUERY_SAFE)
    return value, reason


@REGISTRY.register("email-addr")
def normalize_email(raw: str, country: str | None) -> tuple[str, str | None]:
    """E-mail addresses: all lowercase (local part too), domain in A-labels."""
    text = _refang_value(raw)
    if "<" in text and text.endswith(">"):  # "Name <user@example.com>"
        text = text[text.rindex("<") + 1 : -1].strip()
    if text[:7].lower() == "mailto:":
        text = text[7:]
    if " " in text:
        text = _SPACED_DOT.sub(".", _SPACED_AT.sub("@", text))
    text = text.lower()
    local, at, domain = text.rpartition("@")
    if not at:
        return text, "no @ in an e-mail address"
    if not local:
        return text, "empty local part"
    if len(local) > 64:
        return text, "the local part has at most 64 characters"
    pattern = _LOCAL_ASCII if local.isascii() else _LOCAL_ANY
    if not pattern.fullmatch(local):
        return text, f"{local!r} is not a valid local part"
    host, reason = host_to_ascii(domain)
    value = f"{local}@{host}"
    if reason:
        return value, reason
    if "." not in host:
        return value, "the domain has no top-level domain (a UPI ID?)"
    reason = _suffix_reason(host)
    if reason:
        return value, reason
    return value, None


def _ip_text(raw: str) -> str:
    text = _refang_value(raw).lower()
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]
    return text


@REGISTRY.register("ipv4-addr")
def normalize_ipv4(raw: str, country: str | None) -> tuple[str, str | None]:
    """IPv4 addresses in dotted decimal; a CIDR block other than /32 keeps its prefix."""
    text = _ip_text(raw)
    address = text
    if text.count(":") == 1:  # 203.0.113.7:8080
        address = text.partition(":")[0]
    address = _LEADING_ZEROS.sub("", address)  # 010.001.002.003 means 10.1.2.3 to people
    try:
        if "/" in address:
            network = ipaddress.IPv4Network(address, strict=False)
            if network.prefixlen == 32:
                return str(network.network_address), None
            return str(network), None
        return str(ipaddress.IPv4Address(address)), None
    except ValueError:
        return text, "not a valid IPv4 address"


@REGISTRY.register("ipv6-addr")
def normalize_ipv6(raw: str, country: str | None) -> tuple[str, str | None]:
    """IPv6 addresses compressed and lowercase (RFC 5952), ``/128`` dropped."""
    text = _ip_text(raw)
    try:
        if "/" in text:
            network = ipaddress.IPv6Network(text, strict=False)
            if network.prefixlen == 128:
                return network.network_address.compressed, None
            return network.compressed, None
        return ipaddress.IPv6Address(text).compressed, None
    except ValueError:
        reason = "an IPv4 address, not IPv6" if _is_ip(text) else "not a valid IPv6 address"
        return text, reason
