"""The draft of a request as a document: its sections, with every gap shown where it belongs.

    outcomes = evaluate(kb, request)                   # comity.legal.checklist
    document = build_document(kb, request, case, outcomes)
    document.title                                     # 'Request for Mutual Legal Assistance…'
    [g.text() for g in document.gaps]                  # ['MISSING — probable-cause statement: …']
    data = render_pdf(document)                        # comity.legal.render

The document is plain data (:class:`DraftDocument`: sections of :class:`Para`, :class:`Items`,
:class:`Table` and :class:`Missing` blocks) that :mod:`comity.legal.render` writes as PDF or
DOCX. Every legal statement comes from the knowledge base (a treaty's name and dates, a
provision's reference and title, an offence's title and penalty, a disclosure rule's basis) or
from the request itself; each knowledge-base statement is followed by its source and status.
A required element the request lacks is a :class:`Gap`: a ``MISSING`` box in its section, and
a ✗ on the final checklist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from comity.cases.models import Case
from comity.core.timeutil import utcnow
from comity.legal.checklist import Outcome, RequestLike, find_offence, offence_country
from comity.legal.knowledge import KnowledgeBase
from comity.legal.schema import Fact

KIND_TITLES: dict[str, str] = {
    "mla-request": "Request for Mutual Legal Assistance in Criminal Matters",
    "letter-rogatory": "Letter Rogatory",
    "preservation": "Request for Expedited Preservation of Stored Computer Data",
    "emergency-disclosure": "Emergency Disclosure Request",
    "provider-request": "Request for Disclosure of Subscriber and Traffic Records",
    "interpol-diffusion": "Request for an INTERPOL Diffusion",
}
_TO_HOLDER = ("preservation", "emergency-disclosure", "provider-request")
_HOLDER_WORDS = {"provider": "the provider", "bank": "the bank", "person": "the custodian"}


@dataclass(frozen=True)
class Gap:
    """A required element the request lacks, with the knowledge base's reason and source."""

    element: str
    field: str
    why: str
    source: str
    status: str
    detail: str = ""

    def text(self) -> str:
        """``MISSING — probable-cause statement: <why> (<detail>) (source: …; status: …)``."""
        detail = f" ({self.detail})" if self.detail else ""
        return (
            f"MISSING — {self.element}: {self.why}{detail} "
            f"(source: {self.source}; status: {self.status})"
        )


@dataclass(frozen=True)
class Para:
    """A paragraph: ``body``, ``strong`` (a heading line), ``quote`` (statute text) or ``note``
    (small print: a knowledge-base source)."""

    text: str
    style: Literal["body", "strong", "quote", "note"] = "body"


@dataclass(frozen=True)
class Items:
    """A numbered list."""

    items: list[str]


@dataclass(frozen=True)
class Table:
    """A table of texts; ``flagged`` rows are shaded (the checklist's ✗)."""

    columns: list[str]
    rows: list[list[str]]
    flagged: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Missing:
    """A gap shown in place: a shaded box saying MISSING."""

    gap: Gap


Block = Para | Items | Table | Missing


@dataclass
class Section:
    """A titled part of the document."""

    title: str
    blocks: list[Block] = field(default_factory=list)


@dataclass
class DraftDocument:
    """A drafted request: heading, parties, sections, gaps and the checklist."""

    request_id: str
    title: str
    kind: str
    case_reference: str | None
    prepared: str
    sender: str
    addressee: str
    sections: list[Section]
    gaps: list[Gap]
    complete: bool

    def all_text(self) -> str:
        """Every text of the document, one per line (for tests and search)."""
        lines = [self.title, self.request_id, self.sender, self.addressee]
        for section in self.sections:
            lines.append(section.title)
            for block in section.blocks:
                if isinstance(block, Para):
                    lines.append(block.text)
                elif isinstance(block, Items):
                    lines += block.items
                elif isinstance(block, Table):
                    lines += [" | ".join(r) for r in [block.columns, *block.rows]]
                else:
                    lines.append(block.gap.text())
        return "\n".join(lines)


def _source(kb: KnowledgeBase, kind: str, entry: Fact) -> Para:
    fact = kb.fact(kind, entry)
    origin = "" if fact["origin"] == "package" else f"; {fact['origin']}"
    return Para(
        f"Knowledge base: {fact['source']} (as of {fact['as_of']}; status {fact['status']}"
        f"{origin}).",
        "note",
    )


class _Builder:
    """Builds the sections of one request's draft."""

    def __init__(
        self, kb: KnowledgeBase, request: RequestLike, case: Case | None, outcomes: list[Outcome]
    ) -> None:
        self.kb = kb
        self.request = request
        self.case = case
        self.outcomes = outcomes
        raw = request.particulars
        self.p: dict[str, Any] = raw if isinstance(raw, dict) else {}
        self.gaps = [
            Gap(
                o.element.element,
                o.element.field,
                o.element.why,
                o.element.source,
                o.element.status,
                o.detail,
            )
            for o in outcomes
            if not o.ok
        ]
        self.required = {o.element.field for o in outcomes}
        self.placed: set[int] = set()
        self.from_name = kb.country_name(request.from_country)
        self.to_name = kb.country_name(request.to_country)

    # -- helpers ----------------------------------------------------------------------------------

    def text(self, name: str) -> str:
        value = self.p.get(name)
        return value.strip() if isinstance(value, str) else ""

    def strings(self, name: str) -> list[str]:
        value = self.p.get(name)
        if not isinstance(value, list):
            return []
        return [v.strip() for v in value if isinstance(v, str) and v.strip()]

    def shown(self, *names: str) -> bool:
        """Whether a field's section appears: it is required, or the request fills it."""
        return any(n in self.required or self.p.get(n) not in (None, "", [], {}) for n in names)

    def gaps_of(self, *names: str) -> list[Block]:
        out: list[Block] = []
        for index, gap in enumerate(self.gaps):
            if gap.field in names and index not in self.placed:
                self.placed.add(index)
                out.append(Missing(gap))
        return out

    def paragraphs(self, value: str) -> list[Block]:
        return [Para(chunk.strip()) for chunk in value.split("\n\n") if chunk.strip()]

    def text_section(self, title: str, name: str) -> Section | None:
        if not self.shown(name):
            return None
        return Section(title, [*self.paragraphs(self.text(name)), *self.gaps_of(name)])

    # -- parties ----------------------------------------------------------------------------------

    def sender(self) -> str:
        authority = self.text("authority") or "[requesting authority not given]"
        return f"{authority}, {self.from_name}"

    def addressee(self) -> tuple[str, list[Block]]:
        r, kb = self.request, self.kb
        notes: list[Block] = []
        if r.kind == "interpol-diffusion":
            ncb = kb.authority(r.to_country, "interpol-ncb")
            if ncb is None:
                return (
                    f"the INTERPOL National Central Bureau of {self.to_name} "
                    "(not in the knowledge base)",
                    notes,
                )
            return ncb.name, [_source(kb, "authorities", ncb)]
        if r.kind in _TO_HOLDER and getattr(r, "holder", "provider") in _HOLDER_WORDS:
            custodian = self.text("custodian")
            word = _HOLDER_WORDS[getattr(r, "holder", "provider")]
            return (f"{custodian} ({word}), {self.to_name}" if custodian else word), notes
        central = kb.authority(r.to_country, "mla-central-authority")
        if central is None:
            return (
                f"the competent authority of {self.to_name} (not in the knowledge base)",
                notes,
            )
        return f"{central.name}, {self.to_name}", [_source(kb, "authorities", central)]

    def parties(self, addressee: str, notes: list[Block]) -> Section:
        rows = [["From", self.sender()], ["To", addressee]]
        if self.request.kind == "interpol-diffusion":
            ncb = self.kb.authority(self.request.from_country, "interpol-ncb")
            if ncb is not None:
                rows.append(["Through", ncb.name])
                notes = [*notes, _source(self.kb, "authorities", ncb)]
        if self.case is not None:
            rows.append(["Case", f"{self.case.reference}: {self.case.title}"])
        intro = Para(
            f"{self.sender()} requests the assistance described below in a criminal investigation."
        )
        return Section(
            "Requesting and requested authorities",
            [Table(["", ""], rows), *notes, *self.gaps_of("authority"), intro],
        )

    # -- legal basis ------------------------------------------------------------------------------

    def legal_basis(self) -> Section | None:
        r, kb = self.request, self.kb
        blocks: list[Block] = []
        if r.kind == "mla-request":
            treaty = kb.treaty(r.from_country, r.to_country, "mla")
            if treaty is None:
                blocks.append(
                    Para(
                        f"The knowledge base records no mutual legal assistance treaty between "
                        f"{self.from_name} and {self.to_name}."
                    )
                )
            else:
                dates = [
                    f"signed {treaty.signed}" if treaty.signed else "",
                    f"in force since {treaty.in_force}" if treaty.in_force else "",
                    f"operational since {treaty.operational_year}"
                    if treaty.operational_year and not treaty.in_force
                    else "",
                ]
                when = "; ".join(d for d in dates if d)
                blocks += [
                    Para(
                        f"This request is made under the {treaty.name}"
                        + (f" ({when})." if when else ".")
                    ),
                    _source(kb, "treaties", treaty),
                ]
        elif r.kind == "letter-rogatory":
            provisions = kb.provisions(r.from_country, "outgoing-letter-of-request")
            for p in provisions:
                replaces = f" (replaces {p.replaces})" if p.replaces else ""
                blocks += [
                    Para(f"{p.reference}: {p.title}{replaces}."),
                    _source(kb, "provisions", p),
                ]
            if not provisions:
                blocks.append(
                    Para(
                        f"The knowledge base records no provision of {self.from_name} for an "
                        "outgoing letter of request."
                    )
                )
        elif r.kind == "preservation":
            for period in kb.preservation_periods():
                where = period.applies_to
                if where.country == r.to_country and not where.domestic:
                    note = f" {period.note}" if period.note else ""
                    blocks += [
                        Para(f"{', '.join(period.legal_basis)}: {period.days} days.{note}"),
                        _source(kb, "preservation_periods", period),
                    ]
        if r.kind in ("preservation", "emergency-disclosure", "provider-request"):
            mode = {"preservation": "preservation", "emergency-disclosure": "emergency"}.get(
                r.kind, "voluntary"
            )
            holder = getattr(r, "holder", "provider")
            for rule in kb.disclosure_rules(r.to_country):
                if rule.mode == mode and rule.holder == holder:
                    blocks += [
                        Para(f"{', '.join(rule.legal_basis)}: {rule.requirement}."),
                        _source(kb, "disclosure_rules", rule),
                    ]
        if r.kind == "interpol-diffusion":
            organisation = kb.organisation("interpol")
            notices = organisation.notices if organisation is not None else []
            for notice in notices:
                if notice.id == "diffusion" and organisation is not None:
                    blocks += [
                        Para(f"{notice.name}: {notice.purpose}."),
                        _source(kb, "organisations", organisation),
                    ]
        return Section("Legal basis", blocks) if blocks else None

    # -- offences ---------------------------------------------------------------------------------

    def offence_blocks(self, ref: str) -> list[Block]:
        kb = self.kb
        entry = find_offence(kb, ref)
        if entry is None:
            return [Para(ref, "strong"), Para("This offence is not in the knowledge base.", "note")]
        section = "" if entry.ref.upper() == ref.upper() else f" (section {entry.section})"
        blocks: list[Block] = [
            Para(f"{ref} — {entry.title}", "strong"),
            Para(
                f"{entry.act}, section {entry.section}: {entry.title}. Maximum imprisonment"
                f"{section}: {entry.max_imprisonment or 'not in the knowledge base'}"
                + (" (a civil provision)." if entry.civil else ".")
            ),
        ]
        if entry.text and entry.text.strip():
            blocks.append(Para(entry.text.strip(), "quote"))
        blocks.append(_source(kb, "offences", entry))
        mapped = (
            kb.offence_map(entry.ref) if offence_country(ref) != self.request.to_country else None
        )
        targets = (
            [t for t in mapped.to if offence_country(t) == self.request.to_country]
            if mapped
            else []
        )
        if mapped and targets:
            lines = []
            for target in targets:
                other = kb.offence(target)
                if other is None:
                    lines.append(f"{target} (not in the knowledge base)")
                    continue
                penalty = (
                    f"; maximum imprisonment {other.max_imprisonment}"
                    if other.max_imprisonment
                    else ""
                )
                lines.append(f"{target} — {other.title}{penalty}")
            note = f" ({mapped.note})" if mapped.note else ""
            blocks += [
                Para(
                    f"Corresponding offences under the law of {self.to_name}{note}, "
                    f"mapping status {mapped.status}:"
                ),
                Items(lines),
                _source(kb, "offence_map", mapped),
            ]
        return blocks

    def offences(self) -> Section | None:
        if not self.shown("offences"):
            return None
        value = self.p.get("offences")
        refs = [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
        blocks: list[Block] = []
        for ref in refs:
            blocks += self.offence_blocks(ref.strip())
        return Section("Offences", [*blocks, *self.gaps_of("offences")])

    # -- data sought ------------------------------------------------------------------------------

    def data(self) -> Section | None:
        if not self.shown("identifiers", "period"):
            return None
        blocks: list[Block] = []
        value = self.p.get("identifiers")
        rows = []
        for item in value if isinstance(value, list) else []:
            if isinstance(item, dict):
                rows.append([str(item.get("type", "")), str(item.get("value", ""))])
            elif isinstance(item, str):
                rows.append(list(item.partition(":")[::2]))
        if rows:
            blocks.append(Table(["Type", "Identifier"], rows))
        blocks += self.gaps_of("identifiers")
        period = self.p.get("period")
        if isinstance(period, dict) and period.get("from") and period.get("to"):
            blocks.append(
                Para(f"Period of the data sought: from {period['from']} to {period['to']}.")
            )
        blocks += self.gaps_of("period")
        return Section("Data sought", blocks)

    def flag_section(self, title: str, name: str, statement: str) -> Section | None:
        if not self.shown(name):
            return None
        blocks: list[Block] = [Para(statement)] if self.p.get(name) is True else []
        return Section(title, [*blocks, *self.gaps_of(name)])

    def assistance(self) -> Section | None:
        if not self.shown("assistance"):
            return None
        title = (
            "Action requested"
            if self.request.kind == "interpol-diffusion"
            else "Assistance requested"
        )
        items = self.strings("assistance")
        return Section(title, [*([Items(items)] if items else []), *self.gaps_of("assistance")])

    # -- the whole --------------------------------------------------------------------------------

    def sections(self) -> tuple[str, list[Section]]:
        addressee, notes = self.addressee()
        r = self.request
        urgent = r.urgency == "emergency"
        candidates: list[Section | None] = [
            self.parties(addressee, notes),
            self.legal_basis(),
            self.text_section("Urgency", "urgency_reason") if urgent else None,
            self.text_section("Danger to life", "danger"),
            self.text_section("Person sought", "subject"),
            self.text_section("Facts of the case", "facts"),
            self.offences(),
            self.text_section("Relation of the evidence to the offences", "nexus"),
            self.data(),
            self.text_section("Custodian of the data", "custodian"),
            self.text_section("Necessity of preservation", "necessity"),
            self.assistance(),
            self.text_section("Probable cause", "probable_cause"),
            self.flag_section(
                "Mutual legal assistance to follow",
                "follow_up",
                f"{self.from_name} will follow this request with a request for mutual legal "
                "assistance for the production of the data.",
            ),
            self.flag_section(
                "Assurance of reciprocity",
                "reciprocity",
                f"{self.from_name} assures {self.to_name} of reciprocity in similar matters.",
            ),
            None if urgent else self.text_section("Urgency", "urgency_reason"),
            self.text_section("Confidentiality", "confidentiality"),
        ]
        sections = [s for s in candidates if s is not None]
        rest: list[Block] = [Missing(g) for i, g in enumerate(self.gaps) if i not in self.placed]
        if rest:
            sections.append(Section("Other required elements", rest))
        sections.append(
            Section(
                "Closing",
                [
                    Para(f"Submitted by {self.sender()}."),
                    Table(
                        ["", ""], [["Name and designation", ""], ["Signature", ""], ["Date", ""]]
                    ),
                ],
            )
        )
        sections.append(self.checklist())
        return addressee, sections

    def checklist(self) -> Section:
        rows, flagged = [], []
        for index, o in enumerate(self.outcomes):
            e = o.element
            rows.append(
                ["✓" if o.ok else "✗", e.element, f"{e.field} ({e.test})", e.source, e.status]
            )
            if not o.ok:
                flagged.append(index)
        summary = (
            f"All {len(rows)} required elements are present."
            if not self.gaps
            else f"{len(self.gaps)} of {len(rows)} required elements are missing."
        )
        return Section(
            "Checklist",
            [
                Para(
                    f"Required elements of a {KIND_TITLES.get(self.request.kind, 'request')} to "
                    f"{self.to_name}, from the knowledge base. {summary}"
                ),
                Table(["", "Element", "Field (test)", "Source", "Status"], rows, flagged),
                *[Missing(g) for g in self.gaps],
            ],
        )


def build_document(
    kb: KnowledgeBase,
    request: RequestLike,
    case: Case | None,
    outcomes: list[Outcome],
    *,
    request_id: str | None = None,
    prepared: date | None = None,
) -> DraftDocument:
    """The draft of ``request`` (its case, the knowledge base, the checklist's ``outcomes``).

    ``request_id`` defaults to ``request.id``; ``prepared`` to today.
    """
    builder = _Builder(kb, request, case, outcomes)
    addressee, sections = builder.sections()
    return DraftDocument(
        request_id=request_id or str(getattr(request, "id", "")),
        title=KIND_TITLES.get(request.kind, request.kind),
        kind=request.kind,
        case_reference=case.reference if case is not None else None,
        prepared=(prepared or utcnow().date()).isoformat(),
        sender=builder.sender(),
        addressee=addressee,
        sections=sections,
        gaps=builder.gaps,
        complete=not builder.gaps,
    )
