"""TAXII 2.1 URL filters: parsed, checked and bounded before any query runs.

    filters = parse_filters(request.query_params.multi_items(), Endpoint.OBJECTS)
    filters.limit          # 1 … MAX_LIMIT (larger requests are lowered to the cap)
    filters.query_hash     # what a ``next`` token is bound to (everything but limit and next)

Accepted (TAXII 2.1 section 3.4): ``added_after`` (a timestamp), ``limit`` (a positive
integer, at most :data:`MAX_LIMIT`), ``next`` (a token this server issued), ``match[id]``,
``match[type]``, ``match[version]`` (``first``, ``last``, ``all`` and timestamps; default
``last``) and ``match[spec_version]``, each a comma-separated list (repeating a ``match``
parameter adds to its list). Every endpoint takes only the filters the specification gives
it; any other parameter is ignored, as the specification asks of filters a server does not
support. A malformed value, an empty list, a repeated ``added_after``, ``limit`` or ``next``,
or more than :data:`MAX_VALUES` values raises :class:`~comity.taxii.errors.InvalidFilter`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Final

from comity.core.canonical import canonical_json
from comity.intel.errors import IntelInputError
from comity.intel.stix import is_identifier, is_timestamp, micros_of
from comity.taxii.errors import InvalidFilter

DEFAULT_LIMIT: Final = 1000
"""Objects per page when the client gives no ``limit``."""

MAX_LIMIT: Final = 10_000
"""The largest page this server sends; a larger ``limit`` is lowered to it (TAXII allows)."""

MAX_VALUES: Final = 100
"""At most this many values in one ``match`` filter."""

MAX_PARAMETER_CHARS: Final = 20_000
"""A longer parameter value is refused before it is split or parsed."""

_TYPE: Final = re.compile(r"[a-z0-9][a-z0-9-]{1,248}[a-z0-9]\Z")
_SPEC_VERSION: Final = re.compile(r"[0-9]{1,3}\.[0-9]{1,3}\Z")
_LIMIT: Final = re.compile(r"[0-9]{1,18}\Z")
SUPPORTED_SPEC_VERSIONS: Final = ("2.1",)


class Endpoint(Enum):
    """The TAXII endpoints that take filters, with the filters each accepts."""

    OBJECTS = "objects"
    MANIFEST = "manifest"
    OBJECT = "object"
    VERSIONS = "versions"
    DELETE = "delete"

    @property
    def accepts(self) -> frozenset[str]:
        """The parameter names this endpoint accepts."""
        return _ACCEPTS[self]


_PAGING = frozenset({"added_after", "limit", "next"})
_ACCEPTS: Final = {
    Endpoint.OBJECTS: _PAGING
    | {"match[id]", "match[type]", "match[version]", "match[spec_version]"},
    Endpoint.MANIFEST: _PAGING
    | {"match[id]", "match[type]", "match[version]", "match[spec_version]"},
    Endpoint.OBJECT: _PAGING | {"match[version]", "match[spec_version]"},
    Endpoint.VERSIONS: _PAGING | {"match[spec_version]"},
    Endpoint.DELETE: frozenset({"match[version]", "match[spec_version]"}),
}
_SINGLE: Final = frozenset({"added_after", "limit", "next"})


@dataclass(frozen=True)
class VersionFilter:
    """``match[version]``: the first and/or last version, all versions, or exact versions."""

    first: bool = False
    last: bool = True
    all: bool = False
    exact: tuple[str, ...] = ()
    """Version keys (see :func:`version_key`) of the timestamps asked for."""

    def as_list(self) -> list[str]:
        """A canonical form, for the query hash."""
        return [w for w in ("all", "first", "last") if getattr(self, w)] + sorted(self.exact)

    @property
    def exact_micros(self) -> tuple[int, ...]:
        """The exact versions asked for, in microseconds (how objects without one match)."""
        return tuple(micros_of(key[:26] + "Z") for key in self.exact)


@dataclass(frozen=True)
class Filters:
    """Checked filters of one TAXII request."""

    endpoint: Endpoint
    added_after_us: int | None = None
    limit: int = DEFAULT_LIMIT
    next: str | None = None
    ids: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    versions: VersionFilter = VersionFilter()
    spec_versions: tuple[str, ...] = ()
    object_id: str | None = None
    """The object of the single-object endpoints (part of the query a token is bound to)."""

    @property
    def query_hash(self) -> bytes:
        """16 bytes naming the query (endpoint, object and filters; not ``limit`` or ``next``)."""
        document = {
            "endpoint": self.endpoint.value,
            "object": self.object_id,
            "added_after": self.added_after_us,
            "ids": sorted(self.ids),
            "types": sorted(self.types),
            "versions": self.versions.as_list(),
            "spec_versions": sorted(self.spec_versions),
        }
        return hashlib.sha256(canonical_json(document)).digest()[:16]

    @property
    def spec_version_matches(self) -> bool:
        """Whether ``match[spec_version]`` lets through what this server stores (STIX 2.1)."""
        return not self.spec_versions or any(
            v in SUPPORTED_SPEC_VERSIONS for v in self.spec_versions
        )


def version_key(timestamp: str) -> str:
    """A STIX timestamp as a fixed-width key that sorts by instant (nanoseconds kept).

    >>> version_key("2026-01-02T03:04:05.5Z")
    '2026-01-02T03:04:05.500000000'
    >>> version_key("2026-01-02T03:04:05Z")
    '2026-01-02T03:04:05.000000000'
    """
    fraction = timestamp[20:-1] if len(timestamp) > 20 else ""
    return f"{timestamp[:19]}.{(fraction + '000000000')[:9]}"


def parse_filters(
    params: Iterable[tuple[str, str]], endpoint: Endpoint, object_id: str | None = None
) -> Filters:
    """Check the URL parameters of a request to ``endpoint``; raise :class:`InvalidFilter`."""
    single: dict[str, str] = {}
    lists: dict[str, list[str]] = {}
    for name, value in params:
        if name not in endpoint.accepts:
            continue
        if len(value) > MAX_PARAMETER_CHARS:
            raise InvalidFilter(f"{name} is too long", parameter=name)
        if name in _SINGLE:
            if name in single:
                raise InvalidFilter(f"{name} is given more than once", parameter=name)
            single[name] = value
        else:
            lists.setdefault(name, []).extend(_split(name, value))
    values: dict[str, object] = {}
    if "added_after" in single:
        values["added_after_us"] = _timestamp_micros("added_after", single["added_after"])
    if "limit" in single:
        values["limit"] = _limit(single["limit"])
    if "next" in single:
        token = single["next"].strip()
        if not token:
            raise InvalidFilter("next is empty", parameter="next")
        values["next"] = token
    if "match[id]" in lists:
        values["ids"] = _checked(lists["match[id]"], "match[id]", is_identifier, "a STIX id")
    if "match[type]" in lists:
        values["types"] = _checked(
            lists["match[type]"], "match[type]", lambda v: bool(_TYPE.match(v)), "a STIX type"
        )
    if "match[spec_version]" in lists:
        values["spec_versions"] = _checked(
            lists["match[spec_version]"],
            "match[spec_version]",
            lambda v: bool(_SPEC_VERSION.match(v)),
            "a specification version such as 2.1",
        )
    if "match[version]" in lists:
        values["versions"] = _versions(lists["match[version]"])
    return Filters(endpoint=endpoint, object_id=object_id, **values)  # type: ignore[arg-type]


def _split(name: str, value: str) -> list[str]:
    parts = [part.strip() for part in value.split(",")]
    if not value.strip() or any(not part for part in parts):
        raise InvalidFilter(f"{name} has an empty value", parameter=name)
    return parts


def _checked(
    values: list[str], name: str, valid: Callable[[str], bool], what: str
) -> tuple[str, ...]:
    if len(values) > MAX_VALUES:
        raise InvalidFilter(
            f"{name} has {len(values)} values; at most {MAX_VALUES}", parameter=name
        )
    for value in values:
        if not valid(value):
            raise InvalidFilter(f"{name}: {value[:80]!r} is not {what}", parameter=name)
    return tuple(dict.fromkeys(values))


def _timestamp_micros(name: str, value: str) -> int:
    if not is_timestamp(value):
        raise InvalidFilter(
            f"{name}: {value[:80]!r} is not a timestamp like 2026-11-30T10:00:00.000Z",
            parameter=name,
        )
    try:
        return micros_of(value)
    except IntelInputError:
        raise InvalidFilter(
            f"{name}: {value[:80]!r} is not a valid date and time", parameter=name
        ) from None


def _limit(value: str) -> int:
    if not _LIMIT.match(value) or int(value) < 1:
        raise InvalidFilter(
            f"limit: {value[:40]!r} is not a positive whole number", parameter="limit"
        )
    return min(int(value), MAX_LIMIT)


def _versions(values: list[str]) -> VersionFilter:
    if len(values) > MAX_VALUES:
        raise InvalidFilter(
            f"match[version] has {len(values)} values; at most {MAX_VALUES}",
            parameter="match[version]",
        )
    words = {v for v in values if v in ("first", "last", "all")}
    exact = []
    for value in values:
        if value in words:
            continue
        _timestamp_micros("match[version]", value)
        exact.append(version_key(value))
    return VersionFilter(
        first="first" in words,
        last="last" in words,
        all="all" in words,
        exact=tuple(sorted(set(exact))),
    )
