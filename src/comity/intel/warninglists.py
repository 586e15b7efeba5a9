"""Warning lists: values that occur everywhere, which correlation must not drown analysts in.

    reason = suppression("domain-name", "gmail.com")
    # "on the local list 'free-email-providers' (package default): Gmail, Google's free webmail …"
    suppression("ipv4-addr", "8.8.8.8")       # "on MISP warning list 'public-dns-v4' (…)"
    suppression("phone-number", "IN:1930")    # India's National Cyber Crime Helpline
    suppression("phone-number", "+919876543210")   # None: correlates as usual

Sources, most specific first (the first that matches names the reason):

1. **the node's local lists**, files in ``<home>/warninglists/``: ``*.json`` in MISP's
   warning-list format (``name``, ``type``, ``list``, ``matching_attributes``; an optional
   ``comity_notes`` object gives a note per entry), or ``*.txt`` with one entry a line,
   ``[TYPE] VALUE [# note]``;
2. **Comity's defaults**, shipped with the package (``comity/intel/data/warninglists/``):
   India's cyber-crime and emergency helplines and free e-mail domains, each with its source;
3. **MISP's warning lists** as bundled by ``pymispwarninglists`` (offline; never fetched),
   except those named in the ``warninglists_skip`` setting (by folder name, e.g. ``tranco``;
   ``*`` skips them all). By default the million-entry popularity lists and the cloud
   providers' address ranges are skipped (:data:`DEFAULT_SKIPPED`, with the reasons).

Matching is on canonical values (``docs/observables.md``), with lookup structures built once
per configuration and cached: exact values per type; IP networks by prefix length (a CIDR
value is suppressed when a listed network contains it); host names matched on the host and
its parents down to the registrable domain, never above it (``scam.github.io`` is not
``github.io``); MISP's regular expressions (contact addresses, fictional phone numbers)
anchored to the whole value. A URL is suppressed when it is listed itself or is the bare site
of a listed host (``https://www.google.com/``): a page on a big platform is a specific
identifier. An e-mail address is never suppressed for its domain, only the domain is.
"""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from comity.core.settings import Settings

DEFAULT_SKIPPED: Final[dict[str, str]] = {
    "tranco": "a million popular sites: the long tail includes sites fraudsters run",
    "google-chrome-crux-1million": "a million visited sites: the long tail includes scam sites",
    "amazon-aws": "rented cloud servers: one address is one customer's server at a time",
    "google-gcp": "rented cloud servers: one address is one customer's server at a time",
    "microsoft-azure": "rented cloud servers: one address is one customer's server at a time",
    "microsoft-azure-china": "rented cloud servers: one address is one customer's server",
    "microsoft-azure-germany": "rented cloud servers: one address is one customer's server",
    "microsoft-azure-us-gov": "rented cloud servers: one address is one customer's server",
}
"""MISP warning lists not used unless configured otherwise, and why."""

LOCAL_DIR: Final = "warninglists"
"""The folder of the node's own lists, inside the node home."""

IP_TYPES: Final = ("ipv4-addr", "ipv6-addr")
DOMAIN_TYPES: Final = ("domain-name",)

_MISP_ATTRIBUTES: Final[dict[str, tuple[str, ...]]] = {
    "ip-src": IP_TYPES,
    "ip-dst": IP_TYPES,
    "ip-src|port": IP_TYPES,
    "ip-dst|port": IP_TYPES,
    "domain|ip": (*IP_TYPES, "domain-name"),
    "domain": DOMAIN_TYPES,
    "hostname": DOMAIN_TYPES,
    "hostname|port": DOMAIN_TYPES,
    "url": ("url",),
    "uri": ("url",),
    "email": ("email-addr",),
    "email-src": ("email-addr",),
    "email-dst": ("email-addr",),
    "target-email": ("email-addr",),
    "whois-registrant-email": ("email-addr",),
    "md5": ("file-md5",),
    "sha1": ("file-sha1",),
    "sha256": ("file-sha256",),
    "filename|md5": ("file-md5",),
    "filename|sha1": ("file-sha1",),
    "filename|sha256": ("file-sha256",),
    "phone-number": ("phone-number",),
    "whois-registrant-phone": ("phone-number",),
    "iban": ("bank-account",),
    "bank-account-nr": ("bank-account",),
    "btc": ("cryptocurrency-wallet",),
}
"""MISP attribute types a list names (``matching_attributes``) → Comity's observable types."""

_Hit = tuple[int, str | None]
"""Which list (its index in the layer) an entry is on, and the entry's note if it has one."""

_HOST: Final = re.compile(r"\.?(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}\.?")
_HASH_TYPES: Final = {32: "file-md5", 40: "file-sha1", 64: "file-sha256"}
_HEX: Final = re.compile(r"[0-9a-f]+")
_NOT_HOST: Final = re.compile(r"[^a-z0-9._-]")
_HASH_SET: Final = frozenset(_HASH_TYPES.values())
GROUPS: Final[dict[str, tuple[str, ...]]] = {
    "ip": IP_TYPES,
    "host": ("domain-name", "url"),
    "hash": tuple(_HASH_TYPES.values()),
}
"""MISP's lists are built per group of observable types, when a type of the group is first
looked up: checking a phone number never builds the 100,000 networks."""
_MATCHED_OTHERWISE: Final = frozenset(
    {"domain-name", "ipv4-addr", "ipv6-addr", "file-md5", "file-sha1", "file-sha256"}
)
"""Types whose entries go to the host, network and hash tables rather than normalization."""


@dataclass(frozen=True)
class ListInfo:
    """One warning list: its id, title, where it comes from and how many entries it has."""

    id: str
    name: str
    origin: str
    """``misp``, ``package default`` or the path of a local file."""
    entries: int

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"id": self.id, "name": self.name, "origin": self.origin, "entries": self.entries}


@dataclass
class _Layer:
    """Lookup structures of one source (MISP's lists, the defaults, the node's own)."""

    exact: dict[str, dict[str, _Hit]] = field(default_factory=dict)
    """Observable type → canonical value → (list index, note)."""
    host_exact: dict[str, _Hit] = field(default_factory=dict)
    host_suffix: dict[str, _Hit] = field(default_factory=dict)
    """Host names whose subdomains (down to the registrable domain) are listed too."""
    networks: dict[int, dict[int, dict[int, _Hit]]] = field(default_factory=dict)
    """Address family (4, 6) → prefix length → network as an integer → hit."""
    lengths: dict[int, list[int]] = field(default_factory=dict)
    regexes: dict[str, list[tuple[re.Pattern[str], int]]] = field(default_factory=dict)
    gates: dict[str, re.Pattern[str]] = field(default_factory=dict)
    """Observable type → one pattern matching whatever any of its regexes matches: one test
    for the common value that no list names, instead of one per regex and rendering."""
    lists: list[ListInfo] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    # ------------------------------------------------------------------ building

    def add_list(
        self,
        raw: Mapping[str, Any],
        list_id: str,
        origin: str,
        types: tuple[str, ...] | None = None,
    ) -> None:
        """Add one list in MISP's warning-list format (for ``types``: default, what it says)."""
        entries = raw.get("list")
        kind = raw.get("type", "string")
        if not isinstance(entries, list) or kind not in (
            "string",
            "substring",
            "hostname",
            "cidr",
            "regex",
        ):
            self.problems.append(f"{origin}: not a warning list (needs 'list' and a known 'type')")
            return
        name = raw.get("name") if isinstance(raw.get("name"), str) else list_id
        notes: dict[str, Any] = (
            raw["comity_notes"] if isinstance(raw.get("comity_notes"), dict) else {}
        )
        index = len(self.lists)
        self.lists.append(ListInfo(list_id, str(name), origin, len(entries)))
        if types is None:
            types = _types_of(raw.get("matching_attributes"), kind)
        if not notes and self._bulk(kind, entries, types, index):
            return
        for entry in entries:
            if isinstance(entry, str) and (text := entry.strip()):
                note = notes.get(entry) if notes else None
                self.add_entry(kind, text, types, index, note if isinstance(note, str) else None)

    def _bulk(self, kind: str, entries: list[Any], types: tuple[str, ...], index: int) -> bool:
        """Fast paths for MISP's big lists (networks, hashes, host names); ``False``: none fits."""
        hit: _Hit = (index, None)
        wanted = set(types)
        texts = (e.strip().lower() for e in entries if isinstance(e, str))
        if kind != "regex" and wanted <= set(IP_TYPES):
            for text in texts:
                if text[:1].isdigit() or ":" in text:
                    self._add_network(text, hit)
            return True
        if kind == "string" and wanted <= _HASH_SET:
            tables = {t: self.exact.setdefault(t, {}) for t in wanted}
            for text in texts:
                table = tables.get(_HASH_TYPES.get(len(text), ""))
                if table is not None and _HEX.fullmatch(text):
                    table.setdefault(text, hit)
            return True
        if kind in ("string", "hostname", "substring") and wanted <= {"domain-name", "url"}:
            suffixes = kind != "string"
            for text in texts:
                if "." in text and not _NOT_HOST.search(text):
                    host = text.strip(".")
                    self.host_exact.setdefault(host, hit)
                    if suffixes:
                        self.host_suffix.setdefault(host, hit)
                elif "url" in wanted and kind == "string" and "/" in text:
                    self._add_value(text, ("url",), hit)
            return True
        return False

    def add_entry(
        self, kind: str, entry: str, types: tuple[str, ...], index: int, note: str | None
    ) -> None:
        """Add one entry of a list of ``kind`` applying to ``types``."""
        hit = (index, note)
        if kind == "cidr":
            self._add_network(entry, hit)
        elif kind == "regex":
            self._add_regex(entry, types, index)
        elif kind in ("hostname", "substring") and _HOST.fullmatch(lowered := entry.lower()):
            host = lowered.strip(".")
            self.host_suffix.setdefault(host, hit)
            self.host_exact.setdefault(host, hit)
        elif kind == "substring":
            self._add_network(entry, hit)
        else:
            self._add_value(entry, types, hit)

    def _add_value(self, entry: str, types: tuple[str, ...], hit: _Hit) -> None:
        lowered = entry.lower()
        hashed = _HASH_TYPES.get(len(lowered))
        if hashed in types and _HEX.fullmatch(lowered):
            self.exact.setdefault(hashed, {}).setdefault(lowered, hit)
            return
        is_host = _HOST.fullmatch(lowered) is not None
        if is_host and "domain-name" in types:
            self.host_exact.setdefault(lowered.strip("."), hit)
        if (lowered[:1].isdigit() or ":" in lowered) and (
            "ipv4-addr" in types or "ipv6-addr" in types
        ):
            self._add_network(entry, hit)
        for obs_type in types:
            if obs_type in _MATCHED_OTHERWISE or (is_host and obs_type in ("url", "user-account")):
                continue  # a host name's bare site is matched by host (see _url)
            canonical = _canonical(obs_type, entry)
            if canonical is not None:
                self.exact.setdefault(obs_type, {}).setdefault(canonical, hit)

    def _add_network(self, entry: str, hit: _Hit) -> None:
        parsed = _network(entry)
        if parsed is not None:
            version, length, number = parsed
            by_length = self.networks.setdefault(version, {})
            by_length.setdefault(length, {}).setdefault(number, hit)

    def finish(self) -> _Layer:
        """Index what was added (call once, after the last list)."""
        self.lengths = {v: sorted(by, reverse=True) for v, by in self.networks.items()}
        for obs_type, patterns in self.regexes.items():
            gate = _gate([compiled for compiled, _index in patterns])
            if gate is not None:
                self.gates[obs_type] = gate
        return self

    def _add_regex(self, entry: str, types: tuple[str, ...], index: int) -> None:
        pattern, flags = entry, 0
        if entry.startswith("/") and entry.rfind("/") > 0:
            end = entry.rfind("/")
            pattern = entry[1:end]
            flags = re.IGNORECASE if "i" in entry[end + 1 :] else 0
        try:
            compiled = re.compile(pattern, flags)
        except re.error as exc:
            self.problems.append(f"{self.lists[index].id}: regular expression {entry!r}: {exc}")
            return
        for obs_type in types:
            self.regexes.setdefault(obs_type, []).append((compiled, index))

    # ------------------------------------------------------------------ matching

    def match(self, obs_type: str, value: str) -> _Hit | None:
        """The list (index) and note of the entry ``value`` matches, or ``None``."""
        found = self.exact.get(obs_type, {}).get(value)
        if found is not None:
            return found
        if obs_type in DOMAIN_TYPES:
            return self.host(value)
        if obs_type in IP_TYPES:
            return self.address(value)
        if obs_type == "url":
            return self._url(value)
        patterns = self.regexes.get(obs_type)
        if not patterns:
            return None
        forms = _renderings(obs_type, value)
        gate = self.gates.get(obs_type)
        if gate is not None and not any(gate.fullmatch(form) for form in forms):
            return None
        for compiled, index in patterns:
            if any(compiled.fullmatch(form) for form in forms):
                return index, None
        return None

    def host(self, host: str) -> _Hit | None:
        """The entry naming ``host`` or a parent of it down to its registrable domain."""
        found = self.host_exact.get(host)
        if found is not None:
            return found
        for candidate in _parents(host):
            found = self.host_suffix.get(candidate)
            if found is not None:
                return found
        return None

    def address(self, value: str) -> _Hit | None:
        """The listed network containing ``value`` (an address, or a network inside one)."""
        parsed = _network(value)
        if parsed is None:
            return None
        version, prefix, number = parsed
        by_length = self.networks.get(version)
        if not by_length:
            return None
        bits = 32 if version == 4 else 128
        for length in self.lengths[version]:
            if length <= prefix:
                masked = number >> (bits - length) << (bits - length) if length else 0
                found = by_length[length].get(masked)
                if found is not None:
                    return found
        return None

    def _url(self, value: str) -> _Hit | None:
        from urllib.parse import urlsplit

        try:
            parts = urlsplit(value)
            host = parts.hostname or ""
        except ValueError:
            return None
        if parts.path not in ("", "/") or parts.query or parts.fragment or not host:
            return None
        return self.address(host) if _is_address(host) else self.host(host)


def _types_of(matching: Any, kind: str) -> tuple[str, ...]:
    """The observable types a list applies to, from its ``matching_attributes``."""
    from comity.intel.observables import TYPES

    if isinstance(matching, list) and matching:
        found: list[str] = []
        for attribute in matching:
            if isinstance(attribute, str):
                if attribute in TYPES:
                    found.append(attribute)
                found.extend(_MISP_ATTRIBUTES.get(attribute, ()))
        if kind == "cidr":  # networks match addresses only, whatever else the list names
            found = [t for t in found if t in IP_TYPES]
        return tuple(dict.fromkeys(found))
    if kind == "cidr":
        return IP_TYPES
    if kind == "hostname":
        return (*DOMAIN_TYPES, "url")
    return tuple(t for t in TYPES if t not in ("person-name", "organization-name"))


def _canonical(obs_type: str, entry: str) -> str | None:
    from comity.intel.observables import normalize

    observable = normalize(obs_type, entry)
    return observable.value if observable.valid else None


def _is_address(text: str) -> bool:
    return "/" not in text and _network(text) is not None


def _network(text: str) -> tuple[int, int, int] | None:
    """``(version, prefix length, network as an integer)`` of an address or CIDR block."""
    address, slash, prefix = text.strip().partition("/")
    version, family, bits = (6, socket.AF_INET6, 128) if ":" in address else (4, socket.AF_INET, 32)
    try:
        number = int.from_bytes(socket.inet_pton(family, address.strip("[]")), "big")
    except (OSError, ValueError):
        return None
    length = bits
    if slash:
        if not prefix.isdigit() or int(prefix) > bits:
            return None
        length = int(prefix)
    number = number >> (bits - length) << (bits - length) if length else 0
    return version, length, number


def _parents(host: str) -> Iterator[str]:
    """``host`` and its parent domains down to (and including) its registrable domain."""
    from comity.intel.observables.net import public_suffixes

    registrable = public_suffixes().privatesuffix(host) or host
    labels = host.split(".")
    for start in range(len(labels)):
        candidate = ".".join(labels[start:])
        yield candidate
        if candidate == registrable or len(candidate) <= len(registrable):
            return


_UNGATED = re.compile(r"\\[1-9]|\(\?P=|\(\?[aiLmsux]+\)")
"""What a pattern cannot keep inside an alternation: a numbered back-reference (numbers
shift), a named one, a global inline flag."""


def _gate(patterns: list[re.Pattern[str]]) -> re.Pattern[str] | None:
    """One pattern that fully matches a string when any of ``patterns`` does, or ``None`` when
    one of them cannot be put in an alternation (then every pattern is tried)."""
    parts = []
    for compiled in patterns:
        if _UNGATED.search(compiled.pattern):
            return None
        case = "i" if compiled.flags & re.IGNORECASE else ""
        parts.append(f"(?{case}:{compiled.pattern})" if case else f"(?:{compiled.pattern})")
    try:
        return re.compile("|".join(parts))
    except re.error:
        return None


@lru_cache(maxsize=1 << 14)
def _renderings(obs_type: str, value: str) -> tuple[str, ...]:
    """Forms of ``value`` a MISP regular expression may be written against."""
    if obs_type != "phone-number" or not value.startswith("+"):
        return (value,)
    forms = [value, "00" + value[1:], value[1:]]
    try:
        import phonenumbers

        number = phonenumbers.parse(value)
        national_format = phonenumbers.PhoneNumberFormat.NATIONAL
        national = re.sub(r"\D", "", phonenumbers.format_number(number, national_format))
        code = str(number.country_code)
        forms += [national, f"+{code}{national}", f"00{code}{national}"]
    except phonenumbers.NumberParseException:
        pass
    return tuple(dict.fromkeys(forms))


# --------------------------------------------------------------------------------- sources


def misp_lists_dir() -> Path:
    """Where ``pymispwarninglists`` keeps MISP's lists (one folder per list, ``list.json``)."""
    import pymispwarninglists

    return Path(pymispwarninglists.__file__).parent / "data" / "misp-warninglists" / "lists"


def _group_of(obs_type: str) -> str:
    return next((name for name, types in GROUPS.items() if obs_type in types), "other")


def _group_types(group: str) -> tuple[str, ...]:
    if group in GROUPS:
        return GROUPS[group]
    grouped = {t for types in GROUPS.values() for t in types}
    return tuple(t for t in _types_of(None, "string") if t not in grouped)


@lru_cache(maxsize=4)
def _misp_catalog(
    skipped: frozenset[str],
) -> tuple[tuple[str, str, str, tuple[str, ...], int], ...]:
    """The bundled MISP lists in use: ``(id, name, kind, observable types, entries)``."""
    found = []
    for path in sorted(misp_lists_dir().glob("*/list.json")):
        if path.parent.name in skipped or "*" in skipped:
            continue
        try:
            raw = json.loads(path.read_bytes())
            kind = str(raw["type"])
            entries = len(raw["list"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        types = _types_of(raw.get("matching_attributes"), kind)
        found.append(
            (path.parent.name, str(raw.get("name", path.parent.name)), kind, types, entries)
        )
    return tuple(found)


@lru_cache(maxsize=16)
def _misp_layer(skipped: frozenset[str], group: str) -> _Layer:
    """MISP's lists (all but ``skipped``) for the observable types of ``group``."""
    layer = _Layer()
    if "*" in skipped:
        return layer.finish()
    wanted = set(_group_types(group))
    for list_id, _name, _kind, types, _entries in _misp_catalog(skipped):
        relevant = tuple(t for t in types if t in wanted)
        if not relevant:
            continue
        path = misp_lists_dir() / list_id / "list.json"
        try:
            raw = json.loads(path.read_bytes())
        except (OSError, ValueError) as exc:
            layer.problems.append(f"MISP list {list_id}: {exc}")
            continue
        layer.add_list(raw, list_id, "misp", relevant)
    return layer.finish()


def _text_list(text: str, list_id: str, origin: str, layer: _Layer) -> None:
    """A list in Comity's text form: ``[TYPE] VALUE [# note]`` per line."""
    from comity.intel.observables import TYPES

    index = len(layer.lists)
    count = 0
    layer.lists.append(ListInfo(list_id, list_id, origin, 0))
    every = _types_of(None, "string")
    for number, line in enumerate(text.splitlines(), 1):
        body, _, note = line.partition(" # ")
        body = body.strip()
        if not body or body.startswith("#"):
            continue
        first, _, rest = body.partition(" ")
        types, entry = (
            ((first,), rest.strip()) if first in TYPES and rest.strip() else (every, body)
        )
        if (
            types != every
            and _canonical(types[0], entry) is None
            and types[0]
            not in (
                *DOMAIN_TYPES,
                *IP_TYPES,
            )
        ):
            layer.problems.append(f"{origin} line {number}: {entry!r} is not a valid {types[0]}")
            continue
        # A domain names its site: its subdomains too (www.ic3.gov), down to the domain.
        kind = "hostname" if types == ("domain-name",) else "string"
        layer.add_entry(kind, entry, types, index, note.strip() or None)
        count += 1
    layer.lists[index] = ListInfo(list_id, list_id, origin, count)


def _load_files(paths: Iterable[Path], origin_of: Any) -> _Layer:
    layer = _Layer()
    for path in paths:
        origin = origin_of(path)
        try:
            data = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            layer.problems.append(f"{origin}: cannot be read: {exc}")
            continue
        if path.suffix == ".json":
            try:
                raw = json.loads(data)
            except ValueError as exc:
                layer.problems.append(f"{origin}: not JSON: {exc}")
                continue
            if isinstance(raw, dict):
                layer.add_list(raw, path.stem, origin)
            else:
                layer.problems.append(f"{origin}: not a warning list (a JSON object)")
        else:
            _text_list(data, path.stem, origin, layer)
    return layer.finish()


@lru_cache(maxsize=1)
def _default_layer() -> _Layer:
    folder = resources.files("comity.intel") / "data" / "warninglists"
    paths = sorted(
        Path(str(item)) for item in folder.iterdir() if item.name.endswith((".txt", ".json"))
    )
    return _load_files(paths, lambda _path: "package default")


@lru_cache(maxsize=16)
def _local_layer(folder: str, signature: tuple[tuple[str, int, int], ...]) -> _Layer:
    del signature  # part of the cache key: a changed file builds the layer again
    paths = sorted(
        p for p in Path(folder).iterdir() if p.suffix in (".json", ".txt") and p.is_file()
    )
    return _load_files(paths, str)


def _signature(folder: Path) -> tuple[tuple[str, int, int], ...]:
    try:
        return tuple(
            sorted(
                (p.name, p.stat().st_mtime_ns, p.stat().st_size)
                for p in folder.iterdir()
                if p.suffix in (".json", ".txt")
            )
        )
    except OSError:
        return ()


# --------------------------------------------------------------------------------- the API


class Warninglists:
    """The warning lists of one configuration, layered: the node's, the defaults, MISP's."""

    def __init__(self, layers: list[_Layer], skipped: frozenset[str]) -> None:
        self._layers = layers
        self._skipped = skipped

    def suppression(self, obs_type: str, value: str) -> str | None:
        """Why ``value`` (canonical, of ``obs_type``) is not correlated, or ``None``."""
        found = self.listed_by(obs_type, value)
        return _reason(*found) if found is not None else None

    def listed_by(self, obs_type: str, value: str) -> tuple[ListInfo, str | None] | None:
        """The first list naming ``value`` and the entry's note, or ``None``."""
        for layer in self._layers:
            found = layer.match(obs_type, value)
            if found is not None:
                return layer.lists[found[0]], found[1]
        layer = _misp_layer(self._skipped, _group_of(obs_type))
        found = layer.match(obs_type, value)
        return (layer.lists[found[0]], found[1]) if found is not None else None

    def lists(self) -> list[ListInfo]:
        """Every list in use, most specific source first."""
        own = [info for layer in self._layers for info in layer.lists]
        misp = [
            ListInfo(list_id, name, "misp", entries)
            for list_id, name, _kind, _types, entries in _misp_catalog(self._skipped)
        ]
        return own + misp

    def skipped(self) -> list[str]:
        """The MISP lists not used (``*``: none is)."""
        return sorted(self._skipped)

    def problems(self) -> list[str]:
        """What could not be read (a damaged local file, an invalid entry), for the operator."""
        return [problem for layer in self._layers for problem in layer.problems]


def _reason(info: ListInfo, note: str | None) -> str:
    if info.origin == "misp":
        text = f"on MISP warning list {info.id!r} ({info.name})"
    else:
        text = f"on the local list {info.id!r} ({info.origin})"
    return f"{text}: {note}" if note else text


_lock = threading.Lock()


def for_settings(settings: Settings | None = None) -> Warninglists:
    """The warning lists configured by ``settings`` (default: from the environment), cached.

    Building MISP's lists takes a fraction of a second once per process; the node's own
    folder is checked for changes on every call (a listing, no reading).
    """
    if settings is None:
        from comity.core.settings import load_settings

        settings = load_settings()
    configured = settings.warninglists_skip
    skipped = frozenset(DEFAULT_SKIPPED if configured is None else configured)
    folder = settings.home / LOCAL_DIR
    with _lock:
        layers = []
        if folder.is_dir():
            layers.append(_local_layer(str(folder), _signature(folder)))
        layers.append(_default_layer())
    return Warninglists(layers, skipped)


def suppression(obs_type: str, value: str, *, settings: Settings | None = None) -> str | None:
    """Why the canonical ``value`` of ``obs_type`` is not correlated (a list names it), or ``None``.

    ::

        suppression("domain-name", "gmail.com")       # 'on the local list ... Gmail ...'
        suppression("phone-number", "IN:1930")        # "... India's National Cyber Crime ..."
    """
    return for_settings(settings).suppression(obs_type, value)


def cache_clear() -> None:
    """Forget the built lists (tests; a long-running server after an upgrade)."""
    _misp_layer.cache_clear()
    _misp_catalog.cache_clear()
    _default_layer.cache_clear()
    _local_layer.cache_clear()
