"""MISP events in and out: MISP's JSON format (events, attributes, objects) ⇄ STIX 2.1.

    parsed = read_misp(Path("event.json").read_bytes(), ReadOptions("event.json"))
    document, withheld = export_misp(session, actor, Recipient.file("amber"), "fraud-infra")

**Import** (registered as the importer ``misp``; ``comity intel import`` detects it): an event
becomes a STIX ``report`` whose id keeps the event's UUID (``report--<event uuid>``), named by
its ``info``, created by an ``identity`` for its creator organisation (``Orgc``), its tags as
``labels``. Each attribute becomes observables (SCOs with deterministic ids) and, keeping the
attribute's UUID, an ``indicator`` when ``to_ids`` is set (a STIX pattern), else an
``observed-data``; free text and types without a STIX equivalent become a ``note`` (the latter
with a warning naming the attribute). A MISP object becomes one such container keyed by the
object's UUID (``identity`` for a person, ``location`` for a geolocation), its attributes
merged where they describe one thing (a file's hashes and name; an account's IBAN, number,
BIC and IFSC); object references become ``relationship`` objects, sightings ``sighting``
objects. Every container carries what MISP said in ``x_misp_attribute`` / ``x_misp_object``
/ ``x_misp_event``, so an export gives the event back. See ``docs/intelligence.md`` for the
mapping table.

TLP: ``tlp:white|clear|green|amber|amber+strict|red`` tags of the event and of attributes
become TLP 2.0 markings; the most restrictive applies, and an attribute's tag overrides the
event's only to be more restrictive. An object shared by several attributes (an observable
seen twice) takes the most restrictive of their levels. Nothing in an object is visible
through a less restrictive one: a report only references objects at or below its own level.

Damaged input: a document that is not JSON or not a MISP event, or whose ``Attribute`` /
``Object`` / ``Tag`` is not a list, raises :class:`~comity.intel.errors.IntelInputError`; an
attribute or object that cannot be read (not an object, a value that is not text, an invalid
UUID, a duplicate) is rejected with its location, so an import is refused whole or, with
``skip_invalid``, keeps the rest; an identifier that does not validate is kept as reported and
flagged (``x_comity_invalid``) with a warning.

**Export** (:func:`export_misp`): what :func:`~comity.intel.exporting.select_for` lets the
recipient have (the TLP policy), as MISP events: one per report, the attributes and objects
rebuilt from what MISP said (UUIDs, values, tags, references, sightings), TLP tags from each
object's level on this node; objects that did not come from MISP become attributes of the
event whose report references them, or of one event for the rest of the collection.

The modules, in the order they build on each other:

``fields``      MISP's field values: epoch and ISO times, flags, UUIDs, text
``tags``        TLP tags, read and written
``collector``   the objects an import has made, their levels, warnings and rejections
``attributes``  one attribute, read and checked
``scos``        the observables attributes name (files and bank accounts merged), patterns
``containers``  indicator, observed-data, note, identity and location builders
``objects``     attributes and MISP objects as containers; sightings; object references
``reading``     detection, document shapes, events as reports (:func:`convert`)
``export``      STIX → MISP (:func:`export_misp`)
"""

from __future__ import annotations

from comity.intel.importers import ReadOptions, register
from comity.intel.misp.export import attributes_of, export_misp
from comity.intel.misp.fields import EPOCH, MISP_NAMESPACE
from comity.intel.misp.reading import convert, events_in, looks_like_misp
from comity.intel.misp.scos import ATTRIBUTE_OBSERVABLES, BANK_TYPES, FILE_TYPES, TEXT_TYPES
from comity.intel.misp.tags import tlp_level_of_tag
from comity.intel.stix import ParsedObjects, load_json


@register("misp", detect=looks_like_misp)
def read_misp(data: bytes, options: ReadOptions) -> ParsedObjects:
    """A MISP event (MISP's JSON export) as STIX 2.1 objects."""
    return convert(load_json(data, options.source), options)


__all__ = [
    "ATTRIBUTE_OBSERVABLES",
    "BANK_TYPES",
    "EPOCH",
    "FILE_TYPES",
    "MISP_NAMESPACE",
    "TEXT_TYPES",
    "attributes_of",
    "convert",
    "events_in",
    "export_misp",
    "looks_like_misp",
    "read_misp",
    "tlp_level_of_tag",
]
