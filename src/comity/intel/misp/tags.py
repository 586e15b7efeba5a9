"""MISP tags and TLP 2.0: the level a ``tlp:`` tag names, on import and on export.

    tlp_level_of_tag("tlp:white")                 # 'clear'
    labels(["tlp:green", "workflow:state"])       # ['workflow:state']
    tags_out(["tlp:amber"], "red", "green")       # [{'name': 'tlp:red'}]

On import an event's tags mark everything it holds, an attribute's only make it more
restrictive, and a thing several attributes share takes the most restrictive of their levels
(:func:`combine`). On export each attribute and event gets the TLP tag its level on this node
needs (:func:`tags_out`); non-TLP tags are kept as they were.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from comity.intel.errors import IntelInputError
from comity.intel.tlp import RANK, most_restrictive, parse_level


def tlp_level_of_tag(name: str) -> str | None:
    """The TLP 2.0 level a MISP tag names (``tlp:white`` is CLEAR), or ``None``.

    Raises :class:`IntelInputError` for a ``tlp:`` tag that names no TLP level.
    """
    lowered = name.strip().lower()
    if not lowered.startswith("tlp:"):
        return None
    return parse_level(lowered)


def labels(tags: Iterable[str]) -> list[str]:
    """The tags that are not TLP tags (they become STIX ``labels``), in their order."""
    return [tag for tag in tags if not tag.lower().startswith("tlp:")]


def tag_names(value: Any, where: str, warnings: list[str]) -> list[str]:
    """The names of a ``Tag`` list; raise for a ``Tag`` that is not a list."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise IntelInputError(f"{where}: 'Tag' is not a list", location=where)
    names = []
    for index, tag in enumerate(value):
        name = tag.get("name") if isinstance(tag, dict) else tag
        if isinstance(name, str) and name.strip():
            names.append(name.strip()[:500])
        else:
            warnings.append(f"{where}.Tag[{index}]: a tag without a name, ignored")
    return names


def level_of_tags(tags: list[str], where: str, warnings: list[str]) -> str | None:
    """The most restrictive TLP level among ``tags`` (unknown ``tlp:`` tags are reported)."""
    levels = []
    for name in tags:
        try:
            level = tlp_level_of_tag(name)
        except IntelInputError:
            warnings.append(f"{where}: tag {name[:60]!r} is not a TLP 2.0 level; ignored")
            continue
        if level is not None:
            levels.append(level)
    if len(set(levels)) > 1:
        warnings.append(
            f"{where}: several TLP tags ({', '.join(sorted(set(levels)))}); the most "
            "restrictive applies"
        )
    return most_restrictive(levels)


def combine(levels: Iterable[str | None]) -> str | None:
    """The level of an object several attributes share: the most restrictive.

    ``None`` (no TLP tag: the import's default will apply) counts as AMBER, the node
    default, when mixed with explicit levels, so sharing never lowers a level.
    """
    found = list(levels)
    explicit = [level for level in found if level is not None]
    if not explicit:
        return None
    if len(explicit) < len(found):
        explicit.append("amber")
    return most_restrictive(explicit)


def visible_from(level: str | None, report_level: str | None) -> bool:
    """Whether a report at ``report_level`` may reference an object at ``level``."""
    if level is None or level == "clear":
        return True
    return report_level is not None and RANK[level] <= RANK[report_level]


def tags_out(original: list[str], level: str, parent: str | None) -> list[dict[str, str]]:
    """An exported attribute's or event's tags: the non-TLP ones, then the TLP tag it needs.

    ``parent`` is the level of the event holding the attribute (``None`` for an event): at
    the event's level an attribute keeps its TLP tag only if it had one.
    """
    tags = [{"name": tag} for tag in labels(original)]
    if parent is not None and level == parent:
        kept = [tag for tag in original if _level_or_none(tag) == level]
        tags.extend({"name": tag} for tag in kept[:1])
        return tags
    name = next((tag for tag in original if _level_or_none(tag) == level), f"tlp:{level}")
    tags.append({"name": name})
    return tags


def _level_or_none(tag: str) -> str | None:
    try:
        return tlp_level_of_tag(tag)
    except IntelInputError:
        return None
