"""``normalize``: one identifier to its canonical :class:`Observable`, through the registry.

Results are cached (bounded, least recently used): the same written form of an identifier
recurs across complaints, so most calls are answered without parsing again::

    normalize("phone-number", "+91 98765-43210").value            # '+919876543210'
    normalize("phone-number", "098765 43210", country="IN").value  # '+919876543210'
    normalize("upi-id", "fraud.kyc@OKAXIS").value                  # 'fraud.kyc@okaxis'
    normalize("fax-number", "…")                                   # UnknownObservableType
"""

from __future__ import annotations

from functools import lru_cache

import phonenumbers

from comity.intel.errors import UnknownCountry
from comity.intel.observables.model import Observable
from comity.intel.observables.registry import REGISTRY

CACHE_SIZE = 1 << 18
"""How many ``(type, raw, country)`` results the cache keeps (about 90 MB when full)."""

MAX_CACHED_LENGTH = 256
"""Longer inputs are normalized every time instead of filling the cache."""

MAX_LENGTH = 8192
"""Longer inputs are not parsed: kept as reported and flagged invalid."""

_COUNTRIES = frozenset(phonenumbers.SUPPORTED_REGIONS)


@lru_cache(maxsize=1024)
def check_country(country: str) -> str:
    """``country`` as an upper-case ISO 3166-1 alpha-2 code (raises ``UnknownCountry``).

    ::

        check_country(" in ")   # 'IN'
        check_country("XX")     # UnknownCountry
    """
    code = country.strip().upper()
    if code not in _COUNTRIES:
        raise UnknownCountry(
            f"unknown country {country!r} (an ISO 3166-1 alpha-2 code such as IN or US)",
            country=country,
        )
    return code


def _compute(type_: str, raw: str, country: str | None) -> Observable:
    normalizer = REGISTRY.get(type_)
    if len(raw) > MAX_LENGTH:
        return Observable(
            type_, raw.strip(), raw, False, f"longer than {MAX_LENGTH} characters: not parsed"
        )
    value, reason = normalizer.func(raw, country)
    return Observable(type_, value, raw, reason is None, reason)


_cached = lru_cache(maxsize=CACHE_SIZE)(_compute)
_uses_country: dict[str, bool] = {}


def normalize(type: str, raw: str, *, country: str | None = None) -> Observable:
    """Normalize ``raw``, an identifier of observable ``type``, to its canonical form.

    ``country`` is the reporting country (ISO 3166-1 alpha-2): the default region for phone
    numbers written nationally; other types ignore it. An invalid identifier is returned with
    ``valid=False`` and a ``reason``, its ``value`` a cleaned form of ``raw``; an unknown
    ``type`` raises :class:`~comity.intel.errors.UnknownObservableType`, an unknown country
    :class:`~comity.intel.errors.UnknownCountry`::

        >>> normalize("phone-number", "0091 98765 43210", country="US").value
        '+919876543210'
        >>> normalize("domain-name", "scam.github.io").value
        'scam.github.io'
        >>> normalize("file-md5", "xyz").valid
        False
    """
    uses_country = _uses_country.get(type)
    if uses_country is None:
        uses_country = _uses_country[type] = REGISTRY.get(type).uses_country
    region = check_country(country) if country is not None else None
    if not uses_country:
        region = None
    if len(raw) > MAX_CACHED_LENGTH:
        return _compute(type, raw, region)
    return _cached(type, raw, region)


def cache_clear() -> None:
    """Empty the normalization cache (benchmarks and tests measure cold runs with it).

    ::

        cache_clear(); cache_info()   # (0, 0, 262144, 0)
    """
    _cached.cache_clear()


def cache_info() -> tuple[int, int, int | None, int]:
    """``(hits, misses, maxsize, currsize)`` of the normalization cache.

    ::

        hits, misses, maxsize, size = cache_info()
    """
    info = _cached.cache_info()
    return info.hits, info.misses, info.maxsize, info.currsize
