"""The node's knowledge base: the package's facts plus the versions a legal officer imported.

    kb = current_kb(session)                                  # package + imported versions
    version = import_file(session, actor, Path("statutes.json"), note="IT Act texts")
    revert(session, actor)                                    # undo the latest import
    versions(session)                                         # the history, newest first

An import is validated (schema, then the references of the whole resulting knowledge base)
before anything is written; it is recorded as a numbered version with the file's SHA-256, and
audited. A revert is a new version that names the one it undoes, so the history never shrinks.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic_core import to_jsonable_python
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from comity.core.timeutil import isoformat
from comity.identity import audit
from comity.identity.services import Actor
from comity.legal.errors import KnowledgeBaseInvalid, LegalInputError, UnknownKnowledgeVersion
from comity.legal.knowledge import KnowledgeBase
from comity.legal.models import KnowledgeVersion
from comity.legal.particulars import clean_text
from comity.legal.schema import KINDS, Fact, entry_key, entry_label, parse_file

KB_WRITE_ROLES = ("legal_officer", "administrator")
MAX_FILE_BYTES = 5 * 1024 * 1024
"""A knowledge-base file larger than this is refused unread (the package's largest is ~40 kB)."""
MAX_VERSION = 2**31 - 1
"""Version numbers are stored as 32-bit integers: anything larger names no version."""


def _active_versions(session: Session) -> list[KnowledgeVersion]:
    rows = list(session.scalars(select(KnowledgeVersion).order_by(KnowledgeVersion.number)))
    reverted = {r.reverts for r in rows if r.action == "revert"}
    return [r for r in rows if r.action == "import" and r.number not in reverted]


def _layers(rows: list[KnowledgeVersion]) -> list[tuple[str, str, list[Fact]]]:
    layers = []
    for row in rows:
        kind, entries = parse_file(row.file_name or f"version {row.number}", row.document)
        layers.append((f"version {row.number}", kind, entries))
    return layers


def current_kb(session: Session) -> KnowledgeBase:
    """The knowledge base in force on this node: the package's, overlaid by active imports."""
    base = KnowledgeBase.from_package()
    rows = _active_versions(session)
    return base.overlaid(_layers(rows)) if rows else base


def read_document(path: Path) -> Any:
    """Read a knowledge-base file: bounded, UTF-8, JSON; errors name the file."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise LegalInputError(f"cannot read {path}: {exc.strerror}", path=str(path)) from None
    if size > MAX_FILE_BYTES:
        raise too_large(path.name, size)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LegalInputError(f"cannot read {path}: {exc.strerror}", path=str(path)) from None
    return decode_document(path.name, data)


def too_large(name: str, size: int | None = None) -> KnowledgeBaseInvalid:
    """The error for a knowledge-base file over :data:`MAX_FILE_BYTES` (``size`` if known)."""
    what = f"{size} bytes, more than" if size is not None else "more than"
    return KnowledgeBaseInvalid(
        f"{name}: {what} the {MAX_FILE_BYTES} bytes a knowledge-base file may have",
        file=name,
        entry=None,
        field=None,
    )


def _no_constant(name: str) -> Callable[[str], Any]:
    def refuse(constant: str) -> Any:
        raise KnowledgeBaseInvalid(
            f"{name}: not JSON: {constant} is not a JSON number", file=name, entry=None, field=None
        )

    return refuse


def _no_duplicates(name: str) -> Callable[[list[tuple[str, Any]]], dict[str, Any]]:
    def build(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                raise KnowledgeBaseInvalid(
                    f"{name}: field {key!r} appears twice in one JSON object",
                    file=name,
                    entry=None,
                    field=key,
                )
            out[key] = value
        return out

    return build


def decode_document(name: str, data: bytes) -> Any:
    """Decode a knowledge-base file's bytes (at most :data:`MAX_FILE_BYTES`): UTF-8 JSON.

    JSON that parsers read differently is refused, naming the file: a name twice in one
    object (one value would be silently lost), ``NaN`` or ``Infinity``, nesting too deep.
    """
    if len(data) > MAX_FILE_BYTES:
        raise too_large(name, len(data))
    try:
        return json.loads(
            data.decode("utf-8"),
            object_pairs_hook=_no_duplicates(name),
            parse_constant=_no_constant(name),
        )
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise KnowledgeBaseInvalid(
            f"{name}: not UTF-8 JSON: {exc}", file=name, entry=None, field=None
        ) from None
    except RecursionError:
        raise KnowledgeBaseInvalid(
            f"{name}: not usable JSON: nested too deep", file=name, entry=None, field=None
        ) from None


def _next_number(session: Session) -> int:
    return (session.scalar(select(func.max(KnowledgeVersion.number))) or 0) + 1


def import_document(
    session: Session, actor: Actor, name: str, document: Any, note: str = ""
) -> dict[str, Any]:
    """Validate ``document`` and record it as the next version (audited); return a summary.

    The whole knowledge base that would result is cross-checked first: a file naming a country
    or convention the knowledge base does not have is refused and nothing is written.
    """
    actor.require(*KB_WRITE_ROLES)
    note = clean_text(note, "note")
    kind, entries = parse_file(name, document)
    base = current_kb(session)
    try:
        base.overlaid([("new", kind, entries)])  # raises if the result does not hold together
    except KnowledgeBaseInvalid as exc:
        raise _in_file(exc, name, kind, entries) from None
    known = base.entries.get(kind, {})
    replaced = [entry_label(kind, e) for e in entries if entry_key(kind, e) in known]
    added = [entry_label(kind, e) for e in entries if entry_key(kind, e) not in known]
    canonical = json.dumps(document, sort_keys=True, ensure_ascii=False).encode("utf-8")
    row = KnowledgeVersion(
        number=_next_number(session),
        action="import",
        kind=kind,
        file_name=name,
        document=document,
        sha256=hashlib.sha256(canonical).hexdigest(),
        note=note,
        created_by=actor.username,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor.username,
        "legal.kb.import",
        "legal_kb_version",
        str(row.number),
        details={
            "file": name,
            "kind": kind,
            "sha256": row.sha256,
            "added": added,
            "replaced": replaced,
        },
    )
    return {**version_summary(row), "added": added, "replaced": replaced}


def _in_file(
    exc: KnowledgeBaseInvalid, name: str, kind: str, entries: list[Fact]
) -> KnowledgeBaseInvalid:
    """A cross-check error about an imported entry, said of the file and entry it came from.

    The cross-check names entries by kind and key (``offences.json: entry IN:IT Act 66D``);
    the user imported ``name``, where the entry has a number.
    """
    key = exc.data.get("entry")
    if exc.data.get("file") != f"{kind}.json" or not isinstance(key, str):
        return exc
    numbers = [i for i, e in enumerate(entries, 1) if entry_label(kind, e) == key]
    if not numbers:
        return exc
    field = exc.data.get("field")
    problem = exc.message.split(f"field {field!r}: ", 1)[-1]
    return KnowledgeBaseInvalid(
        f"{name}: entry {numbers[0]} ({key}): field {field!r}: {problem}",
        file=name,
        entry=numbers[0],
        key=key,
        field=field,
    )


def _needed(
    exc: KnowledgeBaseInvalid, number: int, layers: list[tuple[str, str, list[Fact]]]
) -> LegalInputError:
    """Why version ``number`` cannot be reverted: a later import refers to what it added."""
    file, key = exc.data.get("file"), exc.data.get("entry")
    kind = file.removesuffix(".json") if isinstance(file, str) else None
    origins = [
        origin
        for origin, layer_kind, entries in layers
        if layer_kind == kind and any(entry_label(layer_kind, e) == key for e in entries)
    ]
    by = f"{origins[-1]} refers to what it added" if origins else "the rest would not hold"
    return LegalInputError(
        f"version {number} cannot be reverted: {by} ({exc.message}); revert that first",
        version=number,
        needed_by=origins[-1] if origins else None,
    )


def import_file(session: Session, actor: Actor, path: Path, note: str = "") -> dict[str, Any]:
    """Import a knowledge-base file from disk (see :func:`import_document`)."""
    return import_document(session, actor, path.name, read_document(path), note)


def revert(
    session: Session, actor: Actor, number: int | None = None, note: str = ""
) -> dict[str, Any]:
    """Undo an imported version (default: the latest still active), recorded as a new version."""
    actor.require(*KB_WRITE_ROLES)
    note = clean_text(note, "note")
    active = _active_versions(session)
    if number is not None and not 1 <= number <= MAX_VERSION:
        raise UnknownKnowledgeVersion(f"no knowledge-base version {number}", version=number)
    if number is None:
        if not active:
            raise LegalInputError("no imported knowledge-base version to revert")
        target = active[-1]
    else:
        found = session.get(KnowledgeVersion, number)
        if found is None:
            raise UnknownKnowledgeVersion(f"no knowledge-base version {number}", version=number)
        if found not in active:
            raise LegalInputError(
                f"version {number} is not an active import (a revert, or already reverted)",
                version=number,
            )
        target = found
    remaining = [r for r in active if r.number != target.number]
    layers = _layers(remaining)
    try:
        KnowledgeBase.from_package().overlaid(layers)  # must still hold together
    except KnowledgeBaseInvalid as exc:
        raise _needed(exc, target.number, layers) from None
    row = KnowledgeVersion(
        number=_next_number(session),
        action="revert",
        kind=target.kind,
        file_name=target.file_name,
        reverts=target.number,
        note=note,
        created_by=actor.username,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor.username,
        "legal.kb.revert",
        "legal_kb_version",
        str(row.number),
        details={"reverts": target.number, "file": target.file_name, "kind": target.kind},
    )
    return version_summary(row)


def versions(session: Session) -> list[dict[str, Any]]:
    """Every knowledge-base version, newest first, each saying whether it is in force."""
    rows = list(session.scalars(select(KnowledgeVersion).order_by(KnowledgeVersion.number.desc())))
    active = {r.number for r in _active_versions(session)}
    return [{**version_summary(r), "active": r.number in active} for r in rows]


def version_summary(row: KnowledgeVersion) -> dict[str, Any]:
    """A JSON-ready description of a version."""
    entries = row.document.get("entries") if isinstance(row.document, dict) else None
    return {
        "version": row.number,
        "action": row.action,
        "kind": row.kind,
        "file": row.file_name,
        "entries": len(entries) if isinstance(entries, list) else 0,
        "sha256": row.sha256 or None,
        "reverts": row.reverts,
        "note": row.note,
        "by": row.created_by,
        "at": isoformat(row.created_at),
    }


def export_kind(kb: KnowledgeBase, kind: str) -> dict[str, Any]:
    """The entries of ``kind`` as they stand, as a knowledge-base document to edit and import."""
    if kind not in KINDS:
        raise LegalInputError(f"unknown kind {kind!r}: use one of {', '.join(KINDS)}", kind=kind)
    return {"kind": kind, "entries": [_exported(e) for e in kb.all(kind)]}


def _exported(value: Any) -> Any:
    """A model as a file holds it: by alias, defaults written out, and ``None`` left out
    where the field may be absent — kept where it is required (``"required": null``)."""
    if isinstance(value, BaseModel):
        out: dict[str, Any] = {}
        for name, info in type(value).model_fields.items():
            item = getattr(value, name)
            if item is None and not info.is_required():
                continue
            out[info.alias or name] = _exported(item)
        return out
    if isinstance(value, list | tuple):
        return [_exported(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _exported(v) for k, v in value.items()}
    return to_jsonable_python(value)
