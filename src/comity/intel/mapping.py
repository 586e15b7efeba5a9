"""Between observables (:mod:`comity.intel.observables`) and STIX objects.

    identifiers_in(obj)          # [("domain-name", "evil.example"), ...] for correlation
    sco_for(normalize("phone-number", "+91 98765 43210"))   # a STIX phone-number object

STIX lacks phone numbers, bank accounts, wallets and UPI ids; Comity writes them as new SCO
types defined by its extension definitions (:data:`EXTENSIONS`), named as OpenCTI names its
custom observables where it has one (``phone-number``, ``bank-account``,
``cryptocurrency-wallet``), so that OpenCTI users can read them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, Final

from comity.intel.observables.model import Observable
from comity.intel.stix import sco_id

COMITY_IDENTITY: Final = "identity--3c7f3e55-8b1f-5c38-9a55-2bd4f07c2f1a"
"""The identity that authors Comity's extension definitions."""

EXTENSION_CREATED: Final = "2026-11-30T00:00:00.000Z"

_NEW_SCO: Final = {
    "phone-number": ("A telephone number in E.164 form, or COUNTRY:NUMBER for short codes.", 1),
    "bank-account": ("A bank account: IFSC:ACCOUNT in India, else a compact IBAN.", 2),
    "cryptocurrency-wallet": ("A wallet address, prefixed by its chain (btc:, eth:, trx:).", 3),
    "upi-id": ("A UPI virtual payment address (handle@psp).", 4),
}


def _extension_id(number: int) -> str:
    return f"extension-definition--c0a1d7e0-0000-4c00-8000-00000000000{number}"


EXTENSIONS: Final = {
    obj_type: {
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": _extension_id(number),
        "created_by_ref": COMITY_IDENTITY,
        "created": EXTENSION_CREATED,
        "modified": EXTENSION_CREATED,
        "name": f"{obj_type} (Comity)",
        "description": description,
        "schema": "docs/intelligence.md#extension-definitions",
        "version": "1.0.0",
        "extension_types": ["new-sco"],
    }
    for obj_type, (description, number) in _NEW_SCO.items()
}
"""Comity's extension definitions, one per new SCO type."""

_HASH_TYPES: Final = {"MD5": "file-md5", "SHA-1": "file-sha1", "SHA-256": "file-sha256"}
_VALUE_TYPES: Final = {
    "email-addr": "email-addr",
    "domain-name": "domain-name",
    "url": "url",
    "ipv4-addr": "ipv4-addr",
    "ipv6-addr": "ipv6-addr",
    "phone-number": "phone-number",
    "cryptocurrency-wallet": "cryptocurrency-wallet",
    "upi-id": "upi-id",
    "bank-account": "bank-account",
}
_PATTERN_PATHS: Final = {
    **{f"{t}:value": o for t, o in _VALUE_TYPES.items()},
    "file:hashes.MD5": "file-md5",
    "file:hashes.'MD5'": "file-md5",
    "file:hashes.'SHA-1'": "file-sha1",
    "file:hashes.SHA1": "file-sha1",
    "file:hashes.'SHA-256'": "file-sha256",
    "file:hashes.SHA256": "file-sha256",
    "user-account:account_login": "user-account",
    "bank-account:iban": "bank-account",
}
_COMPARISON: Final = re.compile(
    r"([a-z0-9-]{1,60}:[A-Za-z0-9_.'\-]{1,80})\s{0,10}=\s{0,10}'((?:[^'\\]|\\.){0,2000})'"
)


def identifiers_in(obj: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """The identifiers ``obj`` names, as ``(observable type, value as written)``.

    Observables by their value properties, indicators by the equality comparisons of their
    STIX patterns, identities by name. The caller normalizes them.
    """
    obj_type = obj.get("type")
    if obj_type in _VALUE_TYPES:
        value = obj.get("value")
        if obj_type == "bank-account" and not isinstance(value, str):
            value = obj.get("iban") or obj.get("account_number")
        if isinstance(value, str):
            yield _VALUE_TYPES[obj_type], value
    elif obj_type == "file":
        hashes = obj.get("hashes")
        if isinstance(hashes, Mapping):
            for algorithm, kind in _HASH_TYPES.items():
                if isinstance(hashes.get(algorithm), str):
                    yield kind, hashes[algorithm]
    elif obj_type == "user-account":
        login = obj.get("account_login") or obj.get("user_id")
        if isinstance(login, str):
            yield "user-account", login
    elif obj_type == "identity":
        name = obj.get("name")
        name_kind = {"individual": "person-name", "organization": "organization-name"}.get(
            str(obj.get("identity_class"))
        )
        if name_kind and isinstance(name, str):
            yield name_kind, name
    elif obj_type == "indicator" and obj.get("pattern_type", "stix") == "stix":
        pattern = obj.get("pattern")
        if isinstance(pattern, str):
            for path, quoted in _COMPARISON.findall(pattern[:20000]):
                path_kind = _PATTERN_PATHS.get(path)
                if path_kind is not None:
                    yield path_kind, quoted.replace("\\'", "'").replace("\\\\", "\\")


def sco_for(observable: Observable) -> dict[str, Any]:
    """The STIX observable object for a normalized identifier, with its deterministic id.

    Invalid identifiers keep what was reported and say why in ``x_comity_invalid``.
    """
    kind, value = observable.type, observable.value
    obj: dict[str, Any]
    if kind.startswith("file-"):
        algorithm = {v: k for k, v in _HASH_TYPES.items()}[kind]
        obj = {"type": "file", "hashes": {algorithm: value}}
    elif kind == "user-account":
        obj = {"type": "user-account", "account_login": value}
    elif kind in ("person-name", "organization-name"):
        raise ValueError("names are identities (SDOs), not observables")
    else:
        obj = {"type": kind, "value": value}
    obj["spec_version"] = "2.1"
    obj["id"] = sco_id(obj["type"], obj)
    if obj["type"] in EXTENSIONS:
        obj["extensions"] = {EXTENSIONS[obj["type"]]["id"]: {"extension_type": "new-sco"}}
    if not observable.valid:
        obj["x_comity_invalid"] = observable.reason or "invalid"
    return obj
