"""From a record as a file holds it to a checked complaint with normalized identifiers.

    mapping = Mapping.default()                     # or load_mapping(path)
    record = check_row(row.values, mapping, RowOptions(country="IN"))
    if isinstance(record, str):
        print("rejected:", record)                  # the reason
    else:
        record.identifiers                          # [Identifier("phone-number", "+91…"), …]

Every value is checked: dates (ISO 8601, or ``--date-format``), ages, losses (decimal, not
negative, not absurd), currencies, countries. Identifiers are normalized with the one
normalizer per type; those that do not validate are kept and flagged, never dropped. The
narrative is searched for more (:func:`comity.intel.observables.extract`). A URL or e-mail
address adds its registrable domain (``derived``), which is what links complaints whose
victims saw different pages of one scam site.
"""

from __future__ import annotations

import gc
import hashlib
import re
import signal
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from time import perf_counter
from typing import Any, Final
from urllib.parse import urlsplit

import orjson

from comity.core.timeutil import utcnow
from comity.intel.errors import UnknownCountry
from comity.intel.observables import check_country, extract, normalize
from comity.link.errors import MappingError

FIELDS: Final = (
    "complaint_id",
    "country",
    "received_on",
    "victim_region",
    "victim_age",
    "loss_amount",
    "currency",
    "category",
    "narrative",
    "phones",
    "emails",
    "urls",
    "bank_accounts",
    "upi_ids",
    "crypto_wallets",
    "victim_id",
)
"""The fields of the complaint interchange format (``docs/complaints.md``)."""

LIST_FIELDS: Final = {
    "phones": "phone-number",
    "emails": "email-addr",
    "urls": "url",
    "bank_accounts": "bank-account",
    "upi_ids": "upi-id",
    "crypto_wallets": "cryptocurrency-wallet",
}
"""Multi-valued fields and the observable type of their values."""

REQUIRED: Final = ("complaint_id", "received_on")

NOT_LINKING: Final = frozenset({"person-name", "organization-name"})
"""Types extracted from narratives that are not kept (names are not identifiers)."""

MAX_ID_CHARS: Final = 100
MAX_LOSS: Final = Decimal("1e12")
"""A loss above this (a lakh crore rupees; a trillion dollars) is not believable."""
EARLIEST: Final = date(1990, 1, 1)
CURRENCY_OF: Final = {"IN": "INR", "US": "USD"}
"""A loss without a currency is in the currency of the complaint's country, where known."""

_CURRENCY: Final = re.compile(r"[A-Z]{3}")
_AMOUNT: Final = re.compile(r"\d+(\.\d+)?")
_GROUPED: Final = re.compile(r"\d{1,3}(,\d{2,3})+(\.\d+)?")
_CONTROL: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Mapping:
    """How a file's columns become the interchange format's fields.

    ``columns`` maps a column to a field; several columns may feed one multi-valued field
    (``Suspect Mobile 1`` and ``Suspect Mobile 2`` → ``phones``). ``separator`` splits
    multi-valued CSV cells; ``date_format`` is a ``strptime`` format for ``received_on``.
    """

    columns: dict[str, str] = field(default_factory=dict)
    separator: str = ";"
    date_format: str | None = None

    @classmethod
    def default(cls) -> Mapping:
        """The interchange format as it is: every field is its own column."""
        return cls({name: name for name in FIELDS})

    def with_date_format(self, date_format: str | None) -> Mapping:
        """This mapping with ``date_format`` (from ``--date-format``) when one is given."""
        if date_format is None:
            return self
        return Mapping(self.columns, self.separator, date_format)

    def apply(self, values: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
        """The row's fields, or a reason it cannot be mapped."""
        out: dict[str, Any] = {}
        for column, value in values.items():
            target = self.columns.get(str(column).strip())
            if target is None or value is None or value == "":
                continue
            if target in LIST_FIELDS:
                out.setdefault(target, []).extend(self._items(value))
            elif target in out:
                return out, f"two columns give {target!r}"
            else:
                out[target] = value
        return out, None

    def _items(self, value: Any) -> list[Any]:
        if isinstance(value, list):
            return [v for v in value if v not in (None, "")]
        if isinstance(value, str):
            return [part for part in value.split(self.separator) if part.strip()]
        return [value]

    def unmapped(self, columns: list[str]) -> list[str]:
        """The columns of a file this mapping ignores."""
        return [c for c in columns if c.strip() not in self.columns]


def load_mapping(path: Path) -> Mapping:
    """Read a mapping file (TOML or JSON): ``[columns]`` ``"Column" = "field"``, and optionally
    ``separator`` and ``date_format``. Raises :class:`MappingError` naming what is wrong::

        # agency-export.toml
        date_format = "%d/%m/%Y"
        [columns]
        "Acknowledgement No" = "complaint_id"
        "Suspect Mobile 1" = "phones"
        "Suspect Mobile 2" = "phones"
    """
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise MappingError(f"cannot read the mapping {path.name}: {exc.strerror}") from None
    try:
        data: Any = (
            orjson.loads(text)
            if path.suffix.lower() == ".json"
            else tomllib.loads(text.decode("utf-8"))
        )
    except (orjson.JSONDecodeError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise MappingError(f"the mapping {path.name} cannot be parsed: {exc}") from None
    columns = data.get("columns") if isinstance(data, dict) else None
    if not isinstance(columns, dict) or not columns:
        raise MappingError(f"the mapping {path.name} has no [columns] table")
    for column, target in columns.items():
        if target not in FIELDS:
            raise MappingError(
                f"the mapping maps {column!r} to {target!r}, which is not a field "
                f"(fields: {', '.join(FIELDS)})",
                column=column,
                field=target,
            )
    scalars = [t for t in columns.values() if t not in LIST_FIELDS]
    doubled = sorted({t for t in scalars if scalars.count(t) > 1})
    if doubled:
        raise MappingError(
            f"the mapping gives {doubled[0]!r} from two columns (only lists may)", field=doubled[0]
        )
    missing = [f for f in REQUIRED if f not in columns.values()]
    if missing:
        raise MappingError(f"the mapping gives no column for {missing[0]!r}", field=missing[0])
    separator = data.get("separator", ";")
    date_format = data.get("date_format")
    if not isinstance(separator, str) or not separator:
        raise MappingError("the mapping's separator must be a non-empty string")
    if date_format is not None and not isinstance(date_format, str):
        raise MappingError("the mapping's date_format must be a string such as %d/%m/%Y")
    return Mapping({str(k).strip(): str(v) for k, v in columns.items()}, separator, date_format)


@dataclass(frozen=True, slots=True)
class Identifier:
    """A normalized identifier named by a complaint."""

    type: str
    value: str
    raw: str
    origin: str
    valid: bool

    def __reduce__(self) -> tuple[Callable[..., Identifier], tuple[str, str, str, str, bool]]:
        """Pickled as its five values: two thirds of the cost of the slots' state, which counts
        when workers send back a file's complaints (``comity link ingest --workers``)."""
        return Identifier, (self.type, self.value, self.raw, self.origin, self.valid)


@dataclass(frozen=True)
class RowOptions:
    """What applies to every row of a file."""

    country: str | None = None
    """``--country``: the default for rows without one."""


@dataclass
class ComplaintRecord:
    """A checked complaint, ready to store."""

    complaint_id: str
    country: str
    received_on: date
    victim_region: str | None
    victim_age: int | None
    loss_amount: str | None
    currency: str | None
    category: str | None
    narrative: str | None
    victim_id: str | None
    identifiers: list[Identifier]
    content_sha256: str
    warnings: list[str] = field(default_factory=list)


class _Bad(Exception):
    """A row's value that cannot be accepted (internal: becomes the row's reason)."""


def check_row(
    values: dict[str, Any], mapping: Mapping, options: RowOptions
) -> ComplaintRecord | str:
    """The checked complaint of one record, or the reason it is rejected (the time it took is
    counted in this process's :func:`take_seconds`)."""
    started = perf_counter()
    try:
        fields, problem = mapping.apply(values)
        if problem:
            return problem
        return _record(fields, mapping, options)
    except _Bad as bad:
        return str(bad)
    finally:
        _spent["check"] += perf_counter() - started


STAGES: Final = ("check", "extract", "normalize")
"""What :func:`take_seconds` reports: all of checking rows (``check``), and within it
extracting identifiers from narratives (``extract``, their normalization included) and
normalizing the list fields' values (``normalize``)."""

_spent: dict[str, float] = dict.fromkeys(STAGES, 0.0)


def take_seconds() -> dict[str, float]:
    """The seconds this process spent in each of :data:`STAGES` since the last call."""
    taken = dict(_spent)
    for stage in STAGES:
        _spent[stage] = 0.0
    return taken


def _record(fields: dict[str, Any], mapping: Mapping, options: RowOptions) -> ComplaintRecord:
    warnings: list[str] = []
    complaint_id = _text(fields.get("complaint_id"), "complaint_id", MAX_ID_CHARS)
    if complaint_id is None:
        raise _Bad("no complaint_id")
    country = _country(fields.get("country"), options.country, warnings)
    received_on = _date(fields.get("received_on"), mapping.date_format)
    loss = _loss(fields.get("loss_amount"))
    currency = _currency(fields.get("currency"), loss, country, warnings)
    narrative = _text(fields.get("narrative"), "narrative", None)
    record = ComplaintRecord(
        complaint_id=complaint_id,
        country=country,
        received_on=received_on,
        victim_region=_text(fields.get("victim_region"), "victim_region", 200),
        victim_age=_age(fields.get("victim_age")),
        loss_amount=None if loss is None else _decimal_text(loss),
        currency=currency,
        category=_text(fields.get("category"), "category", 100),
        narrative=narrative,
        victim_id=_text(fields.get("victim_id"), "victim_id", MAX_ID_CHARS),
        identifiers=[],
        content_sha256="",
        warnings=warnings,
    )
    listed = {name: [str(v) for v in fields.get(name, [])] for name in LIST_FIELDS}
    record.identifiers = identifiers_of(listed, narrative, country)
    record.content_sha256 = content_hash(record, listed)
    return record


def identifiers_of(
    listed: dict[str, list[str]], narrative: str | None, country: str
) -> list[Identifier]:
    """The normalized identifiers of the list fields and the narrative, each value once,
    with the registrable domains of URLs and e-mail addresses added."""
    found: dict[tuple[str, str], Identifier] = {}

    def add(identifier: Identifier) -> None:
        found.setdefault((identifier.type, identifier.value), identifier)

    for name, obs_type in LIST_FIELDS.items():
        for raw in listed.get(name, ()):
            raw = raw.strip()
            if not raw:
                continue
            if len(raw) > 500:
                raise _Bad(f"a value of {name!r} is longer than 500 characters")
            # normalize() caches by (type, value as written, country), bounded: the same mule
            # account written the same way in many complaints is parsed once per process.
            started = perf_counter()
            observable = normalize(obs_type, raw, country=country)
            _spent["normalize"] += perf_counter() - started
            add(Identifier(obs_type, observable.value, raw, "field", observable.valid))
    if narrative:
        started = perf_counter()
        hits = extract(narrative, country=country)
        _spent["extract"] += perf_counter() - started
        for hit in hits:
            if hit.type not in NOT_LINKING and len(hit.value) <= 500:
                add(Identifier(hit.type, hit.value, hit.raw[:500], "narrative", hit.valid))
    for identifier in list(found.values()):
        domain = _domain_of(identifier)
        if domain is not None:
            add(domain)
    return list(found.values())


def _domain_of(identifier: Identifier) -> Identifier | None:
    """The registrable domain of a valid URL or e-mail address, as a derived identifier."""
    if not identifier.valid:
        return None
    if identifier.type == "url":
        host = urlsplit(identifier.value).hostname
    elif identifier.type == "email-addr":
        host = identifier.value.rpartition("@")[2]
    else:
        return None
    if not host:
        return None
    observable = normalize("domain-name", host)
    if not observable.valid:
        return None  # an IP address, or a bare public suffix
    return Identifier("domain-name", observable.value, identifier.raw, "derived", True)


def content_hash(record: ComplaintRecord, listed: dict[str, list[str]]) -> str:
    """SHA-256 of what the complaint says, values as checked and identifiers as written:
    the same row hashes the same however the file spells its formatting."""
    content = {
        "complaint_id": record.complaint_id,
        "country": record.country,
        "received_on": record.received_on.isoformat(),
        "victim_region": record.victim_region,
        "victim_age": record.victim_age,
        "loss_amount": record.loss_amount,
        "currency": record.currency,
        "category": record.category,
        "narrative": record.narrative,
        "victim_id": record.victim_id,
        **{
            name: sorted(v.strip() for v in listed.get(name, ()) if v.strip())
            for name in LIST_FIELDS
        },
    }
    return hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _text(value: Any, name: str, limit: int | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _Bad(f"{name!r} is not text")
    text = str(value).strip()
    if not text:
        return None
    if _CONTROL.search(text):
        raise _Bad(f"{name!r} holds control characters")
    if limit is not None and len(text) > limit:
        raise _Bad(f"{name!r} is longer than {limit} characters")
    return text


def _country(value: Any, default: str | None, warnings: list[str]) -> str:
    own = _text(value, "country", 60)
    if own is None:
        if default is None:
            raise _Bad("no country (give the column, or --country for the file)")
        return default
    try:
        code = check_country(own)
    except UnknownCountry:
        raise _Bad(f"unknown country {own[:20]!r} (an ISO 3166-1 alpha-2 code)") from None
    if default is not None and code != default:
        warnings.append(f"country {code} differs from --country {default}: kept {code}")
    return code


def _date(value: Any, date_format: str | None) -> date:
    text = _text(value, "received_on", 40)
    if text is None:
        raise _Bad("no received_on date")
    try:
        if date_format:
            parsed = datetime.strptime(text, date_format).date()
        else:
            parsed = (
                date.fromisoformat(text[:10])
                if len(text) > 10 and text[10] in "T "
                else (date.fromisoformat(text))
            )
    except ValueError:
        shown = f" (expected {date_format})" if date_format else " (expected YYYY-MM-DD)"
        raise _Bad(f"received_on {text[:40]!r} is not a valid date{shown}") from None
    if parsed < EARLIEST:
        raise _Bad(f"received_on {parsed.isoformat()} is before {EARLIEST.year}")
    if parsed > utcnow().date() + timedelta(days=1):
        raise _Bad(f"received_on {parsed.isoformat()} is in the future")
    return parsed


def _age(value: Any) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise _Bad("victim_age is not a number")
    try:
        age = int(str(value).strip()) if not isinstance(value, float) else int(value)
    except ValueError:
        raise _Bad(f"victim_age {str(value)[:20]!r} is not a whole number") from None
    if isinstance(value, float) and value != age:
        raise _Bad(f"victim_age {value} is not a whole number")
    if not 0 <= age <= 130:
        raise _Bad(f"victim_age {age} is not between 0 and 130")
    return age


def _loss(value: Any) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise _Bad("loss_amount is not a number")
    text = str(value).strip() if not isinstance(value, float) else repr(value)
    plain = text.lstrip("-")
    if _GROUPED.fullmatch(plain):
        text = text.replace(",", "")  # 2,45,000 or 245,000.50
    elif not _AMOUNT.fullmatch(plain):
        raise _Bad(f"loss_amount {text[:30]!r} is not a decimal number")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise _Bad(f"loss_amount {text[:30]!r} is not a decimal number") from None
    if amount < 0:
        raise _Bad(f"loss_amount {text[:30]} is negative")
    if amount > MAX_LOSS:
        raise _Bad(f"loss_amount {text[:30]} is not believable (above {MAX_LOSS:,.0f})")
    return amount


def _decimal_text(amount: Decimal) -> str:
    """A loss as an exact decimal string, without exponent (``245000``, ``18000.50``)."""
    return format(amount, "f")


def _currency(value: Any, loss: Decimal | None, country: str, warnings: list[str]) -> str | None:
    text = _text(value, "currency", 10)
    if text is None:
        if loss is None:
            return None
        inferred = CURRENCY_OF.get(country)
        if inferred is None:
            raise _Bad("a loss_amount without a currency")
        warnings.append(f"no currency: the loss is taken to be in {inferred}")
        return inferred
    code = text.upper()
    if not _CURRENCY.fullmatch(code):
        raise _Bad(f"currency {text[:10]!r} is not an ISO 4217 code such as INR or USD")
    return code


# Checking in worker processes (``comity link ingest --workers``). A worker is set up once with
# what applies to every row of the file; it is sent rows as ``(line, values)`` and answers
# ``(line, ComplaintRecord or reason)``, all plain picklable values.

_worker_file: tuple[Mapping, RowOptions] | None = None

WORKER_GC_THRESHOLD: Final = (50_000, 20, 20)
"""The cyclic collector's thresholds in a worker (Python's default is 2,000, 10, 10)."""


def start_worker(mapping: Mapping, options: RowOptions) -> None:
    """Set up a worker process to check the rows of one file (a process pool's initializer).

    The worker ignores Ctrl-C: an interrupted ingest is stopped by its main process, which
    shuts the pool down; the worker's own traceback would only hide the main one. Its cyclic
    garbage collector runs seldom (:data:`WORKER_GC_THRESHOLD`) rather than never: the pool's
    own messaging leaves reference cycles behind (without the collector a worker grew by 1.7 kB
    a row, 2.3 GB at a million rows; with it, it stays near 250 MB), and what is loaded at start
    is frozen out of its passes.
    """
    global _worker_file
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.freeze()
    gc.set_threshold(*WORKER_GC_THRESHOLD)
    _worker_file = (mapping, options)


def check_rows(
    rows: Sequence[tuple[int, dict[str, Any]]],
) -> tuple[list[tuple[int, ComplaintRecord | str]], dict[str, float]]:
    """In a worker set up by :func:`start_worker`: :func:`check_row` of each ``(line, values)``,
    in order, as ``(line, checked complaint or reason)``, and the seconds it took by stage
    (:func:`take_seconds`)."""
    if _worker_file is None:
        raise RuntimeError("check_rows runs in a worker set up by start_worker")
    mapping, options = _worker_file
    checked = [(line, check_row(values, mapping, options)) for line, values in rows]
    return checked, take_seconds()
