"""What a MISP import has made so far: STIX objects, their TLP levels, warnings, rejections.

    out = Collector(ReadOptions("event.json"))
    report_id = out.add(report, "green", report_id)   # once per thing that names an object
    parsed = out.result()                              # marked, checked STIX objects

An object is added once for every attribute that names it (an observable two attributes
share is added twice, with both their levels); :meth:`Collector.result` gives each the most
restrictive of them and lets each report reference only what it may.
"""

from __future__ import annotations

from typing import Any

from comity.intel.importers import ReadOptions
from comity.intel.misp.tags import combine, visible_from
from comity.intel.stix import ParsedObjects, Rejection, check_objects
from comity.intel.tlp import TLP2_IDS


class Collector:
    """STIX objects made from MISP events, with their levels, warnings and rejections."""

    def __init__(self, options: ReadOptions) -> None:
        self.options = options
        self.objects: dict[str, dict[str, Any]] = {}
        """Every object made, by id, in the order first made."""
        self.levels: dict[str, list[str | None]] = {}
        """The level of each thing that named an object (``None``: no TLP tag)."""
        self.event_of: dict[str, str] = {}
        """The report (event) each object was first made for."""
        self.warnings: list[str] = []
        self.rejected: list[Rejection] = []
        self.position = 0
        """How many attributes and objects have been read (a rejection's index)."""
        self.seen_uuids: set[str] = set()
        """The UUIDs of the attributes and objects read (a second one is a duplicate)."""
        self.container_of: dict[str, str] = {}
        """The STIX container (indicator, observed-data…) of each attribute's and object's UUID."""

    def add(self, obj: dict[str, Any], level: str | None, event_id: str) -> str:
        """Add ``obj`` (or merge levels into the one with its id); return its id."""
        obj_id: str = obj["id"]
        if obj_id not in self.objects:
            self.objects[obj_id] = obj
            self.levels[obj_id] = []
            self.event_of[obj_id] = event_id
        self.levels[obj_id].append(level)
        return obj_id

    def reject(self, where: str, ident: str | None, reason: str) -> None:
        """Reject the attribute or object at ``where`` (its UUID ``ident``) for ``reason``."""
        self.rejected.append(Rejection(self.position, ident, f"{where}: {reason}"))

    def warn(self, message: str) -> None:
        """Report ``message``, prefixed with the source's name."""
        self.warnings.append(f"{self.options.source}: {message}")

    def located(self, where: str) -> str:
        """``where`` in the source (``event.json: Event.Attribute[2]``), for messages."""
        return f"{self.options.source}: {where}"

    def result(self) -> ParsedObjects:
        """The STIX objects, each marked with its level; reports reference what they may."""
        marked: list[dict[str, Any]] = []
        final = {obj_id: combine(levels) for obj_id, levels in self.levels.items()}
        refs: dict[str, list[str]] = {}
        for obj_id in self.objects:
            report = self.event_of[obj_id]
            if obj_id != report and visible_from(final[obj_id], final.get(report)):
                refs.setdefault(report, []).append(obj_id)
        for obj_id, obj in self.objects.items():
            level = final[obj_id]
            out = dict(obj)
            if out["type"] == "report":
                out["object_refs"] = refs.get(obj_id) or [obj_id]
            if level is not None:
                out["object_marking_refs"] = [TLP2_IDS[level]]
            marked.append(out)
        parsed = ParsedObjects(warnings=list(self.warnings))
        check_objects(marked, parsed)
        parsed.rejected = self.rejected + parsed.rejected
        return parsed
