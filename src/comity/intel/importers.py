"""Importers by name: each turns a file's bytes into STIX objects to store.

    @register("stix", detect=looks_like_bundle)
    def read_stix(data: bytes, options: ReadOptions) -> ParsedObjects: ...

    parsed = read("auto", data, ReadOptions(source="advisory.txt", country="IN"))

``auto`` asks each importer's ``detect`` in registration order and falls back to ``text``.
Registering a name twice is an error. Damaged input is reported object by object in the
result (``rejected`` with the index and reason, ``warnings``), never as a crash.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from comity.intel.errors import IntelError, IntelInputError
from comity.intel.stix import ParsedObjects


@dataclass(frozen=True)
class ReadOptions:
    """What an importer may need besides the bytes."""

    source: str
    country: str | None = None


Reader = Callable[[bytes, ReadOptions], ParsedObjects]
Detector = Callable[[bytes], bool]


@dataclass(frozen=True)
class Importer:
    """A named reader and the test that recognizes its input."""

    name: str
    read: Reader
    detect: Detector | None


_IMPORTERS: dict[str, Importer] = {}
FORMATS_FALLBACK: Final = "text"


class DuplicateImporter(IntelError):
    """A second importer was registered under a name that has one (a programming error)."""


def register(name: str, detect: Detector | None = None) -> Callable[[Reader], Reader]:
    """Register the decorated reader as the importer ``name``."""

    def decorate(reader: Reader) -> Reader:
        if name in _IMPORTERS:
            raise DuplicateImporter(f"an importer named {name!r} is registered", name=name)
        _IMPORTERS[name] = Importer(name, reader, detect)
        return reader

    return decorate


def names() -> list[str]:
    """The registered importers' names."""
    _load_builtin()
    return list(_IMPORTERS)


def detect(data: bytes) -> str:
    """The name of the importer that recognizes ``data`` (``text`` if none does)."""
    _load_builtin()
    for importer in _IMPORTERS.values():
        if importer.detect is not None and importer.detect(data):
            return importer.name
    return FORMATS_FALLBACK


def read(name: str, data: bytes, options: ReadOptions) -> tuple[str, ParsedObjects]:
    """Read ``data`` with the importer ``name`` (or ``auto``); return the format and objects."""
    _load_builtin()
    chosen = detect(data) if name == "auto" else name
    if chosen not in _IMPORTERS:
        raise IntelInputError(
            f"unknown format {name!r}: use auto, {', '.join(_IMPORTERS)}", format=name
        )
    return chosen, _IMPORTERS[chosen].read(data, options)


def _load_builtin() -> None:
    """Import the modules whose readers register themselves."""
    from comity.intel import readers  # noqa: F401
