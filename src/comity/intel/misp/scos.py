"""The STIX observables (SCOs) MISP attributes name, and the pattern comparisons they make.

    for sco, comparisons in scos_of(out, attribute):
        ...   # ({"type": "phone-number", "value": "+12243359185", ...},
              #  ["phone-number:value = '+12243359185'"])

Identifiers are normalized by :mod:`comity.intel.observables` (:data:`ATTRIBUTE_OBSERVABLES`
says which attribute types name which); one that does not validate is kept as reported,
flagged and reported. Registry keys, autonomous systems and MAC addresses become the STIX
observables without normalization. A file's hashes, name and size merge into one ``file``
(:func:`file_of`), a bank account's IBAN, number, BIC and IFSC into one ``bank-account``
(:func:`bank_sco`).
"""

from __future__ import annotations

import re
from typing import Any, Final

from comity.intel.mapping import sco_for
from comity.intel.misp.attributes import MispAttribute
from comity.intel.misp.collector import Collector
from comity.intel.stix import sco_id

ATTRIBUTE_OBSERVABLES: Final[dict[str, str]] = {
    "ip-src": "ip",
    "ip-dst": "ip",
    "ip-src|port": "ip",
    "ip-dst|port": "ip",
    "domain": "domain-name",
    "hostname": "domain-name",
    "url": "url",
    "link": "url",
    "email": "email-addr",
    "email-src": "email-addr",
    "email-dst": "email-addr",
    "email-reply-to": "email-addr",
    "target-email": "email-addr",
    "whois-registrant-email": "email-addr",
    "md5": "file-md5",
    "sha1": "file-sha1",
    "sha256": "file-sha256",
    "phone-number": "phone-number",
    "whois-registrant-phone": "phone-number",
    "iban": "bank-account",
    "bank-account-nr": "bank-account",
    "btc": "cryptocurrency-wallet",
    "xmr": "cryptocurrency-wallet",
    "eth": "cryptocurrency-wallet",
}
"""MISP attribute types that name one identifier, and its observable type (``ip``: v4 or v6)."""

FILE_TYPES: Final = frozenset(
    {
        "md5",
        "sha1",
        "sha256",
        "sha512",
        "filename",
        "size-in-bytes",
        "malware-sample",
        "filename|md5",
        "filename|sha1",
        "filename|sha256",
        "filename|sha512",
    }
)
"""Attribute types that describe a file; in one MISP object they merge into one ``file``."""

BANK_TYPES: Final = frozenset({"iban", "bank-account-nr", "bic"})
"""Attribute types that describe a bank account; in one object they merge into one."""

TEXT_TYPES: Final = frozenset({"text", "comment", "other"})
"""Attribute types of free text: a ``note`` (or a UPI id that says it is one)."""

_HASH_NAMES: Final = {"md5": "MD5", "sha1": "SHA-1", "sha256": "SHA-256", "sha512": "SHA-512"}
_IFSC: Final = re.compile(r"[A-Z]{4}0[A-Z0-9]{6}")
_UPI_HINT: Final = re.compile(r"\b(?:upi|vpa)\b", re.IGNORECASE)

Matched = list[tuple[dict[str, Any], list[str]]]
"""Observables, each with the pattern comparisons that match it."""


def scos_of(out: Collector, attr: MispAttribute) -> Matched:
    """The observables an attribute names, each with the pattern comparisons it makes."""
    value = attr.value
    found: Matched = []
    if attr.type == "domain|ip" and "|" in value:
        domain, address = value.split("|", 1)
        for part_type, part in (("domain-name", domain), (_ip_type(address), address)):
            made = sco(out, part_type, part, attr.where)
            found.append((made, [f"{made['type']}:value = {_literal(made['value'])}"]))
        return found
    if attr.type in FILE_TYPES:
        file = file_of(out, [attr])
        return [(file, file_comparisons(file))] if file is not None else []
    obs_type = _observable_type(attr)
    if obs_type is None:
        return _other_sco(attr)
    text = value.split("|", 1)[0] if attr.type.endswith("|port") else value
    if obs_type == "cryptocurrency-wallet" and attr.type in ("btc", "eth"):
        text = text if ":" in text else f"{attr.type}:{text.strip()}"
    made = sco(out, obs_type, text, attr.where)
    return [(made, value_comparisons(made))]


def sco(out: Collector, obs_type: str, raw: str, where: str) -> dict[str, Any]:
    """The STIX observable for an identifier; invalid ones are kept, flagged and reported."""
    from comity.intel.observables import normalize

    observable = normalize(obs_type, raw, country=out.options.country)
    if not observable.valid:
        out.warn(f"{where}: {obs_type} {raw[:80]!r} kept as reported: {observable.reason}")
    obj = sco_for(observable)
    if obs_type == "domain-name" and observable.valid:
        host = _host_of(raw)
        if host and host != obj["value"]:
            obj = {**obj, "value": host, "id": sco_id("domain-name", {"value": host})}
    return obj


def _observable_type(attr: MispAttribute) -> str | None:
    """The observable type an attribute names (``None``: not an identifier)."""
    kind = ATTRIBUTE_OBSERVABLES.get(attr.type)
    if kind == "ip":
        return _ip_type(attr.value.split("|", 1)[0].strip())
    if kind == "email-addr":
        return "upi-id" if _is_upi(attr.value, email_first=True) else kind
    if kind is None and attr.type in TEXT_TYPES:
        hint = f"{attr.relation} {attr.comment}"
        looks = attr.value.strip().lower().startswith("upi://") or _UPI_HINT.search(hint)
        if looks and _is_upi(attr.value, email_first=False):
            return "upi-id"
    return kind


def _ip_type(address: str) -> str:
    return "ipv6-addr" if address.count(":") > 1 else "ipv4-addr"


def _is_upi(value: str, *, email_first: bool) -> bool:
    from comity.intel.observables import normalize

    if email_first and normalize("email-addr", value).valid:
        return False
    return normalize("upi-id", value).valid


def _host_of(raw: str) -> str | None:
    from comity.intel.observables.net import host_to_ascii
    from comity.intel.observables.text import clean, refang

    host, reason = host_to_ascii(refang(clean(raw)))
    return host if reason is None else None


def _other_sco(attr: MispAttribute) -> Matched:
    """Observables STIX has but Comity does not normalize (registry keys, AS, MAC)."""
    value = attr.value.strip()
    if attr.type in ("regkey", "regkey|value") and value:
        key, _, data = value.partition("|")
        props: dict[str, Any] = {"key": key.strip()}
        if attr.type == "regkey|value" and data:
            props["values"] = [{"name": "", "data": data}]
        obj = _observable("windows-registry-key", props)
        return [(obj, [f"windows-registry-key:key = {_literal(props['key'])}"])]
    if attr.type == "AS":
        number = value.upper().removeprefix("AS")
        if number.isdigit() and int(number) < 1 << 32:
            obj = _observable("autonomous-system", {"number": int(number)})
            return [(obj, [f"autonomous-system:number = {int(number)}"])]
    if attr.type == "mac-address" and value:
        obj = _observable("mac-addr", {"value": value.lower()})
        return [(obj, [f"mac-addr:value = {_literal(value.lower())}"])]
    return []


def _observable(obj_type: str, props: dict[str, Any]) -> dict[str, Any]:
    obj = {"type": obj_type, "spec_version": "2.1", **props}
    obj["id"] = sco_id(obj_type, obj)
    return obj


# --------------------------------------------------------------------------------- files


def file_of(out: Collector, files: list[MispAttribute]) -> dict[str, Any] | None:
    """One ``file`` observable from hash, name, size and ``filename|hash`` attributes.

    ``None`` when they name no hash nor name, or disagree (two different MD5s: two files).
    Hashes that do not validate are kept as reported, flagged and reported.
    """
    made = _file_sco(files)
    if made is not None and "x_comity_invalid" in made:
        out.warn(f"{files[0].where}: file kept as reported: {made['x_comity_invalid']}")
    return made


def _file_sco(files: list[MispAttribute]) -> dict[str, Any] | None:
    from comity.intel.observables import normalize

    hashes: dict[str, str] = {}
    props: dict[str, Any] = {}
    invalid: list[str] = []
    seen: dict[str, set[str]] = {}
    for attr in files:
        kind, value = attr.type, attr.value.strip()
        if kind == "malware-sample":
            kind = "filename|md5"
        if "|" in kind:
            name, _, value = value.partition("|")
            props["name"] = name.strip()[:500]
            kind = kind.split("|", 1)[1]
            value = value.strip()
        if kind in _HASH_NAMES:
            if kind != "sha512":
                observable = normalize(f"file-{kind}", value)
                value = observable.value
                if not observable.valid:
                    invalid.append(f"{kind} {value[:80]!r}: {observable.reason}")
            hashes[_HASH_NAMES[kind]] = value.lower()
            seen.setdefault(kind, set()).add(value.lower())
        elif kind == "filename":
            props["name"] = value[:500]
        elif kind == "size-in-bytes" and value.isdigit() and len(value) < 19:
            props["size"] = int(value)
        if "name" in props:
            seen.setdefault("name", set()).add(props["name"])
    if any(len(values) > 1 for values in seen.values()):
        return None
    if hashes:
        props["hashes"] = hashes
    if "hashes" not in props and "name" not in props:
        return None
    obj = _observable("file", props)
    if invalid:
        obj["x_comity_invalid"] = "; ".join(invalid)
    return obj


# --------------------------------------------------------------------------------- bank accounts


def ifsc_of(attr: MispAttribute) -> str | None:
    """The IFSC (Indian bank branch code) an attribute of a bank-account object gives."""
    if attr.relation in ("ifsc", "institution-code", "branch", "swift") or attr.type == "bic":
        candidate = attr.value.strip().upper()
        if _IFSC.fullmatch(candidate):
            return candidate
    return None


def bank_sco(
    out: Collector, bank: list[MispAttribute], others: list[MispAttribute]
) -> dict[str, Any]:
    """One ``bank-account`` from an object's IBAN, account number, BIC and IFSC.

    An Indian account is ``IFSC:ACCOUNT``; ``others`` of the object may give its currency
    and institution's name.
    """
    iban = next((a for a in bank if a.type == "iban"), None)
    account = next((a for a in bank if a.type == "bank-account-nr"), None)
    ifsc = next((c for a in bank if (c := ifsc_of(a))), None)
    bic = next((a.value.strip() for a in bank if a.type == "bic"), None)
    if ifsc and account is not None:
        raw = f"{ifsc} {account.value}"
    elif iban is not None:
        raw = iban.value
    else:
        raw = account.value if account is not None else bank[0].value
    where = (iban or account or bank[0]).where
    made = sco(out, "bank-account", raw, where)
    extras: dict[str, Any] = {}
    if iban is not None:
        extras["iban"] = iban.value.strip()
    if account is not None:
        extras["account_number"] = account.value.strip()
    if ifsc:
        extras["ifsc"] = ifsc
    if bic and bic.upper() != ifsc:
        extras["bic"] = bic
    for attr in others:
        if attr.relation == "currency-code":
            extras["currency"] = attr.value.strip()[:10]
        elif attr.relation == "institution-name":
            extras["institution_name"] = attr.value.strip()[:200]
    return {**made, **extras}


# --------------------------------------------------------------------------------- patterns


def file_comparisons(file: dict[str, Any]) -> list[str]:
    """The comparisons matching a ``file``: its hashes, else its name."""
    found = [
        f"file:hashes.{algorithm if algorithm == 'MD5' else repr(algorithm)} = {_literal(v)}"
        for algorithm, v in file.get("hashes", {}).items()
    ]
    if not found and "name" in file:
        found.append(f"file:name = {_literal(file['name'])}")
    return found


def value_comparisons(obj: dict[str, Any]) -> list[str]:
    """The comparisons matching an observable: its ``value`` (a file: :func:`file_comparisons`)."""
    if obj["type"] == "file":
        return file_comparisons(obj)
    if isinstance(obj.get("value"), str):
        return [f"{obj['type']}:value = {_literal(obj['value'])}"]
    return []


def _literal(value: str) -> str:
    """A STIX pattern string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
