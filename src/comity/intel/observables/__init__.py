"""Observables: the identifiers law enforcement deals with, one canonical form per type.

``normalize`` turns one written form into the canonical value; ``extract`` finds every
observable in a free text (English or Hindi, defanged or not) with its offsets. Every type has
exactly one normalizer, registered in :data:`REGISTRY`; linkage, correlation and search all
use it. Type names follow STIX 2.1 and OpenCTI::

    from comity.intel.observables import extract, normalize

    normalize("phone-number", "0091 98765 43210", country="US").value   # '+919876543210'
    normalize("domain-name", "login.scam.github.io").value              # 'scam.github.io'
    for found in extract("Pay to fraud.kyc@okaxis or call +1 (415) 555-2671"):
        print(found.type, found.value, found.start, found.end)

See ``docs/observables.md`` for every type's canonical form.
"""

from __future__ import annotations

from comity.intel.observables import (  # noqa: F401  (each module registers its normalizers)
    finance,
    handles,
    hashes,
    names,
    net,
    phone,
    wallets,
)
from comity.intel.observables.api import cache_clear, cache_info, check_country, normalize
from comity.intel.observables.extract import extract
from comity.intel.observables.model import Found, Observable
from comity.intel.observables.registry import REGISTRY, Normalizer, Registry

TYPES: tuple[str, ...] = tuple(REGISTRY.names())
"""Every observable type with a normalizer, sorted."""

__all__ = [
    "REGISTRY",
    "TYPES",
    "Found",
    "Normalizer",
    "Observable",
    "Registry",
    "cache_clear",
    "cache_info",
    "check_country",
    "extract",
    "normalize",
]
