"""The built-in importers: STIX 2.1 bundles and plain text (MISP lives in :mod:`misp`)."""

from __future__ import annotations

from comity.intel import misp  # noqa: F401  (registers ``misp`` first: detected before ``stix``)
from comity.intel.errors import IntelInputError
from comity.intel.importers import ReadOptions, register
from comity.intel.mapping import sco_for
from comity.intel.stix import ParsedObjects, check_objects, read_bundle


def looks_like_bundle(data: bytes) -> bool:
    """A JSON object whose ``type`` is ``bundle`` (judged from the first bytes)."""
    head = data[:4096].lstrip()
    return head.startswith(b"{") and b'"bundle"' in head


@register("stix", detect=looks_like_bundle)
def read_stix(data: bytes, options: ReadOptions) -> ParsedObjects:
    """A STIX 2.1 bundle, checked object by object."""
    return read_bundle(data, options.source)


@register("text")
def read_text(data: bytes, options: ReadOptions) -> ParsedObjects:
    """Free text (advisories, complaints, news; English or Hindi): the observables it names.

    Each identifier found becomes a STIX observable with its deterministic id; invalid ones
    are kept as reported and flagged (``x_comity_invalid``), with a warning giving the offset.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise IntelInputError(
            f"{options.source} is not UTF-8 text (byte {exc.start})", position=exc.start
        ) from None
    from comity.intel.observables import extract

    parsed = ParsedObjects()
    objects = []
    seen: set[str] = set()
    for found in extract(text, country=options.country):
        if found.type in ("person-name", "organization-name"):
            continue
        if not found.valid:
            parsed.warnings.append(
                f"{options.source}: characters {found.start}-{found.end}: {found.type} "
                f"{found.raw!r} kept as reported: {found.reason}"
            )
        obj = sco_for(found)
        if obj["id"] not in seen:
            seen.add(obj["id"])
            objects.append(obj)
    if not objects:
        parsed.warnings.append(f"{options.source}: no identifiers found in the text")
    check_objects(objects, parsed)
    return parsed
