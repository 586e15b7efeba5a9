"""Certificates for the courts: what a court needs to admit an electronic record, pre-filled.

    result = produce_certificate(ctx, "r.iyer", "CBI-2026-0001/E1", "IN-BSA-63", Path("e1.pdf"))

Each *kind* of certificate is registered under a law id (``IN-BSA-63``, ``US-FRE-902-14``,
``US-FRE-902-13``) with :func:`certificate_kind`; registering an id twice raises. A kind is a
pure function from :class:`CertificateFacts` (what the item's record and custody ledger know) to
a neutral :class:`CertificateDocument` — a title and sections of fields, check-lists, tables
and notes — that :mod:`comity.evidence.certificate_render` turns into Markdown or PDF.

Comity pre-fills only what its record holds. Whatever must be a person's own statement (the
declarations, their name, designation and signature, the date and place of signing) is a
:class:`Blank` of kind ``statement``; whatever the record does not know (a device's colour, a
serial number nobody entered) is a :class:`Blank` of kind ``unknown``. Renderers show both as
marked blanks; a kind never invents a value, and never reproduces statutory text: fields are
described in plain words, and every document tells its reader to check it against the official
form before filing.

Recording the read. Producing a certificate reads case data, so it is written to the audit log
twice: ``evidence.read`` (through :func:`comity.evidence.services.get_item`, with the purpose
``certificate LAW``) and ``evidence.certificate`` (the law, parts, format and SHA-256 of the
document produced). It is also appended to the item's custody ledger as an ``accessed`` event
with the purpose ``certificate LAW``. That is a deliberate choice: the ledger is the chain of
custody a court sees, and a certificate is a court-facing act on the item — a later reader of
the chain should see who certified the item's particulars, when, and under which law, and the
certificate names the event that records it, tying the paper to the chain. The event's details
say ``content_read: false`` unless ``verify_content`` re-read the stored bytes, so the chain
does not suggest that the evidence itself was opened when only its record was. The ledger is
checked before anything is written: Comity refuses to pre-fill a certificate from a chain that
does not verify. Everything — audit entries, the custody event — is in one transaction with
the file written last; if the transaction fails, the file is removed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy.orm import Session

from comity import __version__
from comity.cases.models import Case
from comity.context import NodeContext
from comity.core.errors import ComityError, InvalidInput
from comity.core.files import write_atomic
from comity.core.timeutil import isoformat, parse_time, utcnow, zone
from comity.evidence.errors import HashMismatch, LedgerBroken
from comity.evidence.ledger import append_event, event_view, events, verify_chains
from comity.evidence.models import EvidenceItem
from comity.evidence.services import content_problem, get_item
from comity.identity import audit
from comity.identity.services import local_agency, resolve_actor

IST = "Asia/Kolkata"
FORMATS = {".md": "markdown", ".pdf": "pdf"}
HASH_NAMES = {"sha256": "SHA-256", "sha1": "SHA-1", "md5": "MD5"}
PARTS_BOTH = "both"

# ---------------------------------------------------------------------------------------------
# The neutral document model
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Blank:
    """A marked blank: a person's own statement (``statement``) or a fact the record lacks."""

    by: str
    kind: Literal["statement", "unknown"] = "statement"

    def text(self) -> str:
        """The words a renderer prints in place of a value."""
        if self.kind == "statement":
            return f"BLANK — to be completed by {self.by}"
        return f"BLANK — not in Comity's record; to be completed by {self.by} if applicable"


@dataclass(frozen=True)
class Field:
    """One particular of a certificate: a label and either a value or a :class:`Blank`."""

    label: str
    value: str | None = None
    blank: Blank | None = None
    hint: str | None = None
    mono: bool = False

    def __post_init__(self) -> None:
        if (self.value is None) == (self.blank is None):
            raise ValueError(f"field {self.label!r} needs exactly one of value and blank")


@dataclass(frozen=True)
class Checklist:
    """A list of options with the applicable ones ticked; a blank when none is known."""

    label: str
    options: tuple[tuple[str, bool], ...]
    blank: Blank | None = None

    @property
    def ticked(self) -> list[str]:
        """The labels of the ticked options."""
        return [label for label, on in self.options if on]


@dataclass(frozen=True)
class Table:
    """A table of rows under column headings (hash values, custody events)."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str | None = None
    mono_columns: tuple[int, ...] = ()


@dataclass(frozen=True)
class Note:
    """A paragraph of explanation."""

    text: str


Block = Field | Checklist | Table | Note


@dataclass(frozen=True)
class Section:
    """A titled group of blocks."""

    title: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class CertificateDocument:
    """A certificate, independent of its output format."""

    law: str
    title: str
    subtitle: str
    item_id: str
    exhibit: str
    sha256: str
    generated_at: str
    generator: str
    sections: tuple[Section, ...]

    def blocks(self) -> Iterator[Block]:
        """Every block, in order."""
        for section in self.sections:
            yield from section.blocks

    def blanks(self) -> list[Field | Checklist]:
        """The fields and check-lists left blank for a person to complete."""
        return [
            b for b in self.blocks() if isinstance(b, Field | Checklist) and b.blank is not None
        ]

    def field(self, label: str) -> Field:
        """The first field labelled ``label`` (raises ``KeyError`` when there is none)."""
        for block in self.blocks():
            if isinstance(block, Field) and block.label == label:
                return block
        raise KeyError(label)


# ---------------------------------------------------------------------------------------------
# Facts: what the record and the custody ledger know about an item
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HashValue:
    """A hash of the item: ``algorithm`` (``sha256``), its display ``name`` and the hex value."""

    algorithm: str
    name: str
    value: str


@dataclass(frozen=True)
class EventFacts:
    """One custody event as a certificate shows it."""

    seq: int
    action: str
    at: datetime
    local_time: str
    timezone: str
    username: str
    person: str
    agency: str
    purpose: str | None
    place: str | None
    hash: str


@dataclass(frozen=True)
class CertificateFacts:
    """Everything a certificate kind may state about an item; nothing else."""

    item_id: str
    exhibit: str
    name: str
    path: str
    size: int
    hashes: tuple[HashValue, ...]
    case_reference: str
    origin_agency: str
    acquisition: dict[str, Any]
    events: tuple[EventFacts, ...]
    chain_ok: bool
    node_agency: str
    node_code: str
    node_country: str
    node_fingerprint: str
    generated_at: datetime
    certificate_event: int | None = None
    content_verified: bool = False
    comity_version: str = __version__

    @property
    def sha256(self) -> str:
        """The item's SHA-256."""
        return next(h.value for h in self.hashes if h.algorithm == "sha256")

    @property
    def device(self) -> dict[str, str]:
        """The device particulars recorded at acquisition (may be empty)."""
        device = self.acquisition.get("device") or {}
        return {str(k): str(v) for k, v in device.items() if v}

    def text(self, key: str) -> str | None:
        """A non-empty string from the acquisition record, or ``None``."""
        value = self.acquisition.get(key)
        return str(value) if value not in (None, "") else None

    @property
    def acquired_event(self) -> EventFacts | None:
        """The ``acquired`` event (the moment Comity computed the hashes), if in the ledger."""
        return next((e for e in self.events if e.action == "acquired"), None)

    def seized_at(self) -> datetime | None:
        """The recorded time of seizure, or ``None`` when absent or unreadable."""
        text = self.text("seized_at")
        if text is None:
            return None
        try:
            return parse_time(text)
        except InvalidInput:
            return None


def hash_values(item: EvidenceItem) -> tuple[HashValue, ...]:
    """The item's hashes, SHA-256 first."""
    pairs = [("sha256", item.sha256), ("sha1", item.sha1), ("md5", item.md5)]
    return tuple(HashValue(a, HASH_NAMES[a], v) for a, v in pairs if v)


def gather_facts(
    session: Session,
    ctx: NodeContext,
    item: EvidenceItem,
    *,
    chain_ok: bool,
    certificate_event: int | None = None,
    content_verified: bool = False,
    now: datetime | None = None,
) -> CertificateFacts:
    """Collect an item's certificate facts from its record and its custody ledger."""
    case = session.get_one(Case, item.case_id)
    agency = local_agency(session)
    history = []
    for event in events(session, item.id):
        view = event_view(event)
        actor = view.get("actor") or {}
        history.append(
            EventFacts(
                seq=int(view["seq"]),
                action=str(view["action"]),
                at=parse_time(str(view["at"])),
                local_time=str(view.get("local_time") or ""),
                timezone=str(view.get("timezone") or "UTC"),
                username=str(actor.get("username") or ""),
                person=str(actor.get("name") or actor.get("username") or ""),
                agency=str((view.get("agency") or {}).get("code") or ""),
                purpose=view.get("purpose"),
                place=view.get("place"),
                hash=str(view["hash"]),
            )
        )
    return CertificateFacts(
        item_id=str(item.id),
        exhibit=item.exhibit,
        name=item.name,
        path=item.path,
        size=item.size,
        hashes=hash_values(item),
        case_reference=case.reference,
        origin_agency=item.origin_agency,
        acquisition=dict(item.acquisition or {}),
        events=tuple(history),
        chain_ok=chain_ok,
        node_agency=agency.name,
        node_code=agency.code,
        node_country=agency.country,
        node_fingerprint=ctx.keys.signing_fingerprint,
        generated_at=now or utcnow(),
        certificate_event=certificate_event,
        content_verified=content_verified,
    )


# ---------------------------------------------------------------------------------------------
# The registry of certificate kinds
# ---------------------------------------------------------------------------------------------

Builder = Callable[[CertificateFacts, tuple[str, ...]], CertificateDocument]


class DuplicateCertificateKind(ComityError):
    """A certificate kind was registered twice under one law id (a programming error)."""

    slug = "duplicate-certificate-kind"
    title = "Duplicate certificate kind"


@dataclass(frozen=True)
class CertificateKind:
    """A registered kind: its law id, title, optional parts and builder."""

    law: str
    title: str
    build: Builder
    parts: tuple[str, ...] = ()

    def select_parts(self, part: str | None) -> tuple[str, ...]:
        """Resolve ``--part`` (``A``, ``B``, ``both`` or ``None``) against this kind's parts."""
        if part is None:
            return self.parts
        wanted = part.strip()
        if not self.parts:
            raise InvalidInput(
                f"{self.law} has no parts; --part applies only to kinds with parts", part=part
            )
        if wanted.lower() == PARTS_BOTH:
            return self.parts
        if wanted.upper() in self.parts:
            return (wanted.upper(),)
        accepted = [*self.parts, PARTS_BOTH]
        raise InvalidInput(
            f"unknown part {part!r} for {self.law}: accepted values are {', '.join(accepted)}",
            part=part,
            accepted=accepted,
        )


_KINDS: dict[str, CertificateKind] = {}


def certificate_kind(
    law: str, *, title: str, parts: tuple[str, ...] = ()
) -> Callable[[Builder], Builder]:
    """Register the decorated builder as the certificate kind ``law``; a duplicate id raises."""

    def register(build: Builder) -> Builder:
        if law in _KINDS:
            raise DuplicateCertificateKind(
                f"a certificate kind {law!r} is already registered", law=law
            )
        _KINDS[law] = CertificateKind(law=law, title=title, build=build, parts=parts)
        return build

    return register


def certificate_kinds() -> dict[str, CertificateKind]:
    """The registered kinds by law id (a copy)."""
    return dict(_KINDS)


def get_kind(law: str) -> CertificateKind:
    """The kind registered for ``law`` (case-insensitive); bad input lists the accepted ids."""
    kind = _KINDS.get(law.strip().upper())
    if kind is None:
        accepted = sorted(_KINDS)
        raise InvalidInput(
            f"unknown law {law!r}: accepted values are {', '.join(accepted)}",
            law=law,
            accepted=accepted,
        )
    return kind


def output_format(path: Path) -> str:
    """``markdown`` or ``pdf`` from the file's extension; bad input lists the accepted ones."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        accepted = sorted(FORMATS)
        raise InvalidInput(
            f"cannot write {path.name!r}: the file must end in one of {', '.join(accepted)}",
            path=str(path),
            accepted=accepted,
        )
    return fmt


# ---------------------------------------------------------------------------------------------
# Shared building blocks
# ---------------------------------------------------------------------------------------------


def format_in_zone(moment: datetime, zone_name: str) -> str:
    """``2026-03-14 16:30:00 IST (UTC+05:30, Asia/Kolkata)``-style text for ``moment``."""
    local = moment.astimezone(zone(zone_name))
    offset = local.strftime("%z")
    label = local.tzname() or zone_name
    return (
        f"{local:%Y-%m-%d %H:%M:%S} {label} (UTC{offset[:3]}:{offset[3:]}, {zone_name})"
        if label != zone_name
        else f"{local:%Y-%m-%d %H:%M:%S} (UTC{offset[:3]}:{offset[3:]}, {zone_name})"
    )


def format_utc(moment: datetime) -> str:
    """``2026-03-14 11:00:00 UTC``-style text for ``moment``."""
    return f"{moment.astimezone(zone('UTC')):%Y-%m-%d %H:%M:%S} UTC"


def _value(label: str, value: str | None, by: str, **extra: Any) -> Field:
    """A field holding ``value``, or an ``unknown`` blank when the record lacks it."""
    if value is None or value == "":
        return Field(label, blank=Blank(by, "unknown"), hint=extra.get("hint"))
    return Field(label, value=value, **extra)


def _statement(label: str, by: str, hint: str | None = None) -> Field:
    """A field only the certifying person may fill."""
    return Field(label, blank=Blank(by, "statement"), hint=hint)


def record_section(facts: CertificateFacts) -> Section:
    """The electronic record itself: exhibit, id, file, size, case, holder."""
    return Section(
        "The electronic record",
        (
            Field("Exhibit number", value=facts.exhibit),
            Field("Comity evidence id", value=facts.item_id, mono=True),
            Field("File name", value=facts.name),
            Field("Path as acquired", value=facts.path),
            Field("Size", value=f"{facts.size:,} bytes"),
            Field("Case reference", value=facts.case_reference),
            Field("Agency that acquired it", value=facts.origin_agency),
            Field(
                "Held by",
                value=f"{facts.node_agency} ({facts.node_code}, {facts.node_country})",
            ),
        ),
    )


def hash_table(facts: CertificateFacts) -> Table:
    """The item's hash values with their algorithms."""
    return Table(
        ("Algorithm", "Hash value"),
        tuple((h.name, h.value) for h in facts.hashes),
        mono_columns=(1,),
    )


DEVICE_LABELS = (
    ("make", "Make"),
    ("model", "Model"),
    ("colour", "Colour"),
    ("serial", "Serial number"),
    ("imei", "IMEI"),
    ("uin", "UIN"),
    ("uid", "UID"),
    ("mac", "MAC address"),
    ("cloud_id", "Cloud ID"),
)


IDENTIFIER_KEYS = frozenset({"serial", "imei", "uin", "uid", "mac", "cloud_id"})


def device_fields(facts: CertificateFacts, by: str) -> tuple[Field, ...]:
    """Make, model, colour, serial and identifiers of the source device, or marked blanks."""
    device = facts.device
    return tuple(
        _value(label, device.get(key), by, mono=key in IDENTIFIER_KEYS)
        for key, label in DEVICE_LABELS
    )


def custody_table(facts: CertificateFacts, zone_name: str | None) -> Table:
    """The custody events, times in ``zone_name`` (or each event's own zone when ``None``)."""
    rows = []
    for e in facts.events:
        when = format_in_zone(e.at, zone_name) if zone_name else format_utc(e.at)
        if zone_name is None and e.timezone not in ("", "UTC"):
            when = f"{when}; local {format_in_zone(e.at, e.timezone)}"
        who = (
            f"{e.person} ({e.username}), {e.agency}"
            if e.person != e.username
            else (f"{e.username}, {e.agency}")
        )
        rows.append((str(e.seq), e.action, when, who, e.purpose or "", e.place or "", e.hash[:16]))
    return Table(
        ("#", "Action", "When", "By", "Purpose", "Place", "Event hash"),
        tuple(rows),
        caption="Event hashes are shortened to their first 16 hex digits; the full chain is in "
        "Comity's custody ledger and in every evidence package.",
        mono_columns=(6,),
    )


def custody_summary(facts: CertificateFacts, zone_name: str | None) -> tuple[Block, ...]:
    """A summary of the chain of custody and the table of its events."""
    last = facts.events[-1] if facts.events else None
    own = (
        f"Producing this certificate is recorded as event {facts.certificate_event}."
        if facts.certificate_event
        else None
    )
    blocks: list[Block] = [
        Field("Events in the custody ledger", value=str(len(facts.events))),
        Field(
            "Ledger verification when this document was produced",
            value="hash chain and signed head verified intact"
            if facts.chain_ok
            else "NOT verified",
        ),
        Field("Hash of the last event", value=last.hash if last else "-", mono=True),
        Field("Ledger signed by node key", value=facts.node_fingerprint, mono=True),
    ]
    if own:
        blocks.append(Note(own))
    blocks.append(custody_table(facts, zone_name))
    return tuple(blocks)


def content_check_field(facts: CertificateFacts) -> Field:
    """Whether the stored bytes were re-hashed when the document was produced."""
    if facts.content_verified:
        return Field(
            "Stored copy re-checked",
            value=f"yes: the stored bytes were decrypted and re-hashed at "
            f"{format_utc(facts.generated_at)}; the SHA-256 matches the value above",
        )
    return Field(
        "Stored copy re-checked",
        value="not when this document was produced (run 'comity custody verify' or produce the "
        "certificate with --verify-content)",
    )


def process_description(facts: CertificateFacts) -> str:
    """Plain-words description of how Comity took in and keeps the item."""
    names = ", ".join(h.name for h in facts.hashes)
    return (
        f"Comity {facts.comity_version} computed the hash values ({names}) in a single streaming "
        "pass while the file was ingested, before it was stored; the bytes are stored encrypted "
        "and addressed by a keyed hash of their SHA-256. Every action on the item since then is "
        "an event in the item's custody ledger: each event records who, which agency, when, "
        "where, why and the item's SHA-256, and includes the hash of the event before it; the "
        "node signs the ledger's head after every event, so a changed, removed or re-ordered "
        "event is detected when the ledger is verified."
    )


def acquisition_fields(facts: CertificateFacts, by: str) -> tuple[Field, ...]:
    """Acquisition tool and version, examiner, authority, as recorded."""
    return (
        _value("Acquisition tool", facts.text("tool"), by),
        _value("Acquisition tool version", facts.text("tool_version"), by),
        _value("Examiner named in the acquisition record", facts.text("examiner"), by),
        _value("Legal authority for the acquisition", facts.text("authority"), by),
    )


def _algorithm_checklist(facts: CertificateFacts) -> Checklist:
    present = {h.algorithm for h in facts.hashes}
    return Checklist(
        "Hash algorithm(s) used",
        (
            ("SHA-1", "sha1" in present),
            ("SHA-256", "sha256" in present),
            ("MD5", "md5" in present),
            ("Other legally acceptable standard", False),
        ),
    )


# ---------------------------------------------------------------------------------------------
# India: Bharatiya Sakshya Adhiniyam 2023, section 63
# ---------------------------------------------------------------------------------------------

BSA_DEVICE_OPTIONS = (
    ("Computer / storage media", ("computer", "storage-media")),
    ("DVR", ("dvr",)),
    ("Mobile", ("mobile",)),
    ("Flash drive", ("flash-drive",)),
    ("CD / DVD", ("cd-dvd",)),
    ("Server", ("server",)),
    ("Cloud", ("cloud",)),
    ("Other", ("other",)),
)

PARTY = "the party producing the record"
EXPERT = "the expert"


def _bsa_device_checklist(facts: CertificateFacts) -> Checklist:
    kind = facts.device.get("type")
    options = tuple((label, kind in types) for label, types in BSA_DEVICE_OPTIONS)
    blank = None if any(on for _l, on in options) else Blank(PARTY, "unknown")
    return Checklist("Device or source type", options, blank)


def _bsa_times(facts: CertificateFacts, by: str) -> tuple[Field, ...]:
    seized = facts.seized_at()
    acquired = facts.acquired_event
    return (
        _value(
            "Date and time of seizure (IST)",
            format_in_zone(seized, IST) if seized else None,
            by,
        ),
        _value(
            "Date and time the hash values were computed (IST)",
            format_in_zone(acquired.at, IST) if acquired else None,
            by,
        ),
        _value("Place of seizure or acquisition", facts.text("place"), by),
    )


def _signing(by: str, role_label: str) -> tuple[Field, ...]:
    return (
        _statement(f"Name of the {role_label}", by),
        _statement("Designation", by),
        _statement("Date and time of signing (IST)", by),
        _statement("Place of signing", by),
        _statement("Signature", by),
    )


@certificate_kind(
    "IN-BSA-63",
    title="Certificate for an electronic record — Bharatiya Sakshya Adhiniyam, 2023, section 63",
    parts=("A", "B"),
)
def bsa_63(facts: CertificateFacts, parts: tuple[str, ...]) -> CertificateDocument:
    """The certificate of BSA 2023 s.63: Part A by the party, Part B by the expert."""
    about = Section(
        "About this certificate",
        (
            Note(
                "Section 63 of the Bharatiya Sakshya Adhiniyam, 2023 (which replaced section 65B "
                "of the Indian Evidence Act) calls for a certificate in the form set out in its "
                "Schedule for an electronic record: Part A is completed by the party producing "
                "the record and Part B by an expert; it states the device and the hash value(s) "
                "of the record."
            ),
            Note(
                "Comity has pre-filled the particulars that its record of this item and the "
                "item's custody ledger hold. Comity makes no statement on anyone's behalf: "
                "every field marked BLANK must be completed by the person named there, who "
                "then signs. The fields are described in plain words and the Schedule's own "
                "wording is not reproduced: check this document against the official form "
                "before filing it."
            ),
            Field("Parts in this document", value=" and ".join(f"Part {p}" for p in parts)),
        ),
    )
    sections: list[Section] = [about, record_section(facts)]
    if "A" in parts:
        sections += [
            Section(
                "Part A — device or source of the electronic record",
                (
                    Note("To be completed by the party producing the record."),
                    _bsa_device_checklist(facts),
                    *device_fields(facts, PARTY),
                ),
            ),
            Section(
                "Part A — declarations of the party",
                (
                    _statement(
                        "Declaration of lawful control",
                        PARTY,
                        "In the party's own words: that the device or system was under lawful "
                        "control at the relevant time.",
                    ),
                    _statement(
                        "Declaration of proper operation",
                        PARTY,
                        "In the party's own words: that the device or system was operating "
                        "properly at the relevant time.",
                    ),
                ),
            ),
            Section(
                "Part A — hash value(s) of the record",
                (_algorithm_checklist(facts), hash_table(facts)),
            ),
            Section(
                "Part A — date, time and place",
                (*_bsa_times(facts, PARTY), *_signing(PARTY, "person certifying (Part A)")),
            ),
        ]
    if "B" in parts:
        sections += [
            Section(
                "Part B — examination by the expert",
                (
                    Note("To be completed by the expert."),
                    Field("Exhibit number", value=facts.exhibit),
                    _algorithm_checklist(facts),
                    hash_table(facts),
                    *acquisition_fields(facts, EXPERT),
                    Field("How the hash values were obtained", value=process_description(facts)),
                    content_check_field(facts),
                    _statement(
                        "Statement of the expert",
                        EXPERT,
                        "In the expert's own words: how the hash value(s) above were obtained "
                        "and that they are those of this electronic record.",
                    ),
                ),
            ),
            Section(
                "Part B — date, time and place",
                (*_bsa_times(facts, EXPERT), *_signing(EXPERT, "expert")),
            ),
        ]
    sections.append(Section("Annex — custody history (times in IST)", custody_summary(facts, IST)))
    return _document(facts, "IN-BSA-63", get_kind("IN-BSA-63").title, sections)


# ---------------------------------------------------------------------------------------------
# United States: Federal Rules of Evidence 902(14) and 902(13)
# ---------------------------------------------------------------------------------------------

QUALIFIED = "the qualified person"

US_PROCEDURE_NOTE = (
    "Whether notice or any other procedural step is required of the party offering the record "
    "is a matter for that party under the Federal Rules of Evidence; Comity does not assess it."
)


def _us_device(facts: CertificateFacts) -> Section:
    kind = facts.device.get("type")
    return Section(
        "Source device or medium",
        (
            _value("Device or source type", kind, QUALIFIED),
            *device_fields(facts, QUALIFIED),
        ),
    )


def _us_times(facts: CertificateFacts) -> tuple[Field, ...]:
    seized = facts.seized_at()
    acquired = facts.acquired_event
    zone_name = facts.text("timezone")
    seized_text = None
    if seized:
        seized_text = format_utc(seized)
        if zone_name:
            seized_text += f"; local {format_in_zone(seized, zone_name)}"
    return (
        _value("Time of seizure", seized_text, QUALIFIED),
        _value(
            "Time the hash values were computed",
            f"{format_utc(acquired.at)}; local {format_in_zone(acquired.at, acquired.timezone)}"
            if acquired
            else None,
            QUALIFIED,
        ),
        _value("Place of seizure or acquisition", facts.text("place"), QUALIFIED),
    )


def _us_signing() -> tuple[Field, ...]:
    return (
        _statement("Name of the qualified person", QUALIFIED),
        _statement("Title or position", QUALIFIED),
        _statement("Employer or agency", QUALIFIED),
        _statement("Date of signing", QUALIFIED),
        _statement("Place of signing", QUALIFIED),
        _statement("Signature", QUALIFIED),
    )


def _us_about(rule: str, prefilled: str) -> Section:
    """The opening section of an FRE certification: the Rule in plain words, what is pre-filled."""
    return Section(
        "About this certification",
        (
            Note(rule),
            Note(
                f"{prefilled} Comity makes no statement on anyone's behalf: every field marked "
                "BLANK is for the qualified person, who then signs. The Rule's wording is not "
                "reproduced; check this document against it before use."
            ),
            Note(US_PROCEDURE_NOTE),
        ),
    )


@certificate_kind(
    "US-FRE-902-14",
    title="Certification of data copied from an electronic device, storage medium or file — "
    "Federal Rules of Evidence, Rule 902(14)",
)
def fre_902_14(facts: CertificateFacts, parts: tuple[str, ...]) -> CertificateDocument:
    """FRE 902(14): a copy identified by its hash value; the qualified person certifies it."""
    sections = [
        _us_about(
            "Rule 902(14) of the US Federal Rules of Evidence concerns data copied from an "
            "electronic device, storage medium or file, authenticated by a process of digital "
            "identification — here, the hash values below. The certification is made by a "
            "qualified person.",
            "Comity has pre-filled what its record of this item and the item's custody ledger "
            "hold.",
        ),
        record_section(facts),
        _us_device(facts),
        Section(
            "Digital identification: hash values",
            (
                hash_table(facts),
                *_us_times(facts),
                *acquisition_fields(facts, QUALIFIED),
                Field("How the hash values were obtained", value=process_description(facts)),
                content_check_field(facts),
            ),
        ),
        Section("Chain of custody (times in UTC and local)", custody_summary(facts, None)),
        Section(
            "Certification by the qualified person",
            (
                _statement(
                    "Qualification",
                    QUALIFIED,
                    "In the person's own words: why they are qualified to make this certification.",
                ),
                _statement(
                    "Statement on the copy and its identification",
                    QUALIFIED,
                    "In the person's own words: that the data was copied from the device, "
                    "medium or file described above and that the copy is identified by the "
                    "hash values above.",
                ),
                *_us_signing(),
            ),
        ),
    ]
    return _document(facts, "US-FRE-902-14", get_kind("US-FRE-902-14").title, sections)


@certificate_kind(
    "US-FRE-902-13",
    title="Certification of a record generated by an electronic process or system — "
    "Federal Rules of Evidence, Rule 902(13)",
)
def fre_902_13(facts: CertificateFacts, parts: tuple[str, ...]) -> CertificateDocument:
    """FRE 902(13): a record generated by an electronic process or system; the process shown."""
    sections = [
        _us_about(
            "Rule 902(13) of the US Federal Rules of Evidence concerns records generated by an "
            "electronic process or system that produces an accurate result. The certification "
            "is made by a qualified person.",
            "Comity has pre-filled the description of the process and system from its record of "
            "this item and the item's custody ledger.",
        ),
        record_section(facts),
        Section(
            "The electronic process or system",
            (
                Field(
                    "System",
                    value=f"Comity {facts.comity_version}, node of {facts.node_agency} "
                    f"({facts.node_code}, {facts.node_country})",
                ),
                Field("Node signing key fingerprint", value=facts.node_fingerprint, mono=True),
                *acquisition_fields(facts, QUALIFIED),
                Field("Process", value=process_description(facts)),
                *_us_times(facts),
            ),
        ),
        _us_device(facts),
        Section("Hash values of the record", (hash_table(facts), content_check_field(facts))),
        Section("Chain of custody (times in UTC and local)", custody_summary(facts, None)),
        Section(
            "Certification by the qualified person",
            (
                _statement(
                    "Qualification",
                    QUALIFIED,
                    "In the person's own words: why they are qualified to make this certification.",
                ),
                _statement(
                    "Statement on the process or system",
                    QUALIFIED,
                    "In the person's own words: a description of the process or system and "
                    "that it produces an accurate result.",
                ),
                *_us_signing(),
            ),
        ),
    ]
    return _document(facts, "US-FRE-902-13", get_kind("US-FRE-902-13").title, sections)


def _document(
    facts: CertificateFacts, law: str, title: str, sections: list[Section]
) -> CertificateDocument:
    main, _, rest = title.partition(" — ")
    return CertificateDocument(
        law=law,
        title=main,
        subtitle=rest,
        item_id=facts.item_id,
        exhibit=facts.exhibit,
        sha256=facts.sha256,
        generated_at=isoformat(facts.generated_at.replace(microsecond=0)),
        generator=f"Comity {facts.comity_version}",
        sections=tuple(sections),
    )


# ---------------------------------------------------------------------------------------------
# The service
# ---------------------------------------------------------------------------------------------


@dataclass
class CertificateResult:
    """What :func:`produce_certificate` wrote."""

    path: Path
    law: str
    item: str
    exhibit: str
    sha256: str
    format: str
    parts: tuple[str, ...]
    document_sha256: str
    custody_event: int
    blanks: int

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form (the CLI's ``--json`` output)."""
        return {
            "path": str(self.path),
            "law": self.law,
            "item": self.item,
            "exhibit": self.exhibit,
            "sha256": self.sha256,
            "format": self.format,
            "parts": list(self.parts),
            "document_sha256": self.document_sha256,
            "custody_event": self.custody_event,
            "blanks": self.blanks,
        }


@dataclass(frozen=True)
class BuiltCertificate:
    """A certificate built in a transaction: the document and what produced it."""

    document: CertificateDocument
    item: EvidenceItem
    username: str
    parts: tuple[str, ...]
    custody_event: int


def build_certificate(
    ctx: NodeContext,
    session: Session,
    actor_name: str | None,
    item_ref: str,
    law: str,
    *,
    part: str | None = None,
    verify_content: bool = False,
    fmt: str = "markdown",
) -> BuiltCertificate:
    """Check access and the ledger, record the read, and build the document in ``session``.

    Audits the read (``evidence.read``) and appends the ``accessed`` custody event that the
    document names; raises :class:`LedgerBroken` (or :class:`HashMismatch` with
    ``verify_content``) rather than pre-fill a certificate from a record that does not verify.
    """
    kind = get_kind(law)
    parts = kind.select_parts(part)
    purpose = f"certificate {kind.law}"
    actor = resolve_actor(session, actor_name)
    item = get_item(session, actor, item_ref, purpose=purpose)
    (report,) = verify_chains(session, [item])
    if not report.ok:
        raise LedgerBroken(
            f"{item.exhibit}: {report.problems[0]}; no certificate was produced",
            item=str(item.id),
            problems=report.problems,
        )
    if verify_content:
        problem = content_problem(ctx, item)
        if problem:
            raise HashMismatch(
                f"{item.exhibit}: {problem}; no certificate was produced", item=str(item.id)
            )
    event = append_event(
        session,
        ctx,
        actor,
        item,
        "accessed",
        purpose=purpose,
        details={
            "certificate": kind.law,
            "parts": list(parts),
            "format": fmt,
            "content_read": verify_content,
        },
    )
    facts = gather_facts(
        session,
        ctx,
        item,
        chain_ok=True,
        certificate_event=event.item_seq,
        content_verified=verify_content,
    )
    return BuiltCertificate(kind.build(facts, parts), item, actor.username, parts, event.item_seq)


def produce_certificate(
    ctx: NodeContext,
    actor_name: str | None,
    item_ref: str,
    law: str,
    out: Path,
    *,
    part: str | None = None,
    verify_content: bool = False,
) -> CertificateResult:
    """Write the certificate ``law`` for an item to ``out`` (``.md`` or ``.pdf``).

    Audits the read, appends an ``accessed`` custody event and writes the file atomically, in
    one transaction; bad input (law, extension, part) is refused before anything is read.
    """
    # The renderers pull in reportlab: load them only when a certificate is produced.
    from comity.evidence.certificate_render import render

    kind = get_kind(law)
    fmt = output_format(out)
    kind.select_parts(part)
    if out.is_dir():
        raise InvalidInput(f"{out} is a folder; name the file to write", path=str(out))
    written = False
    try:
        with ctx.transaction() as session:
            built = build_certificate(
                ctx,
                session,
                actor_name,
                item_ref,
                kind.law,
                part=part,
                verify_content=verify_content,
                fmt=fmt,
            )
            data = render(built.document, fmt)
            digest = hashlib.sha256(data).hexdigest()
            audit.record(
                session,
                built.username,
                "evidence.certificate",
                "evidence",
                str(built.item.id),
                case_id=built.item.case_id,
                details={
                    "law": kind.law,
                    "parts": list(built.parts),
                    "format": fmt,
                    "file": out.name,
                    "document_sha256": digest,
                    "custody_event": built.custody_event,
                },
            )
            result = CertificateResult(
                path=out,
                law=kind.law,
                item=str(built.item.id),
                exhibit=built.item.exhibit,
                sha256=built.item.sha256,
                format=fmt,
                parts=built.parts,
                document_sha256=digest,
                custody_event=built.custody_event,
                blanks=len(built.document.blanks()),
            )
            write_atomic(out, data)
            written = True
    except BaseException:
        if written:
            out.unlink(missing_ok=True)
        raise
    return result


def describe_kinds() -> str:
    """``IN-BSA-63, US-FRE-902-13, US-FRE-902-14`` — for help texts."""
    return ", ".join(sorted(_KINDS))
