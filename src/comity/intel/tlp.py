"""TLP 2.0: the levels, their official STIX marking definitions, and TLP 1.0 equivalents.

    >>> parse_level("Amber+Strict")
    'amber+strict'
    >>> level_of({"object_marking_refs": [TLP1_IDS["white"]]})
    'clear'

The marking definitions are the OASIS ones (an ``extension-definition`` with the property
``tlp_2_0``); TLP 1.0 markings from STIX 2.1 map to 2.0 (WHITE becomes CLEAR, the others keep
their colour). An object's level is the most restrictive TLP marking it carries; markings that
are not TLP (a copyright statement, a statement of terms) do not count.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from comity.intel.errors import IntelInputError

LEVELS: Final = ("clear", "green", "amber", "amber+strict", "red")
"""TLP 2.0 levels, least to most restrictive."""

RANK: Final = {level: index for index, level in enumerate(LEVELS)}
DEFAULT_LEVEL: Final = "amber"

TLP2_EXTENSION_ID: Final = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP2_CREATED: Final = "2022-10-01T00:00:00.000Z"
TLP2_IDS: Final = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
TLP1_IDS: Final = {
    "white": "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
    "green": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
    "amber": "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
    "red": "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
}
_TLP1_TO_2: Final = {"white": "clear", "green": "green", "amber": "amber", "red": "red"}

MARKING_LEVELS: Final = {
    **{marking: level for level, marking in TLP2_IDS.items()},
    **{marking: _TLP1_TO_2[colour] for colour, marking in TLP1_IDS.items()},
}
"""Every known TLP marking-definition id and the TLP 2.0 level it means."""


def parse_level(text: str) -> str:
    """Return the TLP 2.0 level named by ``text`` (any case, with or without ``TLP:``).

    TLP 1.0's WHITE is accepted and means CLEAR. Raises :class:`IntelInputError` otherwise.
    """
    name = text.strip().lower().removeprefix("tlp:").replace(" ", "")
    name = {"white": "clear", "amber-strict": "amber+strict", "amber_strict": "amber+strict"}.get(
        name, name
    )
    if name not in RANK:
        raise IntelInputError(
            f"unknown TLP level {text!r}: use one of {', '.join(LEVELS)}", field="tlp"
        )
    return name


def most_restrictive(levels: Iterable[str]) -> str | None:
    """The most restrictive of ``levels``, or ``None`` when there is none."""
    found = list(levels)
    return max(found, key=RANK.__getitem__) if found else None


def marking_level(definition: Mapping[str, Any]) -> str | None:
    """The level a marking-definition object states, whatever its id, or ``None``.

    Recognizes TLP 2.0 definitions (the extension's ``tlp_2_0``) and TLP 1.0 ones
    (``definition_type: tlp``), so a peer's own copy of a TLP definition also counts.
    """
    if definition.get("id") in MARKING_LEVELS:
        return MARKING_LEVELS[definition["id"]]
    extensions = definition.get("extensions")
    if isinstance(extensions, Mapping):
        tlp2 = extensions.get(TLP2_EXTENSION_ID)
        if isinstance(tlp2, Mapping) and isinstance(tlp2.get("tlp_2_0"), str):
            return _level_or_none(tlp2["tlp_2_0"])
    if definition.get("definition_type") == "tlp":
        inner = definition.get("definition")
        if isinstance(inner, Mapping) and isinstance(inner.get("tlp"), str):
            return _level_or_none(inner["tlp"])
    return None


def _level_or_none(text: str) -> str | None:
    try:
        return parse_level(text)
    except IntelInputError:
        return None


def level_of(obj: Mapping[str, Any], table: Mapping[str, str] = MARKING_LEVELS) -> str | None:
    """The TLP level of a STIX object from its ``object_marking_refs``, or ``None``.

    ``table`` maps marking-definition ids to levels: the official TLP ones, by default; an
    import adds those its bundle defines (``{**MARKING_LEVELS, **defined}``, built once).
    """
    refs = obj.get("object_marking_refs")
    if not isinstance(refs, list):
        return None
    return most_restrictive(table[ref] for ref in refs if isinstance(ref, str) and ref in table)


def marking_definition(level: str) -> dict[str, Any]:
    """The official TLP 2.0 marking-definition object for ``level``."""
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": TLP2_IDS[level],
        "created": TLP2_CREATED,
        "name": f"TLP:{level.upper()}",
        "extensions": {
            TLP2_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": level}
        },
    }


def with_level(obj: dict[str, Any], level: str) -> dict[str, Any]:
    """``obj`` with its TLP markings replaced by the TLP 2.0 marking of ``level``.

    Non-TLP markings are kept, in their order; TLP 1.0 markings are rewritten to 2.0.
    """
    refs = [r for r in obj.get("object_marking_refs") or [] if r not in MARKING_LEVELS]
    return {**obj, "object_marking_refs": [TLP2_IDS[level], *refs]}


def allows(level: str, ceiling: str) -> bool:
    """Whether an object at ``level`` may go to a recipient allowed up to ``ceiling``."""
    return RANK[level] <= RANK[ceiling]
