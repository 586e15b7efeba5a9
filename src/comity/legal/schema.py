"""The schema of the legal knowledge base: one model per kind of file, every entry a sourced fact.

A knowledge-base file is JSON::

    {"kind": "treaties", "source": "...", "as_of": "undated", "status": "verified",
     "entries": [{"id": "in-us-mla", "parties": ["IN", "US"], ..., "source": "...",
                  "as_of": "2005-10-03", "status": "verified"}]}

Every entry carries ``source``, ``as_of`` (an ISO 8601 date, reduced precision allowed —
``2020-01``, ``1997`` — or ``undated``) and ``status`` (``verified``, ``unverified``,
``conflict`` with each source's figure in ``figures``, or ``interpretation``); an entry may take
them from the file's top level. :func:`parse_file` validates a file and raises
:class:`~comity.legal.errors.KnowledgeBaseInvalid` naming the file, the entry and the field.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from comity.legal.errors import KnowledgeBaseInvalid

STATUSES = ("verified", "unverified", "conflict", "interpretation")
Status = Literal["verified", "unverified", "conflict", "interpretation"]
NEEDS = (
    "subscriber",
    "traffic",
    "content",
    "preservation",
    "bank-records",
    "testimony",
    "search",
    "freeze-assets",
    "locate-person",
    "arrest",
)
HOLDERS = ("provider", "bank", "person", "government")
URGENCIES = ("normal", "emergency")
REQUEST_KINDS = (
    "mla-request",
    "letter-rogatory",
    "preservation",
    "emergency-disclosure",
    "provider-request",
    "interpol-diffusion",
)
MECHANISM_CLASSES = (
    "emergency-disclosure",
    "preservation",
    "direct-provider",
    "police-to-police",
    "mla",
    "letter-rogatory",
    "extradition",
)
"""Mechanism classes in the order routes are listed when times are not all sourced."""

ELEMENT_TESTS = (
    "text",
    "list",
    "flag",
    "statute-reference",
    "statute-text",
    "account-identifier",
    "date-range",
)
"""The concrete tests a required element can name (see :mod:`comity.legal.checklist`)."""

_PARTIAL_DATE = re.compile(r"[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?")


def check_partial_date(value: str) -> str:
    """Accept ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (a real calendar date)."""
    if not _PARTIAL_DATE.fullmatch(value):
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD, YYYY-MM or YYYY)")
    year, month, day = ([*value.split("-"), "01", "01"])[:3]
    try:
        date(int(year), int(month), int(day))
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a calendar date") from exc
    return value


def check_as_of(value: str) -> str:
    """``as_of``: a (possibly reduced-precision) date, or the word ``undated``."""
    return value if value == "undated" else check_partial_date(value)


def check_country(value: str) -> str:
    """Two upper-case letters (membership in the countries file is checked after loading)."""
    if not re.fullmatch(r"[A-Z]{2}", value):
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 code")
    return value


def check_text(value: str) -> str:
    """Refuse control characters other than newlines and tabs (they would reach documents)."""
    if any(unicodedata.category(c) == "Cc" and c not in "\n\t" for c in value):
        raise ValueError("contains control characters")
    return value


PartialDate = Annotated[str, AfterValidator(check_partial_date)]
AsOf = Annotated[str, AfterValidator(check_as_of)]
Country = Annotated[str, AfterValidator(check_country)]
Text = Annotated[str, Field(min_length=1), AfterValidator(check_text)]


class Strict(BaseModel):
    """A model that refuses unknown fields (a typo in a field name is an error, not a no-op)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Figure(Strict):
    """One source's figure for a fact the sources disagree on."""

    value: Any
    source: Text
    as_of: AsOf


class Fact(Strict):
    """What every entry carries: where it comes from, how current and how sure it is."""

    source: Text
    as_of: AsOf
    status: Status
    figures: list[Figure] = Field(default_factory=list, validate_default=True)

    @field_validator("figures")
    @classmethod
    def _conflict_has_figures(cls, value: list[Figure], info: ValidationInfo) -> list[Figure]:
        if info.data.get("status") == "conflict" and len(value) < 2:
            raise ValueError("a 'conflict' needs each source's figure in 'figures' (two or more)")
        return value

    def provenance(self) -> dict[str, Any]:
        """``{"source", "as_of", "status"}`` (and ``figures`` for a conflict)."""
        out: dict[str, Any] = {"source": self.source, "as_of": self.as_of, "status": self.status}
        if self.figures:
            out["figures"] = [f.model_dump() for f in self.figures]
        return out


class CountryEntry(Fact):
    """A country or territory of ISO 3166-1 (and ``EU`` for the Union as a party)."""

    code: Country
    name: Text
    official_name: str | None = None
    note: str | None = None


class AuthorityEntry(Fact):
    """An authority with a role in cooperation: central authority, INTERPOL NCB…"""

    country: Country
    role: Text
    name: Text
    notes: list[str] = Field(default_factory=list)


class ProvisionEntry(Fact):
    """A provision of a country's law that the routes or drafts refer to."""

    id: Text
    country: Country
    role: Text
    reference: Text
    title: Text
    summary: str | None = None
    replaces: str | None = None
    text: str | None = None


class Article(Strict):
    """An article of a treaty or convention."""

    number: Text
    title: Text
    summary: str | None = None
    note: str | None = None
    status: Status | None = None


class TreatyEntry(Fact):
    """A bilateral treaty (MLA or extradition) and how far it has come."""

    id: Text
    kind: Literal["mla", "extradition"]
    parties: list[Country] = Field(min_length=2, max_length=2)
    name: Text
    stage: Literal["in-force", "operational", "signed", "approved", "none"]
    signed: PartialDate | None = None
    in_force: PartialDate | None = None
    operational_year: int | None = None
    dual_criminality: Literal["required", "not-required", "unknown"] = "unknown"
    dual_criminality_note: str | None = None
    articles: list[Article] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


class AgreementEntry(Fact):
    """An agreement between states other than a treaty of the above kinds (CLOUD Act…)."""

    id: Text
    kind: Text
    parties: list[Country] = Field(min_length=2, max_length=2)
    name: Text
    stage: Literal["in-force", "negotiating", "none"]
    in_force: PartialDate | None = None
    since: PartialDate | None = None
    notes: list[str] = Field(default_factory=list)


class RegisterEntry(Fact):
    """How complete the knowledge base's list of one country's treaties or agreements is."""

    id: Text
    country: Country
    of: Literal["treaties", "agreements"]
    treaty_kind: Text
    complete: bool
    note: Text


class Member(Strict):
    """A state's standing under a convention or in an organisation."""

    country: Country
    role: Literal["party", "ratified", "signatory", "non-party", "non-signatory", "member"]
    since: PartialDate | None = None
    note: str | None = None
    source: str | None = None
    as_of: AsOf | None = None
    status: Status | None = None


class Count(Strict):
    """A count with what it means."""

    value: int
    note: str | None = None


class ConventionEntry(Fact):
    """A multilateral convention: its stage, its members, its articles."""

    id: Text
    name: Text
    reference: Text
    stage: Literal["in-force", "not-in-force"]
    in_force: PartialDate | None = None
    opened: PartialDate | None = None
    adopted: PartialDate | None = None
    in_force_condition: str | None = None
    members_complete: bool
    member_count: Count | None = None
    members: list[Member] = Field(default_factory=list)
    articles: list[Article] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


class Notice(Strict):
    """A kind of INTERPOL notice (or a diffusion)."""

    id: Text
    name: Text
    purpose: Text
    obtains_data: bool
    scope: Literal["all-members", "selected", "pilot"]
    pilot_members: list[Country] = Field(default_factory=list)
    needs: list[Literal[NEEDS]] = Field(default_factory=list)  # type: ignore[valid-type]


class OrganisationEntry(Fact):
    """An international police organisation (INTERPOL)."""

    id: Text
    name: Text
    member_count: Count | None = None
    members_complete: bool
    members: list[Member] = Field(default_factory=list)
    notices: list[Notice] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


class DisclosureRuleEntry(Fact):
    """What holders of data in a country may or must disclose, and on what."""

    id: Text
    country: Country
    holder: Literal["provider", "bank", "person", "government"]
    data: Literal["content", "non-content", "any"]
    mode: Literal["compelled", "voluntary", "emergency", "preservation"]
    legal_basis: list[Text] = Field(min_length=1)
    requirement: Text
    preconditions: list[str] = Field(default_factory=list)
    channels: list[str] = Field(default_factory=list)


class AppliesTo(Strict):
    """Where a preservation period applies: a requested country, or between convention parties."""

    country: Country | None = None
    convention: str | None = None
    domestic: bool = False


class PreservationPeriodEntry(Fact):
    """How long preserved data is kept, and how often that can be renewed."""

    id: Text
    applies_to: AppliesTo
    legal_basis: list[Text] = Field(min_length=1)
    days: int = Field(gt=0)
    minimum: bool
    renewals: int | None = None
    renewal_days: int | None = None
    note: str | None = None


class OffenceEntry(Fact):
    """An offence with its statute reference (``IN:IT Act 66D``)."""

    ref: Text
    country: Country
    act: Text
    section: Text
    title: Text
    max_imprisonment: str | None = None
    civil: bool = False
    text: str | None = None


class OffenceMapEntry(Fact):
    """The corresponding offences of another country (for dual criminality and drafting)."""

    from_: Text = Field(alias="from")
    to: list[Text] = Field(min_length=1)
    note: str | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class FigureEntry(Fact):
    """A figure users and the advisor refer to (an average time, a count)."""

    id: Text
    subject: Text
    value: int | None = None
    unit: str | None = None
    note: str | None = None
    country: Country | None = None
    applies_to: str | None = None


class When(Strict):
    """When a required element applies."""

    needs_any: list[Literal[NEEDS]] = Field(default_factory=list)  # type: ignore[valid-type]
    urgency: Literal["normal", "emergency"] | None = None


class Element(Strict):
    """A required element of a request: a field of the request and a concrete test."""

    element: Text
    field: Text
    test: Literal[ELEMENT_TESTS]  # type: ignore[valid-type]
    why: Text
    when: When | None = None
    source: Text
    status: Status


class RequestElementsEntry(Fact):
    """The required elements of one kind of request to one requested country (or ``*``)."""

    kind: Literal[REQUEST_KINDS]  # type: ignore[valid-type]
    to: str = Field(pattern=r"^([A-Z]{2}|\*)$")
    elements: list[Element] = Field(min_length=1)


class Requirement(Strict):
    """One condition of a mechanism, evaluated by a named test (see :mod:`comity.legal.rules`)."""

    test: Literal[
        "convention-parties",
        "convention-in-force",
        "treaty",
        "no-treaty",
        "agreement",
        "rule",
        "member",
        "pilot",
        "provision",
    ]
    convention: str | None = None
    kind: str | None = None
    mode: Literal["compelled", "voluntary", "emergency", "preservation"] | None = None
    organisation: str | None = None
    notice: str | None = None
    role: str | None = None
    who: Literal["from", "to"] | None = None
    of: Literal["from", "to"] | None = None
    if_unknown: Literal["undetermined", "precondition", "exclude"] = "undetermined"


class Caveat(Strict):
    """A note added to a route's preconditions unless a requirement holds."""

    unless: Requirement
    text: Text


class DualCriminality(Strict):
    """Whether the mechanism requires dual criminality, and on what basis."""

    required: bool | None
    basis: Text
    status: Status


class NotFor(Strict):
    """Needs a mechanism never serves, and why (shown among the excluded routes)."""

    needs: list[Literal[NEEDS]]  # type: ignore[valid-type]
    reason: Text


class MechanismEntry(Fact):
    """A route rule: which needs it serves, what must hold, and what it takes."""

    id: Text
    name: Text
    class_: Literal[MECHANISM_CLASSES] = Field(alias="class")  # type: ignore[valid-type]
    needs: list[Literal[NEEDS]] = Field(min_length=1)  # type: ignore[valid-type]
    holders: list[Literal[HOLDERS]] = Field(default_factory=lambda: list(HOLDERS))  # type: ignore[valid-type]
    urgency: list[Literal[URGENCIES]] = Field(default_factory=lambda: list(URGENCIES))  # type: ignore[valid-type]
    request_kind: Literal[REQUEST_KINDS] | None = None  # type: ignore[valid-type]
    requires: list[Requirement] = Field(default_factory=list)
    rule_modes: list[str] = Field(default_factory=list)
    preserve_first: list[Literal[NEEDS]] = Field(default_factory=list)  # type: ignore[valid-type]
    legal_basis: list[str] = Field(default_factory=list)
    legal_basis_roles: list[str] = Field(default_factory=list)
    channel: Text
    caveats: list[Caveat] = Field(default_factory=list)
    preconditions: list[str] = Field(default_factory=list)
    dual_criminality: DualCriminality | Literal["from-treaty"] | None = None
    next_steps: list[str] = Field(default_factory=list)
    not_for: NotFor | None = None
    notices_of: str | None = None
    expected_figure: str | None = None
    """A figure (``applies_to``) of the requested country giving the route's expected time."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


KINDS: dict[str, tuple[type[Fact], tuple[str, ...]]] = {
    "countries": (CountryEntry, ("code",)),
    "authorities": (AuthorityEntry, ("country", "role")),
    "provisions": (ProvisionEntry, ("id",)),
    "treaties": (TreatyEntry, ("id",)),
    "agreements": (AgreementEntry, ("id",)),
    "registers": (RegisterEntry, ("id",)),
    "conventions": (ConventionEntry, ("id",)),
    "organisations": (OrganisationEntry, ("id",)),
    "disclosure_rules": (DisclosureRuleEntry, ("id",)),
    "preservation_periods": (PreservationPeriodEntry, ("id",)),
    "offences": (OffenceEntry, ("ref",)),
    "offence_map": (OffenceMapEntry, ("from_",)),
    "figures": (FigureEntry, ("id",)),
    "request_elements": (RequestElementsEntry, ("kind", "to")),
    "mechanisms": (MechanismEntry, ("id",)),
}
"""Every kind of knowledge-base file: its entry model and the fields that identify an entry."""

_ENVELOPE = ("source", "as_of", "status")


def normalize_ref(ref: str) -> str:
    """``in: it act 66d`` and ``IN:IT Act 66D`` compare equal (as ``IN:IT ACT 66D``)."""
    return " ".join(ref.replace(":", " : ").upper().split()).replace(" : ", ":")


_REF_KEYS = {"offences", "offence_map"}
"""Kinds keyed by a statute reference: their keys compare as :func:`normalize_ref` does."""


def entry_label(kind: str, entry: Fact) -> str:
    """An entry's identity as written (``IN:IT Act 66D``), for messages and output."""
    return "/".join(str(getattr(entry, f)) for f in KINDS[kind][1])


def entry_key(kind: str, entry: Fact) -> str:
    """The identity of an entry within its kind (``IN/mla-central-authority``, ``in-us-mla``;
    an offence's reference normalized: ``IN:IT ACT 66D``)."""
    key = "/".join(str(getattr(entry, f)) for f in KINDS[kind][1])
    return normalize_ref(key) if kind in _REF_KEYS else key


def _describe(raw: Any, key_fields: tuple[str, ...]) -> str:
    if isinstance(raw, dict):
        names = [str(raw.get("from" if f == "from_" else f.rstrip("_"))) for f in key_fields]
        if all(n != "None" for n in names):
            return "/".join(names)
    return ""


class _Envelope(Strict):
    source: Text | None = None
    as_of: AsOf | None = None
    status: Status | None = None


def _check_defaults(name: str, defaults: dict[str, Any]) -> None:
    """The file-level ``source``, ``as_of`` and ``status`` are checked even if no entry uses
    them."""
    try:
        _Envelope.model_validate(defaults)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(p) for p in error["loc"])
        problem = error["msg"].removeprefix("Value error, ")
        raise KnowledgeBaseInvalid(
            f"{name}: field {field!r} at the top of the file: {problem}",
            file=name,
            entry=None,
            field=field,
        ) from None


def parse_file(name: str, document: Any) -> tuple[str, list[Fact]]:
    """Validate one knowledge-base document and return its kind and entries.

    ``name`` is how the file is named in errors. Raises
    :class:`~comity.legal.errors.KnowledgeBaseInvalid` with ``data`` ``{"file", "entry",
    "field"}`` on the first problem::

        kind, entries = parse_file("treaties.json", json.loads(text))
    """
    if not isinstance(document, dict):
        raise KnowledgeBaseInvalid(
            f"{name}: a knowledge-base file is a JSON object with 'kind' and 'entries'",
            file=name,
            entry=None,
            field=None,
        )
    kind = document.get("kind")
    if kind not in KINDS:
        raise KnowledgeBaseInvalid(
            f"{name}: field 'kind': {kind!r} is not one of {', '.join(KINDS)}",
            file=name,
            entry=None,
            field="kind",
        )
    unknown = set(document) - {"kind", "entries", "note", *_ENVELOPE}
    if unknown:
        field = sorted(unknown)[0]
        raise KnowledgeBaseInvalid(
            f"{name}: field {field!r} is not allowed at the top of a file",
            file=name,
            entry=None,
            field=field,
        )
    raw_entries = document.get("entries")
    if not isinstance(raw_entries, list) or not raw_entries:
        raise KnowledgeBaseInvalid(
            f"{name}: field 'entries' must be a non-empty list",
            file=name,
            entry=None,
            field="entries",
        )
    model, key_fields = KINDS[kind]
    defaults = {k: document[k] for k in _ENVELOPE if k in document}
    _check_defaults(name, defaults)
    entries: list[Fact] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(raw_entries):
        label = _describe(raw, key_fields)
        where = f"entry {index + 1}" + (f" ({label})" if label else "")
        if not isinstance(raw, dict):
            raise KnowledgeBaseInvalid(
                f"{name}: {where}: an entry is a JSON object",
                file=name,
                entry=index + 1,
                field=None,
            )
        try:
            entry = model.model_validate({**defaults, **raw})
        except ValidationError as exc:
            error = exc.errors()[0]
            field = ".".join(str(p) for p in error["loc"]) or "(entry)"
            if error["type"] == "missing":
                problem = "is missing"
            else:
                problem = error["msg"].removeprefix("Value error, ")
            raise KnowledgeBaseInvalid(
                f"{name}: {where}: field {field!r} {problem}",
                file=name,
                entry=index + 1,
                key=label or None,
                field=field,
            ) from None
        key = entry_key(kind, entry)
        if key in seen:
            raise KnowledgeBaseInvalid(
                f"{name}: {where}: duplicates entry {seen[key]} (key {entry_label(kind, entry)!r})",
                file=name,
                entry=index + 1,
                key=entry_label(kind, entry),
                field=None,
            )
        seen[key] = index + 1
        entries.append(entry)
    return kind, entries
