"""The legal knowledge base: the package's data files, overlaid by a node's imported versions.

    kb = KnowledgeBase.from_package()                # what the package ships
    kb = kb.overlaid([("version 3", "treaties", entries)])
    kb.treaty("IN", "US", "mla").in_force            # '2005-10-03'
    kb.origin("treaties", "in-us-mla")               # 'package' or 'version 3'

The package ships facts only as data (``comity/legal/data/*.json``); code never names a country.
Loading validates every file (:func:`comity.legal.schema.parse_file`) and then the references
between files (every country code, convention and organisation named exists), failing loudly
on the first problem.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from comity.legal.errors import KnowledgeBaseInvalid, LegalInputError
from comity.legal.schema import (
    KINDS,
    AgreementEntry,
    AuthorityEntry,
    ConventionEntry,
    CountryEntry,
    DisclosureRuleEntry,
    Fact,
    FigureEntry,
    MechanismEntry,
    Member,
    OffenceEntry,
    OffenceMapEntry,
    OrganisationEntry,
    PreservationPeriodEntry,
    ProvisionEntry,
    RegisterEntry,
    RequestElementsEntry,
    TreatyEntry,
    entry_key,
    entry_label,
    normalize_ref,
    parse_file,
)

PACKAGE = "package"


@cache
def package_files() -> tuple[tuple[str, str, tuple[Fact, ...]], ...]:
    """Every data file the package ships, validated: ``(file name, kind, entries)``."""
    out = []
    folder = resources.files("comity.legal") / "data"
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if not item.name.endswith(".json"):
            continue
        try:
            document = json.loads(item.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise KnowledgeBaseInvalid(
                f"{item.name}: not JSON: {exc.msg} at line {exc.lineno}",
                file=item.name,
                entry=None,
                field=None,
            ) from None
        kind, entries = parse_file(item.name, document)
        out.append((item.name, kind, tuple(entries)))
    return tuple(out)


@dataclass(frozen=True)
class KnowledgeBase:
    """Every entry of every kind, by key, with where each came from."""

    entries: dict[str, dict[str, Fact]] = field(default_factory=dict)
    origins: dict[tuple[str, str], str] = field(default_factory=dict)

    @classmethod
    def from_package(cls) -> KnowledgeBase:
        """The knowledge base as the package ships it (validated, cross-checked)."""
        return _package_kb()

    def overlaid(self, layers: Iterable[tuple[str, str, list[Fact]]]) -> KnowledgeBase:
        """A copy with each layer's entries added or replacing entries of the same key.

        ``layers`` are ``(origin, kind, entries)`` in the order they apply; the result is
        cross-checked like the package.
        """
        entries = {kind: dict(values) for kind, values in self.entries.items()}
        origins = dict(self.origins)
        for origin, kind, layer in layers:
            target = entries.setdefault(kind, {})
            for entry in layer:
                key = entry_key(kind, entry)
                target[key] = entry
                origins[(kind, key)] = origin
        kb = KnowledgeBase(entries, origins)
        kb.cross_check()
        return kb

    # -- generic access ---------------------------------------------------------------------------

    def all(self, kind: str) -> list[Any]:
        """Every entry of ``kind`` in key order."""
        values = self.entries.get(kind, {})
        return [values[k] for k in sorted(values)]

    def origin(self, kind: str, key: str) -> str:
        """``package`` or the imported version an entry comes from (``version 3``); ``key``
        as written (an offence's reference in any case and spacing)."""
        if kind in ("offences", "offence_map"):
            key = normalize_ref(key)
        return self.origins.get((kind, key), PACKAGE)

    def fact(self, kind: str, entry: Fact) -> dict[str, Any]:
        """An entry's provenance and origin, for output."""
        return {**entry.provenance(), "origin": self.origin(kind, entry_key(kind, entry))}

    # -- countries --------------------------------------------------------------------------------

    def country(self, code: str) -> CountryEntry | None:
        """The country with that ISO 3166-1 alpha-2 code, if the knowledge base has it."""
        entry = self.entries.get("countries", {}).get(code)
        return entry if isinstance(entry, CountryEntry) else None

    def country_code(self, value: str, option: str = "") -> str:
        """``value`` as a country code the knowledge base knows (``in`` → ``IN``); else a clear
        error (exit 2) naming it, and the ``option`` it was given as if any."""
        code = value.strip().upper()
        if self.country(code) is None:
            given = f" for {option}" if option else ""
            raise LegalInputError(
                f"unknown country {value!r}{given}: use an ISO 3166-1 alpha-2 code such as IN "
                "or US",
                country=value,
            )
        return code

    def country_name(self, code: str) -> str:
        """The country's name, or its code if unknown."""
        entry = self.country(code)
        return entry.name if entry else code

    # -- authorities and provisions ---------------------------------------------------------------

    def authority(self, country: str, role: str) -> AuthorityEntry | None:
        """The authority of ``country`` with ``role`` (``mla-central-authority``…)."""
        entry = self.entries.get("authorities", {}).get(f"{country}/{role}")
        return entry if isinstance(entry, AuthorityEntry) else None

    def provisions(self, country: str, role: str | None = None) -> list[ProvisionEntry]:
        """The provisions of ``country``'s law (with ``role`` if given)."""
        return [
            p
            for p in self.all("provisions")
            if p.country == country and (role is None or p.role == role)
        ]

    # -- treaties, agreements, registers ----------------------------------------------------------

    def treaties(self, country: str, other: str | None = None) -> list[TreatyEntry]:
        """Bilateral treaties of ``country`` (with ``other`` if given)."""
        return [
            t
            for t in self.all("treaties")
            if country in t.parties and (other is None or other in t.parties)
        ]

    def treaty(self, a: str, b: str, kind: str) -> TreatyEntry | None:
        """The treaty of ``kind`` between ``a`` and ``b``, if the knowledge base has one."""
        found = [t for t in self.treaties(a, b) if t.kind == kind and a != b]
        return found[0] if found else None

    def agreements(self, country: str, other: str | None = None) -> list[AgreementEntry]:
        """Agreements of ``country`` (with ``other`` if given)."""
        return [
            g
            for g in self.all("agreements")
            if country in g.parties and (other is None or other in g.parties)
        ]

    def registers(self, country: str) -> list[RegisterEntry]:
        """Statements of how complete ``country``'s lists of treaties or agreements are."""
        return [r for r in self.all("registers") if r.country == country]

    def register(self, country: str, of: str, kind: str) -> RegisterEntry | None:
        """The register of ``country``'s ``of`` (treaties/agreements) of ``kind``."""
        for r in self.registers(country):
            if r.of == of and r.treaty_kind == kind:
                return r
        return None

    # -- conventions and organisations ------------------------------------------------------------

    def convention(self, identifier: str) -> ConventionEntry | None:
        """A convention by id (``budapest``)."""
        entry = self.entries.get("conventions", {}).get(identifier)
        return entry if isinstance(entry, ConventionEntry) else None

    def organisation(self, identifier: str) -> OrganisationEntry | None:
        """An organisation by id (``interpol``)."""
        entry = self.entries.get("organisations", {}).get(identifier)
        return entry if isinstance(entry, OrganisationEntry) else None

    @staticmethod
    def member(members: list[Member], country: str) -> Member | None:
        """``country``'s entry among ``members``."""
        for m in members:
            if m.country == country:
                return m
        return None

    # -- rules, periods, offences, figures, elements, mechanisms ----------------------------------

    def disclosure_rules(self, country: str) -> list[DisclosureRuleEntry]:
        """What holders of data in ``country`` may disclose, and on what."""
        return [r for r in self.all("disclosure_rules") if r.country == country]

    def preservation_periods(self) -> list[PreservationPeriodEntry]:
        """Every preservation period."""
        return list(self.all("preservation_periods"))

    def offence(self, ref: str) -> OffenceEntry | None:
        """An offence by its reference (``IN:IT Act 66D``), matched case- and space-blind; a
        subsection the knowledge base does not list is found as its section (``IN:BNS 318(4)``
        as ``IN:BNS 318``)."""
        for key in _and_sections(ref):
            entry = self.entries.get("offences", {}).get(key)
            if isinstance(entry, OffenceEntry):
                return entry
        return None

    def offence_map(self, ref: str) -> OffenceMapEntry | None:
        """The corresponding offences of ``ref`` in the other country, if mapped (a subsection
        by its section's mapping when it has none of its own)."""
        for key in _and_sections(ref):
            entry = self.entries.get("offence_map", {}).get(key)
            if isinstance(entry, OffenceMapEntry):
                return entry
        return None

    def figures(self, country: str | None = None) -> list[FigureEntry]:
        """Figures (about ``country`` if given)."""
        return [f for f in self.all("figures") if country is None or f.country == country]

    def figure_for(self, country: str, applies_to: str) -> FigureEntry | None:
        """The figure about ``country`` for ``applies_to`` (``mla-answer-time``)."""
        for f in self.figures(country):
            if f.applies_to == applies_to:
                return f
        return None

    def request_elements(self, kind: str, to: str) -> list[RequestElementsEntry]:
        """The checklists for ``kind`` that apply to ``to``: the general one, then the country's."""
        values = self.entries.get("request_elements", {})
        found = [values.get(f"{kind}/*"), values.get(f"{kind}/{to}")]
        return [e for e in found if isinstance(e, RequestElementsEntry)]

    def mechanisms(self) -> list[MechanismEntry]:
        """Every route rule."""
        return list(self.all("mechanisms"))

    # -- cross-checks -----------------------------------------------------------------------------

    def cross_check(self) -> None:
        """Check references between files; raise :class:`KnowledgeBaseInvalid` on the first."""
        countries = set(self.entries.get("countries", {}))
        if not countries:
            raise KnowledgeBaseInvalid(
                "countries.json: the knowledge base has no countries",
                file="countries.json",
                entry=None,
                field=None,
            )
        for kind, key, where, code in self._country_refs():
            if code not in countries:
                raise KnowledgeBaseInvalid(
                    f"{kind}.json: entry {key}: field {where!r}: {code!r} is not a country of "
                    "countries.json",
                    file=f"{kind}.json",
                    entry=key,
                    field=where,
                )
        conventions = set(self.entries.get("conventions", {}))
        organisations = set(self.entries.get("organisations", {}))
        for m in self.mechanisms():
            for r in m.requires + [c.unless for c in m.caveats]:
                if r.convention and r.convention not in conventions:
                    raise KnowledgeBaseInvalid(
                        f"mechanisms.json: entry {m.id}: field 'requires.convention': "
                        f"{r.convention!r} is not a convention of conventions.json",
                        file="mechanisms.json",
                        entry=m.id,
                        field="requires.convention",
                    )
                if r.organisation and r.organisation not in organisations:
                    raise KnowledgeBaseInvalid(
                        f"mechanisms.json: entry {m.id}: field 'requires.organisation': "
                        f"{r.organisation!r} is not an organisation of organisations.json",
                        file="mechanisms.json",
                        entry=m.id,
                        field="requires.organisation",
                    )

    def _country_refs(self) -> Iterator[tuple[str, str, str, str]]:
        for kind in ("authorities", "provisions", "registers", "disclosure_rules", "offences"):
            for e in self.all(kind):
                yield kind, entry_label(kind, e), "country", e.country
        for kind in ("treaties", "agreements"):
            for e in self.all(kind):
                for code in e.parties:
                    yield kind, entry_label(kind, e), "parties", code
        for kind in ("conventions", "organisations"):
            for e in self.all(kind):
                for m in e.members:
                    yield kind, entry_label(kind, e), "members.country", m.country
        for e in self.all("preservation_periods"):
            if e.applies_to.country:
                yield "preservation_periods", e.id, "applies_to.country", e.applies_to.country
        for e in self.all("request_elements"):
            if e.to != "*":
                yield "request_elements", entry_label("request_elements", e), "to", e.to


_SUBSECTION = re.compile(r"\s*\([^()]*\)\s*$")


def _and_sections(ref: str) -> Iterator[str]:
    """``IN:BNS 318(4)(a)`` → its key, then ``IN:BNS 318(4)``'s, then ``IN:BNS 318``'s."""
    current = ref
    yield normalize_ref(current)
    while _SUBSECTION.search(current):
        current = _SUBSECTION.sub("", current)
        yield normalize_ref(current)


@cache
def _package_kb() -> KnowledgeBase:
    entries: dict[str, dict[str, Fact]] = {}
    for name, kind, values in package_files():
        if kind in entries:
            raise KnowledgeBaseInvalid(
                f"{name}: a second file of kind {kind!r}", file=name, entry=None, field="kind"
            )
        entries[kind] = {entry_key(kind, e): e for e in values}
    missing = set(KINDS) - set(entries)
    if missing:
        raise KnowledgeBaseInvalid(
            f"the package has no file of kind {sorted(missing)[0]!r}",
            file=None,
            entry=None,
            field="kind",
        )
    kb = KnowledgeBase(entries, {})
    kb.cross_check()
    return kb
