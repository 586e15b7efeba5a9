"""File hashes: ``file-md5``, ``file-sha1``, ``file-sha256`` as lowercase hexadecimal.

They become the ``hashes`` of a STIX ``file`` object (``MD5``, ``SHA-1``, ``SHA-256``)::

    normalize("file-sha256", "SHA256: 9F86D081 884C7D65 9A2FEAA0 C55AD015 A3BF4F1B 2B0B822C
              D15D6C15 B0F00A08").value
    #  '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'
"""

from __future__ import annotations

import re

from comity.intel.observables.registry import REGISTRY
from comity.intel.observables.text import clean

_HEX = re.compile(r"[0-9a-f]+")
_LABEL = re.compile(r"(?:md5|sha-?1|sha-?256)\s*[:=]?\s*", re.IGNORECASE)


def _make(name: str, label: str, digits: int) -> None:
    def normalize_hash(raw: str, country: str | None) -> tuple[str, str | None]:
        text = clean(raw)
        label_match = _LABEL.match(text)
        if label_match:
            text = text[label_match.end() :]
        text = text.replace(" ", "").lower()
        if not _HEX.fullmatch(text):
            return text, f"an {label} hash is hexadecimal"
        if len(text) != digits:
            return text, f"an {label} hash has {digits} hexadecimal digits, not {len(text)}"
        return text, None

    normalize_hash.__doc__ = f"{label} hashes: {digits} lowercase hexadecimal digits."
    normalize_hash.__qualname__ = normalize_hash.__name__ = f"normalize_{name.replace('-', '_')}"
    REGISTRY.register(name)(normalize_hash)


_make("file-md5", "MD5", 32)
_make("file-sha1", "SHA-1", 40)
_make("file-sha256", "SHA-256", 64)

STIX_HASH_NAMES = {"file-md5": "MD5", "file-sha1": "SHA-1", "file-sha256": "SHA-256"}
"""The key of each hash type in a STIX ``file`` object's ``hashes``."""
